#include "tests/support/test_support.h"

#include "tests/support/unix_socket.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace gdp::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/gdp-test-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) FAIL("mkdtemp: " << std::strerror(errno));
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool wait_for_socket(const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = connect_unix(path);
    if (fd >= 0) {
      close(fd);
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

RawClient::RawClient(const std::string& socket_path) : fd_(connect_unix(socket_path)) {
  if (fd_ < 0) FAIL("cannot connect to " << socket_path << ": " << std::strerror(errno));
}

RawClient::~RawClient() {
  close_now();
}

void RawClient::close_now() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<boost::json::value> RawClient::read(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      const auto line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      boost::json::error_code ec;
      auto v = boost::json::parse(line, ec);
      if (ec) FAIL("daemon sent a line that is not JSON: " << line.substr(0, 200));
      return v;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) FAIL("no message from the daemon within " << timeout.count() << " ms");
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    const auto n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

boost::json::value RawClient::call(std::string_view method, boost::json::value params) {
  const auto id = next_id_++;
  boost::json::object req{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  REQUIRE(send(boost::json::serialize(req) + "\n"));
  for (;;) {
    auto msg = read();
    REQUIRE(msg);
    if (msg->as_object().contains("id") && msg->at("id") == id) return *msg;
  }
}

boost::json::value RawClient::hello() {
  return call("hello",
              boost::json::object{
                  {"protocol_versions", {1}},
                  {"client", {{"name", "gdp-test"}, {"version", "0"}, {"pid", getpid()}, {"tty", nullptr}}},
                  {"capabilities", boost::json::array{}}});
}

bool RawClient::closed_within(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    const auto n = recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return true;
  }
  return false;
}

std::int64_t error_code(const boost::json::value& reply) {
  const auto* err = reply.as_object().if_contains("error");
  return err != nullptr ? err->at("code").as_int64() : 0;
}

int run_as_nobody(const std::function<int()>& fn) {
  if (geteuid() != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    const gid_t nogroup = 65534;
    if (setgroups(1, &nogroup) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(120);
    _exit(fn());
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace gdp::test

namespace gdp::test {
namespace {

std::string slurp_fd(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv) {
  // Files rather than pipes: no risk of a deadlock on a full pipe, and simple to read afterwards.
  TempDir io;
  const auto out_path = io / "out";
  const auto err_path = io / "err";
  auto args = c_argv(argv);
  const pid_t child = fork();
  if (child == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  for (auto [path, target] : {std::pair{out_path, &result.out}, std::pair{err_path, &result.err}}) {
    const int fd = open(path.c_str(), O_RDONLY);
    *target = slurp_fd(fd);
    close(fd);
  }
  return result;
}

DaemonProcess::DaemonProcess(const std::string& binary, const TempDir& dir,
                             std::vector<std::string> extra_args)
    : DaemonProcess(binary, dir, DaemonLaunch{.extra_args = std::move(extra_args)}) {}

DaemonProcess::DaemonProcess(const std::string& binary, const TempDir& dir, const DaemonLaunch& launch)
    : socket_(dir / "run/gdpd.sock"), log_path_(dir / "gdpd.log") {
  std::vector<std::string> argv{binary, "--foreground", "--state-dir", dir / "state"};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  if (launch.socket_activated) {
    // The socket's directory, as DirectoryMode=0700 makes it; gdpd is given no --socket.
    std::filesystem::create_directories(dir.path() / "run");
    std::filesystem::permissions(dir.path() / "run", std::filesystem::perms::owner_all);
    // systemd-socket-activate hands gdpd only PATH, HOME, USER, TERM and what -E names.
    std::vector<std::string> wrapper{"/usr/bin/systemd-socket-activate", "-l", socket_};
    for (const auto& e : launch.env) wrapper.push_back("--setenv=" + e);
    argv.insert(argv.begin(), wrapper.begin(), wrapper.end());
  } else {
    argv.insert(argv.begin() + 2, {"--socket", socket_});
    env.insert(env.end(), launch.env.begin(), launch.env.end());
  }
  argv.insert(argv.end(), launch.extra_args.begin(), launch.extra_args.end());
  auto args = c_argv(argv);
  auto envp = c_argv(env);
  pid_ = fork();
  if (pid_ == 0) {
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(log, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  const auto started = [&] {
    if (launch.socket_activated) {
      // Only wait for the socket to listen, which systemd-socket-activate reports on stderr
      // ("Listening on PATH as 3."): connecting now would start gdpd.
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (std::chrono::steady_clock::now() < deadline) {
        if (std::filesystem::exists(socket_) && log().find("Listening on") != std::string::npos) {
          std::filesystem::permissions(
              socket_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
          return true;
        }
        std::this_thread::sleep_for(20ms);
      }
      return false;
    }
    return !launch.wait || wait_for_socket(socket_);
  };
  if (!started()) {
    int status = 0;
    const bool died = waitpid(pid_, &status, WNOHANG) == pid_;
    if (died) pid_ = -1;
    FAIL("gdpd did not start" << (died ? " (it exited)" : "") << "; its log:\n" << log());
  }
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) stop(SIGKILL);
}

int DaemonProcess::stop(int signo, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, signo);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string DaemonProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace gdp::test
