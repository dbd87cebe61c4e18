// The seed's Property 16 over generated sessions: the results folder and every file in it follow
// one naming pattern (a timestamp, then step numbers of one width and a descriptive slug), sort in
// pipeline order, and hold exactly the scripts that ran, as they ran.
#include "common/errors.h"
#include "daemon/session/results.h"
#include "daemon/store/hash.h"
#include "tests/support/test_support.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <regex>
#include <set>

namespace {

namespace fs = std::filesystem;
using namespace gdp;

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Script ids as planners write them, and as a confused one might.
rc::Gen<std::string> script_id_gen() {
  return rc::gen::oneOf(rc::gen::element<std::string>("builtin-profile", "builtin-clean+keep-duplicates",
                                                      "builtin-summary+no-charts"),
                        rc::gen::map(rc::gen::inRange(0, 1 << 24),
                                     [](int h) {
                                       char buf[32];
                                       std::snprintf(buf, sizeof buf, "step_%02d_%08x", h % 97,
                                                     static_cast<unsigned>(h) * 2654435761U);
                                       return std::string(buf);
                                     }),
                        rc::gen::element<std::string>("", "../../etc/passwd", "Ünïcödé step — ☃", "a/b\\c",
                                                      "   ", "DROP TABLE x;", std::string(300, 'x')));
}

}  // namespace

TEST_CASE(
    "Property 16: results are named by timestamp and by step, sort in pipeline order, and hold the "
    "scripts that ran",
    "[property][Property 16]") {
  rc::prop("Output File Naming Consistency", [] {
    test::TempDir dir;
    auto s = store::ContextStore::open(dir.path());
    const auto record = s.create_session({dir.path() / "in.csv", "ab", "builtin", {}});
    const auto id = record.session_id;
    const fs::path session_dir = s.paths().session(id);
    const auto steps = *rc::gen::inRange(1, 120);
    std::map<std::int64_t, std::string> ran;  // step -> content of the version that ran
    std::optional<std::string> expected_main;
    for (std::int64_t step = 1; step <= steps; ++step) {
      proto::ProcessingScript script;
      script.script_id = *script_id_gen();
      script.description =
          *rc::gen::element<std::string>("Removes duplicate rows.", "", "Draws charts of sales");
      script.content = "print(" + std::to_string(step) + ")\n";
      auto version = s.add_script(id, step, script, store::ScriptOrigin::planner, std::nullopt);
      if (*rc::gen::inRange(0, 4) == 0) {  // edited once
        script.content += "# edited\n";
        version = s.add_script(id, step, script, store::ScriptOrigin::edit, std::nullopt);
      }
      const bool approve = *rc::gen::inRange(0, 4) != 0;
      s.record_decision(id, {step,
                             version,
                             approve ? store::DecisionKind::approve : store::DecisionKind::deny,
                             std::nullopt,
                             {1, ""},
                             {},
                             {}});
      if (!approve) continue;
      store::StepResult result{step, version, {}, {}};
      result.result.success = *rc::gen::inRange(0, 5) != 0;
      if (result.result.success && *rc::gen::arbitrary<bool>()) {
        const std::string name =
            *rc::gen::element<std::string>("output/processed_data.csv", "intermediate/out.csv");
        const std::string bytes = "a,b\n" + std::to_string(step) + ",x\n";
        std::ofstream(session_dir / name) << bytes;
        result.files.push_back({name, store::sha256_hex(bytes), static_cast<std::int64_t>(bytes.size())});
        expected_main = bytes;
      }
      s.store_result(id, result);
      ran[step] = script.content;
    }
    session::SessionHistory history{s.session(id),   std::nullopt,  s.scripts(id),
                                    s.decisions(id), s.results(id), session_dir};
    const auto when = std::chrono::system_clock::now();
    const auto folder = session::write_results(history, dir.path() / "output", when);
    RC_ASSERT(std::regex_match(folder.filename().string(), std::regex(R"(\d{8}-\d{6}_results)")));
    // The same second again: a new folder, never a mix.
    const auto again = session::write_results(history, dir.path() / "output", when);
    RC_ASSERT(again.filename().string() == folder.filename().string() + "_2");

    const int width = std::max<int>(2, static_cast<int>(std::to_string(steps).size()));
    const std::regex script_name("(\\d{" + std::to_string(width) + "})_[a-z0-9]+(_[a-z0-9]+)*\\.py");
    std::vector<std::string> scripts;
    for (const auto& e : fs::directory_iterator(folder)) {
      const auto name = e.path().filename().string();
      if (e.path().extension() == ".py") scripts.push_back(name);
    }
    RC_ASSERT(scripts.size() == ran.size());
    std::sort(scripts.begin(), scripts.end());
    auto expected = ran.begin();
    for (const auto& name : scripts) {
      std::smatch m;
      RC_ASSERT(std::regex_match(name, m, script_name));
      RC_ASSERT(name.size() <= 4 + 40 + 3 + 1);
      RC_ASSERT(std::stoll(m[1].str()) == expected->first);  // sorted by name = pipeline order
      RC_ASSERT(read_all(folder / name) == expected->second);
      ++expected;
    }
    const auto summary = boost::json::parse(read_all(folder / "processing_summary.json"));
    RC_ASSERT(summary.at("steps").as_array().size() == static_cast<std::size_t>(steps));
    RC_ASSERT(summary.at("totals").at("steps_run").as_int64() == static_cast<std::int64_t>(ran.size()));
    RC_ASSERT(fs::exists(folder / "execution_log.txt"));
    RC_ASSERT(fs::exists(folder / "processed_data.csv") == expected_main.has_value());
    if (expected_main) RC_ASSERT(read_all(folder / "processed_data.csv") == *expected_main);
    for (const auto& e : fs::directory_iterator(dir.path() / "output")) {
      RC_ASSERT(e.path().filename().string().find(".partial") == std::string::npos);
    }
  });
}
