// The context store's edges: damaged files, newer schemas, refusals, backups, the codec.
#include "daemon/store/context_store.h"
#include "common/errors.h"
#include "daemon/store/codec.h"
#include "daemon/store/sqlite.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <fstream>

namespace {

namespace fs = std::filesystem;
using namespace gdp;
using store::ContextStore;

store::NewSession new_session(const fs::path& project) {
  return {project / "in.csv", "ab", "builtin", {}};
}

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const RpcError& e) {
    return e.code();
  }
  FAIL("no RpcError thrown");
  return ErrorCode::InternalError;
}

void overwrite(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace

TEST_CASE("a new store is created with the current schema, in a folder only the user can enter") {
  test::TempDir dir;
  auto s = ContextStore::open(dir.path());
  CHECK(s.schema_version() == ContextStore::kSchemaVersion);
  CHECK(s.notices().empty());
  CHECK((fs::status(s.paths().root()).permissions() & fs::perms::all) == fs::perms::owner_all);
  const auto record = s.create_session(new_session(dir.path()));
  for (const char* sub : {"input", "output", "intermediate", "logs"}) {
    CHECK(fs::is_directory(s.paths().session(record.session_id) / sub));
  }
  CHECK(record.status == proto::SessionStatus::active);
  CHECK(record.input_relative == "in.csv");
}

TEST_CASE("a damaged store is set aside and the newest backup restored, with a notice") {
  test::TempDir dir;
  std::string kept, lost;
  {
    auto s = ContextStore::open(dir.path());
    kept = s.create_session(new_session(dir.path())).session_id;
    s.backup();
    lost = s.create_session(new_session(dir.path())).session_id;
  }
  overwrite(dir.path() / ".gemini-processor" / "context.db", std::string(8192, 'x'));
  auto s = ContextStore::open(dir.path());
  REQUIRE(s.notices().size() == 1);
  CHECK_THAT(s.notices()[0], Catch::Contains("damaged") && Catch::Contains("restored"));
  CHECK_NOTHROW(s.session(kept));
  CHECK(code_of([&] { s.session(lost); }) == ErrorCode::SessionNotFound);
  bool set_aside = false;
  for (const auto& e : fs::directory_iterator(s.paths().root())) {
    set_aside |= e.path().filename().string().rfind("context.db.corrupt-", 0) == 0;
  }
  CHECK(set_aside);
}

TEST_CASE("a damaged store without a backup starts afresh and says so") {
  test::TempDir dir;
  fs::create_directories(dir.path() / ".gemini-processor");
  overwrite(dir.path() / ".gemini-processor" / "context.db", "SQLite format 3" + std::string(4096, '\x01'));
  auto s = ContextStore::open(dir.path());
  REQUIRE(s.notices().size() == 1);
  CHECK_THAT(s.notices()[0], Catch::Contains("starts afresh"));
  CHECK(s.sessions().empty());
}

TEST_CASE("a store written by a newer gdp is refused, not downgraded") {
  test::TempDir dir;
  { ContextStore::open(dir.path()); }
  {
    store::Database db(dir.path() / ".gemini-processor" / "context.db", false);
    db.exec("PRAGMA user_version = 99");
  }
  try {
    ContextStore::open(dir.path());
    FAIL("opened");
  } catch (const RpcError& e) {
    CHECK(e.code() == ErrorCode::Transaction);
    CHECK_THAT(e.what(), Catch::Contains("newer gdp") && Catch::Contains("99"));
  }
}

TEST_CASE("an active session cannot be removed, unknown sessions and script versions are named") {
  test::TempDir dir;
  auto s = ContextStore::open(dir.path());
  const auto id = s.create_session(new_session(dir.path())).session_id;
  CHECK(code_of([&] { s.remove_session(id); }) == ErrorCode::InvalidState);
  CHECK(code_of([&] { s.session("nope"); }) == ErrorCode::SessionNotFound);
  CHECK(code_of([&] { s.store_analysis("nope", {}); }) == ErrorCode::SessionNotFound);
  CHECK(code_of([&] {
          s.record_decision(id, {3, 1, store::DecisionKind::approve, std::nullopt, {1, ""}, {}, {}});
        }) == ErrorCode::InvalidState);
  s.set_status(id, proto::SessionStatus::cancelled);
  s.remove_session(id);
  CHECK(!fs::exists(s.paths().session(id)));
  CHECK(s.sessions().empty());
}

TEST_CASE("every script version is kept, and a decision records the hash of the version decided on") {
  test::TempDir dir;
  auto s = ContextStore::open(dir.path());
  const auto id = s.create_session(new_session(dir.path())).session_id;
  proto::ProcessingScript script;
  script.content = "print(1)\n";
  CHECK(s.add_script(id, 1, script, store::ScriptOrigin::planner, std::nullopt) == 1);
  script.content = "print(2)\n";
  proto::ValidationResult checked;
  checked.is_valid = true;
  CHECK(s.add_script(id, 1, script, store::ScriptOrigin::edit, checked) == 2);
  s.record_decision(id, {1, 2, store::DecisionKind::deny, "too slow", {7, "/dev/pts/3"}, {}, {}});
  const auto versions = s.scripts(id);
  REQUIRE(versions.size() == 2);
  CHECK(versions[1].origin == store::ScriptOrigin::edit);
  CHECK(versions[1].validation.has_value());
  CHECK(!versions[0].validation.has_value());
  const auto decisions = s.decisions(id);
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].content_sha256 == versions[1].content_sha256);
  CHECK(decisions[0].content_sha256 != versions[0].content_sha256);
  CHECK(decisions[0].reason == "too slow");
  CHECK(decisions[0].by.tty == "/dev/pts/3");
}

TEST_CASE("active sessions become abandoned at the next start, and history lists the others newest first") {
  test::TempDir dir;
  std::string first, second;
  {
    auto s = ContextStore::open(dir.path());
    first = s.create_session(new_session(dir.path())).session_id;
    second = s.create_session(new_session(dir.path())).session_id;
    s.set_status(first, proto::SessionStatus::completed);
  }
  auto s = ContextStore::open(dir.path());
  CHECK(s.mark_active_abandoned() == std::vector<std::string>{second});
  CHECK(s.session(second).status == proto::SessionStatus::abandoned);
  const auto third = s.create_session(new_session(dir.path())).session_id;
  const auto history = s.history(third, 10);
  REQUIRE(history.size() == 2);
  CHECK(history[0].first.session_id == second);
  CHECK(history[1].first.session_id == first);
}

TEST_CASE("backups are SQLite copies, and only the newest few are kept") {
  test::TempDir dir;
  store::StoreConfig config;
  config.keep_backups = 2;
  auto s = ContextStore::open(dir.path(), config);
  const auto id = s.create_session(new_session(dir.path())).session_id;
  fs::path last;
  for (int i = 0; i < 4; ++i) last = s.backup();
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(s.paths().backups())) ++count;
  CHECK(count == 2);
  store::Database copy(last, false);
  CHECK(copy.scalar("SELECT count(*) FROM sessions") == 1);
  (void)id;
}

TEST_CASE("the blob codec round-trips, compresses past the threshold and refuses damage") {
  const std::string small = "short";
  std::string large;
  for (int i = 0; i < 2000; ++i) large += "line " + std::to_string(i % 7) + "\n";
  CHECK(store::decode_blob(store::encode_blob(small)) == small);
  const auto packed = store::encode_blob(large);
  CHECK(packed.size() < large.size() / 4);
  CHECK(store::decode_blob(packed) == large);
  CHECK(code_of([] { store::decode_blob(""); }) == ErrorCode::Transaction);
  CHECK(code_of([] { store::decode_blob("q123"); }) == ErrorCode::Transaction);
  CHECK(code_of([&] { store::decode_blob(packed.substr(0, packed.size() / 2)); }) == ErrorCode::Transaction);
  CHECK(code_of([&] { store::decode_blob(packed, 100); }) == ErrorCode::Transaction);
}
