// gdpd as systemd starts it (systemd/gdpd.socket, systemd/gdpd.service.in), with the real parts
// of the protocol and no service manager: systemd-socket-activate does the LISTEN_FDS hand-over
// exactly as systemd does, and the test itself is the NOTIFY_SOCKET that Type=notify listens on.
#include "tests/e2e/e2e.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace gdp::test;

namespace {

// The service manager's end of NOTIFY_SOCKET: a datagram socket the test binds, which collects
// every message gdpd sends (sd_notify sends one datagram per call, "KEY=value" lines).
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      FAIL("cannot bind the notify socket " << path_ << ": " << std::strerror(errno));
    }
  }
  ~NotifySocket() { close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  std::string env() const { return "NOTIFY_SOCKET=" + path_; }
  // Every line received so far, in order.
  const std::vector<std::string>& lines() const { return lines_; }

  // Reads datagrams until one holds the line `wanted`; false if none did within `timeout`.
  bool wait_for(const std::string& wanted, std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const auto n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      bool found = false;
      std::string_view rest(buf, static_cast<std::size_t>(n));
      while (!rest.empty()) {
        const auto end = rest.find('\n');
        lines_.emplace_back(rest.substr(0, end));
        found = found || lines_.back() == wanted;
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      }
      if (found) return true;
    }
    return false;
  }

  bool has_line_starting(std::string_view prefix) const {
    return std::any_of(lines_.begin(), lines_.end(),
                       [&](const std::string& l) { return l.starts_with(prefix); });
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> lines_;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The program a process runs now (systemd-socket-activate execs gdpd in its own process).
std::string exe_of(pid_t pid) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) FAIL("cannot stat " << path << ": " << std::strerror(errno));
  return st;
}

}  // namespace

TEST_CASE(
    "socket activation: the first connection starts gdpd, which serves on the socket it inherits and "
    "leaves it as systemd made it",
    "[e2e][systemd]") {
  TempDir dir;
  NotifySocket notify(dir / "notify");
  DaemonProcess gdpd(GDPD_BIN, dir, DaemonLaunch{.env = {notify.env()}, .socket_activated = true});
  const auto before = stat_of(gdpd.socket());
  REQUIRE(S_ISSOCK(before.st_mode));
  REQUIRE((before.st_mode & 07777) == 0600);
  // No one has connected: systemd-socket-activate holds the socket and gdpd has not started.
  CHECK(exe_of(gdpd.pid()) == "/usr/bin/systemd-socket-activate");

  // The first connection wakes it (systemd-socket-activate execs gdpd, which accepts it), and
  // gdpd serves the next ones on the same socket.
  REQUIRE(wait_for_socket(gdpd.socket()));
  RawClient client(gdpd.socket());
  CHECK(error_code(client.hello()) == 0);
  CHECK(error_code(client.call("ping")) == 0);
  CHECK(exe_of(gdpd.pid()) == std::filesystem::canonical(GDPD_BIN).string());
  CHECK(run_gdp(gdpd.socket(), {"ping"}).exit_code == 0);
  // Type=notify with socket activation: it says when it serves, and where.
  REQUIRE(notify.wait_for("READY=1"));
  CHECK(notify.has_line_starting("STATUS=serving " + gdpd.socket()));
  INFO("gdpd's log:\n" << gdpd.log());
  CHECK(gdpd.log().find("(socket from systemd)") != std::string::npos);

  // gdpd neither unlinked, rebound nor chmodded the socket, and leaves it at exit: it is
  // systemd's, which keeps listening on it for the next start.
  client.close_now();
  CHECK(gdpd.stop(SIGTERM) == 0);
  const auto after = stat_of(gdpd.socket());
  CHECK(after.st_ino == before.st_ino);
  CHECK(after.st_dev == before.st_dev);
  CHECK((after.st_mode & 07777) == 0600);
}

TEST_CASE("socket activation: a connection from another uid on the inherited socket is refused",
          "[e2e][systemd]") {
  if (geteuid() != 0) {
    WARN("not root: cannot run a client as nobody; skipped");
    return;
  }
  TempDir dir;
  DaemonProcess gdpd(GDPD_BIN, dir, DaemonLaunch{.socket_activated = true});
  // As in cli_test.cpp's same check for gdpd's own socket: a world-reachable hard link to the
  // socket, as a misconfiguration might make. The stranger's connection is the first, so it is
  // also the one that starts gdpd; SO_PEERCRED must refuse it all the same.
  const auto open_dir = dir / "open";
  std::filesystem::create_directory(open_dir);
  chmod(open_dir.c_str(), 0755);
  chmod(dir.path().c_str(), 0755);
  const auto exposed = open_dir + "/gdpd.sock";
  REQUIRE(link(gdpd.socket().c_str(), exposed.c_str()) == 0);
  chmod(exposed.c_str(), 0666);
  const int status = run_as_nobody([&] {
    RawClient c(exposed);
    auto reply = c.read(30s);
    if (!reply) return 10;
    if (error_code(*reply) != 1004) return 11;
    return 0;
  });
  CHECK(status == 0);
  INFO("gdpd's log:\n" << gdpd.log());
  CHECK(gdpd.log().find("refused a connection from uid 65534") != std::string::npos);
  RawClient mine(gdpd.socket());
  CHECK(error_code(mine.hello()) == 0);
}

TEST_CASE("readiness: READY=1 reaches NOTIFY_SOCKET once the socket answers, STOPPING=1 comes with SIGTERM",
          "[e2e][systemd]") {
  TempDir dir;
  NotifySocket notify(dir / "notify");
  DaemonProcess gdpd(GDPD_BIN, dir, DaemonLaunch{.env = {notify.env()}, .wait = false});
  INFO("gdpd's log:\n" << gdpd.log());
  REQUIRE(notify.wait_for("READY=1"));
  // What READY=1 promises a service manager: a client may connect now, with no retry.
  {
    RawClient client(gdpd.socket());
    CHECK(error_code(client.hello()) == 0);
  }
  INFO("notifications:\n" << joined(notify.lines()));
  CHECK(notify.lines().front() == "STATUS=starting");
  CHECK(notify.has_line_starting("STATUS=serving " + gdpd.socket()));
  CHECK_FALSE(notify.has_line_starting("STOPPING=1"));

  CHECK(gdpd.stop(SIGTERM) == 0);
  // The datagram waits in the socket after gdpd has gone.
  REQUIRE(notify.wait_for("STOPPING=1", 5s));
  CHECK(notify.has_line_starting("STATUS=shutting down (SIGTERM)"));
  // gdpd's own socket (not systemd's) is removed as before.
  CHECK_FALSE(std::filesystem::exists(gdpd.socket()));
}

TEST_CASE("socket activation: gdpd refuses a passed socket it cannot serve on, and says what the unit needs",
          "[e2e][systemd]") {
  TempDir dir;
  // As systemd would pass a ListenDatagram= socket: descriptor 3, LISTEN_FDS=1, LISTEN_PID=gdpd.
  // systemd-socket-activate --datagram would start gdpd only at the first datagram; this is the
  // same hand-over, made by the test so it happens at once.
  const auto log_path = dir / "gdpd.log";
  const std::string state_dir = dir / "state";
  const pid_t child = fork();
  if (child == 0) {
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (log < 0 || dgram < 0 || dup2(log, 2) < 0 || dup2(dgram, 3) < 0) _exit(120);
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
    execl(GDPD_BIN, GDPD_BIN, "--foreground", "--state-dir", state_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  std::ifstream in(log_path);
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO("gdpd's stderr:\n" << log);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(log.find("not a listening Unix stream socket") != std::string::npos);
  CHECK(log.find("ListenStream=") != std::string::npos);
}

TEST_CASE("socket activation: a gdpd started by hand leaves the socket systemd holds alone",
          "[e2e][systemd]") {
  TempDir dir;
  DaemonProcess activated(GDPD_BIN, dir, DaemonLaunch{.socket_activated = true});
  const auto before = stat_of(activated.socket());
  // No gdpd runs, so the lock is free and the socket file looks stale; but systemd listens on it.
  // A gdpd that took the socket would serve on: `timeout` ends it (exit 124) so the test fails.
  const auto by_hand = run_process({"/usr/bin/timeout", "20", GDPD_BIN, "--foreground", "--socket",
                                    activated.socket(), "--state-dir", dir / "by-hand"});
  INFO("gdpd's stderr:\n" << by_hand.err);
  CHECK(by_hand.exit_code == 3);
  CHECK(by_hand.err.find("systemctl --user stop gdpd.socket") != std::string::npos);
  const auto after = stat_of(activated.socket());
  CHECK(after.st_ino == before.st_ino);
  // And the socket still starts gdpd.
  REQUIRE(wait_for_socket(activated.socket()));
  RawClient client(activated.socket());
  CHECK(error_code(client.hello()) == 0);
}
