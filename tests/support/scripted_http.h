// Test doubles for the Gemini planner: a clock that only moves when slept on, and an HTTP
// transport that answers from a queue and records every request with the clock's time.
// Used by tests/unit/planner/ and tests/property/gemini_properties_test.cpp.
#pragma once

#include "daemon/llm/rate_limit.h"
#include "daemon/net/http.h"

#include <boost/json.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::test {

// Time stands still until the planner sleeps; a sleep moves it on by exactly the delay.
class FakeClock final : public planner::Clock {
 public:
  time_point now() override { return now_; }
  bool sleep_for(std::chrono::milliseconds delay, std::stop_token stop) override;

  std::vector<std::chrono::milliseconds> sleeps;
  // Runs at the start of each sleep, e.g. to request a stop as if the user cancelled meanwhile.
  std::function<void(std::chrono::milliseconds)> on_sleep;

 private:
  time_point now_{std::chrono::hours(1)};
};

class ScriptedTransport final : public net::HttpTransport {
 public:
  // An answer, or a throw (RpcError(Network) for a failure to reach the server).
  using Reply = std::function<net::HttpResponse(const net::HttpRequest&)>;

  explicit ScriptedTransport(std::shared_ptr<planner::Clock> clock) : clock_(std::move(clock)) {}

  net::HttpResponse send(const net::HttpRequest& request, const net::HttpTimeouts& timeouts) override;

  void push(Reply reply) { queue_.push_back(std::move(reply)); }
  void push(int status, std::string body);
  void push_network_error(std::string what);
  std::size_t pending() const { return queue_.size(); }

  struct Sent {
    net::HttpRequest request;
    planner::Clock::time_point at;
  };
  std::vector<Sent> sent;
  // Called for each request after it is recorded (the property test logs the order of events).
  std::function<void(const Sent&)> on_send;

 private:
  std::shared_ptr<planner::Clock> clock_;
  std::deque<Reply> queue_;
};

// An API key of the right shape that cannot be mistaken for anything else in a message or a body.
inline constexpr std::string_view kCanaryKey = "AIzaCANARY-canary_0123456789-CANARY-xyz";
static_assert(kCanaryKey.size() == 39);

// Gemini's answers, shaped as protocols.md part 2 shows them.
namespace gemini_replies {
// GET /v1beta/models/{model}
std::string model(std::string_view name = "gemini-3.5-flash");
// A candidate whose one text part is `text` (parts absent when `text` is empty).
std::string answer(std::string_view text, std::string_view finish_reason = "STOP");
// A google.rpc.Status error body with the given details.
std::string error(int code, std::string_view status, std::string_view message,
                  boost::json::array details = {});
boost::json::object retry_info(std::string_view delay);        // RetryInfo {"retryDelay": "37s"}
boost::json::object quota_failure(std::string_view quota_id);  // QuotaFailure with one violation
boost::json::object error_info(std::string_view reason);       // ErrorInfo
// Schema-conforming answers.
std::string analysis_json();
std::string script_json(std::string_view content, std::string_view description = "Removes duplicate rows.");
std::string done_json();
// What revise() is answered with: the script alone, no done flag.
std::string revised_script_json(std::string_view content,
                                std::string_view description = "Removes duplicates.");
}  // namespace gemini_replies

}  // namespace gdp::test
