// gdp's side of the wire: a blocking connection to gdpd that says hello and makes calls.
// Deliberately small and synchronous: gdp makes a few calls and prints; it needs no event loop.
#pragma once

#include "client/exit_codes.h"
#include "common/errors.h"
#include "common/framing.h"
#include "common/jsonrpc.h"
#include "common/protocol.h"
#include "common/wire.h"

#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gdp::client {

// A failure before or outside a daemon reply (no daemon, refused, garbled); carries the exit code.
class ClientError : public std::runtime_error {
 public:
  ClientError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

class DaemonConnection {
 public:
  // Connects and performs the hello handshake. Throws ClientError or RpcError.
  DaemonConnection(const std::string& socket_path, std::chrono::milliseconds timeout);
  ~DaemonConnection();
  DaemonConnection(const DaemonConnection&) = delete;
  DaemonConnection& operator=(const DaemonConnection&) = delete;

  // Calls a method and returns its typed result. Throws RpcError for an error reply.
  template <class Method>
  typename Method::Result call(const typename Method::Params& params) {
    const auto result = call_raw(Method::name, wire::to_json(params));
    try {
      return wire::from_json<typename Method::Result>(result);
    } catch (const wire::TypeError& e) {
      throw ClientError(kProtocol, std::string("gdpd sent a malformed ") + std::string(Method::name) +
                                       " result (" + e.what() + "); are gdp and gdpd the same version?");
    }
  }

  boost::json::value call_raw(std::string_view method, boost::json::value params);
  const proto::HelloResult& hello() const { return hello_; }
  // Notifications that arrived while waiting for replies, oldest first.
  std::vector<rpc::Message> take_notifications();
  // When set, notifications are handed here as they arrive (progress a person should see at
  // once) instead of being kept for take_notifications().
  std::function<void(const rpc::Message&)> on_notification;
  // When set, called about once a second while a reply is awaited (to redraw a countdown).
  std::function<void()> on_tick;

  // The reply timeout of later calls; nullopt waits for ever. The hello keeps the constructor's.
  void set_reply_timeout(std::optional<std::chrono::milliseconds> timeout) { timeout_ = timeout; }

  // For a client that follows a session: waits for the next notification (kept ones first) for at
  // most `wait` (nullopt: no limit), and returns early when `watch_fd` (e.g. stdin; -1 for none)
  // becomes readable. A closed connection is an answer, not an exception: following ends there.
  enum class Wake { notification, watched_fd, timeout, closed };
  Wake next_notification(std::optional<std::chrono::milliseconds> wait, int watch_fd, rpc::Message& out);
  int fd() const { return fd_; }

 private:
  rpc::Message read_message();
  std::optional<rpc::Message> pop_frame();
  // One read from the socket into the framer; false when the daemon closed the connection.
  bool receive();

  std::string path_;
  int fd_ = -1;
  std::optional<std::chrono::milliseconds> timeout_;
  LineFramer framer_;
  std::vector<std::string> frames_;  // complete frames not yet consumed
  std::vector<rpc::Message> notifications_;
  std::int64_t next_id_ = 1;
  proto::HelloResult hello_;
};

}  // namespace gdp::client
