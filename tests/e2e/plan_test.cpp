// gdp plan end to end: the real gdp and gdpd, the builtin planner with no key, and the Gemini
// planner over real HTTPS against the fake Gemini server with a key the client forwards. What a
// planner is sent carries no canary (the privacy issue's dataset), and the key appears nowhere
// but in the request header (Properties 11 and 13, for the plan path).
#include "tests/e2e/canaries.h"
#include "tests/e2e/e2e.h"
#include "tests/support/fake_gemini.h"

#include <keyutils.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace gdp::test;

namespace {

// Recognisable, the shape of a real key, never a real one.
const std::string kKey = "AIzaSyPlanE2Efake0123456789abcdefghij_-";

// Every test here: a private session keyring (the real user's key is never seen) and no
// GEMINI_API_KEY unless the test sets one for the client.
struct PlanEnv {
  PlanEnv() {
    static const key_serial_t joined = keyctl_join_session_keyring(nullptr);
    REQUIRE(joined > 0);
    ::setenv("GDP_KEYRING", "session", 1);
    ::unsetenv("GEMINI_API_KEY");
  }
  ~PlanEnv() { ::unsetenv("GEMINI_API_KEY"); }
};

// gdpd pointed at the fake: its endpoint, and its test CA trusted besides the system's.
std::vector<std::string> gemini_flags(const FakeGemini& gemini) {
  return {"--gemini.endpoint", gemini.endpoint(), "--ca-file", gemini.ca_file()};
}

// A gdpd planning with the fake Gemini, in the test's environment.
struct WithGemini {
  PlanEnv env;
  TempDir dir;
  FakeGemini gemini{FakeGeminiOptions{kKey}};
  DaemonProcess daemon{GDPD_BIN, dir, gemini_flags(gemini)};
};

// Every file under `root` that contains `needle`.
std::vector<std::string> files_containing(const std::filesystem::path& root, const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (bytes.find(needle) != std::string::npos) hits.push_back(e.path().string());
  }
  return hits;
}

}  // namespace

TEST_CASE("with no key, gdp plan analyses and plans offline with the builtin planner", "[e2e][plan]") {
  PlanEnv env;
  TempDir dir;
  DaemonProcess daemon(GDPD_BIN, dir);
  auto r = run_gdp(daemon.socket(), {"--json", "plan", std::string(GDP_SOURCE_DIR) + "/examples/sales.csv"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto doc = one_document(r.out);
  CHECK(doc.at("planner") == "builtin");
  CHECK(std::string(doc.at("note").as_string()).find("offline") != std::string::npos);
  CHECK_FALSE(doc.at("analysis").at("data_quality_issues").as_array().empty());
  const auto& script = doc.at("script").as_object();
  CHECK(script.at("content").as_string().size() > 200);
  CHECK(script.at("description").as_string().size() > 40);
  // The human view shows the whole script with line numbers and says nothing ran.
  auto human = run_gdp(daemon.socket(), {"plan", std::string(GDP_SOURCE_DIR) + "/examples/sales.csv"});
  REQUIRE(human.exit_code == 0);
  CHECK(human.out.find("Planner: builtin") != std::string::npos);
  CHECK(human.out.find("   1  ") != std::string::npos);
  CHECK(human.out.find("Nothing was run.") != std::string::npos);
}

TEST_CASE_METHOD(WithGemini,
                 "with a key, gdp plan asks Gemini over HTTPS, and no canary is in any byte it sent",
                 "[e2e][plan]") {
  canary::Canaries c;
  const auto files = canary::write_files(dir, c);
  ::setenv("GEMINI_API_KEY", kKey.c_str(), 1);
  for (const auto& path : {files.csv, files.json}) {
    INFO(path);
    auto r = run_gdp(daemon.socket(), {"--json", "plan", path});
    INFO("gdp said: " << r.out << r.err);
    INFO(gemini.log());
    REQUIRE(r.exit_code == 0);
    const auto doc = one_document(r.out);
    CHECK(doc.at("planner") == "gemini");
    CHECK(std::string(doc.at("note").as_string()).find("GEMINI_API_KEY from the client") !=
          std::string::npos);
    CHECK(doc.at("script").is_object());
  }
  const auto sent = gemini.requests();
  REQUIRE(sent.size() >= 3);  // the key and model check, then analysis and script per file
  std::size_t generate = 0;
  for (const auto& request : sent) {
    std::string all = request.method + " " + request.path + "?" + request.query + "\n" + request.body;
    for (const auto& [name, value] : request.headers) all += name + ": " + value + "\n";
    canary::require_absent(all, c);
    CHECK(request.header("x-goog-api-key") == kKey);
    CHECK(request.path.find(kKey) == std::string::npos);  // never in a URL
    CHECK(request.query.find(kKey) == std::string::npos);
    CHECK(request.body.find(kKey) == std::string::npos);
    if (request.path.find(":generateContent") != std::string::npos) ++generate;
  }
  CHECK(generate >= 4);
  // The key is in no file gdpd wrote (its log and state directory included).
  daemon.stop();
  CHECK(files_containing(dir.path(), kKey).empty());
}

TEST_CASE_METHOD(WithGemini,
                 "a key Google refuses ends in InvalidAPIKeyError that says how to get one, without the key",
                 "[e2e][plan]") {
  const std::string wrong = "AIzaSyWrongWrongWrong0123456789abcdefgh";
  ::setenv("GEMINI_API_KEY", wrong.c_str(), 1);
  auto r = run_gdp(daemon.socket(), {"plan", std::string(GDP_SOURCE_DIR) + "/examples/sales.csv"});
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("aistudio.google.com") != std::string::npos);
  CHECK(r.err.find(wrong) == std::string::npos);
  CHECK(r.out.find(wrong) == std::string::npos);
  // Checked before any analysis: nothing but the key check reached the server.
  for (const auto& request : gemini.requests())
    CHECK(request.path.find(":generateContent") == std::string::npos);
  // A key of the wrong shape is refused before anything is sent at all.
  const auto before = gemini.requests().size();
  ::setenv("GEMINI_API_KEY", "not-a-key", 1);
  auto bad = run_gdp(daemon.socket(), {"plan", std::string(GDP_SOURCE_DIR) + "/examples/sales.csv"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("not-a-key") == std::string::npos);
  CHECK(gemini.requests().size() == before);
  daemon.stop();
  CHECK(files_containing(dir.path(), wrong).empty());
}

TEST_CASE_METHOD(WithGemini,
                 "a rate-limited request waits as Google asks, and gdp shows the wait as it begins",
                 "[e2e][plan]") {
  gemini.push(FakeReply::fault(FakeFault::rate_limit));  // 429 with RetryInfo "2s"
  ::setenv("GEMINI_API_KEY", kKey.c_str(), 1);
  auto r = run_gdp(daemon.socket(), {"plan", std::string(GDP_SOURCE_DIR) + "/examples/sales.csv"});
  INFO(r.err << gemini.log());
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("gdp: waiting 2 s") != std::string::npos);
  // The retry came no sooner than Google asked.
  std::vector<RecordedRequest> generate;
  for (const auto& request : gemini.requests()) {
    if (request.path.find(":generateContent") != std::string::npos) generate.push_back(request);
  }
  REQUIRE(generate.size() >= 2);
  CHECK(generate[1].arrived - generate[0].arrived >= std::chrono::seconds(2));
}

TEST_CASE_METHOD(WithGemini, "on a terminal the wait counts down to the retry", "[e2e][plan]") {
  gemini.push(FakeReply::fault(FakeFault::rate_limit));  // 429 with RetryInfo "2s"
  ::setenv("GEMINI_API_KEY", kKey.c_str(), 1);
  // script(1) gives gdp a pseudo-terminal and copies what it draws to stdout (bsdutils, essential).
  const std::string command = std::string(GDP_BIN) + " --socket " + daemon.socket() + " plan " +
                              std::string(GDP_SOURCE_DIR) + "/examples/sales.csv";
  auto r = run_process({"/usr/bin/script", "-qefc", command, "/dev/null"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // Redrawn in place (carriage return, clear to end of line) as the seconds go down.
  CHECK(r.out.find("\r\033[Kgdp: waiting 2 s") != std::string::npos);
  CHECK(r.out.find("\r\033[Kgdp: waiting 1 s") != std::string::npos);
  CHECK(r.out.find("Nothing was run.") != std::string::npos);
}
