// max_concurrent_containers (the seed's CLIConfig, default 1): at most that many steps run at once
// across all sessions; the others wait their turn, first come first served, and show "queued".
// Lives on gdpd's event-loop thread (no lock): acquire() suspends the session's coroutine.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <deque>
#include <memory>

namespace gdp::session {

class ContainerSlots {
 public:
  ContainerSlots(boost::asio::any_io_executor executor, std::size_t slots)
      : executor_(std::move(executor)), free_(slots) {}

  bool free() const { return free_ > 0; }
  const boost::asio::any_io_executor& executor() const { return executor_; }
  std::size_t waiting() const { return waiters_.size(); }

  // Takes a slot, waiting for one when none is free. Pair with release(), or use Slot.
  boost::asio::awaitable<void> acquire() {
    if (free_ > 0) {
      --free_;
      co_return;
    }
    auto turn =
        std::make_shared<boost::asio::steady_timer>(executor_, boost::asio::steady_timer::time_point::max());
    waiters_.push_back(turn);
    // Woken by release() cancelling the timer: the slot passes straight to this waiter.
    co_await turn->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  void release() {
    if (waiters_.empty()) {
      ++free_;
      return;
    }
    auto next = std::move(waiters_.front());
    waiters_.pop_front();
    next->cancel();
  }

 private:
  boost::asio::any_io_executor executor_;
  std::size_t free_;
  std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

// Releases a slot taken with acquire() when it goes out of scope.
// Shared, so a coroutine frame destroyed after the daemon's state (at shutdown) still releases
// into a live object.
class SlotGuard {
 public:
  explicit SlotGuard(std::shared_ptr<ContainerSlots> slots) : slots_(std::move(slots)) {}
  ~SlotGuard() { slots_->release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  std::shared_ptr<ContainerSlots> slots_;
};

}  // namespace gdp::session
