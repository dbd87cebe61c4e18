// Helpers shared by the integration and end-to-end tests: private temp dirs, a raw line-protocol
// client that can send anything (including garbage), and a way to connect as another uid.
#pragma once

#include <boost/json.hpp>

#include <sys/types.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::test {

using namespace std::chrono_literals;

// A fresh 0700 directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Polls until `path` accepts a connection or `timeout` passes.
bool wait_for_socket(const std::string& path, std::chrono::milliseconds timeout = 10s);

class RawClient {
 public:
  explicit RawClient(const std::string& socket_path);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends bytes as they are; returns false if the daemon has closed the connection.
  bool send(std::string_view bytes);
  // The next message, or nullopt at EOF. Fails the test on timeout or a malformed line.
  std::optional<boost::json::value> read(std::chrono::milliseconds timeout = 10s);
  // Sends a request and returns the reply with that id (notifications before it are skipped).
  boost::json::value call(std::string_view method, boost::json::value params = boost::json::object{});
  boost::json::value hello();
  // True if the daemon closes the connection within `timeout` (anything still queued is discarded).
  bool closed_within(std::chrono::milliseconds timeout = 10s);
  int fd() const { return fd_; }
  void close_now();

 private:
  int fd_ = -1;
  std::string buffer_;
  std::int64_t next_id_ = 1000;
};

// The error code of a reply, or 0 if it is a success.
std::int64_t error_code(const boost::json::value& reply);

// Runs `fn` in a forked child that has dropped to uid/gid 65534 (nobody) and returns its exit
// status. Only root can do this; returns -1 when not root.
int run_as_nobody(const std::function<int()>& fn);

}  // namespace gdp::test

namespace gdp::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion (no shell), capturing stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv);

// The real gdpd binary in the foreground on a private socket, as watchman's and bitcoind's test
// harnesses do: its stderr goes to a file that is shown if it dies early.
// How DaemonProcess starts gdpd when the plain way (own socket, the test's environment) will not do.
struct DaemonLaunch {
  std::vector<std::string> extra_args{};
  // Added to gdpd's environment, "NAME=value" (NOTIFY_SOCKET, say).
  std::vector<std::string> env{};
  // Through systemd-socket-activate, as systemd's gdpd.socket does it: that program binds the
  // socket (the test makes it 0600, as SocketMode= does) and execs gdpd in its own process, with
  // the listening socket as LISTEN_FDS, at the first connection. The constructor returns once the
  // socket listens and has connected nothing, so gdpd has not started yet.
  bool socket_activated = false;
  // Whether the constructor waits until gdpd answers on its own socket (false: the test decides).
  bool wait = true;
};

class DaemonProcess {
 public:
  DaemonProcess(const std::string& binary, const TempDir& dir, std::vector<std::string> extra_args = {});
  DaemonProcess(const std::string& binary, const TempDir& dir, const DaemonLaunch& launch);
  ~DaemonProcess();
  const std::string& socket() const { return socket_; }
  pid_t pid() const { return pid_; }
  // Sends `signo` and waits; returns the exit status (or 128+signal).
  int stop(int signo = SIGTERM, std::chrono::milliseconds timeout = 10s);
  std::string log() const;

 private:
  std::string socket_;
  std::string log_path_;
  pid_t pid_ = -1;
};

}  // namespace gdp::test
