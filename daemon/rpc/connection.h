// One client connection: a reader that frames and dispatches requests in order, and a writer that
// drains this connection's own queue. Replies and events for a client go through its queue only,
// so a slow or stalled terminal delays nobody else; if its backlog passes the cap it is dropped.
// gdpd runs its event loop on one thread, so no strand or lock is needed here.
#pragma once

#include "common/framing.h"
#include "daemon/rpc/dispatcher.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace gdp {

struct ConnectionLimits {
  std::size_t max_frame_bytes;
  std::size_t max_json_depth;
  std::size_t max_queued_bytes;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using socket_type = boost::asio::local::stream_protocol::socket;
  using ClosedFn = std::function<void(std::uint64_t id)>;

  Connection(socket_type socket, std::uint64_t id, PeerCredentials peer, ConnectionLimits limits,
             const Dispatcher& dispatcher, ClosedFn on_closed);

  void start();
  // Queues one encoded line. Drops the connection if its backlog would pass the cap.
  void send(std::string line);
  // Sends what is queued, then closes; reads stop at once.
  void finish();
  // Stops reading new requests (shutdown): the connection stays open to receive what is queued.
  void stop_reading();

  const ConnectionState& state() const { return state_; }

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<bool> handle_frame(const std::string& frame);
  void close_now();

  socket_type socket_;
  ConnectionState state_;
  ConnectionLimits limits_;
  const Dispatcher& dispatcher_;
  ClosedFn on_closed_;
  LineFramer framer_;
  boost::asio::steady_timer wake_writer_;
  std::deque<std::string> outbox_;
  std::size_t queued_bytes_ = 0;
  bool finishing_ = false;
  bool closed_ = false;
  int loops_running_ = 0;
};

}  // namespace gdp
