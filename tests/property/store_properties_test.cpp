// The seed's Properties 4, 14, 15 and 17 over generated sessions: what a session stores comes back
// unchanged after the store is closed and reopened; the store is one SQLite file inside the project
// folder and writes nothing outside it; the cap holds after every write and evicts the oldest
// finished sessions first, never an active one; a project folder copied elsewhere opens there
// with every path resolved against its new place.
#include "common/errors.h"
#include "common/wire.h"
#include "daemon/store/context_store.h"
#include "tests/support/test_support.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <set>

namespace {

namespace fs = std::filesystem;
using namespace gdp;
using store::ContextStore;

// Text with the shapes stored texts have: ASCII, multi-byte UTF-8, quotes, newlines, and now and
// then long enough (and repetitive enough) to be compressed.
rc::Gen<std::string> text_gen() {
  return rc::gen::oneOf(
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("abc xyz\n\"'\\{}[]:,0123"))),
      rc::gen::map(rc::gen::container<std::vector<std::string>>(
                       rc::gen::element<std::string>("é", "日本", "line\n", "\t", "<EMAIL_1>", "ok")),
                   [](const std::vector<std::string>& parts) {
                     std::string s;
                     for (const auto& p : parts) s += p;
                     return s;
                   }),
      rc::gen::map(rc::gen::inRange(4096, 60000), [](int n) {
        std::string s;
        while (s.size() < static_cast<std::size_t>(n))
          s += "Traceback line " + std::to_string(s.size()) + "\n";
        return s;
      }));
}

rc::Gen<std::vector<std::string>> texts_gen() {
  return rc::gen::resize(4, rc::gen::container<std::vector<std::string>>(text_gen()));
}

proto::DataAnalysis analysis_from(const std::vector<std::string>& t) {
  proto::DataAnalysis a;
  a.data_quality_issues = t;
  a.suggested_operations = {t.empty() ? "" : t.front()};
  for (std::size_t i = 0; i < t.size(); ++i) a.column_insights["c" + std::to_string(i)] = t[i];
  a.estimated_complexity = proto::Complexity::medium;
  a.sensitive_data_detected = t.size() % 2 == 1;
  return a;
}

proto::ProcessingScript script_from(const std::string& content, const std::string& description) {
  proto::ProcessingScript s;
  s.script_id = "s";
  s.content = content;
  s.description = description;
  s.required_packages = {"python3-scipy"};
  s.output_files = {"/data/work/out.csv"};
  s.estimated_runtime = 12;
  return s;
}

proto::ExecutionResult result_from(const std::string& out, const std::string& logs, bool success) {
  proto::ExecutionResult r;
  r.success = success;
  r.output_data = out;
  if (!success) r.error_message = "exit 1";
  r.logs = logs;
  r.execution_time = 1.25;
  r.resource_usage.memory_mb = 42.5;
  r.container_id = "abc";
  r.exit_code = success ? 0 : 1;
  return r;
}

std::string json_of(const auto& v) {
  return boost::json::serialize(wire::to_json(v));
}

store::NewSession new_session(const fs::path& project, const std::string& input = "data.csv") {
  return {project / input, std::string(64, 'a'), "builtin", {}};
}

// Every file under `root`, as paths relative to it.
std::set<std::string> tree(const fs::path& root) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    out.insert(fs::relative(e.path(), root).generic_string());
  return out;
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("Property 4: analyses, scripts and results come back unchanged after the store is reopened",
          "[property][Property 4]") {
  rc::prop("Analysis Results Persistence", [] {
    test::TempDir dir;
    const auto texts = *texts_gen();
    const auto content = *text_gen();
    const auto logs = *text_gen();
    const bool success = *rc::gen::arbitrary<bool>();
    const auto steps = *rc::gen::inRange(1, 4);
    const auto analysis = analysis_from(texts);
    std::string id;
    std::vector<std::string> scripts, results;
    {
      auto s = ContextStore::open(dir.path());
      id = s.create_session(new_session(dir.path())).session_id;
      s.store_analysis(id, analysis);
      for (int step = 1; step <= steps; ++step) {
        const auto script = script_from(content + std::to_string(step), texts.empty() ? "d" : texts.back());
        const auto version = s.add_script(id, step, script, store::ScriptOrigin::planner, std::nullopt);
        s.record_decision(
            id, {step, version, store::DecisionKind::approve, std::nullopt, {42, "/dev/pts/1"}, {}, {}});
        const auto result = result_from(logs, logs + "!", success);
        s.store_result(id, {step, version, result, {{"work/out.csv", std::string(64, 'b'), 10}}});
        scripts.push_back(json_of(script));
        results.push_back(json_of(result));
      }
    }
    auto s = ContextStore::open(dir.path());
    RC_ASSERT(json_of(*s.analysis(id)) == json_of(analysis));
    const auto stored_scripts = s.scripts(id);
    const auto stored_results = s.results(id);
    RC_ASSERT(stored_scripts.size() == static_cast<std::size_t>(steps));
    RC_ASSERT(stored_results.size() == static_cast<std::size_t>(steps));
    for (int i = 0; i < steps; ++i) {
      RC_ASSERT(json_of(stored_scripts[static_cast<std::size_t>(i)].script) ==
                scripts[static_cast<std::size_t>(i)]);
      RC_ASSERT(json_of(stored_results[static_cast<std::size_t>(i)].result) ==
                results[static_cast<std::size_t>(i)]);
      RC_ASSERT(stored_results[static_cast<std::size_t>(i)].files.size() == 1U);
    }
    RC_ASSERT(s.decisions(id).size() == static_cast<std::size_t>(steps));
    RC_ASSERT(s.session(id).checkpoints.size() == static_cast<std::size_t>(steps));
  });
}

TEST_CASE(
    "Property 14: the store is one SQLite file in WAL mode inside the project, and nothing is written "
    "outside it",
    "[property][Property 14]") {
  rc::prop("SQLite Storage Implementation", [] {
    test::TempDir dir;
    const fs::path project = dir.path() / "project";
    fs::create_directories(project);
    const auto sessions = *rc::gen::inRange(1, 5);
    const auto texts = *texts_gen();
    {
      auto s = ContextStore::open(project);
      for (int i = 0; i < sessions; ++i) {
        const auto id = s.create_session(new_session(project)).session_id;
        s.store_analysis(id, analysis_from(texts));
        s.record_sent(id, "generateContent", texts.empty() ? "{}" : texts.front());
        if (*rc::gen::arbitrary<bool>()) s.set_status(id, proto::SessionStatus::completed);
      }
      if (*rc::gen::arbitrary<bool>()) s.backup();
      RC_ASSERT(s.schema_version() == ContextStore::kSchemaVersion);
    }
    // Only the project folder exists beside nothing else, and inside it only .gemini-processor.
    RC_ASSERT(tree(dir.path()).count("project/.gemini-processor/context.db") == 1U);
    for (const auto& path : tree(dir.path())) {
      RC_ASSERT(path == "project" || path.rfind("project/.gemini-processor", 0) == 0);
    }
    const std::string bytes = read_all(project / ".gemini-processor" / "context.db");
    RC_ASSERT(bytes.compare(0, 16, std::string("SQLite format 3\0", 16)) == 0);
    // Header bytes 18 and 19 are the read and write format versions: 2 means WAL.
    RC_ASSERT(bytes[18] == 2);
    RC_ASSERT(bytes[19] == 2);
  });
}

TEST_CASE(
    "Property 15: the store stays under its cap after every write, evicting the oldest finished "
    "sessions first and never an active one",
    "[property][Property 15]") {
  rc::prop("Storage Size Management", [] {
    test::TempDir dir;
    store::StoreConfig config;
    config.cap_bytes = std::uint64_t{768} << 10;
    config.durable = false;  // thousands of checkpoints; this property is about sizes, not power cuts
    auto s = ContextStore::open(dir.path(), config);
    struct Known {
      std::string id;
      proto::SessionStatus status;
    };
    std::vector<Known> order;  // creation order
    const auto ops = *rc::gen::inRange(4, 24);
    for (int i = 0; i < ops; ++i) {
      const auto status = *rc::gen::element(proto::SessionStatus::active, proto::SessionStatus::completed,
                                            proto::SessionStatus::failed, proto::SessionStatus::cancelled,
                                            proto::SessionStatus::abandoned);
      // Incompressible payloads of 16-160 KiB, so the cap is reached within a few sessions.
      const auto size = *rc::gen::inRange(16 << 10, 160 << 10);
      std::string payload(static_cast<std::size_t>(size), '\0');
      std::uint64_t x = 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(i) + 1U);
      for (auto& c : payload) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x);
      }
      const auto before = s.sessions();
      const auto evicted_before = s.evicted().size();
      try {
        const auto id = s.create_session(new_session(dir.path())).session_id;
        s.record_sent(id, "generateContent", payload);
        if (status != proto::SessionStatus::active) s.set_status(id, status);
        order.push_back({id, status});
      } catch (const RpcError& e) {
        RC_ASSERT(e.code() == ErrorCode::StorageLimit);
        // Refused only when nothing but active sessions (and perhaps the half-made one) is left.
        for (const auto& summary : s.sessions()) {
          RC_ASSERT(summary.status == proto::SessionStatus::active || s.sent(summary.session_id).empty());
        }
        // Drop the half-made session, as the session layer does when its first write fails.
        for (const auto& summary : s.sessions()) {
          if (s.sent(summary.session_id).empty()) {
            s.set_status(summary.session_id, proto::SessionStatus::failed);
            s.remove_session(summary.session_id);
          }
        }
      }
      RC_ASSERT(s.live_bytes() <= config.cap_bytes);
      // Whatever was evicted in this step: never active, and in eviction order among the
      // sessions present before it (finished oldest first, then abandoned oldest first).
      std::vector<std::string> expected;
      for (const auto& b : before) {
        if (b.status != proto::SessionStatus::active && b.status != proto::SessionStatus::abandoned) {
          expected.push_back(b.session_id);
        }
      }
      for (const auto& b : before) {
        if (b.status == proto::SessionStatus::abandoned) expected.push_back(b.session_id);
      }
      const std::vector<std::string> evicted(
          s.evicted().begin() + static_cast<std::ptrdiff_t>(evicted_before), s.evicted().end());
      RC_ASSERT(evicted.size() <= expected.size());
      for (std::size_t k = 0; k < evicted.size(); ++k) RC_ASSERT(evicted[k] == expected[k]);
    }
    const auto remaining = s.sessions();
    for (const auto& known : order) {
      const bool present = std::any_of(remaining.begin(), remaining.end(),
                                       [&](const auto& summary) { return summary.session_id == known.id; });
      if (known.status == proto::SessionStatus::active) RC_ASSERT(present);
      if (!present) RC_ASSERT(!fs::exists(s.paths().session(known.id)));
    }
  });
}

TEST_CASE(
    "Property 17: a project folder copied elsewhere opens there, every stored path resolved against "
    "its new place",
    "[property][Property 17]") {
  rc::prop("Context Storage Portability", [] {
    test::TempDir dir;
    const fs::path a = dir.path() / "first" / "project";
    const fs::path b = dir.path() / "elsewhere" / "deeper" / "copy";
    fs::create_directories(a);
    const auto inside = *rc::gen::arbitrary<bool>();
    const std::string input = inside ? "data/in put.csv" : "../shared/data.csv";
    std::string id;
    {
      auto s = ContextStore::open(a);
      id = s.create_session(new_session(a, input)).session_id;
      s.store_analysis(id, analysis_from(*texts_gen()));
      s.set_status(id, proto::SessionStatus::completed);
    }
    fs::create_directories(b.parent_path());
    fs::copy(a, b, fs::copy_options::recursive);
    const std::string bytes = read_all(b / ".gemini-processor" / "context.db");
    RC_ASSERT(bytes.find(a.string()) == std::string::npos);
    RC_ASSERT(bytes.find(dir.path().string()) == std::string::npos);
    auto s = ContextStore::open(b);
    const auto record = s.session(id);
    RC_ASSERT(record.input_file == (b / input).lexically_normal());
    RC_ASSERT(record.output_directory == b / "output");
    RC_ASSERT(s.analysis(id).has_value());
    RC_ASSERT(s.sessions().size() == 1U);
  });
}
