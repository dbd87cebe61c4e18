// gdpd: parse the command line, bind the socket, serve until SIGTERM.
// Without --foreground gdpd detaches, and the starting command returns only once the socket is
// ready (or with the reason it is not), so scripts can run `gdpd && gdp ping` without polling.
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/systemd.h"
#include "gdp/version.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <iostream>

namespace {

// Many terminals may attach at once; take the hard limit on descriptors the system allows us.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// Forks; the parent waits on a pipe for the child's verdict and exits with it. Returns the write
// end of the pipe in the child: one byte "0" for ready, or an error message.
int detach(const std::string& state_dir) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::perror("gdpd: pipe");
    std::exit(1);
  }
  const pid_t child = fork();
  if (child < 0) {
    std::perror("gdpd: fork");
    std::exit(1);
  }
  if (child > 0) {
    close(fds[1]);
    std::string verdict;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) verdict.append(buf, static_cast<std::size_t>(n));
    if (verdict.size() >= 1 && verdict[0] == '0') std::exit(0);
    if (verdict.empty()) verdict = "1gdpd: exited before it was ready; see " + state_dir + "/gdpd.log\n";
    std::fputs(verdict.c_str() + 1, stderr);
    std::exit(verdict[0] - '0');
  }
  close(fds[0]);
  setsid();
  const int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
  }
  mkdir(state_dir.c_str(), 0700);
  const auto log_path = state_dir + "/gdpd.log";
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd >= 0) dup2(log_fd, STDERR_FILENO);
  return fds[1];
}

// gdpd holds API keys. Not dumpable: other processes of the same user cannot ptrace it or read
// /proc/PID/mem, and a crash leaves no core dump. GDPD_DUMPABLE=1 keeps it dumpable, to attach
// a debugger or profiler (root can attach either way).
void protect_memory() {
  const char* keep = std::getenv("GDPD_DUMPABLE");
  if (keep != nullptr && std::string_view(keep) == "1") return;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) std::perror("gdpd: prctl(PR_SET_DUMPABLE)");
}

}  // namespace

int main(int argc, char** argv) {
  gdp::ParsedCommandLine cmd;
  try {
    cmd = gdp::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const gdp::ConfigError& e) {
    std::cerr << "gdpd: " << e.what() << "\n";
    return 2;
  }
  if (cmd.show_help) {
    std::cout << cmd.help_text;
    return 0;
  }
  if (cmd.show_version) {
    std::cout << "gdpd " << gdp::kVersion << "\n";
    return 0;
  }
  gdp::log::set_level(cmd.config.log_level);
  protect_memory();
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  // systemd's socket, if it passed one, is taken before detach() forks: LISTEN_PID names this
  // process, not the child.
  int listen_fd = -1;
  try {
    listen_fd = gdp::systemd::take_listen_socket();
  } catch (const gdp::StartupError& e) {
    std::cerr << "gdpd: " << e.what() << "\n";
    return e.exit_code();
  }
  const int ready_fd = cmd.config.foreground ? -1 : detach(cmd.config.state_dir);
  try {
    gdp::systemd::notify_status("starting");
    gdp::Daemon daemon(cmd.config, true, listen_fd);
    // Ready means the socket listens and every store is recovered: a client connecting now is
    // served. Both the detach pipe and systemd (Type=notify) hear it here.
    if (ready_fd >= 0) {
      write_all(ready_fd, "0");
      close(ready_fd);
    }
    gdp::systemd::notify_ready("serving " + daemon.socket_path());
    daemon.run();
  } catch (const gdp::StartupError& e) {
    GDP_LOG(error) << e.what();
    if (ready_fd >= 0) write_all(ready_fd, std::to_string(e.exit_code()) + "gdpd: " + e.what() + "\n");
    return e.exit_code();
  } catch (const std::exception& e) {
    GDP_LOG(error) << "fatal: " << e.what();
    if (ready_fd >= 0) write_all(ready_fd, std::string("1gdpd: ") + e.what() + "\n");
    return 1;
  }
  GDP_LOG(info) << "stopped";
  return 0;
}
