// The builtin planner: offline, deterministic, and the default when no API key is configured. It
// reads the masked snapshot, says in plain language what the data needs, and proposes three fixed
// steps, each a real Python script with its description: a profile of every column, a cleaning
// (trim, missing-value markers, types, exact duplicates) and a summary with charts. The scripts
// live in daemon/llm/builtin/*.py; only a small CONFIG block at their top (format, delimiter,
// column types, options) comes from the snapshot, never a sample value. They read the input in
// chunks, so memory stays bounded whatever the file's size.
#pragma once

#include "daemon/llm/planner.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gdp::planner {

// The builtin planner's steps, in the order it proposes them.
BOOST_DEFINE_ENUM_CLASS(BuiltinStep, profile, clean, summary)

// One proposal: which step and how. Every field has a place in the script id, so the id says
// exactly what the script does and the same plan always gives the same script.
struct BuiltinPlan {
  BuiltinStep step = BuiltinStep::profile;
  // The cleaning's parts; revise() switches one off when the user denied it for that reason.
  bool trim = true;
  bool missing = true;
  bool types = true;
  bool duplicates = true;
  bool charts = true;          // the summary's PNGs (summary.md is always written)
  bool small_chunks = false;   // a retry after the step ran out of memory
  bool reads_cleaned = false;  // the summary reads /data/work/cleaned.csv instead of the input
};

// The plan a builtin script id stands for; nullopt for anything else (another planner's script).
std::optional<BuiltinPlan> parse_builtin_id(std::string_view script_id);
std::string builtin_id(const BuiltinPlan& plan);

class BuiltinPlanner final : public Planner {
 public:
  std::string_view name() const override { return "builtin"; }

  proto::DataAnalysis analyze(const privacy::SanitizedSnapshot& snapshot, const PlanningContext& context,
                              const PlannerEvents& events) override;

  // profile, clean, summary, then nullopt. A denied step is not proposed again; a failed one is
  // proposed once more with smaller chunks if it ran out of memory, else the planner moves on.
  std::optional<proto::ProcessingScript> next_script(const privacy::SanitizedSnapshot& snapshot,
                                                     const proto::DataAnalysis& analysis,
                                                     const PlanningContext& context,
                                                     const PlannerEvents& events) override;

  // After a denial, the variant the reason asks for (a cleaning without dropping duplicates, a
  // summary without charts...). When the reason matches no variant, the same script comes back
  // with a description that says so and how to skip the step: the least surprising answer, as
  // the interface must return a script and the user decides again. After a validation failure
  // the builtin's own script is at fault: RpcError(ScriptGeneration), which is a bug to report.
  proto::ProcessingScript revise(const privacy::SanitizedSnapshot& snapshot,
                                 const proto::ProcessingScript& script, const Revision& why,
                                 const PlanningContext& context, const PlannerEvents& events) override;

  // The script for a plan, for this snapshot and input: what next_script and revise return.
  static proto::ProcessingScript script_for(const BuiltinPlan& plan, const proto::DataSnapshot& snapshot,
                                            const std::string& input_name);
};

}  // namespace gdp::planner
