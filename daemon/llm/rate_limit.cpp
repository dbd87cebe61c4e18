#include "daemon/llm/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <stdexcept>

namespace gdp::planner {

bool SystemClock::sleep_for(std::chrono::milliseconds delay, std::stop_token stop) {
  // Nothing ever notifies this condition variable: only the stop token (through its callback in
  // condition_variable_any) or the timeout ends the wait.
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

RequestWindow::RequestWindow(int requests_per_minute) : limit_(requests_per_minute) {
  if (limit_ < 1) throw std::invalid_argument("requests_per_minute must be at least 1");
}

Clock::time_point RequestWindow::reserve(Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  // Slots never go backwards, so the log stays sorted and its front is the oldest of the last N.
  auto slot = slots_.empty() ? now : std::max(now, slots_.back());
  if (static_cast<int>(slots_.size()) == limit_) {
    slot = std::max(slot, slots_.front() + std::chrono::minutes(1));
    slots_.pop_front();
  }
  slots_.push_back(slot);
  return slot;
}

std::chrono::milliseconds backoff_bound(const BackoffPolicy& policy, int retry) {
  // Doubling stops once past the cap, so a large retry count cannot overflow.
  auto bound = policy.base;
  for (int i = 0; i < retry && bound < policy.cap; ++i) bound *= 2;
  return std::min(bound, policy.cap);
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int retry, double jitter,
                                        std::optional<std::chrono::milliseconds> retry_after) {
  jitter = std::clamp(jitter, 0.0, 1.0);
  const auto bound = backoff_bound(policy, retry);
  const auto drawn = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::floor(jitter * static_cast<double>(bound.count()))));
  return retry_after ? std::max(drawn, *retry_after) : drawn;
}

}  // namespace gdp::planner
