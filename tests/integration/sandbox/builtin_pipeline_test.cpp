// The builtin planner's scripts for real: each passes the validator at level safe, and the whole
// pipeline (profile, clean, summary) runs in the sandbox through the Runner on the bundled example,
// on JSON Lines with duplicates, markers and nesting, and on a ~60 MB CSV under a 256 MiB memory
// cap, which only chunked reading can meet (the file's cells alone take more as pandas strings).
#include "daemon/ingest/snapshot.h"
#include "daemon/llm/builtin.h"
#include "daemon/sandbox/validator.h"
#include "tests/integration/sandbox/sandbox_fixture.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

using namespace gdp;
using namespace gdp::sandbox;
using gdp::sandbox::test::engine;
using gdp::sandbox::test::Step;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::int64_t lines_in(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::int64_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

struct Pipeline {
  // The step's folders; the input is put beside them under its own name.
  Step files{"", "builtin"};
  planner::BuiltinPlanner planner;
  std::optional<privacy::SanitizedSnapshot> snapshot;
  planner::PlanningContext context;
  proto::DataAnalysis analysis;
  ResourceConfig config;
  std::vector<planner::StepRecord> records;

  Pipeline(const fs::path& source, const std::string& name, ResourceConfig limits = {})
      : config(std::move(limits)) {
    files.files.input = files.dir / name;
    fs::copy_file(source, files.files.input);
    chmod(files.files.input.c_str(), 0644);
    chmod(files.files.work.c_str(), 0777);  // the sandbox user writes here
    chmod(files.files.output.c_str(), 0777);
    ingest::SnapshotOptions options;
    options.seed = 3;
    privacy::Vault vault;
    snapshot.emplace(
        privacy::Sanitizer{}.sanitize(ingest::build_snapshot(files.files.input, options), vault));
    context.input_name = name;
    analysis = planner.analyze(*snapshot, context, {});
  }

  // Proposes, validates and runs every step the planner offers, as approved; `patch` may edit a
  // script first (the decision is then "edited").
  void run_all(const std::function<void(std::string&)>& patch = {}) {
    Validator validator(engine(), ResourceConfig{}, files.dir.path());
    while (auto script = planner.next_script(*snapshot, analysis, context, {})) {
      INFO(script->script_id);
      const auto check = validator.validate(script->content, files.labels);
      CHECK(check.is_valid);
      CHECK(check.security_level == proto::SecurityLevel::safe);
      CHECK(check.security_warnings.empty());
      if (patch) patch(script->content);
      std::ofstream(files.files.script, std::ios::trunc) << script->content;
      Runner runner(engine(), config);
      ++files.labels.step;
      auto run = runner.run(files.files, files.labels);
      INFO(run.result.error_message.value_or("") << "\n" << run.result.logs);
      CHECK(run.result.success);
      CHECK_FALSE(run.error);
      context.steps.push_back({*script, patch ? planner::Decision::edited : planner::Decision::approved,
                               std::nullopt, run.result});
      REQUIRE(context.steps.size() <= 3);
    }
    CHECK(engine().list_containers({std::string(kDaemonLabel) + "=" + files.labels.daemon}).empty());
  }

  fs::path work(const std::string& name) const { return files.files.work / name; }
  fs::path output(const std::string& name) const { return files.files.output / name; }
  json::object report(const std::string& name) const { return json::parse(read(work(name))).as_object(); }

  std::vector<fs::path> charts() const {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(files.files.output)) {
      if (entry.path().extension() == ".png") out.push_back(entry.path());
    }
    return out;
  }
};

void check_outputs(const Pipeline& p, std::int64_t rows, std::int64_t duplicates) {
  std::vector<std::string> ids;
  for (const auto& step : p.context.steps) ids.push_back(step.script.script_id);
  CHECK(ids == std::vector<std::string>{"builtin-profile", "builtin-clean", "builtin-summary+cleaned"});

  const auto profile = p.report("profile.json");
  CHECK(profile.at("rows") == rows);
  CHECK(profile.at("duplicate_rows") == duplicates);
  CHECK(fs::file_size(p.output("profile.txt")) > 0);

  const auto cleaning = p.report("cleaning_report.json");
  CHECK(cleaning.at("rows_read") == rows);
  CHECK(cleaning.at("duplicates_dropped") == duplicates);
  CHECK(cleaning.at("rows_written") == rows - duplicates);
  CHECK(lines_in(p.output("processed_data.csv")) == rows - duplicates + 1);  // and the header
  CHECK(read(p.output("processed_data.csv")) == read(p.work("cleaned.csv")));

  const auto summary = read(p.output("summary.md"));
  CHECK(summary.find("**" + std::to_string(rows - duplicates) + " rows") != std::string::npos);
  const auto charts = p.charts();
  CHECK(charts.size() >= 2);
  CHECK(charts.size() <= 12);
  for (const auto& chart : charts) {
    INFO(chart);
    CHECK(read(chart).starts_with("\x89PNG\r\n\x1a\n"));
    CHECK(summary.find(chart.filename().string()) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("the builtin pipeline on the bundled example", "[docker][builtin]") {
  Pipeline p(fs::path(GDP_SOURCE_DIR) / "examples/sales.csv", "sales.csv");
  p.run_all();
  check_outputs(p, 25, 0);
  const auto cleaning = p.report("cleaning_report.json");
  CHECK(cleaning.at("cells_trimmed") == 1);            // " Elif Yilmaz "
  CHECK(cleaning.at("missing_markers_emptied") == 1);  // the N/A discount
  const auto profile = read(p.output("profile.txt"));
  CHECK(profile.find("1 row repeats an earlier row in everything but order_id") != std::string::npos);
  CHECK(profile.find("missing values written as: 'N/A' x1") != std::string::npos);
  CHECK(fs::exists(p.output("missing_values.png")));
  CHECK(fs::exists(p.output("histogram_08_unit_price.png")));
  // The cleaned file keeps the header and the quoted comma; the order_id of 10009 is intact.
  CHECK(read(p.output("processed_data.csv")).find("10009,2026-01-07,Ian O'Brien") != std::string::npos);
  CHECK(read(p.output("processed_data.csv")).find("\"Cable, USB-C\"") != std::string::npos);
}

TEST_CASE("the builtin pipeline on JSON Lines", "[docker][builtin]") {
  gdp::test::TempDir dir;
  const auto path = dir / "events.ndjson";
  {
    std::ofstream out(path);
    // 200 records, every 20th an exact copy of the one before it (10 duplicates); markers,
    // padding, a date as DD/MM/YYYY, nesting and an array.
    for (int i = 0; i < 200; ++i) {
      const int k = i % 20 == 19 ? i - 1 : i;
      out << R"({"id":)" << k << R"(,"when":")" << (10 + k % 18) << "/0" << (1 + k % 9)
          << R"(/2026","user":{"city":")" << (k % 7 == 0 ? " Oslo " : "Lima") << R"(","score":)"
          << (k % 11 == 0 ? R"("?")" : std::to_string(k % 50)) << R"(},"tags":["a","b"],"amount":)"
          << (k * 1.25) << "}\n";
    }
  }
  Pipeline p(path, "events.ndjson");
  p.run_all();
  check_outputs(p, 200, 10);
  const auto header = read(p.output("processed_data.csv")).substr(0, 40);
  CHECK(header.starts_with("id,when,user.city,user.score,tags,amount"));
  CHECK(read(p.output("processed_data.csv")).find(",2026-") != std::string::npos);  // dates now ISO
  CHECK(p.report("cleaning_report.json").at("cells_trimmed").to_number<std::int64_t>() > 0);
}

TEST_CASE("the builtin pipeline on a text file", "[docker][builtin]") {
  gdp::test::TempDir dir;
  const auto path = dir / "notes.txt";
  {
    std::ofstream out(path);
    // 60 lines, blank lines between (not records), the last 10 repeating the first 10 once
    // trimmed, and a "?" line that the cleaning empties.
    for (int i = 0; i < 60; ++i) {
      out << (i >= 50 ? "  " : "")
          << (i % 50 == 7 ? std::string("?") : "note number " + std::to_string(i % 50)) << "\n\n";
    }
  }
  // A name with a quote and spaces: the CONFIG block's escaping meets Python's parser for real.
  Pipeline p(path, "field notes (Anna's).txt");
  p.run_all();
  REQUIRE(p.context.steps.size() == 3);
  CHECK(p.report("profile.json").at("rows") == 60);
  CHECK(p.report("profile.json").at("duplicate_rows") == 0);  // padded: not exact repeats yet
  const auto cleaning = p.report("cleaning_report.json");
  CHECK(cleaning.at("rows_read") == 60);
  CHECK(cleaning.at("cells_trimmed") == 10);
  CHECK(cleaning.at("missing_markers_emptied") == 2);
  CHECK(cleaning.at("duplicates_dropped") == 10);
  CHECK(read(p.output("processed_data.csv")).starts_with("line\nnote number 0\n"));
  CHECK(read(p.output("summary.md")).find("**50 rows, 1 column.**") != std::string::npos);
  CHECK(read(p.output("missing_values.png")).starts_with("\x89PNG\r\n\x1a\n"));
}

TEST_CASE("a JSON document streamed element by element reads as it does whole", "[docker][builtin]") {
  gdp::test::TempDir dir;
  const auto path = dir / "wrapped.json";
  {
    std::ofstream out(path);
    out << R"({"meta": {"source": "test", "sizes": [1, 2, 3]}, "records": [)";
    for (int i = 0; i < 300; ++i) {
      out << (i ? ",\n  " : "") << R"({"id": )" << i % 290
          << R"(, "name": "a \"quoted\", name", "nested": {"x": )" << i % 290 * 0.5
          << R"(, "list": [1, {"y": null}]}, "flag": )" << (i % 2 ? "true" : "false") << "}";
    }
    out << "], \"count\": 300}";
  }
  // Whole (the file is far below the streaming threshold), then streamed 7 characters at a time,
  // so elements, strings and numbers are cut at every possible place.
  Pipeline whole(path, "wrapped.json");
  whole.run_all();
  Pipeline streamed(path, "wrapped.json");
  streamed.run_all([](std::string& script) {
    const auto replace = [&](const std::string& from, const std::string& to) {
      const auto at = script.find(from);
      REQUIRE(at != std::string::npos);
      script.replace(at, from.size(), to);
    };
    replace("WHOLE_JSON_BYTES = 16 << 20", "WHOLE_JSON_BYTES = 0");
    replace("JSON_BLOCK_CHARS = 4 << 20", "JSON_BLOCK_CHARS = 7");
  });
  check_outputs(whole, 300, 10);
  check_outputs(streamed, 300, 10);
  CHECK(read(streamed.output("processed_data.csv")) == read(whole.output("processed_data.csv")));
  CHECK(read(whole.output("processed_data.csv")).starts_with("id,name,nested.x,nested.list,flag\n"));
}

TEST_CASE("the builtin pipeline stays within 256 MiB on a 60 MB CSV", "[docker][builtin][large]") {
  gdp::test::TempDir dir;
  const auto path = dir / "big.csv";
  std::int64_t rows = 0;
  std::int64_t duplicates = 0;
  {
    std::ofstream out(path);
    out << "id,day,name,city,price,quantity,flag\n";
    std::uint64_t state = 42;
    const auto next = [&] {  // splitmix64: the same file every run
      state += 0x9E3779B97F4A7C15ULL;
      auto z = state;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      return z ^ (z >> 31);
    };
    std::string last;
    while (out.tellp() < 60 << 20) {
      std::string row;
      if (rows % 1000 == 999) {
        row = last;  // an exact duplicate of the row before
        ++duplicates;
      } else {
        row = std::to_string(rows) + ",2026-" + std::to_string(10 + next() % 3) + "-" +
              std::to_string(10 + next() % 18) + ",name " + std::to_string(next() % 5000) + "," +
              (next() % 10 == 0 ? "N/A" : "city " + std::to_string(next() % 40)) + "," +
              std::to_string(static_cast<double>(next() % 100000) / 100.0).substr(0, 6) + "," +
              std::to_string(next() % 20) + "," + (next() % 2 ? "true" : "false") + "\n";
      }
      out << row;
      last = row;
      ++rows;
    }
  }
  ResourceConfig limits;
  limits.memory_bytes = std::int64_t{256} << 20;
  limits.tmp_bytes = std::int64_t{16} << 20;
  limits.timeout = std::chrono::seconds(15 * 60);
  Pipeline p(path, "big.csv", limits);
  p.run_all();
  check_outputs(p, rows, duplicates);
  for (const auto& step : p.context.steps) {
    REQUIRE(step.result);
    WARN(step.script.script_id << ": " << step.result->execution_time << " s, peak memory "
                               << step.result->resource_usage.memory_mb << " MiB");
    CHECK(step.result->resource_usage.memory_mb < 256);
  }
}
