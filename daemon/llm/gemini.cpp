// The Gemini planner's exchange: the key check, the rate window, retries with backoff, Google's
// errors mapped to the seed's, and the one repair round for an unusable answer.
#include "daemon/llm/gemini.h"

#include "common/errors.h"
#include "common/wipe.h"
#include "common/wire.h"
#include "daemon/llm/gemini_detail.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <utility>

namespace gdp::planner {

namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kKeyHelp =
    "Get a key at https://aistudio.google.com/app/apikey and give it to gdp with `gdp key set` or the "
    "GEMINI_API_KEY environment variable.";

// Room kept in every request for the repair round's note and its quote of the failed answer.
constexpr std::size_t kRepairQuote = 2000;
constexpr std::size_t kRepairReserve = 2500;

bool key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// A model id goes into the URL's path: letters, digits, '.', '-', '_' only, so it cannot add a
// path segment or a query.
bool valid_model(std::string_view model) {
  return !model.empty() &&
         std::all_of(model.begin(), model.end(), [](char c) { return key_char(c) || c == '.'; });
}

// 408 and 429 say "later"; the 5xx Google documents as transient say "again".
bool retryable(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::string describe(const gemini::ApiError& e) {
  std::string out = "HTTP " + std::to_string(e.http_status);
  if (!e.status.empty()) out += " " + e.status;
  if (!e.message.empty()) out += ": " + e.message;
  return out;
}

std::string quote(std::string_view text, std::size_t max) {
  if (text.empty()) return "(nothing)";
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "\n[... cut ...]";
}

}  // namespace

std::optional<std::string> check_key_format(std::string_view key) {
  if (key.empty()) return "no Gemini API key is set";
  if (std::any_of(key.begin(), key.end(), [](char c) { return c <= ' ' || c >= '\x7f'; })) {
    return "the key holds a space, a line break or another character no key has (a copy-and-paste slip?)";
  }
  // Classic keys are "AIza" and 35 more characters. Since 2026 AI Studio also issues
  // authorization keys that start "AQ." (protocols.md 2.1), whose length Google does not state,
  // so those are only checked for a plausible length and alphabet.
  if (key.starts_with("AIza")) {
    if (key.size() != 39 || !std::all_of(key.begin(), key.end(), key_char)) {
      return "a Google API key is \"AIza\" followed by 35 letters, digits, '-' or '_'; this one has " +
             std::to_string(key.size()) + " characters in all (cut short when copied?)";
    }
    return std::nullopt;
  }
  if (key.starts_with("AQ.")) {
    if (key.size() < 20 ||
        !std::all_of(key.begin(), key.end(), [](char c) { return key_char(c) || c == '.'; })) {
      return "an authorization key is \"AQ.\" followed by letters, digits, '.', '-' or '_'; this one is not";
    }
    return std::nullopt;
  }
  return "it does not look like a Gemini API key (those start with \"AIza\" or \"AQ.\")";
}

GeminiPlanner::GeminiPlanner(GeminiConfig config, std::shared_ptr<net::HttpTransport> transport,
                             KeySource key, std::shared_ptr<RequestWindow> window,
                             std::shared_ptr<Clock> clock, JitterSource jitter)
    : config_(std::move(config)),
      transport_(std::move(transport)),
      key_(std::move(key)),
      window_(std::move(window)),
      clock_(std::move(clock)),
      jitter_(std::move(jitter)) {
  while (config_.endpoint.ends_with('/')) config_.endpoint.pop_back();
  if (!window_) window_ = std::make_shared<RequestWindow>(config_.requests_per_minute);
  if (!clock_) clock_ = std::make_shared<SystemClock>();
  if (!jitter_) {
    jitter_ = [engine = std::mt19937_64{std::random_device{}()}]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
  }
}

std::string GeminiPlanner::redact(std::string text) const {
  // Google's messages do not quote the key today; a proxy's or a future one might.
  const auto key = key_();
  if (key.empty()) return text;
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos)) {
    text.replace(pos, key.size(), "[the API key]");
  }
  return text;
}

void GeminiPlanner::wait(milliseconds delay, const std::string& reason, const PlanningContext& context,
                         const PlannerEvents& events) {
  if (delay <= milliseconds::zero()) return;
  if (events.on_wait) events.on_wait(WaitNotice{delay, reason});
  if (!clock_->sleep_for(delay, context.stop) || context.stop.stop_requested()) {
    throw RpcError(ErrorCode::InvalidState, "the session was cancelled while gdp waited for Gemini (" +
                                                reason + "); nothing more was sent");
  }
}

std::string GeminiPlanner::exchange(const std::string& method, const std::string& url,
                                    const std::string* body, const PlanningContext& context,
                                    const PlannerEvents& events) {
  const int max_retries = std::max(0, config_.max_retries);
  for (int retry = 0;; ++retry) {
    const auto slot = window_->reserve(clock_->now());
    if (const auto now = clock_->now(); slot > now) {
      wait(std::chrono::ceil<milliseconds>(slot - now),
           "rate limit: " + std::to_string(window_->requests_per_minute()) + " requests per minute", context,
           events);
    }
    if (context.stop.stop_requested()) {
      throw RpcError(ErrorCode::InvalidState,
                     "the session was cancelled before gdp sent its request to Gemini");
    }

    net::HttpRequest request{
        method, url, {{"x-goog-api-key", std::string(key_())}}, body ? *body : std::string()};
    if (body != nullptr) request.headers.emplace_back("Content-Type", "application/json");
    if (body != nullptr && events.on_sent) events.on_sent("generateContent", *body);
    std::optional<net::HttpResponse> response;
    std::string failure;
    try {
      // The header's copy of the key lives no longer than the send, however the send ends.
      const WipeOnExit wipe{request.headers[0].second};
      response = transport_->send(request, config_.timeouts);
    } catch (const RpcError& e) {
      // The transport promises only Network; anything else ends the call, its text redacted too.
      if (e.code() != ErrorCode::Network) throw RpcError(e.code(), redact(e.what()), e.data());
      failure = "network error: " + redact(e.what());
    }

    std::optional<milliseconds> retry_after;
    bool rate_limited = false;
    std::string headline = failure;
    if (response) {
      if (response->status == 200) return std::move(response->body);
      auto error = gemini::parse_error(response->status, response->body);
      error.message = redact(std::move(error.message));
      const auto status = response->status;
      const bool key_refused = status == 401 || status == 403 ||
                               (status == 400 && std::find(error.reasons.begin(), error.reasons.end(),
                                                           "API_KEY_INVALID") != error.reasons.end());
      if (key_refused) {
        throw RpcError(ErrorCode::InvalidAPIKey,
                       "Gemini refused the API key (" + describe(error) + "). " + std::string(kKeyHelp));
      }
      if (status == 404) {
        throw RpcError(ErrorCode::ScriptGeneration,
                       "Gemini has no model \"" + config_.model + "\" for this key (" + describe(error) +
                           "). Set gemini.model to one that the list of models names: curl -H "
                           "\"x-goog-api-key: $GEMINI_API_KEY\" " +
                           config_.endpoint + "/v1beta/models",
                       {{"reason", "model_not_found"}, {"model", config_.model}});
      }
      if (status == 429 && error.per_day_quota()) {
        std::string ids;
        for (const auto& id : error.quota_ids) ids += (ids.empty() ? "" : ", ") + id;
        throw RpcError(
            ErrorCode::APIQuotaExceeded,
            "Gemini's daily quota for this key's project is used up (" + ids +
                "); it resets at midnight Pacific time. Try again then, use a key of a project with "
                "billing, or plan with the built-in planner.");
      }
      if (!retryable(status)) {
        throw RpcError(ErrorCode::ScriptGeneration, "Gemini rejected the request (" + describe(error) + ").");
      }
      failure = describe(error);
      // The countdown shows the status only; Google's 429 message runs to several lines.
      headline = "HTTP " + std::to_string(status) + (error.status.empty() ? "" : " " + error.status);
      retry_after = error.retry_delay;
      rate_limited = status == 429;
    }

    if (retry >= max_retries) {
      if (rate_limited) {
        throw RpcError(ErrorCode::RateLimit, "Gemini still refused with too many requests after " +
                                                 std::to_string(max_retries) + " retries (" + failure +
                                                 "). Wait a minute and try again, or lower "
                                                 "gemini.requests_per_minute to what your tier allows "
                                                 "(https://aistudio.google.com/rate-limit).");
      }
      throw RpcError(ErrorCode::Network, "could not get an answer from Gemini at " + config_.endpoint +
                                             " after " + std::to_string(max_retries) +
                                             " retries (last: " + failure +
                                             "). Check the network connection, or try again later.");
    }
    const auto delay = backoff_delay(config_.backoff, retry, jitter_(), retry_after);
    wait(delay, headline + "; retry " + std::to_string(retry + 1) + " of " + std::to_string(max_retries),
         context, events);
  }
}

void GeminiPlanner::ensure_ready(const PlanningContext& context, const PlannerEvents& events) {
  if (ready_) return;
  if (const auto why = check_key_format(key_())) {
    throw RpcError(ErrorCode::InvalidAPIKey,
                   "The Gemini API key cannot be used: " + *why + ". " + std::string(kKeyHelp));
  }
  if (!valid_model(config_.model)) {
    throw RpcError(ErrorCode::ScriptGeneration,
                   "gemini.model \"" + config_.model +
                       "\" is not a model id (letters, digits, '.', '-', '_'), "
                       "e.g. gemini-3.5-flash",
                   {{"reason", "model_not_found"}, {"model", config_.model}});
  }
  // A cheap authenticated call: the key works and the model exists, before any data is sent.
  const auto body =
      exchange("GET", config_.endpoint + "/v1beta/models/" + config_.model, nullptr, context, events);
  boost::system::error_code ec;
  const auto model = json::parse(body, ec);
  if (!ec && model.is_object()) {
    const auto& m = model.get_object();
    if (const auto* methods = m.if_contains("supportedGenerationMethods");
        methods != nullptr && methods->is_array()) {
      const auto& list = methods->get_array();
      if (std::find(list.begin(), list.end(), json::value("generateContent")) == list.end()) {
        throw RpcError(ErrorCode::ScriptGeneration,
                       "Gemini's model \"" + config_.model + "\" cannot generate text (it supports " +
                           json::serialize(list) +
                           "); set gemini.model to a text model such as gemini-3.5-flash",
                       {{"reason", "model_not_found"}, {"model", config_.model}});
      }
    }
    // Asking for more than the model can give is a 400; ask for its most instead.
    if (const auto* limit = m.if_contains("outputTokenLimit");
        limit != nullptr && limit->is_int64() && limit->get_int64() > 0 &&
        limit->get_int64() < config_.max_output_tokens) {
      config_.max_output_tokens = static_cast<int>(limit->get_int64());
    }
  }
  ready_ = true;
}

template <class T, class Decode>
T GeminiPlanner::generate(const std::string& prompt, const json::object& schema, Decode decode,
                          const PlanningContext& context, const PlannerEvents& events) {
  const auto url = config_.endpoint + "/v1beta/models/" + config_.model + ":generateContent";
  std::string user = prompt;
  for (int attempt = 0;; ++attempt) {
    const auto body = gemini::request_body(config_, gemini::prompts().system, user, schema);
    const auto response = exchange("POST", url, &body, context, events);
    try {
      return decode(gemini::answer_text(response));
    } catch (const gemini::AnswerProblem& problem) {
      if (attempt > 0) {
        throw RpcError(ErrorCode::ScriptGeneration,
                       "Gemini's answer could not be used, also when asked again: " + redact(problem.what()) +
                           " Try again, or plan with the built-in planner.");
      }
      // The failed answer goes back quoted; a model that echoed the key must not get it back.
      user = prompt + "\n\n" +
             gemini::render(gemini::prompts().repair,
                            {{"problem", redact(problem.what())},
                             {"previous_answer", quote(redact(problem.answer()), kRepairQuote)}});
    }
  }
}

namespace {

// The prompt with as much context as max_context_size allows: the fixed text (system
// instruction, the template, the room for a repair) first, the context gets the rest.
template <class MakePrompt>
std::string fit(const GeminiConfig& config, const privacy::SanitizedSnapshot& snapshot,
                const PlanningContext& context, MakePrompt make_prompt) {
  const auto fixed = gemini::prompts().system.size() + make_prompt(std::string()).size() + kRepairReserve;
  if (fixed >= config.max_context_size) {
    throw RpcError(ErrorCode::ContextTooLarge,
                   "the request's own text takes " + std::to_string(fixed) +
                       " characters before any data, more than gemini.max_context_size (" +
                       std::to_string(config.max_context_size) + "); raise it");
  }
  gemini::ContextLimits limits;
  limits.budget = config.max_context_size - fixed;
  return make_prompt(gemini::build_context(snapshot.snapshot(), context, limits).text);
}

std::string script_prompt(const PlanningContext& context, const std::string& analysis,
                          const std::string& context_text) {
  return gemini::render(gemini::prompts().script, {{"step_number", std::to_string(context.steps.size() + 1)},
                                                   {"context", context_text},
                                                   {"analysis", analysis},
                                                   {"input_name", context.input_name}});
}

}  // namespace

proto::DataAnalysis GeminiPlanner::analyze(const privacy::SanitizedSnapshot& snapshot,
                                           const PlanningContext& context, const PlannerEvents& events) {
  ensure_ready(context, events);
  const auto prompt = fit(config_, snapshot, context, [](const std::string& text) {
    return gemini::render(gemini::prompts().analysis, {{"context", text}});
  });
  last_analysis_.reset();
  return generate<proto::DataAnalysis>(prompt, gemini::analysis_schema(), gemini::decode_analysis, context,
                                       events);
}

std::optional<proto::ProcessingScript> GeminiPlanner::next_script(const privacy::SanitizedSnapshot& snapshot,
                                                                  const proto::DataAnalysis& analysis,
                                                                  const PlanningContext& context,
                                                                  const PlannerEvents& events) {
  ensure_ready(context, events);
  last_analysis_ = json::serialize(wire::to_json(analysis));
  const auto prompt = fit(config_, snapshot, context, [&](const std::string& text) {
    return script_prompt(context, *last_analysis_, text);
  });
  auto script = generate<std::optional<proto::ProcessingScript>>(prompt, gemini::step_schema(),
                                                                 gemini::decode_step, context, events);
  if (script) script->script_id = gemini::script_id(context.steps.size() + 1, script->content);
  return script;
}

proto::ProcessingScript GeminiPlanner::revise(const privacy::SanitizedSnapshot& snapshot,
                                              const proto::ProcessingScript& script, const Revision& why,
                                              const PlanningContext& context, const PlannerEvents& events) {
  std::string revision;
  if (why.validation) {
    std::string problems;
    for (const auto& e : why.validation->syntax_errors) problems += "- " + e + "\n";
    for (const auto& w : why.validation->security_warnings) problems += "- " + w + "\n";
    for (const auto& f : why.validation->suggested_fixes) problems += "- suggested fix: " + f + "\n";
    if (problems.empty()) problems = "- (the check gave no details)\n";
    revision = gemini::render(gemini::prompts().revise_validation,
                              {{"problems", problems}, {"script", script.content}});
  } else if (why.deny_reason) {
    revision = gemini::render(gemini::prompts().revise_denial,
                              {{"reason", *why.deny_reason}, {"script", script.content}});
  } else {
    throw RpcError(ErrorCode::InvalidParams,
                   "a revision needs the validator's findings or the reason for a denial");
  }
  ensure_ready(context, events);
  // The request that proposed the script, then what to change: the script prompt carries the
  // task and the sandbox's rules. Revise does not receive the analysis, so the one next_script
  // last saw stands in (a planner serves one session).
  const auto analysis = last_analysis_.value_or("(not repeated here)");
  const auto prompt = fit(config_, snapshot, context, [&](const std::string& text) {
    return script_prompt(context, analysis, text) + "\n\n" + revision;
  });
  auto revised = generate<proto::ProcessingScript>(prompt, gemini::script_schema(), gemini::decode_script,
                                                   context, events);
  revised.script_id = gemini::script_id(context.steps.size() + 1, revised.content);
  return revised;
}

}  // namespace gdp::planner
