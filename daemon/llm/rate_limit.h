// Time for the remote planner: an injectable clock, the requests-per-minute window and the retry
// backoff. Kept apart from HTTP so the policy can be tested (Property 12) with a fake clock in
// microseconds of real time, and so one window can be shared by every session that uses one key.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>

namespace gdp::planner {

// The planner's only view of time. Waits take the session's stop token: a cancelled session must
// not sit out a 60-second backoff.
class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() = 0;
  // Waits `delay`; returns false at once when `stop` is (or becomes) requested.
  virtual bool sleep_for(std::chrono::milliseconds delay, std::stop_token stop) = 0;
};

// steady_clock, and a wait that a stop request ends early.
class SystemClock final : public Clock {
 public:
  time_point now() override { return std::chrono::steady_clock::now(); }
  bool sleep_for(std::chrono::milliseconds delay, std::stop_token stop) override;
};

// At most `requests_per_minute` requests in any 60-second window (half-open: [t, t + 60 s)).
//
// A sliding log of the last N send slots rather than a token bucket: a bucket of N tokens refilled
// at N per minute lets almost 2N requests through in one minute (a full bucket, then the refill),
// and Google counts requests per minute, so that would earn 429s the window cannot. Thread-safe,
// so sessions sharing a key (Google's limits are per project) can share one window.
class RequestWindow {
 public:
  explicit RequestWindow(int requests_per_minute);

  // Reserves the earliest slot at or after `now` that keeps the limit, and returns it; the caller
  // waits until then and sends. A slot reserved by a caller that was then cancelled stays taken,
  // which only errs on the side of sending less.
  Clock::time_point reserve(Clock::time_point now);

  int requests_per_minute() const { return limit_; }

 private:
  int limit_;
  std::mutex mutex_;
  std::deque<Clock::time_point> slots_;  // the last `limit_` reserved slots, ascending
};

struct BackoffPolicy {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds cap{60'000};
};

// The wait before retry number `retry` (0 for the first retry): "full jitter", a uniform draw
// `jitter` in [0, 1) times min(cap, base * 2^retry), so clients that failed together do not retry
// together; never shorter than the server's RetryInfo delay when it gave one, which is a floor and
// not capped (the server knows when its quota refills).
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int retry, double jitter,
                                        std::optional<std::chrono::milliseconds> retry_after);

// The ceiling of the full-jitter draw for retry number `retry`: min(cap, base * 2^retry).
std::chrono::milliseconds backoff_bound(const BackoffPolicy& policy, int retry);

}  // namespace gdp::planner
