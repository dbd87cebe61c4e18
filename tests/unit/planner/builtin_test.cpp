// The builtin planner without Docker: what its analysis says about real files (the bundled
// example, JSON, text, a header that is itself personal data), the order of its steps and how it
// adapts to denials and failures, its revisions, and that its scripts carry no sample value.
// tests/integration/sandbox/builtin_pipeline_test.cpp runs the scripts for real.
#include "daemon/llm/builtin.h"
#include "common/errors.h"
#include "daemon/ingest/snapshot.h"
#include "tests/support/test_support.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>

using namespace gdp;
using namespace gdp::planner;

namespace {

privacy::SanitizedSnapshot snapshot_of(const std::string& path) {
  ingest::SnapshotOptions options;
  options.seed = 7;
  options.threads = 1;
  privacy::Vault vault;
  return privacy::Sanitizer{}.sanitize(ingest::build_snapshot(path, options), vault);
}

std::string write(const gdp::test::TempDir& dir, const std::string& name, const std::string& bytes) {
  auto path = dir / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

const std::string kSales = std::string(GDP_SOURCE_DIR) + "/examples/sales.csv";

bool any_contains(const std::vector<std::string>& lines, std::string_view a, std::string_view b = "") {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(a) != std::string::npos && l.find(b) != std::string::npos;
  });
}

// The CONFIG block of a builtin script, parsed back.
boost::json::object config_of(const proto::ProcessingScript& script) {
  constexpr std::string_view kOpen = "CONFIG = json.loads('";
  const auto start = script.content.find(kOpen);
  REQUIRE(start != std::string::npos);
  const auto begin = start + kOpen.size();
  const auto end = script.content.find("')\n", begin);
  std::string text;
  for (auto i = begin; i < end; ++i) {
    if (script.content[i] == '\\') ++i;  // the Python escapes of ' and backslash
    text += script.content[i];
  }
  return boost::json::parse(text).as_object();
}

StepRecord ran(const proto::ProcessingScript& script, bool success, const std::string& error = "",
               std::vector<std::string> files = {}) {
  StepRecord r{script, Decision::approved, std::nullopt, proto::ExecutionResult{}};
  r.result->success = success;
  if (!error.empty()) r.result->error_message = error;
  r.result->output_files = std::move(files);
  return r;
}

StepRecord denied(const proto::ProcessingScript& script, std::string reason = "") {
  return {script, Decision::denied, reason.empty() ? std::nullopt : std::optional(reason), std::nullopt};
}

struct Session {
  BuiltinPlanner planner;
  privacy::SanitizedSnapshot snapshot;
  PlanningContext context;
  proto::DataAnalysis analysis;

  explicit Session(const std::string& path, std::string input_name = "sales.csv")
      : snapshot(snapshot_of(path)) {
    context.input_name = std::move(input_name);
    analysis = planner.analyze(snapshot, context, {});
  }
  std::optional<proto::ProcessingScript> next() {
    return planner.next_script(snapshot, analysis, context, {});
  }
  std::string next_id() {
    const auto s = next();
    return s ? s->script_id : "done";
  }
};

}  // namespace

TEST_CASE("the analysis of the bundled example names what a person would fix", "[planner][builtin]") {
  Session session(kSales);
  const auto& a = session.analysis;
  CHECK(session.planner.name() == "builtin");
  CHECK(a.column_insights.size() == 10);
  CHECK(any_contains(a.data_quality_issues, "\"discount\" is missing 3 of 25 values (12%)"));
  CHECK(any_contains(a.data_quality_issues, "\"order_id\"", "identifier"));
  // Orders 10012 and 10013 are the same order entered twice.
  CHECK(
      any_contains(a.data_quality_issues, "1 row of the sample repeats another in everything but order_id"));
  CHECK(a.column_insights.at("order_date").find("dates written as YYYY-MM-DD from 2026-01-03") == 0);
  CHECK(a.column_insights.at("unit_price").find("decimal numbers, from 3.2 to 6400") == 0);
  CHECK(a.column_insights.at("customer_email").find("personal data (email)") != std::string::npos);
  CHECK(a.sensitive_data_detected);
  CHECK(a.recommended_security_level == proto::SecurityLevel::safe);
  CHECK(a.estimated_complexity == proto::Complexity::low);
  CHECK(any_contains(a.suggested_operations, "order_id, order_date, quantity, unit_price, discount"));
  CHECK(a.processing_recommendations.at(0).starts_with("Planned offline by gdp's builtin planner"));
  CHECK(any_contains(a.processing_recommendations, "order_id as identifiers"));
  CHECK(any_contains(a.processing_recommendations, "customer_email", "stays on this machine"));
}

TEST_CASE("the analysis sees markers, padding, numbers as text and sample duplicates", "[planner][builtin]") {
  gdp::test::TempDir dir;
  // Rows i and i + 30 are equal unless just one of them has the "?" (i = 0, 8, 32): 7 duplicates.
  std::string csv = "n,code,score,city,kind\n";
  for (int i = 0; i < 40; ++i) {
    const auto n = std::to_string(i % 30);
    csv += n + ",C" + n + ",";
    csv += i % 8 == 0 ? std::string("?") : std::to_string(i % 30 * 3);
    csv += i % 5 == 0 ? ", Lisbon ,fixed\n" : ",Oslo,fixed\n";
  }
  Session session(write(dir, "scores.csv", csv), "scores.csv");
  const auto& issues = session.analysis.data_quality_issues;
  CHECK(any_contains(issues, "\"score\" writes missing values as \"?\" (5)"));
  CHECK(any_contains(issues, "\"score\" is read as text although 35 of 40", "keep it from being numeric"));
  CHECK(any_contains(issues, "\"city\" has 8 values with spaces"));
  CHECK(any_contains(issues, "\"kind\" holds the same value in every row"));
  CHECK(any_contains(issues, "7 rows of the 40-row sample exactly repeat another row"));
  CHECK_FALSE(any_contains(issues, "identifier"));  // 30 codes in 40 rows
}

TEST_CASE("JSON and text inputs get the reader their layout needs", "[planner][builtin]") {
  gdp::test::TempDir dir;
  std::string lines;
  for (int i = 0; i < 20; ++i) {
    lines += R"({"id":)" + std::to_string(i) + R"(,"user":{"name":"u)" + std::to_string(i % 4) +
             R"(","tags":["a"]},"at":"2026-02-0)" + std::to_string(1 + i % 9) + "\"}\n";
  }
  Session ndjson(write(dir, "events.ndjson", lines), "events.ndjson");
  CHECK(ndjson.analysis.column_insights.count("user.name") == 1);
  CHECK(ndjson.analysis.estimated_complexity == proto::Complexity::medium);
  auto source = config_of(*ndjson.next()).at("source").as_object();
  CHECK(source.at("format") == "json_lines");
  CHECK(source.at("path") == "/data/input/events.ndjson");

  Session wrapped(write(dir, "w.json", R"({"meta":{"n":2},"records":[{"a":1},{"a":2}]})"), "w.json");
  source = config_of(*wrapped.next()).at("source").as_object();
  CHECK(source.at("format") == "json_document");
  CHECK(source.at("records_key") == "records");

  Session text(write(dir, "notes.txt", "first line\n\nsecond  \nthird\n"), "notes.txt");
  CHECK(text.analysis.column_insights.count("line") == 1);
  CHECK(config_of(*text.next()).at("source").at("format") == "text");

  Session headerless(write(dir, "h.csv", "1,2.5,2026-01-01\n2,3.5,2026-01-02\n"), "h \\ 'quoted'.csv");
  source = config_of(*headerless.next()).at("source").as_object();
  CHECK(source.at("header") == false);
  CHECK(source.at("path") == "/data/input/h \\ 'quoted'.csv");

  Session semicolons(write(dir, "s.csv", "a;b\n1;x\n2;y\n"), "s.csv");
  source = config_of(*semicolons.next()).at("source").as_object();
  CHECK(source.at("delimiter") == ";");
  CHECK(source.at("header") == true);
}

TEST_CASE("a header that is personal data is named by placeholder, and no script holds a sample value",
          "[planner][builtin]") {
  gdp::test::TempDir dir;
  std::string csv = "id,ada.lovelace@example.com,amount\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + ",note " + std::to_string(i % 7) + ",1.5\n";
  Session session(write(dir, "masked.csv", csv), "masked.csv");
  const auto& columns = session.snapshot.snapshot().columns;
  REQUIRE(columns.size() == 3);
  CHECK(columns[1].name.starts_with("<EMAIL_"));
  CHECK(session.analysis.column_insights.at(columns[1].name).find("placeholder") != std::string::npos);

  while (auto script = session.next()) {
    INFO(script->script_id);
    CHECK(script->content.find("ada.lovelace") == std::string::npos);
    CHECK(script->content.find("note 3") == std::string::npos);
    CHECK(config_of(*script).at("columns").as_array().at(1).at("name").as_string() == columns[1].name);
    session.context.steps.push_back(ran(*script, true));
  }

  // The bundled example: none of its (unmasked) sample values appears in a script.
  Session sales(kSales);
  const auto raw = ingest::build_snapshot(kSales, ingest::SnapshotOptions{});
  while (auto script = sales.next()) {
    for (const auto& row : raw.rows) {
      for (const auto& [name, value] : row) {
        if (value.is_string() && value.get_string().size() >= 4) {
          INFO(script->script_id << " holds " << value.get_string());
          CHECK(script->content.find(std::string(value.get_string())) == std::string::npos);
        }
      }
    }
    sales.context.steps.push_back(ran(*script, true));
  }
}

TEST_CASE("the same snapshot gives the same analysis and scripts, and nothing is sent",
          "[planner][builtin]") {
  Session one(kSales);
  Session two(kSales);
  PlannerEvents events;
  int sent = 0;
  events.on_sent = [&](std::string_view, std::string_view) { ++sent; };
  events.on_wait = [&](const WaitNotice&) { ++sent; };
  CHECK(boost::json::serialize(
            boost::json::value_from(one.planner.analyze(one.snapshot, one.context, events))) ==
        boost::json::serialize(boost::json::value_from(one.analysis)));
  CHECK(boost::json::serialize(boost::json::value_from(one.analysis)) ==
        boost::json::serialize(boost::json::value_from(two.analysis)));
  for (int i = 0; i < 3; ++i) {
    const auto a = one.next();
    const auto b = two.next();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->script_id == b->script_id);
    CHECK(a->content == b->content);
    CHECK(a->description == b->description);
    CHECK(one.planner.next_script(one.snapshot, one.analysis, one.context, events)->content == a->content);
    one.context.steps.push_back(ran(*a, true));
    two.context.steps.push_back(ran(*b, true));
  }
  CHECK(sent == 0);
}

TEST_CASE("profile, clean, summary of the cleaned file, then done", "[planner][builtin]") {
  Session session(kSales);
  auto profile = session.next();
  REQUIRE(profile);
  CHECK(profile->script_id == "builtin-profile");
  CHECK(profile->input_files == std::vector<std::string>{"/data/input/sales.csv"});
  CHECK(profile->required_packages.empty());
  CHECK(profile->security_level == proto::SecurityLevel::safe);
  CHECK(profile->estimated_runtime >= 3);
  CHECK(profile->description.find("Nothing leaves this machine") != std::string::npos);
  CHECK(profile->description.find("Changes: nothing") != std::string::npos);
  session.context.steps.push_back(ran(*profile, true));

  auto clean = session.next();
  REQUIRE(clean);
  CHECK(clean->script_id == "builtin-clean");
  CHECK(clean->output_files.at(1) == "/data/output/processed_data.csv");
  CHECK(clean->description.find("drops rows that exactly repeat") != std::string::npos);
  session.context.steps.push_back(
      ran(*clean, true, "", {"/data/output/processed_data.csv", "/data/work/cleaned.csv"}));

  auto summary = session.next();
  REQUIRE(summary);
  CHECK(summary->script_id == "builtin-summary+cleaned");
  CHECK(summary->input_files == std::vector<std::string>{"/data/work/cleaned.csv"});
  CHECK(config_of(*summary).at("reads").at("path") == "/data/work/cleaned.csv");
  session.context.steps.push_back(ran(*summary, true));
  CHECK(session.next_id() == "done");
}

TEST_CASE("a denied step is not proposed again and the summary then reads the input", "[planner][builtin]") {
  Session session(kSales);
  session.context.steps.push_back(denied(*session.next()));
  CHECK(session.next_id() == "builtin-clean");
  session.context.steps.push_back(denied(*session.next(), "not now"));
  const auto summary = session.next();
  REQUIRE(summary);
  CHECK(summary->script_id == "builtin-summary");
  CHECK(config_of(*summary).at("reads").at("path") == "/data/input/sales.csv");
  session.context.steps.push_back(denied(*summary));
  CHECK(session.next_id() == "done");
}

TEST_CASE("a failed step is not repeated blindly", "[planner][builtin]") {
  Session session(kSales);
  session.context.steps.push_back(ran(*session.next(), true));

  SECTION("a script error: the planner moves on, and the summary reads the input") {
    session.context.steps.push_back(ran(*session.next(), false, "the script exited with status 1"));
    CHECK(session.next_id() == "builtin-summary");
  }
  SECTION("out of memory: once more in smaller chunks, then on") {
    const auto oom = "the script used all of its 4096 MiB of memory and was killed";
    session.context.steps.push_back(ran(*session.next(), false, oom));
    const auto retry = session.next();
    REQUIRE(retry);
    CHECK(retry->script_id == "builtin-clean+small-chunks");
    // 10 columns: 10,000 rows of 10 cells per chunk, a quarter of that on the retry.
    CHECK(config_of(*retry).at("chunk_rows") == 2500);
    CHECK(retry->description.find("2,500 rows at a time") != std::string::npos);
    session.context.steps.push_back(ran(*retry, false, oom));
    CHECK(session.next_id() == "builtin-summary");
  }
  SECTION("an edited cleaning that wrote no cleaned file: the summary reads the input") {
    auto clean = ran(*session.next(), true, "", {"/data/output/other.csv"});
    clean.decision = Decision::edited;
    session.context.steps.push_back(clean);
    CHECK(session.next_id() == "builtin-summary");
  }
}

TEST_CASE("a denial with a reason gets the variant it asks for", "[planner][builtin]") {
  Session session(kSales);
  session.context.steps.push_back(ran(*session.next(), true));
  const auto clean = *session.next();
  auto revise = [&](const proto::ProcessingScript& script, std::string reason) {
    return session.planner.revise(session.snapshot, script, Revision{std::nullopt, std::move(reason)},
                                  session.context, {});
  };

  const auto keep_duplicates = revise(clean, "Don't drop duplicates, they are real orders");
  CHECK(keep_duplicates.script_id == "builtin-clean+keep-duplicates");
  CHECK(config_of(keep_duplicates).at("options").at("duplicates") == false);
  CHECK(config_of(keep_duplicates).at("options").at("trim") == true);
  CHECK(keep_duplicates.description.find("keeps repeated rows") != std::string::npos);
  CHECK(keep_duplicates.description.find("drops rows") == std::string::npos);

  const auto keep_spaces = revise(keep_duplicates, "keep whitespace");
  CHECK(keep_spaces.script_id == "builtin-clean+keep-spaces+keep-duplicates");
  CHECK(keep_spaces.description.find("keeps spaces around values") != std::string::npos);

  session.context.steps.push_back(ran(clean, true));
  const auto summary = *session.next();
  CHECK(revise(summary, "no charts please").script_id == "builtin-summary+no-charts+cleaned");

  const auto same = revise(clean, "I prefer blue");
  CHECK(same.script_id == clean.script_id);
  CHECK(same.content == clean.content);
  CHECK(same.description.starts_with("The builtin planner has no other version"));
  CHECK(same.description.find("deny it to skip it") != std::string::npos);
}

TEST_CASE("a validation failure of a builtin script is reported as a bug", "[planner][builtin]") {
  Session session(kSales);
  const auto profile = *session.next();
  proto::ValidationResult invalid;
  invalid.syntax_errors = {"line 3, column 1: invalid syntax"};
  try {
    session.planner.revise(session.snapshot, profile, Revision{invalid, std::nullopt}, session.context, {});
    FAIL("a broken builtin script was revised");
  } catch (const RpcError& e) {
    CHECK(e.code() == ErrorCode::ScriptGeneration);
    CHECK_THAT(e.what(), Catch::Contains("bug in gdp") && Catch::Contains("line 3, column 1"));
  }
}

TEST_CASE("script ids name their plan and read back", "[planner][builtin]") {
  BuiltinPlan plan;
  plan.step = BuiltinStep::clean;
  plan.duplicates = false;
  plan.small_chunks = true;
  CHECK(builtin_id(plan) == "builtin-clean+keep-duplicates+small-chunks");
  const auto back = parse_builtin_id(builtin_id(plan));
  REQUIRE(back);
  CHECK(builtin_id(*back) == builtin_id(plan));
  CHECK_FALSE(parse_builtin_id("gemini-1"));
  CHECK_FALSE(parse_builtin_id("builtin-clean+unknown"));
}
