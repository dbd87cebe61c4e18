// Sessions end to end: the real gdpd, the real Docker Engine, real SQLite files, the builtin
// planner. Clients speak the wire protocol directly here (tests/e2e/session_cli_test.cpp drives the
// same workflow through the gdp binary), so each test controls exactly which terminal says what:
// one connection follows the session as an attached terminal would, others answer.
#include "tests/e2e/e2e.h"
#include "tests/support/fake_gemini.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using namespace gdp::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::int64_t kApprovalConflict = 7000;
constexpr std::int64_t kInvalidState = 7001;
constexpr std::int64_t kInputFile = 2001;

// A connection that says hello as a terminal named `tty`.
struct Terminal {
  RawClient client;
  Terminal(const std::string& socket, const std::string& tty) : client(socket) {
    const auto r = client.call(
        "hello",
        json::object{{"protocol_versions", {1}},
                     {"client", {{"name", "gdp-test"}, {"version", "0"}, {"pid", getpid()}, {"tty", tty}}},
                     {"capabilities", json::array{}}});
    REQUIRE(error_code(r) == 0);
  }
  json::value call(std::string_view method, json::object params) {
    return client.call(method, std::move(params));
  }
  json::object ok(std::string_view method, json::object params) {
    const auto r = call(method, std::move(params));
    INFO(json::serialize(r));
    REQUIRE(error_code(r) == 0);
    return r.at("result").as_object();
  }
  // Follows a session: the events it replays come first, then live ones (duplicates dropped by seq).
  json::object attach(const std::string& id, std::int64_t since = 0) {
    auto r = ok("attach", {{"session_id", id}, {"since_seq", since}});
    last_seq = since;  // numbers are per session
    for (const auto& e : r.at("events").as_array()) replay.push_back(e.as_object());
    return r;
  }
  // The next session event of `kind` (earlier ones are kept in `seen`), failing on `finished`
  // unless that is what is awaited.
  json::object next(std::string_view kind, std::chrono::seconds timeout = std::chrono::seconds(180)) {
    return next_where("kind", kind, timeout);
  }
  // The next session event in `phase`, whatever its kind.
  json::object next_in(std::string_view phase, std::chrono::seconds timeout = std::chrono::seconds(180)) {
    return next_where("phase", phase, timeout);
  }
  json::object next_where(std::string_view field, std::string_view value, std::chrono::seconds timeout) {
    for (;;) {
      json::object e;
      if (!replay.empty()) {
        e = replay.front();
        replay.erase(replay.begin());
      } else {
        INFO("waiting for " << field << " " << value << "; the events so far:\n" << events_so_far());
        auto msg = client.read(timeout);
        REQUIRE(msg);
        const auto& o = msg->as_object();
        if (!o.contains("method") || o.at("method") != "session.event") continue;
        e = o.at("params").as_object();
      }
      if (e.at("seq").as_int64() <= last_seq) continue;
      last_seq = e.at("seq").as_int64();
      seen.push_back(e);
      if (e.at(field).is_string() && e.at(field).as_string() == value) return e;
      if (e.at("kind") == "finished") FAIL("the session finished early: " << json::serialize(e));
    }
  }
  std::string events_so_far() const {
    std::string out;
    for (const auto& e : seen) out += json::serialize(e) + "\n";
    return out;
  }
  std::vector<json::object> seen;
  std::vector<json::object> replay;
  std::int64_t last_seq = 0;
};

// A project folder with the example sales file, and a gdpd.
struct Project {
  TempDir dir;
  fs::path project = fs::path(dir.path()) / "project";
  fs::path input = project / "sales.csv";
  std::optional<DaemonProcess> daemon;
  explicit Project(std::vector<std::string> flags = {}) : flags_(std::move(flags)) {
    fs::create_directories(project);
    fs::copy_file(fs::path(GDP_SOURCE_DIR) / "examples" / "sales.csv", input);
    start();
  }
  void start() { daemon.emplace(GDPD_BIN, dir, flags_); }
  void kill9() { daemon->stop(SIGKILL); }
  const std::string& socket() const { return daemon->socket(); }
  // The new session's id; with a key, the Gemini planner plans it.
  std::string submit(Terminal& t, const std::string& api_key = {}) {
    return std::string(submit_view(t, api_key).at("session_id").as_string());
  }
  json::object submit_view(Terminal& t, const std::string& api_key = {}) {
    json::object params{{"source", {{"path", input.string()}}}, {"project", project.string()}};
    if (!api_key.empty()) params["api_key"] = api_key;
    return t.ok("submit", std::move(params)).at("session").as_object();
  }
  std::vector<std::string> flags_;
};

json::object status_of(Terminal& t, const std::string& id) {
  return t.ok("status", {{"session_id", id}}).at("session").as_object();
}

std::int64_t step_of(const json::object& event) {
  return event.at("step").as_int64();
}

// A new session whose first step waits for approval; the terminal closes, the session waits on.
std::string waiting_session(Project& p, const std::string& tty) {
  Terminal t(p.socket(), tty);
  const auto id = p.submit(t);
  t.attach(id);
  t.next("approval_needed");
  return id;
}

// A new Gemini session, followed from terminal `tty` until it is in `phase`; then the terminal
// closes and the session goes on.
std::string submitted_until(Project& p, const std::string& key, const std::string& tty,
                            std::string_view phase) {
  Terminal t(p.socket(), tty);
  const auto id = p.submit(t, key);
  t.attach(id);
  t.next_in(phase);
  return id;
}

// The session's last event number so far.
std::int64_t last_seq(Terminal& t, const std::string& id) {
  const auto events = t.ok("log", {{"session_id", id}}).at("events").as_array();
  return events.empty() ? 0 : events.back().at("seq").as_int64();
}

// A session a stopped gdpd left: abandoned until resumed, then followed from where it was.
void resume_and_follow(Terminal& t, const std::string& id, json::object extra = {}) {
  CHECK(status_of(t, id).at("status") == "abandoned");
  const auto before = last_seq(t, id);
  extra["session_id"] = id;
  CHECK(t.ok("resume", std::move(extra)).at("status") == "active");
  t.attach(id, before);
}

// How many times a step started, over a session's whole log.
std::size_t starts_of(Terminal& t, const std::string& id, std::int64_t step) {
  std::size_t n = 0;
  const auto log = t.ok("log", {{"session_id", id}});
  for (const auto& e : log.at("events").as_array()) {
    if (e.at("kind") == "step_started" && e.at("step") == step) ++n;
  }
  return n;
}

const char* kSlowScript = "import time\ntime.sleep(6)\nprint('slow step done')\n";

}  // namespace

TEST_CASE("two terminals on one session: one approves, the other denies, both see who decided",
          "[e2e][docker][session]") {
  Project p;
  Terminal follower(p.socket(), "pts/1");
  Terminal other(p.socket(), "pts/2");
  const auto id = p.submit(follower);
  const auto attached = follower.attach(id);
  CHECK(attached.at("session").at("live") == true);

  // Step 1: the other terminal approves; the follower sees it, with who.
  auto pending = follower.next("approval_needed");
  CHECK(step_of(pending) == 1);
  const auto& shown = pending.at("pending").at("script").as_object();
  CHECK(!shown.at("content").as_string().empty());
  CHECK(!shown.at("description").as_string().empty());
  const auto decision = other.ok("approve", {{"session_id", id}, {"step", 1}});
  CHECK(decision.at("decision").at("by").at("tty") == "pts/2");
  const auto decided = follower.next("decided");
  CHECK(decided.at("decision").at("by").at("tty") == "pts/2");
  CHECK(decided.at("decision").at("by").at("pid") == getpid());
  // Answering twice: the first answer counts.
  CHECK(error_code(follower.call("approve", {{"session_id", id}, {"step", 1}})) == kApprovalConflict);
  CHECK(error_code(follower.call("deny", {{"session_id", id}, {"step", 1}})) == kApprovalConflict);
  follower.next("step_finished");

  // Step 2: denied with a reason; the session goes on without it.
  pending = follower.next("approval_needed");
  CHECK(step_of(pending) == 2);
  // A stale step number or version gets a clear refusal.
  CHECK(error_code(other.call("approve", {{"session_id", id}, {"step", 7}})) == kInvalidState);
  CHECK(error_code(other.call("approve", {{"session_id", id}, {"step", 2}, {"version", 5}})) ==
        kInvalidState);
  follower.ok("deny", {{"session_id", id}, {"step", 2}, {"reason", "keep the raw values"}});
  const auto denied = other.ok("status", {{"session_id", id}}).at("session").as_object();
  CHECK(denied.at("steps").as_array().at(1).at("state") == "denied");
  CHECK(follower.next("decided").at("decision").at("reason") == "keep the raw values");

  // Step 3 (the summary) still comes, and the session completes.
  pending = follower.next("approval_needed");
  CHECK(step_of(pending) == 3);
  const auto status = status_of(other, id);
  REQUIRE(status.contains("pending"));
  CHECK(status.at("pending").at("step") == 3);
  other.ok("approve", {{"session_id", id}});
  const auto finished = follower.next("finished");
  CHECK(finished.at("status") == "completed");

  const auto view = status_of(other, id);
  CHECK(view.at("status") == "completed");
  const fs::path results(std::string(view.at("results_directory").as_string()));
  CHECK(fs::exists(results / "processing_summary.json"));
  CHECK(fs::exists(results / "01_profile.py"));
  CHECK_FALSE(fs::exists(results / "02_clean.py"));  // denied: it never ran
  std::ifstream log(results / "execution_log.txt");
  const std::string text{std::istreambuf_iterator<char>(log), std::istreambuf_iterator<char>()};
  CHECK(text.find("keep the raw values") != std::string::npos);
  // The store has every decision, with who gave it.
  const auto shown2 = other.ok("show", {{"session_id", id}, {"step", 2}});
  REQUIRE(shown2.at("decisions").as_array().size() == 1);
  CHECK(shown2.at("decisions").at(0).at("by").at("tty") == "pts/1");
}

TEST_CASE("an edit that breaks the syntax cannot run, and the fixed edit is shown again and runs",
          "[e2e][docker][session]") {
  Project p;
  Terminal t(p.socket(), "pts/3");
  Terminal editor(p.socket(), "pts/4");
  const auto id = p.submit(t);
  t.attach(id);
  t.next("approval_needed");

  const auto broken =
      editor.ok("edit", {{"session_id", id}, {"step", 1}, {"content", "print('half\nx = (\n"}});
  CHECK(broken.at("validation").at("is_valid") == false);
  const auto& errors = broken.at("validation").at("syntax_errors").as_array();
  REQUIRE_FALSE(errors.empty());
  CHECK(std::string(errors.at(0).as_string()).find("line") != std::string::npos);
  const auto shown_broken = t.next("approval_needed");
  CHECK(shown_broken.at("pending").at("version") == 2);
  CHECK(shown_broken.at("pending").at("validation").at("is_valid") == false);
  CHECK(error_code(editor.call("approve", {{"session_id", id}, {"step", 1}})) == kInvalidState);

  const auto fixed =
      editor.ok("edit", {{"session_id", id}, {"step", 1}, {"content", "print('edited by hand')\n"}});
  CHECK(fixed.at("validation").at("is_valid") == true);
  CHECK(fixed.at("version") == 3);
  CHECK(t.next("approval_needed").at("pending").at("script").at("content") == "print('edited by hand')\n");
  // Approving what one saw before the edit is refused: it is not what would run.
  CHECK(error_code(editor.call("approve", {{"session_id", id}, {"step", 1}, {"version", 2}})) ==
        kInvalidState);
  editor.ok("approve", {{"session_id", id}, {"step", 1}, {"version", 3}});
  const auto ran = t.next("step_finished");
  CHECK(ran.at("result").at("success") == true);
  CHECK(std::string(ran.at("result").at("output_data").as_string()).find("edited by hand") !=
        std::string::npos);

  const auto versions = editor.ok("show", {{"session_id", id}, {"step", 1}}).at("versions").as_array();
  REQUIRE(versions.size() == 3);
  CHECK(versions.at(1).at("origin") == "edit");
  CHECK(versions.at(1).at("validation").at("is_valid") == false);

  const auto cancelled = editor.ok("cancel", {{"session_id", id}});
  CHECK(cancelled.at("status") == "cancelled");
  CHECK(cancelled.at("live") == false);
}

TEST_CASE("gdpd killed while a step waits, while it runs and after it finished: resume loses nothing",
          "[e2e][docker][session]") {
  Project p;
  const auto id = waiting_session(p, "pts/5");
  // 1. Killed while step 1 waits for approval.
  p.kill9();
  p.start();
  {
    Terminal t(p.socket(), "pts/5");
    const auto left = status_of(t, id);
    CHECK(left.at("status") == "abandoned");
    CHECK(left.at("live") == false);
    CHECK(error_code(t.call("approve", {{"session_id", id}})) == kInvalidState);  // resume it first
    const auto before = last_seq(t, id);
    const auto resumed = t.ok("resume", {{"session_id", id}});
    CHECK(resumed.at("status") == "active");
    t.attach(id, before);
    const auto again = t.next("approval_needed");
    CHECK(step_of(again) == 1);
    CHECK(again.at("pending").at("version") == 1);  // the same version: the planner was not asked again
    // 2. Killed while the approved step runs.
    t.ok("edit", {{"session_id", id}, {"step", 1}, {"content", kSlowScript}});
    t.next("approval_needed");
    t.ok("approve", {{"session_id", id}, {"step", 1}});
    t.next("step_started");
  }
  p.kill9();
  p.start();
  {
    Terminal t(p.socket(), "pts/5");
    resume_and_follow(t, id);
    // The approval stands: the step runs again without asking.
    const auto finished = t.next("step_finished");
    CHECK(step_of(finished) == 1);
    CHECK(finished.at("result").at("success") == true);
    for (const auto& e : t.seen) CHECK(!(e.at("kind") == "approval_needed" && e.at("step") == 1));
    t.next("approval_needed");  // step 2
  }
  // 3. Killed after step 1 finished, step 2 waiting.
  p.kill9();
  p.start();
  {
    Terminal t(p.socket(), "pts/5");
    resume_and_follow(t, id);
    CHECK(step_of(t.next("approval_needed")) == 2);
    t.ok("deny", {{"session_id", id}});
    CHECK(step_of(t.next("approval_needed")) == 3);
    t.ok("deny", {{"session_id", id}});
    CHECK(t.next("finished").at("status") == "completed");
    CHECK(starts_of(t, id, 1) ==
          2);  // once before the kill during its run, once after; never after it finished
    const auto decisions = t.ok("show", {{"session_id", id}, {"step", 1}}).at("decisions").as_array();
    std::size_t approvals = 0;
    for (const auto& d : decisions)
      if (d.at("decision") == "approve") ++approvals;
    CHECK(approvals == 1);
  }
}

TEST_CASE("a changed input stops the session before the next step runs", "[e2e][docker][session]") {
  Project p;
  Terminal t(p.socket(), "pts/6");
  const auto id = p.submit(t);
  t.attach(id);
  t.next("approval_needed");
  std::ofstream(p.input, std::ios::app)
      << "999,2026-01-01,Someone,x@example.com,North,Widget,1,1.0,0,shipped\n";
  t.ok("approve", {{"session_id", id}});
  const auto finished = t.next("finished");
  CHECK(finished.at("status") == "failed");
  const auto view = status_of(t, id);
  CHECK(std::string(view.at("failure").as_string()).find("changed since the session started") !=
        std::string::npos);
  CHECK(view.at("steps").at(0).as_object().contains("result") == true);
  CHECK(view.at("steps").at(0).at("result").is_null());  // nothing ran on the changed file
  // And it cannot be resumed on the changed file.
  CHECK(error_code(t.call("resume", {{"session_id", id}})) == kInputFile);
}

TEST_CASE("with one container slot, a second session's step shows queued until the first is done",
          "[e2e][docker][session]") {
  Project p({"--max-concurrent-containers", "1"});
  Terminal a(p.socket(), "pts/7");
  Terminal b(p.socket(), "pts/8");
  const auto first = p.submit(a);
  const auto second = p.submit(b);
  a.attach(first);
  b.attach(second);
  a.next("approval_needed");
  b.next("approval_needed");
  a.ok("edit", {{"session_id", first}, {"step", 1}, {"content", kSlowScript}});
  a.next("approval_needed");
  a.ok("approve", {{"session_id", first}});
  a.next("step_started");
  b.ok("approve", {{"session_id", second}});
  const auto queued = b.next("step_queued");
  CHECK(queued.at("phase") == "queued");
  CHECK(status_of(b, second).at("phase") == "queued");
  a.next("step_finished");
  CHECK(b.next("step_finished").at("result").at("success") == true);
  for (const auto& id : {first, second}) a.ok("cancel", {{"session_id", id}});
}

TEST_CASE("cleanup --older-than removes abandoned sessions and their files, nothing else",
          "[e2e][docker][session]") {
  Project p;
  std::string abandoned;
  std::string finished;
  {
    Terminal t(p.socket(), "pts/9");
    finished = p.submit(t);
    t.ok("cancel", {{"session_id", finished}});
    abandoned = p.submit(t);
  }
  p.kill9();
  p.start();
  Terminal t(p.socket(), "pts/9");
  const auto folder = p.project / ".gemini-processor" / "sessions" / abandoned;
  REQUIRE(fs::exists(folder));
  // Too young: nothing goes.
  auto r = t.ok("cleanup", {{"older_than_seconds", 3600.0}});
  CHECK(r.at("removed_sessions").as_array().empty());
  r = t.ok("cleanup", {{"older_than_seconds", 0.0}});
  REQUIRE(r.at("removed_sessions").as_array().size() == 1);
  CHECK(r.at("removed_sessions").at(0).as_string() == abandoned);
  CHECK_FALSE(fs::exists(folder));
  CHECK(status_of(t, finished).at("status") == "cancelled");
  std::set<std::string> listed;
  const auto status = t.ok("status", {});
  for (const auto& s : status.at("sessions").as_array()) listed.emplace(s.at("session_id").as_string());
  CHECK(listed.count(abandoned) == 0);
  CHECK(listed.count(finished) == 1);
}

TEST_CASE("SIGTERM while a session waits: gdpd stops at once and the session can be resumed",
          "[e2e][docker][session]") {
  Project p;
  const auto id = waiting_session(p, "pts/10");
  CHECK(p.daemon->stop(SIGTERM) == 0);  // within stop()'s 10 s, not the session's hours
  p.start();
  Terminal t(p.socket(), "pts/10");
  resume_and_follow(t, id);
  CHECK(step_of(t.next("approval_needed")) == 1);
  t.ok("cancel", {{"session_id", id}});
}

TEST_CASE("a Gemini session stores the exact bytes it sent, and show --sent gives them back, without the key",
          "[e2e][docker][session]") {
  const std::string key = "AIzaSySessionE2Efake0123456789abcdefghi";
  FakeGemini gemini{FakeGeminiOptions{key}};
  Project p({"--gemini.endpoint", gemini.endpoint(), "--ca-file", gemini.ca_file()});
  Terminal t(p.socket(), "pts/11");
  const auto submitted = p.submit_view(t, key);
  CHECK(submitted.at("planner") == "gemini");
  const std::string id(submitted.at("session_id").as_string());
  t.attach(id);
  t.next("approval_needed");
  const auto shown = t.ok("show", {{"session_id", id}, {"sent", true}});
  std::vector<std::string> sent;
  for (const auto& r : shown.at("sent").as_array()) sent.emplace_back(r.at("body").as_string());
  std::vector<std::string> received;
  for (const auto& r : gemini.requests()) {
    if (r.method == "POST") received.push_back(r.body);
  }
  REQUIRE_FALSE(sent.empty());
  CHECK(sent == received);  // byte for byte, in order
  for (const auto& body : sent) CHECK(body.find(key) == std::string::npos);
  // The session's containers never see the key: not in their environment, command or labels.
  const auto listed =
      run_process({"/usr/bin/docker", "ps", "-aq", "--filter", "label=org.gdp.session=" + id});
  REQUIRE(listed.exit_code == 0);
  std::vector<std::string> inspect{"/usr/bin/docker", "inspect"};
  std::istringstream ids(listed.out);
  for (std::string c; ids >> c;) inspect.push_back(c);
  if (inspect.size() > 2) {
    const auto details = run_process(inspect);
    REQUIRE(details.exit_code == 0);
    CHECK(details.out.find(key) == std::string::npos);
  }
  t.ok("cancel", {{"session_id", id}});
  // Nothing the session left on disk holds the key.
  for (const auto& e : fs::recursive_directory_iterator(p.dir.path())) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    CHECK(bytes.find(key) == std::string::npos);
  }
}

TEST_CASE("the store's cap evicts the oldest finished sessions first, never the active one",
          "[e2e][docker][session]") {
  Project p({"--store.max-mb", "0.25"});
  Terminal t(p.socket(), "pts/12");
  std::vector<std::string> order;
  std::set<std::string> gone;
  for (int i = 0; i < 12 && gone.size() < 2; ++i) {
    const auto id = p.submit(t);
    order.push_back(id);
    t.attach(id);
    t.next("approval_needed");
    // While this one is active, none of the listed sessions is it missing.
    std::set<std::string> listed;
    const auto status = t.ok("status", {});
    for (const auto& s : status.at("sessions").as_array()) listed.emplace(s.at("session_id").as_string());
    REQUIRE(listed.count(id) == 1);
    t.ok("cancel", {{"session_id", id}});
    t.ok("detach", {{"session_id", id}});
    gone.clear();
    for (const auto& s : order) {
      if (!fs::exists(p.project / ".gemini-processor" / "sessions" / s)) gone.insert(s);
    }
    // What is gone is always the oldest: a prefix of the order.
    for (std::size_t k = 0; k < gone.size(); ++k) CHECK(gone.count(order[k]) == 1);
  }
  REQUIRE(gone.size() >= 2);  // the cap was reached, and evicted
  t.ok("ping", {});           // the listing catches up on the loop
  std::set<std::string> listed;
  const auto status = t.ok("status", {});
  for (const auto& s : status.at("sessions").as_array()) listed.emplace(s.at("session_id").as_string());
  for (const auto& s : gone) CHECK(listed.count(s) == 0);
  CHECK(error_code(t.call("status", {{"session_id", *gone.begin()}})) != 0);
}

TEST_CASE("every open project's store is backed up on the configured schedule", "[e2e][docker][session]") {
  Project p({"--store.backup-hours", "0.0005"});  // every 1.8 s
  Terminal t(p.socket(), "pts/13");
  const auto id = p.submit(t);
  const auto backups = p.project / ".gemini-processor" / "backups";
  for (int i = 0; i < 100 && (!fs::exists(backups) || fs::is_empty(backups)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(fs::exists(backups));
  CHECK_FALSE(fs::is_empty(backups));
  t.ok("cancel", {{"session_id", id}});
}

// The Docker CLI's answer, split into words (ids).
std::vector<std::string> docker_words(std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/docker");
  const auto r = run_process(args);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> out;
  std::istringstream words(r.out);
  for (std::string w; words >> w;) out.push_back(w);
  return out;
}

TEST_CASE(
    "a script that needs a package gets its own approved package step: a real install, killed in "
    "planning and while installing, resumed, and the script runs on the new image without network",
    "[e2e][docker][session][packages]") {
  // A real install every time: the derived image an earlier run left is removed first.
  const std::string label = "label=org.gdp.packages=python3-tabulate";
  for (const auto& image : docker_words({"images", "-q", "--filter", label})) {
    (void)run_process({"/usr/bin/docker", "rmi", "-f", image});
  }
  const std::string key = "AIzaSyPackageE2Efake0123456789abcdefghi";
  FakeGemini gemini{FakeGeminiOptions{key}};
  Project p({"--gemini.endpoint", gemini.endpoint(), "--ca-file", gemini.ca_file()});
  const json::object script{
      {"description", "Prints a small table with the tabulate library and saves it."},
      {"content",
       "from tabulate import tabulate\n\ntable = tabulate([['north', 3], ['south', 5]], headers=['region', "
       "'orders'])\nprint(table)\nwith open('/data/output/table.txt', 'w') as out:\n    out.write(table)\n"},
      {"required_packages", json::array{"tabulate", "csv"}},  // csv is Python's own: never installed
      {"input_files", json::array{}},
      {"output_files", json::array{"/data/output/table.txt"}},
      {"estimated_runtime", 5}};
  const auto proposal = json::serialize(json::object{{"done", false}, {"script", script}});
  gemini.push(FakeReply::analysis());
  gemini.push(FakeReply::text(proposal).delay(std::chrono::seconds(30)));  // still planning when killed
  const auto id = submitted_until(p, key, "pts/21", "planning");
  // 1. Killed while the planner is asked: nothing was stored, so resume asks again.
  p.kill9();
  gemini.push(FakeReply::text(proposal));
  p.start();
  std::int64_t install_step = 0;
  {
    Terminal t(p.socket(), "pts/21");
    resume_and_follow(t, id, {{"api_key", key}});
    const auto pending = t.next("approval_needed").at("pending").as_object();
    CHECK(pending.at("kind") == "packages");
    const std::string content(pending.at("script").at("content").as_string());
    CHECK(content.find("python3-tabulate") != std::string::npos);
    CHECK(content.find("python3-csv") == std::string::npos);
    install_step = pending.at("step").as_int64();
    // Nothing installs before the approval.
    CHECK(docker_words({"images", "-q", "--filter", label}).empty());
    t.ok("approve", {{"session_id", id}, {"step", install_step}});
    t.next("step_started");
  }
  // 2. Killed while apt runs: the approval stands and the install runs again from the start.
  p.kill9();
  p.start();
  Terminal t(p.socket(), "pts/21");
  resume_and_follow(t, id, {{"api_key", key}});
  const auto installed = t.next("step_finished");
  CHECK(step_of(installed) == install_step);
  CHECK(installed.at("result").at("success") == true);
  for (const auto& e : t.seen) CHECK(!(e.at("kind") == "approval_needed" && e.at("step") == install_step));
  const auto images = docker_words({"images", "-q", "--filter", label});
  CHECK(images.size() == 1);
  // 3. The script itself, approved on its own, on the derived image, still without network.
  const auto pending = t.next("approval_needed").at("pending").as_object();
  CHECK(pending.at("kind") == "script");
  const auto script_step = pending.at("step").as_int64();
  CHECK(script_step == install_step + 1);
  for (const auto& c : docker_words({"ps", "-q", "--filter", "label=org.gdp.session=" + id})) {
    const auto inspect = run_process({"/usr/bin/docker", "inspect", "--format",
                                      "{{.HostConfig.NetworkMode}} {{.Config.User}} {{.Config.Env}}", c});
    REQUIRE(inspect.exit_code == 0);
    CHECK(inspect.out.starts_with("none "));
    CHECK(inspect.out.find(key) == std::string::npos);
  }
  gemini.push(FakeReply::text(R"({"done": true})"));
  t.ok("approve", {{"session_id", id}, {"step", script_step}});
  const auto ran = t.next("step_finished");
  CHECK(ran.at("result").at("success") == true);
  CHECK(std::string(ran.at("result").at("output_data").as_string()).find("north") != std::string::npos);
  CHECK(t.next("finished").at("status") == "completed");
  CHECK(starts_of(t, id, install_step) == 2);  // before the kill, and once after it
  CHECK(starts_of(t, id, script_step) == 1);
  // Nothing of the session is left running or stopped, and no container ever saw the key.
  CHECK(docker_words({"ps", "-aq", "--filter", "label=org.gdp.session=" + id}).empty());
}

TEST_CASE("gdpd killed during the analysis and during validation: resume asks again and keeps one step",
          "[e2e][docker][session]") {
  const std::string key = "AIzaSyAnalysisE2Efake0123456789abcdefgh";
  FakeGemini gemini{FakeGeminiOptions{key}};
  Project p({"--gemini.endpoint", gemini.endpoint(), "--ca-file", gemini.ca_file()});
  gemini.push(FakeReply::analysis().delay(std::chrono::seconds(30)));
  const auto id = submitted_until(p, key, "pts/31", "analysis");
  // 1. Killed while the planner analyses: no analysis was stored, so it is asked for again. The
  // queue is empty now, so the fake answers with its fixtures: an analysis, then a script.
  p.kill9();
  p.start();
  {
    Terminal t(p.socket(), "pts/31");
    resume_and_follow(t, id, {{"api_key", key}});
    // 2. Killed as soon as the script is being validated (if validation wins the race, the step is
    // already stored and waits; either way there must be exactly one step 1 afterwards).
    t.next_in("validating");
  }
  p.kill9();
  p.start();
  Terminal t(p.socket(), "pts/31");
  resume_and_follow(t, id, {{"api_key", key}});
  const auto pending = t.next("approval_needed").at("pending").as_object();
  CHECK(pending.at("step") == 1);
  CHECK(pending.at("version") == 1);
  const auto view = status_of(t, id);
  CHECK(view.at("steps").as_array().size() == 1);
  std::size_t analyses = 0;
  for (const auto& r : gemini.requests()) {
    if (r.method != "POST") continue;
    // The answer a request asks for is in its responseSchema: a script request's has "done".
    const auto schema = json::parse(r.body).at("generationConfig").at("responseSchema");
    if (!schema.at("properties").as_object().contains("done")) ++analyses;
  }
  // The one after resume, and the one the kill cut off if the fake got to record it (it records a
  // request when it answers, 30 s late); never one after the analysis was stored.
  CHECK(analyses >= 1);
  CHECK(analyses <= 2);
  gemini.push(FakeReply::text(R"({"done": true})"));
  t.ok("deny", {{"session_id", id}, {"step", 1}});
  CHECK(t.next("finished").at("status") == "completed");
}

// Where `needle` occurs in the writable memory of process `pid` (needs root or a dumpable
// process): the number of places.
std::size_t occurrences_in_memory(pid_t pid, const std::string& needle) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  const int mem = open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY);
  REQUIRE(mem >= 0);
  std::size_t found = 0;
  for (std::string line; std::getline(maps, line);) {
    std::istringstream fields(line);
    std::string range, perms;
    fields >> range >> perms;
    if (perms.size() < 2 || perms[1] != 'w') continue;
    const auto dash = range.find('-');
    const auto from = std::stoull(range.substr(0, dash), nullptr, 16);
    const auto to = std::stoull(range.substr(dash + 1), nullptr, 16);
    std::string bytes(to - from, '\0');
    const auto n = pread(mem, bytes.data(), bytes.size(), static_cast<off_t>(from));
    if (n <= 0) continue;
    bytes.resize(static_cast<std::size_t>(n));
    for (auto at = bytes.find(needle); at != std::string::npos; at = bytes.find(needle, at + 1)) {
      ++found;
      const auto before = bytes.substr(at >= 48 ? at - 48 : 0, std::min<std::size_t>(at, 48));
      std::string shown;
      for (char c : before) shown += (c >= 32 && c < 127) ? c : '.';
      UNSCOPED_INFO("found at " << std::hex << (from + at) << std::dec << " after: " << shown);
    }
  }
  close(mem);
  return found;
}

// Every file under `root` that holds `needle`.
std::vector<std::string> files_holding(const fs::path& root, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (bytes.find(needle) != std::string::npos) out.push_back(e.path().string());
  }
  return out;
}

TEST_CASE(
    "Properties 13 and 21 across sessions that complete, fail and are killed: the key is in no "
    "file, log, database, container or answer, and gone from gdpd's memory once its sessions end",
    "[e2e][docker][session][keys][Property 13][Property 21]") {
  const std::string key = "AIzaSyEverywhereE2Efake0123456789abcdef";
  FakeGemini gemini{FakeGeminiOptions{key}};
  Project p({"--gemini.endpoint", gemini.endpoint(), "--ca-file", gemini.ca_file()});
  std::vector<std::string> inspected;  // docker inspect of every container a session had
  auto inspect_session = [&](const std::string& id) {
    for (const auto& c : docker_words({"ps", "-aq", "--filter", "label=org.gdp.session=" + id})) {
      const auto r = run_process({"/usr/bin/docker", "inspect", c});
      if (r.exit_code == 0) inspected.push_back(r.out);
    }
  };
  auto submit = [&](Terminal& t) { return p.submit(t, key); };
  std::vector<std::string> ids;
  std::vector<std::string> answers;  // every reply and event the terminals got
  {
    Terminal t(p.socket(), "pts/41");
    // 1. Completes: its one step runs (and fails: the fixture's script reads a file that is not
    // there), then the planner says done.
    ids.push_back(submit(t));
    t.attach(ids.back());
    t.next("approval_needed");
    inspect_session(ids.back());
    gemini.push(FakeReply::text(R"({"done": true})"));
    t.ok("approve", {{"session_id", ids.back()}});
    CHECK(t.next("finished").at("status") == "completed");
    for (const auto& e : t.seen) answers.push_back(json::serialize(e));
    // 2. Fails: the daily quota is spent while it plans.
    Terminal u(p.socket(), "pts/42");
    gemini.push(FakeReply::analysis());
    gemini.push(FakeReply::fault(FakeFault::quota_per_day));
    ids.push_back(submit(u));
    u.attach(ids.back());
    const auto failed = u.next("finished");
    CHECK(failed.at("status") == "failed");
    for (const auto& e : u.seen) answers.push_back(json::serialize(e));
    inspect_session(ids.back());
    // Both ended: the key is nowhere in gdpd's memory (its sessions' copies were wiped, and no
    // request buffer kept one).
    CHECK(occurrences_in_memory(p.daemon->pid(), key) == 0);
    // 3. Killed while its step waits.
    Terminal v(p.socket(), "pts/43");
    ids.push_back(submit(v));
    v.attach(ids.back());
    v.next("approval_needed");
    for (const auto& e : v.seen) answers.push_back(json::serialize(e));
  }
  const auto first_log = p.daemon->log();
  p.kill9();
  inspect_session(ids.back());  // its container outlived gdpd
  REQUIRE_FALSE(inspected.empty());
  p.start();
  {
    Terminal t(p.socket(), "pts/44");
    for (const auto& id : ids) {
      answers.push_back(json::serialize(t.ok("status", {{"session_id", id}})));
      answers.push_back(json::serialize(t.ok("log", {{"session_id", id}})));
      // What was stored compressed is read back decompressed here: a byte search of the database
      // file alone could miss a key inside a zstd frame.
      answers.push_back(json::serialize(t.ok("show", {{"session_id", id}, {"sent", true}})));
    }
  }
  for (const auto& text : inspected) CHECK(text.find(key) == std::string::npos);
  for (const auto& text : answers) CHECK(text.find(key) == std::string::npos);
  CHECK(first_log.find(key) == std::string::npos);
  CHECK(files_holding(p.dir.path(), key).empty());  // state dir, gdpd's log, the project's store,
                                                    // backups, session folders and results
}

TEST_CASE("a planner's wait after a 429 reaches every attached terminal, with its countdown",
          "[e2e][docker][session]") {
  const std::string key = "AIzaSyWaitingE2Efake0123456789abcdefghi";
  FakeGemini gemini{FakeGeminiOptions{key}};
  Project p({"--gemini.endpoint", gemini.endpoint(), "--ca-file", gemini.ca_file()});
  gemini.push(FakeReply::analysis());
  gemini.push(FakeReply::fault(FakeFault::rate_limit));  // 429, RetryInfo retryDelay "2s"
  Terminal a(p.socket(), "pts/51");
  Terminal b(p.socket(), "pts/52");
  const auto id = p.submit(a, key);
  a.attach(id);
  b.attach(id);
  for (Terminal* t : {&a, &b}) {
    const auto wait = t->next("planner_waiting");
    CHECK(wait.at("delay_seconds").to_number<double>() >= 1.0);  // the server's 2 s, with jitter
    CHECK(wait.at("phase") == "planning");
    CHECK(std::string(wait.at("message").as_string()).find("429") != std::string::npos);
    t->next("approval_needed");  // the retry got the script
  }
  a.ok("cancel", {{"session_id", id}});
}
