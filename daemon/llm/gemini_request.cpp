// What the Gemini planner sends: the prompts, the context built from a sanitized snapshot and the
// session's steps, and the generateContent body.
#include "common/errors.h"
#include "daemon/llm/gemini_detail.h"
#include "daemon/privacy/detectors.h"
#include "gdp/gemini_prompts.h"

#include <boost/describe.hpp>

#include <algorithm>
#include <stdexcept>

namespace gdp::planner::gemini {

namespace json = boost::json;

const Prompts& prompts() {
  static const Prompts all{kSystemPrompt,           kAnalysisPrompt,     kScriptPrompt,
                           kReviseValidationPrompt, kReviseDenialPrompt, kRepairPrompt};
  return all;
}

std::string render(std::string_view tmpl,
                   const std::vector<std::pair<std::string_view, std::string>>& values) {
  std::string out;
  out.reserve(tmpl.size());
  std::size_t pos = 0;
  while (true) {
    const auto open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) break;
    const auto close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    const auto name = tmpl.substr(open + 2, close - open - 2);
    const auto it =
        std::find_if(values.begin(), values.end(), [&](const auto& kv) { return kv.first == name; });
    if (it == values.end()) {
      throw std::logic_error("prompt placeholder {{" + std::string(name) + "}} has no value");
    }
    out.append(tmpl.substr(pos, open - pos));
    out.append(it->second);
    pos = close + 2;
  }
  out.append(tmpl.substr(pos));
  return out;
}

namespace {

// Script outputs come from the real data, not the masked sample: a script that prints a row
// would otherwise send it to Google. The planner has no session vault, so findings become bare
// labels (<EMAIL>) rather than the numbered placeholders of the snapshot.
std::string mask_findings(std::string_view text) {
  static const privacy::Scanner scanner(privacy::DetectorSet::all());
  std::vector<privacy::Finding> found;
  scanner.find(text, privacy::NameHint{}, found);
  std::string out;
  std::size_t pos = 0;
  for (const auto& f : found) {
    out.append(text.substr(pos, f.begin - pos));
    out += '<';
    out.append(privacy::label(f.detector));
    out += '>';
    pos = f.end;
  }
  out.append(text.substr(pos));
  return out;
}

// The head and tail of a long stream: a traceback's last lines say the most.
std::string shorten(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  const auto head = max / 3, tail = max - head;
  return std::string(text.substr(0, head)) + "\n[... " + std::to_string(text.size() - head - tail) +
         " characters left out ...]\n" + std::string(text.substr(text.size() - tail));
}

std::string how_sampled(const proto::DataSnapshot& s) {
  switch (s.extraction_method) {
    case proto::ExtractionMethod::first_n:
      return "the first of the file";
    case proto::ExtractionMethod::stratified:
      return "stratified by `" + s.stratify_by.value_or("?") + "`";
    case proto::ExtractionMethod::random:
      break;
  }
  return "taken at random";
}

std::string data_section(const proto::DataSnapshot& s, std::string_view input_name) {
  // The source's host path is left out: it names the user's folders, and the script sees only
  // /data/input/<input_name>.
  std::string out = "## The data\nInput: /data/input/" + std::string(input_name) + " (";
  out += boost::describe::enum_to_string(s.file_format, "unknown");
  if (!s.source.details.empty()) out += "; " + s.source.details;
  if (!s.source.encoding.empty()) out += "; " + s.source.encoding;
  out += "; " + std::to_string(s.source.size_bytes) + " bytes)\n";
  out += "Records in the whole file: " + std::to_string(s.total_rows) +
         ". Sample: " + std::to_string(s.sample_size) + " records, " + how_sampled(s) + ".\n";
  if (s.malformed_records > 0) {
    // Line numbers only: a reader's reason may quote the unmasked record.
    out += "Malformed records (skipped): " + std::to_string(s.malformed_records);
    if (!s.malformed_examples.empty()) {
      out += ", e.g. at lines";
      for (const auto& m : s.malformed_examples) out += " " + std::to_string(m.line);
    }
    out += ".\n";
  }
  out += "\n### Columns, profiled over the whole file\n";
  if (!s.columns.empty()) {
    for (const auto& c : s.columns) {
      out += "- `" + c.name + "` (" + c.type + "): " + std::to_string(c.null_count) + " empty, about " +
             std::to_string(c.distinct_estimate) + " distinct";
      if (c.min) out += ", min " + *c.min;
      if (c.max) out += ", max " + *c.max;
      if (c.date_format) out += ", format " + *c.date_format;
      out += '\n';
    }
  } else {
    for (const auto& [name, type] : s.schema) {
      out.append("- `").append(name).append("` (").append(type).append(")\n");
    }
  }
  out += "\n### Masked by the privacy step\n";
  if (s.sanitized_fields.empty()) out += "Nothing was found to mask.\n";
  for (const auto& f : s.sanitized_fields) {
    out += "- `" + f.field + "`: " + f.detector + ", " + std::to_string(f.count) + " values " +
           boost::describe::enum_to_string(f.action, "masked") + "\n";
  }
  return out;
}

std::string step_section(std::size_t number, const StepRecord& step, bool with_outputs,
                         std::size_t max_stream) {
  std::string out = "### Step " + std::to_string(number) + " (" + step.script.script_id +
                    "): " + boost::describe::enum_to_string(step.decision, "?") + "\n";
  if (step.deny_reason) out += "The person denied it, saying: \"" + *step.deny_reason + "\"\n";
  out += "Description: " + step.script.description + "\nScript:\n```python\n" + step.script.content;
  if (!step.script.content.empty() && step.script.content.back() != '\n') out += '\n';
  out += "```\n";
  if (!step.result) {
    out += "Result: not run.\n";
    return out;
  }
  const auto& r = *step.result;
  out += std::string("Result: ") + (r.success ? "succeeded" : "failed");
  out += r.exit_code ? ", exit code " + std::to_string(*r.exit_code) : ", stopped by gdp (a limit)";
  out += ".\n";
  if (!r.output_files.empty()) {
    out += "Files written:";
    for (const auto& f : r.output_files) out += " " + f;
    out += '\n';
  }
  if (!with_outputs) return out;
  if (r.error_message && !r.error_message->empty()) {
    out += "Error: " + mask_findings(shorten(*r.error_message, max_stream)) + "\n";
  }
  if (r.output_data && !r.output_data->empty()) {
    out += "Standard output:\n" + mask_findings(shorten(*r.output_data, max_stream)) + "\n";
  }
  if (!r.logs.empty()) out += "Standard error:\n" + mask_findings(shorten(r.logs, max_stream)) + "\n";
  return out;
}

}  // namespace

BuiltContext build_context(const proto::DataSnapshot& snapshot, const PlanningContext& context,
                           const ContextLimits& limits) {
  const auto head = data_section(snapshot, context.input_name);
  std::vector<std::string> rows;
  rows.reserve(snapshot.rows.size());
  for (const auto& row : snapshot.rows) rows.push_back(json::serialize(row));
  const auto steps = context.steps.size();
  const auto min_rows = std::min(limits.min_sample_rows, rows.size());

  // What is kept: outputs of steps >= outputs_from, steps >= steps_from, the first rows_kept rows.
  std::size_t outputs_from = 0, steps_from = 0, rows_kept = rows.size();
  bool notes_kept = !context.project_notes.empty();

  auto omitted = [&] {
    std::vector<std::string> out;
    if (outputs_from > 0) out.emplace_back("the outputs of steps 1 to " + std::to_string(outputs_from));
    if (steps_from > 0) out.push_back("steps 1 to " + std::to_string(steps_from));
    if (rows_kept < rows.size()) out.push_back(std::to_string(rows.size() - rows_kept) + " sample records");
    if (!notes_kept && !context.project_notes.empty()) out.emplace_back("the notes from earlier sessions");
    return out;
  };
  auto compose = [&] {
    std::string text = head;
    text += "\n### Sample records (personal values masked; one JSON object per line)\n";
    for (std::size_t i = 0; i < rows_kept; ++i) text += rows[i] + "\n";
    if (steps > 0) {
      text += "\n## Steps so far\n";
      for (std::size_t i = steps_from; i < steps; ++i) {
        text += step_section(i + 1, context.steps[i], i >= outputs_from, limits.max_stream_chars);
      }
    }
    if (notes_kept) {
      text += "\n## What earlier sessions of this project learned\n" + context.project_notes + "\n";
    }
    if (const auto left_out = omitted(); !left_out.empty()) {
      text += "\n(Left out to fit the request:";
      for (const auto& what : left_out) text += " " + what + ";";
      text.back() = ')';
      text += '\n';
    }
    return text;
  };

  for (;;) {
    auto text = compose();
    if (text.size() <= limits.budget) return {std::move(text), omitted()};
    if (outputs_from < steps) {
      ++outputs_from;
    } else if (steps_from < steps) {
      ++steps_from;
    } else if (rows_kept > min_rows) {
      // Drop as many rows as the excess needs at once (at least one), not one compose per row.
      auto excess = text.size() - limits.budget;
      do {
        --rows_kept;
        excess -= std::min(excess, rows[rows_kept].size() + 1);
      } while (excess > 0 && rows_kept > min_rows);
    } else if (notes_kept) {
      notes_kept = false;
    } else {
      throw RpcError(ErrorCode::ContextTooLarge,
                     "the description of the data alone takes " + std::to_string(text.size()) +
                         " characters with " + std::to_string(rows_kept) +
                         " sample records and no earlier steps, "
                         "more than the " +
                         std::to_string(limits.budget) +
                         " the request leaves for it; raise gemini.max_context_size (the model's input limit "
                         "allows far more) or select fewer columns");
    }
  }
}

std::string request_body(const GeminiConfig& config, std::string_view system, std::string_view user,
                         const json::object& schema) {
  json::object generation{{"maxOutputTokens", config.max_output_tokens},
                          {"responseMimeType", "application/json"},
                          {"responseSchema", schema}};
  if (config.temperature) generation["temperature"] = *config.temperature;
  const json::object body{
      {"systemInstruction", {{"parts", json::array{json::object{{"text", system}}}}}},
      {"contents",
       json::array{json::object{{"role", "user"}, {"parts", json::array{json::object{{"text", user}}}}}}},
      {"generationConfig", std::move(generation)}};
  return json::serialize(body);
}

}  // namespace gdp::planner::gemini
