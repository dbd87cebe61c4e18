#include "client/pager.h"

#include "client/style.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string_view>

namespace gdp::client {
namespace {

bool on_path(std::string_view program) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (true) {
    const auto colon = dirs.find(':');
    const auto dir = dirs.substr(0, colon);
    const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / program;
    if (access(candidate.c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) return false;
    dirs.remove_prefix(colon + 1);
  }
}

// The command line to page with, run by the shell so that PAGER may carry arguments.
std::optional<std::string> pager_command() {
  if (const char* pager = std::getenv("PAGER"); pager != nullptr && *pager != '\0') return pager;
  if (on_path("less")) return "less -R";
  if (on_path("more")) return "more";
  return std::nullopt;
}

// Rows `text` takes on a terminal `columns` wide, long lines folded.
std::size_t rows(const std::string& text, std::size_t columns) {
  std::size_t n = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const auto w = display_width(strip_escapes(rest.substr(0, nl)));
    n += w == 0 ? 1 : (w + columns - 1) / columns;
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return n;
}

// Feeds `text` to `command`'s stdin and waits for it; false when it could not be started.
bool run_pager(const std::string& command, const std::string& text) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    close(fds[1]);
    setenv("LESS", "FRX", 0);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  // A person who quits the pager early closes the pipe: that is no reason for gdp to die. Nor is
  // Ctrl-C inside the pager, which is the pager's to handle (less stops searching, say): gdp goes
  // on, and its prompt comes back when the pager is done.
  struct sigaction ignore {};
  struct sigaction old_pipe {};
  struct sigaction old_int {};
  struct sigaction old_quit {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = write(fds[1], text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  close(fds[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGPIPE, &old_pipe, nullptr);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  return !(WIFEXITED(status) && WEXITSTATUS(status) == 127);
}

}  // namespace

bool pager_allowed(bool json, bool no_pager) {
  return !json && !no_pager && isatty(STDOUT_FILENO) != 0;
}

void page(const std::string& text, bool allowed, bool always) {
  if (allowed && (always || rows(text, terminal_columns(STDOUT_FILENO)) >= terminal_lines(STDOUT_FILENO))) {
    if (const auto command = pager_command()) {
      std::cout << std::flush;
      if (run_pager(*command, text)) return;
    }
  }
  std::cout << text << std::flush;
}

}  // namespace gdp::client
