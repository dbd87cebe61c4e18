// The Gemini planner's parts, apart from the exchange itself, so tests can reach each one:
// prompt rendering and the context builder (gemini_request.cpp), the response schemas and the
// parsing of answers and of Google's error bodies (gemini_response.cpp).
#pragma once

#include "common/models.h"
#include "daemon/llm/gemini.h"
#include "daemon/llm/planner.h"

#include <boost/json.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gdp::planner::gemini {

// ---- prompts (daemon/llm/prompts/*.txt) ----

struct Prompts {
  std::string_view system, analysis, script, revise_validation, revise_denial, repair;
};
const Prompts& prompts();

// Replaces every {{name}} of `tmpl` with its value in one pass, so a value that itself holds
// "{{...}}" (data can) is left alone. A placeholder without a value is a bug in gdp: logic_error.
std::string render(std::string_view tmpl,
                   const std::vector<std::pair<std::string_view, std::string>>& values);

// ---- the context builder ----

struct ContextLimits {
  std::size_t budget = 0;               // characters the context block may take
  std::size_t min_sample_rows = 5;      // trimming keeps at least this many (or all there are)
  std::size_t max_stream_chars = 2000;  // per step, of stdout and of stderr (head and tail kept)
};

struct BuiltContext {
  std::string text;
  std::vector<std::string> trimmed;  // what was left out, in the order it was dropped
};

// The snapshot (format, columns, what was masked, sample rows), the steps so far and the project
// notes as text for a prompt, at most `limits.budget` characters. When it does not fit, trimmed
// in this order: the outputs of the oldest steps (stdout, stderr), then the oldest steps whole,
// then sample rows down to the minimum, then the project notes. Throws RpcError(ContextTooLarge)
// when even the minimum (columns, the minimum of rows) does not fit.
BuiltContext build_context(const proto::DataSnapshot& snapshot, const PlanningContext& context,
                           const ContextLimits& limits);

// ---- requests ----

const boost::json::object& analysis_schema();  // DataAnalysis
const boost::json::object& step_schema();      // {"done", "reason", "script"}: the next step or none
const boost::json::object& script_schema();    // one script (a revision)

// The generateContent body: systemInstruction, one user turn, generationConfig with the schema.
std::string request_body(const GeminiConfig& config, std::string_view system, std::string_view user,
                         const boost::json::object& schema);

// ---- answers ----

// An answer that cannot be used: truncated, blocked, empty, not JSON, not the schema. The message
// says what was wrong, and goes back to the model in the repair request.
class AnswerProblem : public std::runtime_error {
 public:
  explicit AnswerProblem(const std::string& what, std::string answer = {})
      : std::runtime_error(what), answer_(std::move(answer)) {}
  // The model's text as far as it got (for the repair request to quote), possibly empty.
  const std::string& answer() const { return answer_; }

 private:
  std::string answer_;
};

// The text of candidates[0] (its non-thought parts joined), or AnswerProblem.
std::string answer_text(std::string_view response_body);

proto::DataAnalysis decode_analysis(const std::string& text);
// The proposed script (without its id), or nullopt when the model says the work is done.
std::optional<proto::ProcessingScript> decode_step(const std::string& text);
proto::ProcessingScript decode_script(const std::string& text);

// A deterministic id: the step's number and a hash of the content, e.g. "step_03_5f2a91c4".
std::string script_id(std::size_t step_number, std::string_view content);

// What Google's error body (google.rpc.Status JSON, possibly in a one-element array, or HTML)
// says, as far as it says it.
struct ApiError {
  int http_status = 0;
  std::string status;                                    // "RESOURCE_EXHAUSTED"
  std::string message;                                   // Google's words, or the start of a non-JSON body
  std::vector<std::string> reasons;                      // ErrorInfo.reason
  std::vector<std::string> quota_ids;                    // QuotaFailure.violations[].quotaId
  std::optional<std::chrono::milliseconds> retry_delay;  // RetryInfo.retryDelay, rounded up
  bool per_day_quota() const;
};
ApiError parse_error(int http_status, std::string_view body);

// A protobuf Duration in JSON ("37s", "1.5s"), rounded up to whole milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace gdp::planner::gemini
