// Properties 11 (API Key Validation) and 12 (Rate Limiting Compliance) of the seed, over the
// Gemini planner with a scripted transport and a fake clock: for generated keys, server verdicts,
// request counts, limits and fault sequences, what the transport records is checked against the
// policy, not against the planner's own arithmetic.
#include "common/errors.h"
#include "daemon/llm/gemini.h"
#include "daemon/privacy/sanitizer.h"
#include "tests/support/scripted_http.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

namespace gdp::planner {
namespace {

namespace replies = test::gemini_replies;
using std::chrono::milliseconds;

privacy::SanitizedSnapshot small_snapshot() {
  proto::DataSnapshot s;
  for (int i = 0; i < 5; ++i) s.rows.push_back({{"id", i}, {"city", "Lyon"}});
  s.columns = {{"id", "integer", 0, 5, "0", "4", std::nullopt},
               {"city", "string", 0, 1, std::nullopt, std::nullopt, std::nullopt}};
  for (const auto& c : s.columns) s.schema[c.name] = c.type;
  s.total_rows = s.sample_size = 5;
  privacy::Vault vault;
  return privacy::Sanitizer{}.sanitize(std::move(s), vault);
}

enum Fault : int { kRateLimitedWithDelay = 0, kRateLimited = 1, kUnavailable = 2, kNetwork = 3 };

// What one send is expected to meet.
struct Planned {
  bool fault = false;
  bool per_day = false;
  int retry = 0;  // which retry of its request the wait after this failure is (0 = the first)
  std::optional<milliseconds> retry_delay;
};

struct Event {
  enum Kind { send, announce, sleep } kind;
  milliseconds delay{0};
  std::string reason;
};

TEST_CASE(
    "Property 12: sends stay within requests per minute, backoff honours RetryInfo and grows to the cap, "
    "a per-day quota never waits",
    "[property][Property 12]") {
  const auto snapshot = small_snapshot();
  rc::prop("Rate Limiting Compliance", [&] {
    const int rpm = *rc::gen::inRange(1, 21);
    const int max_retries = *rc::gen::inRange(1, 6);
    const int requests = *rc::gen::inRange(1, 13);
    const auto base = milliseconds(*rc::gen::inRange(50, 3001));
    const auto cap = base * *rc::gen::inRange(1, 65);
    const auto jitter_draws =
        *rc::gen::nonEmpty(rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 1'000'000)));
    // Where a per-day 429 comes, if at all: as the last failure of exchange `per_day_at`.
    const int per_day_at = *rc::gen::inRange(-requests, requests + 1);

    auto clock = std::make_shared<test::FakeClock>();
    auto http = std::make_shared<test::ScriptedTransport>(clock);
    std::vector<Planned> plan;
    // Exchange 0 is the model check (GET), then one generateContent per analyze call; each meets
    // up to max_retries failures, so each would succeed in the end.
    for (int exchange = 0; exchange <= requests; ++exchange) {
      const auto failures = static_cast<std::size_t>(*rc::gen::inRange(0, max_retries + 1));
      const auto kinds = *rc::gen::container<std::vector<int>>(failures, rc::gen::inRange(0, 4));
      const auto delays = *rc::gen::container<std::vector<int>>(failures, rc::gen::inRange(1, 120'001));
      for (std::size_t k = 0; k < failures; ++k) {
        Planned p{true, false, static_cast<int>(k), std::nullopt};
        switch (kinds[k]) {
          case kRateLimitedWithDelay: {
            p.retry_delay = milliseconds(delays[k]);
            const auto text = std::to_string(delays[k] / 1000) + "." +
                              std::to_string(1000 + delays[k] % 1000).substr(1) + "s";
            http->push(429,
                       replies::error(429, "RESOURCE_EXHAUSTED", "quota",
                                      {replies::quota_failure("GenerateRequestsPerMinutePerProjectPerModel"),
                                       replies::retry_info(text)}));
            break;
          }
          case kRateLimited:
            http->push(429, replies::error(429, "RESOURCE_EXHAUSTED", "quota"));
            break;
          case kUnavailable:
            http->push(503, replies::error(503, "UNAVAILABLE", "The model is overloaded."));
            break;
          default:
            http->push_network_error("connection reset by peer");
        }
        plan.push_back(p);
      }
      if (exchange == per_day_at) {
        http->push(
            429, replies::error(429, "RESOURCE_EXHAUSTED", "daily quota",
                                {replies::quota_failure("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
                                 replies::retry_info("30s")}));
        plan.push_back({true, true, 0, std::nullopt});
        break;
      }
      http->push(200, exchange == 0 ? replies::model() : replies::answer(replies::analysis_json()));
      plan.push_back({});
    }

    std::vector<Event> log;
    http->on_send = [&](const test::ScriptedTransport::Sent&) {
      log.push_back({Event::send, milliseconds(0), {}});
    };
    clock->on_sleep = [&](milliseconds d) { log.push_back({Event::sleep, d, {}}); };
    PlannerEvents events;
    events.on_wait = [&](const WaitNotice& n) { log.push_back({Event::announce, n.delay, n.reason}); };
    std::vector<double> drawn;
    std::size_t next_draw = 0;
    GeminiConfig config;
    config.requests_per_minute = rpm;
    config.max_retries = max_retries;
    config.backoff = {base, cap};
    GeminiPlanner planner(
        config, http, [] { return test::kCanaryKey; }, nullptr, clock,
        [&] {
          drawn.push_back(jitter_draws[next_draw++ % jitter_draws.size()] / 1e6);
          return drawn.back();
        });
    PlanningContext context;
    context.input_name = "in.csv";

    bool quota_error = false;
    try {
      for (int r = 0; r < requests; ++r) planner.analyze(snapshot, context, events);
    } catch (const RpcError& e) {
      RC_ASSERT(e.code() == ErrorCode::APIQuotaExceeded);
      quota_error = true;
    }
    RC_ASSERT(quota_error == (per_day_at >= 0));
    RC_ASSERT(http->pending() == 0u);
    RC_ASSERT(http->sent.size() == plan.size());

    // At most rpm sends in any 60-second window.
    const auto& sent = http->sent;
    for (std::size_t i = 0; i + static_cast<std::size_t>(rpm) < sent.size(); ++i) {
      RC_ASSERT(sent[i + static_cast<std::size_t>(rpm)].at - sent[i].at >= std::chrono::seconds(60));
    }

    // Every wait is announced, with its length, right before it starts; nothing else sleeps.
    for (std::size_t i = 0; i < log.size(); ++i) {
      if (log[i].kind == Event::announce) {
        RC_ASSERT(i + 1 < log.size());
        RC_ASSERT(log[i + 1].kind == Event::sleep);
        RC_ASSERT(log[i + 1].delay == log[i].delay);
      } else if (log[i].kind == Event::sleep) {
        RC_ASSERT(i > 0);
        RC_ASSERT(log[i - 1].kind == Event::announce);
      }
    }

    // Backoff: after each failure, the next send comes no sooner than the drawn wait, which is
    // full jitter under min(cap, base * 2^retry) and never under the server's RetryInfo.
    std::vector<milliseconds> expected_waits;
    std::size_t draw = 0;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      if (!plan[i].fault || plan[i].per_day) continue;
      const auto bound = std::min<std::int64_t>(cap.count(), base.count() << plan[i].retry);
      RC_ASSERT(draw < drawn.size());
      auto wait =
          milliseconds(static_cast<std::int64_t>(std::floor(drawn[draw++] * static_cast<double>(bound))));
      RC_ASSERT(wait <= milliseconds(bound));
      if (plan[i].retry_delay) wait = std::max(wait, *plan[i].retry_delay);
      RC_ASSERT(i + 1 < sent.size());
      RC_ASSERT(sent[i + 1].at - sent[i].at >= wait);
      if (wait > milliseconds::zero()) expected_waits.push_back(wait);
    }
    RC_ASSERT(draw == drawn.size());
    std::vector<milliseconds> announced_backoffs;
    for (const auto& e : log) {
      if (e.kind == Event::announce && e.reason.find("; retry ") != std::string::npos) {
        announced_backoffs.push_back(e.delay);
      }
    }
    RC_ASSERT(announced_backoffs == expected_waits);

    // A per-day quota: the call ends at that answer, with no wait after it.
    if (quota_error) RC_ASSERT(log.back().kind == Event::send);
  });
}

TEST_CASE("Property 11: no planner call reaches Gemini before its key is checked, in shape and by Google",
          "[property][Property 11]") {
  const auto snapshot = small_snapshot();
  rc::prop("API Key Validation", [&] {
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    auto body = *rc::gen::container<std::string>(35, rc::gen::elementOf(kAlphabet));
    std::string key = "AIza" + body;
    // Half the keys are broken: cut, grown, a wrong prefix, or a character no key has.
    const int damage = *rc::gen::inRange(0, 8);
    if (damage == 4) key.pop_back();
    if (damage == 5) key += "x";
    if (damage == 6) key[0] = 'B';
    if (damage == 7)
      key[*rc::gen::inRange<std::size_t>(4, key.size())] = *rc::gen::element(' ', '/', '+', '=');
    const bool well_formed = damage < 4;
    // Google's verdict on a well-formed key: 0 accepts, 1 API_KEY_INVALID, 2 forbidden.
    const int verdict = *rc::gen::inRange(0, 3);
    const int call = *rc::gen::inRange(0, 3);  // analyze, next_script, revise

    auto clock = std::make_shared<test::FakeClock>();
    auto http = std::make_shared<test::ScriptedTransport>(clock);
    if (verdict == 0) {
      http->push(200, replies::model());
      http->push(200, replies::answer(call == 0   ? replies::analysis_json()
                                      : call == 1 ? replies::script_json("print(1)\n")
                                                  : replies::revised_script_json("print(1)\n")));
    } else if (verdict == 1) {
      http->push(400,
                 replies::error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                                {replies::error_info("API_KEY_INVALID")}));
    } else {
      http->push(403, replies::error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."));
    }
    GeminiPlanner planner(
        GeminiConfig{}, http, [&] { return std::string_view(key); }, nullptr, clock, [] { return 0.0; });
    PlanningContext context;
    context.input_name = "in.csv";
    const PlannerEvents events;
    std::optional<RpcError> error;
    try {
      if (call == 0) {
        planner.analyze(snapshot, context, events);
      } else if (call == 1) {
        planner.next_script(snapshot, proto::DataAnalysis{}, context, events);
      } else {
        proto::ProcessingScript old;
        old.content = "print(0)\n";
        Revision why;
        why.deny_reason = "too slow";
        planner.revise(snapshot, old, why, context, events);
      }
    } catch (const RpcError& e) {
      error = e;
    }
    const auto& sent = http->sent;
    if (!well_formed) {
      RC_ASSERT(error.has_value());
      RC_ASSERT(error->code() == ErrorCode::InvalidAPIKey);
      RC_ASSERT(sent.empty());  // refused before anything left the machine
    } else {
      // The first request is the authenticated model check, with the key in its header only.
      RC_ASSERT(!sent.empty());
      RC_ASSERT(sent.front().request.method == "GET");
      RC_ASSERT(sent.front().request.url.find(":generateContent") == std::string::npos);
      if (verdict == 0) {
        RC_ASSERT(!error.has_value());
        RC_ASSERT(sent.size() == 2U);
      } else {
        RC_ASSERT(error.has_value());
        RC_ASSERT(error->code() == ErrorCode::InvalidAPIKey);
        RC_ASSERT(std::string(error->what()).find("aistudio.google.com") != std::string::npos);
        RC_ASSERT(sent.size() == 1U);  // no analysis and no script was asked for
      }
    }
    for (const auto& s : sent) {
      bool in_header = false;
      for (const auto& [name, value] : s.request.headers)
        in_header |= name == "x-goog-api-key" && value == key;
      RC_ASSERT(in_header);
      RC_ASSERT(s.request.url.find(key) == std::string::npos);
      RC_ASSERT(s.request.body.find(key) == std::string::npos);
    }
    if (error) RC_ASSERT(std::string(error->what()).find(key) == std::string::npos);
  });
}

}  // namespace
}  // namespace gdp::planner
