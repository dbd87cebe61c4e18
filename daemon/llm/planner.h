// The seed's AI integration, as one interface with two implementations: the offline builtin planner
// (the default when no key is configured) and Gemini over HTTPS. A planner sees only a
// SanitizedSnapshot, which only the privacy step can produce, so unmasked data cannot reach one.
//
// Blocking (a remote planner waits on the network and on rate limits); call it on the worker pool.
#pragma once

#include "common/models.h"
#include "daemon/privacy/sanitizer.h"

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::planner {

// What the user decided about a proposed step, as the planner is told it.
BOOST_DEFINE_ENUM_CLASS(Decision, approved, denied, edited)

// One step of the session so far: the script as it finally stood, the decision, and its result.
struct StepRecord {
  proto::ProcessingScript script;
  Decision decision = Decision::approved;
  std::optional<std::string> deny_reason;        // the user's words, when denied with a reason
  std::optional<proto::ExecutionResult> result;  // absent when denied (nothing ran)
};

// Everything a planner may know besides the snapshot. The session layer fills it; a context
// builder trims `steps` and `project_notes` to fit the planner's budget.
struct PlanningContext {
  std::string input_name;     // the input's file name; the script reads /data/input/<input_name>
  std::string project_notes;  // what earlier sessions of the same project learned (may be empty)
  std::vector<StepRecord> steps;
  std::stop_token stop;  // a cancelled session stops waits and retries at once
};

// Why a script must be revised.
struct Revision {
  std::optional<proto::ValidationResult> validation;  // the validator rejected it
  std::optional<std::string> deny_reason;             // the user denied it, saying why
};

// A wait the user should see (rate limit, backoff), sent to attached clients as a countdown.
struct WaitNotice {
  std::chrono::milliseconds delay{0};
  std::string reason;  // e.g. "rate limit: 15 requests per minute", "HTTP 503, attempt 2 of 5"
};

// Hooks into the session: progress to show, and the exact bytes sent to a remote planner, which
// the session stores so `gdp show SESSION --sent` can print them (never with the key).
struct PlannerEvents {
  std::function<void(const WaitNotice&)> on_wait;
  std::function<void(std::string_view method, std::string_view request_body)> on_sent;
};

class Planner {
 public:
  virtual ~Planner() = default;

  // "builtin" or "gemini"; the client shows it, so a user always knows who plans.
  virtual std::string_view name() const = 0;

  // The seed's analyze_data_snapshot.
  virtual proto::DataAnalysis analyze(const privacy::SanitizedSnapshot& snapshot,
                                      const PlanningContext& context, const PlannerEvents& events) = 0;

  // The next step, or nullopt when the planner considers the work done.
  virtual std::optional<proto::ProcessingScript> next_script(const privacy::SanitizedSnapshot& snapshot,
                                                             const proto::DataAnalysis& analysis,
                                                             const PlanningContext& context,
                                                             const PlannerEvents& events) = 0;

  // A new version of `script` after a validation failure or a denial with a reason.
  virtual proto::ProcessingScript revise(const privacy::SanitizedSnapshot& snapshot,
                                         const proto::ProcessingScript& script, const Revision& why,
                                         const PlanningContext& context, const PlannerEvents& events) = 0;
};

}  // namespace gdp::planner
