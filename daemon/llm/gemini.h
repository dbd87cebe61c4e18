// The Gemini planner: the seed's GeminiClient, PromptManager, ResponseParser and RateLimiter
// behind the Planner interface. It speaks Gemini's REST API (generateContent with a response
// schema) through an HttpTransport, never holds the API key (it asks a KeySource for it at each
// request and puts it only in the x-goog-api-key header), and reports every wait and every
// request body through PlannerEvents. docs/development.md, "The Gemini planner", has the retry
// policy and the prompt files.
#pragma once

#include "daemon/llm/planner.h"
#include "daemon/llm/rate_limit.h"
#include "daemon/net/http.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gdp::planner {

// Plain settings; gdpd's configuration fills them (gemini.* keys).
struct GeminiConfig {
  std::string endpoint = "https://generativelanguage.googleapis.com";  // no trailing slash
  // Gemini 3.5 Flash is generally available; the 2.5 models are deprecated (shutdown announced
  // for 2026-12-01). A configured model is never replaced by another behind the user's back.
  std::string model = "gemini-3.5-flash";
  // Unset sends none, so the model's own default applies (Google advises Gemini 3 models stay at
  // their default of 1.0).
  std::optional<double> temperature;
  // Thinking tokens count against this, and a small cap answers MAX_TOKENS with no text at all.
  int max_output_tokens = 8192;
  int requests_per_minute = 10;  // the free tier's figure for Flash models
  int max_retries = 5;           // retries after the first attempt, per request
  BackoffPolicy backoff;         // 1 s doubling up to 60 s, full jitter
  // The prompt's size in characters (bytes of UTF-8): system instruction plus the user's turn.
  // About four characters make a token; 200 000 characters (~50 000 tokens) stays well inside
  // every Gemini model's input limit and leaves room in a free tier's tokens per minute.
  std::size_t max_context_size = 200'000;
  net::HttpTimeouts timeouts;
};

// Where the key comes from at the moment of a request (a locked-memory secret, the environment).
// The planner copies it only into the one request's header and wipes that copy after the send.
using KeySource = std::function<std::string_view()>;

// A uniform draw in [0, 1) for the backoff's jitter.
using JitterSource = std::function<double()>;

// Why a key cannot be one, or nullopt when its shape is plausible. Never contains the key.
std::optional<std::string> check_key_format(std::string_view key);

// One planner per session: calls are made one at a time (the window may be shared).
class GeminiPlanner final : public Planner {
 public:
  // `window` may be shared by planners using the same key (Google counts per project); null gives
  // this planner its own of config.requests_per_minute. `clock` and `jitter` default to real ones.
  GeminiPlanner(GeminiConfig config, std::shared_ptr<net::HttpTransport> transport, KeySource key,
                std::shared_ptr<RequestWindow> window = nullptr, std::shared_ptr<Clock> clock = nullptr,
                JitterSource jitter = nullptr);

  std::string_view name() const override { return "gemini"; }

  proto::DataAnalysis analyze(const privacy::SanitizedSnapshot& snapshot, const PlanningContext& context,
                              const PlannerEvents& events) override;
  std::optional<proto::ProcessingScript> next_script(const privacy::SanitizedSnapshot& snapshot,
                                                     const proto::DataAnalysis& analysis,
                                                     const PlanningContext& context,
                                                     const PlannerEvents& events) override;
  proto::ProcessingScript revise(const privacy::SanitizedSnapshot& snapshot,
                                 const proto::ProcessingScript& script, const Revision& why,
                                 const PlanningContext& context, const PlannerEvents& events) override;

 private:
  struct Reply;
  // The key's shape, then GET models/{model}: the key works and the model exists. Once per
  // planner; a failure is not remembered, so a network error is tried again on the next call.
  void ensure_ready(const PlanningContext& context, const PlannerEvents& events);
  // One generateContent exchange with the repair round: `decode` throws AnswerProblem on an
  // unusable answer, which earns one follow-up request saying what was wrong.
  template <class T, class Decode>
  T generate(const std::string& prompt, const boost::json::object& schema, Decode decode,
             const PlanningContext& context, const PlannerEvents& events);
  // Sends with the window, the backoff and the error mapping; returns only a 200's body.
  std::string exchange(const std::string& method, const std::string& url, const std::string* body,
                       const PlanningContext& context, const PlannerEvents& events);
  void wait(std::chrono::milliseconds delay, const std::string& reason, const PlanningContext& context,
            const PlannerEvents& events);
  std::string redact(std::string text) const;

  GeminiConfig config_;
  std::shared_ptr<net::HttpTransport> transport_;
  KeySource key_;
  std::shared_ptr<RequestWindow> window_;
  std::shared_ptr<Clock> clock_;
  JitterSource jitter_;
  bool ready_ = false;
  std::optional<std::string> last_analysis_;  // as next_script last sent it, for revise
};

}  // namespace gdp::planner
