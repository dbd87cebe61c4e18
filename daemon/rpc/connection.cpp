#include "daemon/rpc/connection.h"

#include "common/jsonrpc.h"
#include "common/wipe.h"
#include "daemon/log.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace gdp {
namespace asio = boost::asio;
namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}

Connection::Connection(socket_type socket, std::uint64_t id, PeerCredentials peer, ConnectionLimits limits,
                       const Dispatcher& dispatcher, ClosedFn on_closed)
    : socket_(std::move(socket)),
      limits_(limits),
      dispatcher_(dispatcher),
      on_closed_(std::move(on_closed)),
      framer_(limits.max_frame_bytes),
      wake_writer_(socket_.get_executor()) {
  state_.id = id;
  state_.peer = peer;
  wake_writer_.expires_at(asio::steady_timer::time_point::max());
}

void Connection::start() {
  auto self = shared_from_this();
  loops_running_ = 2;
  // Each loop holds a reference, so the connection lives until both have ended.
  asio::co_spawn(
      socket_.get_executor(), [self]() { return self->read_loop(); }, asio::detached);
  asio::co_spawn(
      socket_.get_executor(), [self]() { return self->write_loop(); }, asio::detached);
}

void Connection::send(std::string line) {
  if (closed_ || finishing_) return;
  if (queued_bytes_ + line.size() > limits_.max_queued_bytes) {
    GDP_LOG(warn) << "client " << state_.id << " (pid " << state_.peer.pid << ") is not reading; "
                  << queued_bytes_ << " bytes queued, disconnecting it";
    close_now();
    return;
  }
  queued_bytes_ += line.size();
  outbox_.push_back(std::move(line));
  wake_writer_.cancel();
}

void Connection::finish() {
  finishing_ = true;
  stop_reading();
  wake_writer_.cancel();
}

void Connection::stop_reading() {
  boost::system::error_code ignored;
  // Wakes the pending read with EOF; the writer keeps going.
  socket_.shutdown(socket_type::shutdown_receive, ignored);
}

void Connection::close_now() {
  if (closed_) return;
  closed_ = true;
  outbox_.clear();
  queued_bytes_ = 0;
  boost::system::error_code ignored;
  socket_.shutdown(socket_type::shutdown_both, ignored);
  socket_.close(ignored);
  wake_writer_.cancel();
}

asio::awaitable<void> Connection::read_loop() {
  std::array<char, 64 * 1024> buffer{};
  std::vector<std::string> frames;
  while (!closed_ && !finishing_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), kNoThrow);
    if (ec) {
      if (framer_.pending_bytes() > 0 && !finishing_) {
        GDP_LOG(info) << "client " << state_.id << " hung up mid-message (" << framer_.pending_bytes()
                      << " bytes unread)";
      }
      break;
    }
    frames.clear();
    const auto status = framer_.feed(std::string_view(buffer.data(), n), frames);
    // What was read may carry an API key (submit, resume, plan): once handled, no copy of it stays
    // in this buffer or in the freed frames.
    wipe(buffer.data(), n);
    bool keep_going = true;
    for (auto& frame : frames) {
      const WipeOnExit wipe_frame(frame);
      keep_going = co_await handle_frame(frame);
      if (!keep_going || closed_) break;
    }
    for (auto& frame : frames) wipe(frame);
    if (keep_going && status == LineFramer::Status::frame_too_large) {
      send(rpc::encode_error(nullptr, RpcError(ErrorCode::FrameTooLarge,
                                               "message exceeds " + std::to_string(limits_.max_frame_bytes) +
                                                   " bytes; the connection is closed",
                                               {{"limit_bytes", limits_.max_frame_bytes}})));
      keep_going = false;
    }
    if (!keep_going) {
      finish();
      break;
    }
  }
  // The peer is gone or we are finishing: let the writer drain what is queued, then close.
  finishing_ = true;
  wake_writer_.cancel();
  if (--loops_running_ == 0) on_closed_(state_.id);
}

// Returns false when the connection must close after this frame (caps exceeded).
asio::awaitable<bool> Connection::handle_frame(const std::string& frame) {
  auto parsed = rpc::parse_message(frame, limits_.max_json_depth);
  if (parsed.error) {
    send(rpc::encode_error(parsed.id, *parsed.error));
    co_return parsed.error->code() != ErrorCode::NestingTooDeep;
  }
  CallContext ctx{state_, [weak = weak_from_this(), executor = socket_.get_executor()](std::string line) {
                    asio::post(executor, [weak, line = std::move(line)]() mutable {
                      if (auto self = weak.lock()) self->send(std::move(line));
                    });
                  }};
  auto reply = co_await dispatcher_.dispatch(*parsed.message, ctx);
  if (reply) send(std::move(*reply));
  co_return true;
}

asio::awaitable<void> Connection::write_loop() {
  std::string batch;
  while (!closed_) {
    if (outbox_.empty()) {
      if (finishing_) break;
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(kNoThrow);
      continue;
    }
    // Coalesce queued lines into one write: events often come in bursts.
    batch.clear();
    while (!outbox_.empty() && batch.size() < 256 * 1024) {
      batch += outbox_.front();
      outbox_.pop_front();
    }
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(batch), kNoThrow);
    queued_bytes_ -= std::min(queued_bytes_, batch.size());
    if (ec) break;
  }
  close_now();
  if (--loops_running_ == 0) on_closed_(state_.id);
}

}  // namespace gdp
