// Writes the builtin planner's three scripts for a file, as a session would get them if every
// step were approved and succeeded, so builtin_bench.sh can run them in the sandbox image:
//   gdp_builtin_driver FILE OUTDIR   -> OUTDIR/1_profile.py, 2_clean.py, 3_summary.py
#include "daemon/ingest/snapshot.h"
#include "daemon/llm/builtin.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gdp_builtin_driver FILE OUTDIR\n");
    return 2;
  }
  using namespace gdp;
  const std::filesystem::path file = argv[1];
  const std::filesystem::path out = argv[2];
  ingest::SnapshotOptions options;
  options.seed = 1;
  options.allow_large = true;
  privacy::Vault vault;
  const auto snapshot = privacy::Sanitizer{}.sanitize(ingest::build_snapshot(file.string(), options), vault);
  planner::BuiltinPlanner planner;
  planner::PlanningContext context;
  context.input_name = file.filename().string();
  const auto analysis = planner.analyze(snapshot, context, {});
  int n = 0;
  while (auto script = planner.next_script(snapshot, analysis, context, {})) {
    const auto step = planner::parse_builtin_id(script->script_id)->step;
    const auto name =
        std::to_string(++n) + "_" + std::string(boost::describe::enum_to_string(step, "step")) + ".py";
    std::ofstream(out / name) << script->content;
    std::printf("%s: %s, estimated %lld s\n", name.c_str(), script->script_id.c_str(),
                static_cast<long long>(script->estimated_runtime));
    proto::ExecutionResult ok;
    ok.success = true;
    context.steps.push_back({*script, planner::Decision::approved, std::nullopt, ok});
  }
  return 0;
}
