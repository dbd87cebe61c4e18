// The seed's results folder: what a finished session leaves for its user, readable and rerunnable
// without gdp (Property 16). Under the output directory, `{YYYYmmdd-HHMMSS}_results/` holds
//   processed_data.csv        the main output of the last step that produced a CSV
//   processing_summary.json   steps, decisions, timings, resource usage, findings
//   execution_log.txt         what happened, step by step, for a person
//   NN_<step-name>.py         every script that ran, in order, as it ran
// and the files the steps wrote to /data/output. Names are built from the step number and a
// slug of the step's name, so they sort in pipeline order and say what each step did.
#pragma once

#include "daemon/store/context_store.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gdp::session {

namespace fs = std::filesystem;

struct SessionHistory {
  store::SessionRecord session;
  std::optional<proto::DataAnalysis> analysis;
  std::vector<store::ScriptVersion> scripts;
  std::vector<store::DecisionRecord> decisions;
  std::vector<store::StepResult> results;
  fs::path session_dir;  // .gemini-processor/sessions/{id}; results' file paths are relative to it
};

// "profile", "clean_keep_duplicates", "remove_duplicate_rows": lower case [a-z0-9_], at most 40
// characters, from the script id (its "builtin-" or "step_NN_" prefix and hash suffix dropped) or,
// when that says nothing, from the description's first words. Never empty.
std::string step_slug(const proto::ProcessingScript& script);

// "07_clean.py": the step number zero-padded to `width` digits.
std::string script_file_name(std::int64_t step, const proto::ProcessingScript& script, int width);

// Writes the results folder under `output_root` (created if missing) and returns its path. A
// folder of the same second gets a suffix (_2, _3, ...) rather than mixing two sessions' files.
// Throws RpcError(FileSystem) naming the path when something cannot be written.
fs::path write_results(const SessionHistory& history, const fs::path& output_root,
                       std::chrono::system_clock::time_point finished);

}  // namespace gdp::session
