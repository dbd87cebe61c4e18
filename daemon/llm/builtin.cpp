// The builtin planner: the analysis from the snapshot's statistics and sample, the three steps and
// their descriptions. See builtin.h for the contract and daemon/llm/builtin/ for the scripts.
#include "daemon/llm/builtin.h"

#include "common/errors.h"
#include "gdp/builtin_scripts.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace gdp::planner {
namespace {

namespace json = boost::json;

// Cells per chunk. The scripts' memory grows with the cells in flight (each a Python string,
// copied by a few column operations), not with the file: about 110 MiB over pandas' own 60 MiB
// for 70,000 cells, measured in the profile step, the most demanding of the three.
constexpr std::int64_t kChunkCells = 100'000;
constexpr std::int64_t kMinChunkRows = 1'000;
constexpr std::int64_t kMaxChunkRows = 50'000;

// Rows per chunk: kChunkCells worth, a quarter of it on the retry after running out of memory.
std::int64_t chunk_rows(const proto::DataSnapshot& s, bool small) {
  const auto columns = std::max<std::int64_t>(1, static_cast<std::int64_t>(s.columns.size()));
  const auto rows = std::clamp(kChunkCells / columns, kMinChunkRows, kMaxChunkRows);
  return small ? std::max<std::int64_t>(rows / 4, 250) : rows;
}

// 14285 as "14,285".
std::string thousands(std::int64_t n) {
  auto digits = std::to_string(n);
  for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<std::size_t>(i), ",");
  }
  return digits;
}

// Missing-value spellings that ingest keeps as text (it already counts "NA", "null", "-"... as
// missing and shows them as null in the sample), so these are the ones a sample can still show.
// The scripts know both groups (prelude.py, MISSING_MARKERS).
constexpr std::array<std::string_view, 8> kTextMarkers = {"?",    "na",   "none", "NONE",
                                                          "n.a.", "N.A.", "--",   "missing"};

std::string percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "0%";
  char buf[32];
  const double p = 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  std::snprintf(buf, sizeof buf, p < 10 ? "%.1f%%" : "%.0f%%", p);
  return buf;
}

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool is_text_marker(std::string_view s) {
  s = trim(s);
  return std::find(kTextMarkers.begin(), kTextMarkers.end(), s) != kTextMarkers.end();
}

// A placeholder the privacy step put in place of a value or a name: <EMAIL_3>.
bool is_placeholder(std::string_view s) {
  return s.size() > 2 && s.front() == '<' && s.back() == '>' && s.find('_') != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "%d/%m/%Y" as people read it: DD/MM/YYYY.
std::string readable_format(std::string_view format) {
  static const std::map<char, std::string_view> kParts = {{'Y', "YYYY"},   {'m', "MM"},    {'d', "DD"},
                                                          {'H', "hh"},     {'M', "mm"},    {'S', "ss"},
                                                          {'f', "ffffff"}, {'z', "+hhmm"}, {'b', "Mon"}};
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '%' && i + 1 < format.size()) {
      const auto it = kParts.find(format[++i]);
      out += it == kParts.end() ? std::string_view("?") : it->second;
    } else {
      out += format[i];
    }
  }
  return out;
}

bool name_masked(const proto::DataSnapshot& s, std::string_view column) {
  return std::any_of(s.sanitized_fields.begin(), s.sanitized_fields.end(),
                     [&](const proto::SanitizedField& f) {
                       return f.field == column && f.action == proto::MaskAction::name_masked;
                     });
}

const proto::SanitizedField* masked_field(const proto::DataSnapshot& s, std::string_view column) {
  for (const auto& f : s.sanitized_fields) {
    if (f.field == column && f.action != proto::MaskAction::name_masked) return &f;
  }
  return nullptr;
}

bool any_dropped(const proto::DataSnapshot& s) {
  return std::any_of(s.sanitized_fields.begin(), s.sanitized_fields.end(),
                     [](const proto::SanitizedField& f) { return f.action == proto::MaskAction::dropped; });
}

// A column whose values are (nearly) all different and that holds numbers or says it is a key:
// counting, averaging or charting it means nothing.
bool likely_id(const proto::ColumnProfile& c, std::int64_t total_rows) {
  const auto present = total_rows - c.null_count;
  if (present < 10 || c.distinct_estimate * 100 < present * 95) return false;
  if (c.type == "integer") return true;
  const auto n = lower(c.name);
  const auto ends = [&](std::string_view suffix) { return n.size() >= suffix.size() && n.ends_with(suffix); };
  return c.type == "string" && (n == "id" || ends("_id") || ends(" id") || ends("uuid") || ends("_key") ||
                                ends("code") || c.name.ends_with("Id") || c.name.ends_with("ID"));
}

std::vector<std::size_t> id_positions(const proto::DataSnapshot& s) {
  std::vector<std::size_t> out;
  if (any_dropped(s)) return out;  // positions in the file are unknown then
  for (std::size_t i = 0; i < s.columns.size(); ++i) {
    if (likely_id(s.columns[i], s.total_rows)) out.push_back(i);
  }
  return out;
}

// What the sample shows about one column's values.
struct SampleView {
  std::int64_t values = 0;   // non-null
  std::int64_t numbers = 0;  // of those, numbers written as text
  std::int64_t padded = 0;   // with spaces before or after
  std::map<std::string, std::int64_t> markers;
};

SampleView view_sample(const proto::DataSnapshot& s, const std::string& column) {
  SampleView v;
  for (const auto& row : s.rows) {
    const auto* cell = row.if_contains(column);
    if (cell == nullptr || cell->is_null()) continue;
    ++v.values;
    if (!cell->is_string()) {
      if (cell->is_number()) ++v.numbers;
      continue;
    }
    const std::string_view text = cell->get_string();
    if (is_placeholder(text)) continue;
    if (is_text_marker(text)) {
      ++v.markers[std::string(trim(text))];
    } else if (is_number(text)) {
      ++v.numbers;
    }
    if (!text.empty() && trim(text).size() != text.size()) ++v.padded;
  }
  return v;
}

std::string markers_text(const std::map<std::string, std::int64_t>& markers) {
  std::string out;
  for (const auto& [m, n] : markers) {
    out += (out.empty() ? "\"" : ", \"") + m + "\" (" + std::to_string(n) + ")";
  }
  return out;
}

std::string type_words(const proto::ColumnProfile& c) {
  if (c.type == "integer") return "whole numbers";
  if (c.type == "float") return "decimal numbers";
  if (c.type == "boolean") return "yes/no values";
  if (c.type == "date") return "dates";
  if (c.type == "datetime") return "dates with times";
  if (c.type == "null") return "no values at all";
  return "text";
}

std::string insight(const proto::DataSnapshot& s, const proto::ColumnProfile& c, bool id) {
  std::string line = type_words(c);
  if (c.date_format) line += " written as " + readable_format(*c.date_format);
  if (c.min && c.max) {
    line += (c.type == "date" || c.type == "datetime" ? " from " : ", from ") + *c.min + " to " + *c.max;
  }
  if (c.null_count == 0) {
    line += "; none missing";
  } else {
    line += "; " + std::to_string(c.null_count) + " of " + std::to_string(s.total_rows) + " missing (" +
            percent(c.null_count, s.total_rows) + ")";
  }
  if (id) {
    line += "; every value different: probably an identifier, not something to count or average";
  } else if (c.distinct_estimate == 1 && s.total_rows > 1) {
    line += "; the same value in every row";
  } else if (c.type == "string" && c.distinct_estimate > 0) {
    line += "; about " + plural(c.distinct_estimate, "distinct value", "distinct values");
  }
  if (const auto* f = masked_field(s, c.name)) {
    line += "; holds personal data (" + f->detector + "), masked in what the planner saw and kept as it is";
  }
  if (name_masked(s, c.name)) {
    line +=
        "; its name is itself personal data, so it is shown as a placeholder and the scripts read the real "
        "name from the file";
  }
  return line;
}

// ---- the scripts ---------------------------------------------------------------------------------

std::string_view step_name(BuiltinStep step) {
  switch (step) {
    case BuiltinStep::profile:
      return "profile";
    case BuiltinStep::clean:
      return "clean";
    case BuiltinStep::summary:
      return "summary";
  }
  return "profile";
}

// How the scripts read the input, from the snapshot: format, delimiter, header, JSON layout.
json::object source_config(const proto::DataSnapshot& s, const std::string& input_name) {
  json::object src{{"path", "/data/input/" + input_name}, {"encoding", s.source.encoding}};
  const auto& details = s.source.details;
  switch (s.file_format) {
    case proto::FileFormat::csv: {
      src["format"] = "csv";
      // "';'-delimited, header row" or "tab-delimited, no header row" (ingest/snapshot.cpp).
      src["delimiter"] = details.starts_with("tab") ? "\t" : details.size() > 1 ? details.substr(1, 1) : ",";
      src["header"] = details.find("no header row") == std::string::npos;
      break;
    }
    case proto::FileFormat::text:
      src["format"] = "text";
      break;
    case proto::FileFormat::json:
    case proto::FileFormat::unknown: {
      if (details == "JSON Lines") {
        src["format"] = "json_lines";
      } else {
        src["format"] = "json_document";
        // "JSON records in \"items\"": the array member holding the records.
        const auto open = details.find('"');
        const auto close = details.rfind('"');
        src["records_key"] =
            open != std::string::npos && close > open ? details.substr(open + 1, close - open - 1) : "";
      }
      break;
    }
  }
  return src;
}

std::string python_string(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string config_block(const BuiltinPlan& plan, const proto::DataSnapshot& s,
                         const std::string& input_name) {
  json::object config;
  config["source"] = source_config(s, input_name);
  if (plan.reads_cleaned) {
    config["reads"] = json::object{{"path", "/data/work/cleaned.csv"},
                                   {"format", "csv"},
                                   {"delimiter", ","},
                                   {"header", true},
                                   {"encoding", "utf-8"}};
  } else {
    config["reads"] = config["source"];
  }
  json::array columns;
  for (const auto& c : s.columns) {
    json::object col{{"name", c.name}, {"type", c.type}};
    if (c.date_format) col["date_format"] = *c.date_format;
    columns.push_back(std::move(col));
  }
  config["columns"] = std::move(columns);
  json::array ids;
  for (const auto i : id_positions(s)) ids.push_back(static_cast<std::int64_t>(i));
  config["id_columns"] = std::move(ids);
  config["chunk_rows"] = chunk_rows(s, plan.small_chunks);
  config["options"] = json::object{{"trim", plan.trim},
                                   {"missing", plan.missing},
                                   {"types", plan.types},
                                   {"duplicates", plan.duplicates},
                                   {"charts", plan.charts}};
  // Python cannot read JSON's true/false/null as literals, so the block is a JSON string that the
  // script parses; the names in it are the snapshot's (masked) names, never a sample value.
  return "import json\n\nCONFIG = json.loads(" + python_string(json::serialize(config)) + ")\n";
}

std::string size_words(std::int64_t bytes) {
  char buf[32];
  if (bytes >= (std::int64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / (1 << 30));
  } else if (bytes >= (1 << 20)) {
    std::snprintf(buf, sizeof buf, "%.0f MB", static_cast<double>(bytes) / (1 << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%.0f KB", std::max(1.0, static_cast<double>(bytes) / 1024));
  }
  return buf;
}

// Seconds for a step: a fixed start (the container, importing pandas) and a rate per megabyte
// measured on the 2-core reference machine (docs/development.md, "The builtin planner").
std::int64_t runtime(BuiltinStep step, const proto::DataSnapshot& s) {
  const double mb = static_cast<double>(s.source.size_bytes) / (1 << 20);
  double per_mb = step == BuiltinStep::profile ? 0.4 : step == BuiltinStep::clean ? 0.4 : 0.25;
  if (s.file_format == proto::FileFormat::json || s.file_format == proto::FileFormat::unknown) per_mb *= 2.5;
  const double columns = std::max<double>(1, static_cast<double>(s.columns.size()));
  return static_cast<std::int64_t>(std::ceil(3 + mb * per_mb * columns / 8));
}

std::string describe(const BuiltinPlan& plan, const proto::DataSnapshot& s, const std::string& input_name) {
  const std::string input = "/data/input/" + input_name;
  const std::string pieces = thousands(chunk_rows(s, plan.small_chunks));
  std::string d;
  switch (plan.step) {
    case BuiltinStep::profile:
      d = "Measures every column of " + input_name + " (" + size_words(s.source.size_bytes) +
          ") without changing anything: how many values are missing and how they are written (empty, N/A, "
          "null, ?), how many different values there are, the smallest, largest, average and spread of "
          "numbers, "
          "unusually small or large numbers (outliers), the first and last date, the most common values, and "
          "how many rows exactly repeat an earlier row.\n";
      d += "Reads: " + input + ", " + pieces +
           " rows at a time, so memory stays small however large the file is (it grows by 16 bytes per row, "
           "to recognise repeated rows: under 0.7 GB in all for a 1 GB file).\n";
      d += "Changes: nothing.\n";
      d += "Writes: profile.json (the figures, for the next steps) to /data/work and profile.txt (the same "
           "as a readable report) to /data/output.\n";
      break;
    case BuiltinStep::clean: {
      d = "Makes a cleaned copy of " + input_name + ". In each row it:\n";
      if (plan.trim) d += "- removes spaces before and after each value;\n";
      if (plan.missing) {
        d += "- empties cells that only say a value is missing (N/A, NA, null, None, -, ?);\n";
      }
      if (plan.types) {
        d += "- writes numbers, dates and yes/no values in one standard form (dates as YYYY-MM-DD); a value "
             "that does not fit its column's type is kept as it was and counted;\n";
      }
      if (plan.duplicates) {
        d += "- drops rows that exactly repeat an earlier row (after the changes above);\n";
      }
      if (!plan.trim) d += "- keeps spaces around values as they are;\n";
      if (!plan.missing) d += "- keeps missing-value markers such as N/A as they are;\n";
      if (!plan.types) d += "- keeps numbers and dates written as they are;\n";
      if (!plan.duplicates) d += "- keeps repeated rows;\n";
      d += "Reads: " + input + ", " + pieces +
           " rows at a time (memory grows by 8 bytes per row, to recognise repeated rows). The "
           "input file itself is never changed.\n";
      d += "Writes: the cleaned rows as CSV to /data/work/cleaned.csv and /data/output/processed_data.csv, "
           "and how many values each change touched to /data/work/cleaning_report.json (also printed).\n";
      break;
    }
    case BuiltinStep::summary:
      d = "Summarises the data: for every column how many values are missing and its key figures (range and "
          "average of numbers, most common values)";
      d += plan.charts
               ? ", with charts: a bar chart of missing values per column, histograms of up to six "
                 "numeric columns, the most common values of up to four text columns and rows per month "
                 "of a date column (at most twelve charts).\n"
               : ", without charts.\n";
      d += "Reads: " +
           std::string(plan.reads_cleaned ? "/data/work/cleaned.csv (the result of the cleaning)" : input) +
           " in two passes of " + pieces +
           " rows at a time: the first for the figures, the second for the "
           "histograms; and the counts of the earlier steps from /data/work when they ran.\n";
      d += "Changes: nothing.\n";
      d += "Writes: summary.md" + std::string(plan.charts ? " and the charts as PNG files" : "") +
           " to /data/output.\n";
      break;
  }
  d += "Nothing leaves this machine: the script runs in a sandbox without network, and needs no extra "
       "packages.";
  return d;
}

std::vector<std::string> outputs(BuiltinStep step, bool charts) {
  switch (step) {
    case BuiltinStep::profile:
      return {"/data/work/profile.json", "/data/output/profile.txt"};
    case BuiltinStep::clean:
      return {"/data/work/cleaned.csv", "/data/output/processed_data.csv", "/data/work/cleaning_report.json"};
    case BuiltinStep::summary:
      if (charts) return {"/data/output/summary.md", "/data/output/*.png"};
      return {"/data/output/summary.md"};
  }
  return {};
}

bool cleaned_file_made(const PlanningContext& context) {
  for (const auto& step : context.steps) {
    const auto plan = parse_builtin_id(step.script.script_id);
    if (!plan || plan->step != BuiltinStep::clean || step.decision == Decision::denied || !step.result ||
        !step.result->success) {
      continue;
    }
    const auto& files = step.result->output_files;
    // An edited script may write elsewhere; the runner lists what it really wrote.
    if (files.empty() || std::find(files.begin(), files.end(), "/data/work/cleaned.csv") != files.end()) {
      return true;
    }
  }
  return false;
}

bool ran_out_of_memory(const proto::ExecutionResult& r) {
  const auto& message = r.error_message.value_or("");
  return message.find("of memory") != std::string::npos || r.logs.find("MemoryError") != std::string::npos;
}

}  // namespace

// ---- ids -----------------------------------------------------------------------------------------

namespace {
struct Tag {
  std::string_view text;
  bool BuiltinPlan::*field;
  bool when;  // the value the tag stands for
};
constexpr std::array<Tag, 7> kTags = {{{"keep-spaces", &BuiltinPlan::trim, false},
                                       {"keep-markers", &BuiltinPlan::missing, false},
                                       {"keep-types", &BuiltinPlan::types, false},
                                       {"keep-duplicates", &BuiltinPlan::duplicates, false},
                                       {"no-charts", &BuiltinPlan::charts, false},
                                       {"cleaned", &BuiltinPlan::reads_cleaned, true},
                                       {"small-chunks", &BuiltinPlan::small_chunks, true}}};
}  // namespace

std::string builtin_id(const BuiltinPlan& plan) {
  std::string id = "builtin-" + std::string(step_name(plan.step));
  for (const auto& tag : kTags) {
    if (plan.*tag.field == tag.when) id += "+" + std::string(tag.text);
  }
  return id;
}

std::optional<BuiltinPlan> parse_builtin_id(std::string_view id) {
  if (!id.starts_with("builtin-")) return std::nullopt;
  id.remove_prefix(8);
  const auto plus = id.find('+');
  const auto head = id.substr(0, plus);
  BuiltinPlan plan;
  if (head == "profile") {
    plan.step = BuiltinStep::profile;
  } else if (head == "clean") {
    plan.step = BuiltinStep::clean;
  } else if (head == "summary") {
    plan.step = BuiltinStep::summary;
  } else {
    return std::nullopt;
  }
  std::string_view rest = plus == std::string_view::npos ? std::string_view() : id.substr(plus + 1);
  while (!rest.empty()) {
    const auto next = rest.find('+');
    const auto text = rest.substr(0, next);
    const auto tag = std::find_if(kTags.begin(), kTags.end(), [&](const Tag& t) { return t.text == text; });
    if (tag == kTags.end()) return std::nullopt;
    plan.*tag->field = tag->when;
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
  }
  return plan;
}

// ---- the planner ---------------------------------------------------------------------------------

proto::ProcessingScript BuiltinPlanner::script_for(const BuiltinPlan& plan,
                                                   const proto::DataSnapshot& snapshot,
                                                   const std::string& input_name) {
  namespace scripts = builtin_scripts;
  proto::ProcessingScript script;
  script.script_id = builtin_id(plan);
  const std::string_view body = plan.step == BuiltinStep::profile ? scripts::kProfile
                                : plan.step == BuiltinStep::clean ? scripts::kClean
                                                                  : scripts::kSummary;
  script.content = "# gdp builtin planner, step \"" + std::string(step_name(plan.step)) +
                   "\". Only CONFIG comes from the snapshot of the input (its format, column types and the\n"
                   "# options of this step); the code below it is the same for every input.\n" +
                   config_block(plan, snapshot, input_name) + "\n" + std::string(scripts::kPrelude) + "\n\n" +
                   std::string(body);
  script.description = describe(plan, snapshot, input_name);
  script.input_files = {plan.reads_cleaned ? "/data/work/cleaned.csv" : "/data/input/" + input_name};
  script.output_files = outputs(plan.step, plan.charts);
  script.estimated_runtime = runtime(plan.step, snapshot);
  script.validation_status = proto::ValidationStatus::pending;
  script.security_level = proto::SecurityLevel::safe;
  return script;
}

proto::DataAnalysis BuiltinPlanner::analyze(const privacy::SanitizedSnapshot& sanitized,
                                            const PlanningContext& /*context*/,
                                            const PlannerEvents& /*events*/) {
  const auto& s = sanitized.snapshot();
  proto::DataAnalysis a;
  const auto ids = id_positions(s);
  bool any_text_numbers = false;
  bool any_padding = false;
  bool any_markers = false;

  for (std::size_t i = 0; i < s.columns.size(); ++i) {
    const auto& c = s.columns[i];
    const bool id = std::find(ids.begin(), ids.end(), i) != ids.end();
    a.column_insights[c.name] = insight(s, c, id);
    if (c.null_count > 0) {
      a.data_quality_issues.push_back("\"" + c.name + "\" is missing " + std::to_string(c.null_count) +
                                      " of " + std::to_string(s.total_rows) + " values (" +
                                      percent(c.null_count, s.total_rows) + ")");
    }
    const auto sample = view_sample(s, c.name);
    if (!sample.markers.empty()) {
      any_markers = true;
      a.data_quality_issues.push_back("\"" + c.name + "\" writes missing values as " +
                                      markers_text(sample.markers) + " in the sample, not as empty cells");
    }
    if (c.type == "string" && sample.values >= 3 && sample.numbers * 2 >= sample.values) {
      any_text_numbers = true;
      a.data_quality_issues.push_back(
          "\"" + c.name + "\" is read as text although " + std::to_string(sample.numbers) + " of " +
          std::to_string(sample.values) + " sample values are numbers" +
          (sample.markers.empty()
               ? std::string("; some values are not numbers")
               : "; markers like " + markers_text(sample.markers) + " keep it from being numeric"));
    }
    if (sample.padded > 0) {
      any_padding = true;
      a.data_quality_issues.push_back("\"" + c.name + "\" has " + plural(sample.padded, "value", "values") +
                                      " with spaces before or after in the sample");
    }
    if (c.distinct_estimate == 1 && s.total_rows > 1 && c.null_count == 0) {
      a.data_quality_issues.push_back("\"" + c.name +
                                      "\" holds the same value in every row: it tells nothing apart");
    }
    if (id) {
      a.data_quality_issues.push_back("\"" + c.name +
                                      "\" looks like an identifier (every value different); it is "
                                      "left out of charts and of the near-duplicate check");
    }
  }
  if (s.malformed_records > 0) {
    std::string where;
    for (const auto& m : s.malformed_examples) {
      if (where.size() > 200) break;
      where += (where.empty() ? "" : "; ") + std::string("line ") + std::to_string(m.line) + ": " + m.reason;
    }
    a.data_quality_issues.push_back(plural(s.malformed_records, "record", "records") +
                                    " could not be read as the format says and are left out" +
                                    (where.empty() ? "" : " (" + where + ")"));
  }
  std::set<std::string> seen_rows;
  std::int64_t duplicate_rows = 0;
  for (const auto& row : s.rows) {
    if (!seen_rows.insert(json::serialize(row)).second) ++duplicate_rows;
  }
  if (duplicate_rows > 0) {
    a.data_quality_issues.push_back(plural(duplicate_rows, "row", "rows") + " of the " +
                                    std::to_string(s.rows.size()) + "-row sample exactly repeat another row");
  }
  // The same record entered twice under a new number: equal but for the identifiers. Masked
  // values compare too, as a session's placeholders are the same for the same value.
  if (!ids.empty()) {
    std::set<std::string> seen_but_ids;
    std::int64_t repeats = 0;
    for (const auto& row : s.rows) {
      auto rest = row;
      for (const auto i : ids) rest.erase(s.columns[i].name);
      if (!seen_but_ids.insert(json::serialize(rest)).second) ++repeats;
    }
    if (repeats > duplicate_rows) {
      std::string names;
      for (const auto i : ids) names += (names.empty() ? "" : ", ") + s.columns[i].name;
      a.data_quality_issues.push_back(plural(repeats - duplicate_rows, "row", "rows") + " of the sample " +
                                      (repeats - duplicate_rows == 1 ? "repeats" : "repeat") +
                                      " another in everything but " + names +
                                      ": possibly the same record entered twice");
    }
  }

  // What the three steps will do, in the order they do it.
  a.suggested_operations.emplace_back(
      "Profile every column over the whole file: missing values, distinct values, "
      "ranges, outliers and repeated rows");
  a.suggested_operations.emplace_back(any_padding ? "Remove the spaces found around values"
                                                  : "Remove spaces around values, if any");
  a.suggested_operations.emplace_back(
      any_markers || any_text_numbers ? "Turn missing-value markers (N/A, ?, null...) into empty cells"
                                      : "Turn missing-value markers (N/A, null...) into empty cells, if any");
  std::string typed;
  for (const auto& c : s.columns) {
    if (c.type == "integer" || c.type == "float" || c.type == "date" || c.type == "datetime" ||
        c.type == "boolean") {
      typed += (typed.empty() ? "" : ", ") + c.name;
    }
  }
  if (!typed.empty()) {
    a.suggested_operations.emplace_back("Write the numbers, dates and yes/no values of " + typed +
                                        " in one standard form (dates as YYYY-MM-DD)");
  }
  a.suggested_operations.emplace_back("Drop rows that exactly repeat an earlier row");
  a.suggested_operations.emplace_back("Summarise the cleaned data with key figures and charts (PNG)");

  // Who planned, first: a user must always know whether a remote model saw the snapshot.
  a.processing_recommendations.emplace_back(
      "Planned offline by gdp's builtin planner: nothing was sent anywhere. It proposes the same profile, "
      "cleaning and summary for any table; configure a Gemini API key for plans shaped to your question");
  if (s.source.size_bytes > (std::int64_t{256} << 20)) {
    a.processing_recommendations.emplace_back(
        "The file is " + size_words(s.source.size_bytes) + ": every step reads it in pieces of " +
        thousands(chunk_rows(s, false)) +
        " rows, so memory stays bounded; expect the steps to take minutes, not seconds");
  } else {
    a.processing_recommendations.emplace_back(
        "Every step reads the file in pieces, so the same steps also work on "
        "files far larger than memory");
  }
  if (!ids.empty()) {
    std::string names;
    for (const auto i : ids) names += (names.empty() ? "" : ", ") + s.columns[i].name;
    a.processing_recommendations.emplace_back(
        "Treat " + names +
        " as identifiers: rows equal in everything else may be the same record "
        "entered twice; the profile counts them, the cleaning keeps them");
  }
  if (!s.sanitized_fields.empty()) {
    std::set<std::string> fields;
    for (const auto& f : s.sanitized_fields) fields.insert(f.field);
    std::string names;
    for (const auto& f : fields) names += (names.empty() ? "" : ", ") + f;
    a.processing_recommendations.emplace_back(
        "Personal data was found in " + names +
        ": it was masked in the snapshot, stays on this machine, and appears unmasked in the outputs; share "
        "them with care");
  }
  if (s.malformed_records > 0) {
    a.processing_recommendations.emplace_back(
        "Fix or remove the unreadable records at the source: the steps skip them");
  }
  if (s.total_rows > 0 && static_cast<std::int64_t>(s.rows.size()) < s.total_rows) {
    a.processing_recommendations.emplace_back(
        "The checks of the sample (" + std::to_string(s.rows.size()) + " of " + std::to_string(s.total_rows) +
        " rows) are indications; the profile step counts over every row");
  }

  const auto mb = s.source.size_bytes >> 20;
  const auto columns = s.columns.size();
  if (mb >= 1024 || columns > 100) {
    a.estimated_complexity = proto::Complexity::high;
  } else if (mb >= 100 || columns > 30 || s.malformed_records > 0 ||
             s.file_format == proto::FileFormat::json) {
    a.estimated_complexity = proto::Complexity::medium;
  } else {
    a.estimated_complexity = proto::Complexity::low;
  }
  a.sensitive_data_detected = !s.sanitized_fields.empty();
  // The steps read and write only the sandbox's folders and need no network or packages.
  a.recommended_security_level = proto::SecurityLevel::safe;
  return a;
}

std::optional<proto::ProcessingScript> BuiltinPlanner::next_script(
    const privacy::SanitizedSnapshot& sanitized, const proto::DataAnalysis& /*analysis*/,
    const PlanningContext& context, const PlannerEvents& /*events*/) {
  const auto& s = sanitized.snapshot();
  for (const auto step : {BuiltinStep::profile, BuiltinStep::clean, BuiltinStep::summary}) {
    const StepRecord* last = nullptr;
    bool retried = false;
    for (const auto& record : context.steps) {
      const auto plan = parse_builtin_id(record.script.script_id);
      if (!plan || plan->step != step) continue;
      last = &record;
      retried = retried || plan->small_chunks;
    }
    BuiltinPlan plan;
    plan.step = step;
    plan.reads_cleaned = step == BuiltinStep::summary && cleaned_file_made(context);
    if (last == nullptr) return script_for(plan, s, context.input_name);
    // Denied: the user does not want this step; approved and succeeded: done. Either way, on.
    if (last->decision == Decision::denied || !last->result || last->result->success) continue;
    // Failed. Running the same script again would fail again; smaller chunks are worth one try
    // when memory ran out, with the options the user last agreed to.
    if (!retried && ran_out_of_memory(*last->result)) {
      auto again = parse_builtin_id(last->script.script_id).value_or(plan);
      again.small_chunks = true;
      again.reads_cleaned = plan.reads_cleaned;
      return script_for(again, s, context.input_name);
    }
  }
  return std::nullopt;
}

proto::ProcessingScript BuiltinPlanner::revise(const privacy::SanitizedSnapshot& sanitized,
                                               const proto::ProcessingScript& script, const Revision& why,
                                               const PlanningContext& context,
                                               const PlannerEvents& /*events*/) {
  const auto plan = parse_builtin_id(script.script_id);
  if (why.validation) {
    std::string problems;
    for (const auto& e : why.validation->syntax_errors) problems += (problems.empty() ? "" : "; ") + e;
    for (const auto& w : why.validation->security_warnings) problems += (problems.empty() ? "" : "; ") + w;
    throw RpcError(ErrorCode::ScriptGeneration,
                   "the builtin planner's own script \"" + script.script_id +
                       "\" failed validation, which is a bug in gdp (please report it): " +
                       (problems.empty() ? std::string("no details") : problems));
  }
  if (!plan) {
    throw RpcError(ErrorCode::ScriptGeneration,
                   "the builtin planner can only revise its own scripts, not \"" + script.script_id + "\"");
  }
  const auto reason = lower(why.deny_reason.value_or(""));
  const auto says = [&](std::initializer_list<std::string_view> words) {
    return std::any_of(words.begin(), words.end(),
                       [&](std::string_view w) { return reason.find(w) != std::string::npos; });
  };
  auto variant = *plan;
  if (plan->step == BuiltinStep::clean) {
    if (says({"duplicate", "dedup", "repeated", "same row"})) variant.duplicates = false;
    if (says({"whitespace", "space", "trim", "padding"})) variant.trim = false;
    if (says({"marker", "n/a", "null", "missing", "placeholder"})) variant.missing = false;
    if (says({"type", "date", "format", "convert", "coerce", "number", "decimal"})) variant.types = false;
  } else if (plan->step == BuiltinStep::summary) {
    if (says({"chart", "plot", "png", "image", "graph", "picture"})) variant.charts = false;
  }
  const auto& s = sanitized.snapshot();
  if (builtin_id(variant) != builtin_id(*plan)) return script_for(variant, s, context.input_name);

  auto same = script_for(*plan, s, context.input_name);
  same.description =
      "The builtin planner has no other version of this step for the reason given (\"" +
      why.deny_reason.value_or("") +
      "\"). It understands: duplicates, spaces, missing markers, types or dates (for the "
      "cleaning) and charts (for the summary). This is the same step again: deny it to skip it, "
      "or edit it.\n\n" +
      same.description;
  return same;
}

}  // namespace gdp::planner
