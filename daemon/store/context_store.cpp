#include "daemon/store/context_store.h"

#include "common/errors.h"
#include "common/wire.h"
#include "daemon/store/codec.h"
#include "daemon/store/hash.h"
#include "daemon/store/migrations.h"

#include <sys/stat.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <random>
#include <system_error>

namespace gdp::store {

namespace json = boost::json;

namespace {

std::tm utc(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm out{};
  gmtime_r(&seconds, &out);
  return out;
}

// 20261127T085500Z: for names that sort by time (session ids, set-aside and backup files).
std::string compact(std::chrono::system_clock::time_point t) {
  const std::tm tm = utc(t);
  std::array<char, 32> buffer{};
  return {buffer.data(), std::strftime(buffer.data(), buffer.size(), "%Y%m%dT%H%M%SZ", &tm)};
}

template <class T>
std::string to_blob(const T& value, std::size_t threshold) {
  return encode_blob(json::serialize(wire::to_json(value)), threshold);
}

template <class T>
T from_blob(const std::string& blob, std::string_view what) {
  const std::string text = decode_blob(blob);
  json::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) {
    throw RpcError(ErrorCode::Transaction, "a stored " + std::string(what) + " is not valid JSON (" +
                                               ec.message() +
                                               "); the store may be damaged: restore the project's backup");
  }
  try {
    return wire::from_json<T>(value, what);
  } catch (const std::exception& e) {
    throw RpcError(ErrorCode::Transaction,
                   "a stored " + std::string(what) + " does not match this gdp: " + e.what());
  }
}

// Sessions the cap may evict, in the order it evicts them: finished ones oldest first, then
// abandoned ones (a user might still resume those), never an active one.
constexpr std::string_view kEvictionOrder = R"sql(
SELECT id FROM sessions WHERE status <> 'active'
ORDER BY CASE status WHEN 'abandoned' THEN 1 ELSE 0 END, seq LIMIT 1)sql";

void configure(Database& db, bool durable) {
  // foreign_keys is per connection; the others persist but are cheap to say again.
  db.exec("PRAGMA foreign_keys = ON");
  // WAL lets `gdp status` read while a step's result is being written. journal_size_limit makes
  // a checkpoint shrink the WAL file back, so the cap's count of it stays honest.
  const std::string mode = db.text_scalar("PRAGMA journal_mode = WAL");
  if (mode != "wal") {
    throw RpcError(ErrorCode::Transaction, "the project's store could not switch to WAL mode (it is '" +
                                               mode + "'); is the project on a network file system?");
  }
  db.exec(durable ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = OFF");
  db.exec("PRAGMA journal_size_limit = 1048576");
}

std::string size_text(std::uint64_t bytes) {
  if (bytes >= (std::uint64_t{10} << 20)) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes >> 10) + " KiB";
}

bool healthy(Database& db) {
  return db.text_scalar("PRAGMA quick_check") == "ok";
}

void rename_if_exists(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (fs::exists(from, ec)) fs::rename(from, to, ec);
}

}  // namespace

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::tm tm = utc(t);
  std::array<char, 32> buffer{};
  return {buffer.data(), std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &tm)};
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  std::tm tm{};
  const std::string copy(text);
  const char* end = strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

ContextStore::ContextStore(ProjectPaths paths, StoreConfig config, Database db)
    : paths_(std::move(paths)), config_(std::move(config)), db_(std::move(db)) {}

ContextStore ContextStore::open(const fs::path& project_dir, StoreConfig config) {
  if (!config.now) config.now = [] { return std::chrono::system_clock::now(); };
  ProjectPaths paths{fs::absolute(project_dir).lexically_normal()};
  std::error_code ec;
  fs::create_directories(paths.root(), ec);
  if (ec) {
    throw RpcError(ErrorCode::FileSystem, "cannot create " + paths.root().string() + ": " + ec.message() +
                                              "; check that the project folder is writable");
  }
  // History may hold masked samples and scripts: the user's alone, like the socket.
  ::chmod(paths.root().c_str(), 0700);

  std::vector<std::string> notices;
  auto try_open = [&]() -> std::optional<Database> {
    try {
      Database db(paths.database(), true);
      configure(db, config.durable);
      if (healthy(db)) return db;
    } catch (const RpcError&) {  // NOLINT(bugprone-empty-catch): a damaged file is handled below
    }
    return std::nullopt;
  };

  std::optional<Database> db = try_open();
  if (!db) {
    // Set the damaged file aside (never delete what might be recoverable by hand) and restore
    // the newest backup, saying so.
    const std::string stamp = compact(config.now());
    const fs::path aside = paths.root() / ("context.db.corrupt-" + stamp);
    rename_if_exists(paths.database(), aside);
    rename_if_exists(fs::path(paths.database()) += "-wal", fs::path(aside) += "-wal");
    std::filesystem::remove(fs::path(paths.database()) += "-shm", ec);
    std::vector<fs::path> backups;
    for (const auto& entry : fs::directory_iterator(paths.backups(), ec)) backups.push_back(entry.path());
    std::sort(backups.begin(), backups.end());
    std::string restored;
    while (!backups.empty() && restored.empty()) {
      fs::copy_file(backups.back(), paths.database(), fs::copy_options::overwrite_existing, ec);
      if (!ec && (db = try_open())) {
        restored = backups.back().filename().string();
      } else {
        db.reset();
        fs::remove(paths.database(), ec);
        backups.pop_back();
      }
    }
    if (!db) db = try_open();
    if (!db) {
      throw RpcError(ErrorCode::FileSystem, "cannot create a new store at " + paths.database().string() +
                                                "; check the disk and the folder's permissions");
    }
    notices.push_back(
        paths.database().string() + " was damaged (it failed SQLite's integrity check); it was moved to " +
        aside.filename().string() +
        (restored.empty() ? " and no backup was found, so the project's history starts afresh"
                          : " and the backup " + restored +
                                " was restored: sessions after that backup are missing from the history"));
  }

  ContextStore store(std::move(paths), std::move(config), std::move(*db));
  store.notices_ = std::move(notices);
  store.migrate();
  return store;
}

std::int64_t ContextStore::schema_version() {
  return db_.scalar("PRAGMA user_version");
}

void ContextStore::migrate() {
  const std::int64_t version = schema_version();
  const auto all = migrations();
  const auto latest = static_cast<std::int64_t>(all.size());
  if (version > latest) {
    throw RpcError(ErrorCode::Transaction, paths_.database().string() +
                                               " was written by a newer gdp (schema " +
                                               std::to_string(version) + ", this gdp knows up to " +
                                               std::to_string(latest) + "); update gdp to open this project");
  }
  if (version == latest) return;
  if (version == 0) {
    // Must precede the first table: SQLite fixes auto_vacuum when the database is created. It is
    // what lets eviction give pages back to the file system (incremental_vacuum) cheaply.
    db_.exec("PRAGMA auto_vacuum = INCREMENTAL");
  } else {
    notices_.push_back("the project's store was upgraded from schema " + std::to_string(version) +
                       "; a backup is at " + backup().string());
  }
  for (std::int64_t v = version + 1; v <= latest; ++v) {
    Transaction tx(db_);
    db_.exec(all[static_cast<std::size_t>(v - 1)]);
    db_.exec("PRAGMA user_version = " + std::to_string(v));
    tx.commit();
  }
}

std::string ContextStore::now_text() const {
  return rfc3339(config_.now());
}

std::string ContextStore::relative(const fs::path& absolute) const {
  return fs::absolute(absolute).lexically_normal().lexically_relative(paths_.project).generic_string();
}

fs::path ContextStore::absolute(const std::string& relative) const {
  return (paths_.project / relative).lexically_normal();
}

void ContextStore::require_session(const std::string& id) {
  Statement stmt = db_.prepare("SELECT 1 FROM sessions WHERE id = ?");
  stmt.bind(1, id);
  if (!stmt.step()) {
    throw RpcError(ErrorCode::SessionNotFound, "no session " + id + " in " + paths_.project.string() +
                                                   "; `gdp status` lists this project's sessions");
  }
}

SessionRecord ContextStore::create_session(const NewSession& session) {
  static std::atomic<std::uint64_t> counter{0};
  const auto now = config_.now();
  // {timestamp}_{hash}: sorts by time, and the hash part (input, time, a counter and randomness)
  // keeps two submits in the same second apart.
  std::random_device random;
  const std::string seed = session.input_file.string() + '\n' +
                           std::to_string(now.time_since_epoch().count()) + '\n' + std::to_string(counter++) +
                           '\n' + std::to_string(random());
  const std::string id = compact(now) + "_" + sha256_hex(seed).substr(0, 8);
  const fs::path output =
      session.output_directory.empty() ? paths_.project / "output" : session.output_directory;

  make_room(4096);
  std::error_code ec;
  for (const char* sub : {"input", "output", "intermediate", "logs"}) {
    fs::create_directories(paths_.session(id) / sub, ec);
    if (ec) {
      throw RpcError(ErrorCode::FileSystem, "cannot create " + (paths_.session(id) / sub).string() + ": " +
                                                ec.message() +
                                                "; check the project folder's permissions and free space");
    }
  }
  const std::string stamp = now_text();
  Transaction tx(db_);
  db_.prepare(
         "INSERT INTO sessions (id, input_file, input_sha256, output_directory, planner, status, created_at, "
         "last_accessed) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)")
      .bind(1, id)
      .bind(2, relative(session.input_file))
      .bind(3, session.input_sha256)
      .bind(4, relative(output))
      .bind(5, session.planner)
      .bind(6, stamp)
      .bind(7, stamp)
      .run();
  tx.commit();
  settle();
  return this->session(id);
}

SessionRecord ContextStore::session(const std::string& id) {
  Statement stmt = db_.prepare(
      "SELECT id, input_file, input_sha256, output_directory, planner, status, failure, created_at, "
      "last_accessed "
      "FROM sessions WHERE id = ?");
  stmt.bind(1, id);
  if (!stmt.step()) require_session(id);  // throws SessionNotFound
  SessionRecord r;
  r.session_id = stmt.text(0);
  r.input_relative = stmt.text(1);
  r.input_file = absolute(r.input_relative);
  r.input_sha256 = stmt.text(2);
  r.output_directory = absolute(stmt.text(3));
  r.planner = stmt.text(4);
  r.status = wire::from_json<proto::SessionStatus>(json::value(stmt.text(5)), "status");
  r.failure = stmt.optional_text(6);
  r.created_at = stmt.text(7);
  r.last_accessed = stmt.text(8);
  Statement cp = db_.prepare("SELECT step FROM checkpoints WHERE session_id = ? ORDER BY step");
  cp.bind(1, id);
  while (cp.step()) r.checkpoints.push_back(cp.integer(0));
  return r;
}

std::vector<proto::SessionSummary> ContextStore::sessions() {
  std::vector<proto::SessionSummary> out;
  Statement stmt = db_.prepare(
      "SELECT s.id, s.input_file, s.status, s.created_at, s.last_accessed, "
      "(SELECT count(*) FROM checkpoints c WHERE c.session_id = s.id) FROM sessions s ORDER BY s.seq");
  while (stmt.step()) {
    proto::SessionSummary s;
    s.session_id = stmt.text(0);
    s.project = paths_.project.string();
    s.input_file = absolute(stmt.text(1)).string();
    s.status = wire::from_json<proto::SessionStatus>(json::value(stmt.text(2)), "status");
    s.created_at = stmt.text(3);
    s.last_accessed = stmt.text(4);
    s.steps_done = stmt.integer(5);
    out.push_back(std::move(s));
  }
  return out;
}

void ContextStore::set_status(const std::string& id, proto::SessionStatus status,
                              const std::optional<std::string>& failure) {
  Transaction tx(db_);
  Statement stmt = db_.prepare("UPDATE sessions SET status = ?, failure = ?, last_accessed = ? WHERE id = ?");
  stmt.bind(1, json::value_to<std::string>(wire::to_json(status)))
      .bind(2, failure)
      .bind(3, now_text())
      .bind(4, id)
      .run();
  if (db_.changes() == 0) require_session(id);
  tx.commit();
  settle();
}

std::vector<std::string> ContextStore::mark_active_abandoned() {
  std::vector<std::string> ids;
  Transaction tx(db_);
  Statement stmt =
      db_.prepare("UPDATE sessions SET status = 'abandoned' WHERE status = 'active' RETURNING id");
  while (stmt.step()) ids.push_back(stmt.text(0));
  tx.commit();
  settle();
  std::sort(ids.begin(), ids.end());
  return ids;
}

void ContextStore::store_snapshot(const std::string& id, const proto::DataSnapshot& snapshot) {
  const std::string blob = to_blob(snapshot, config_.compress_threshold);
  make_room(blob.size());
  Transaction tx(db_);
  require_session(id);
  db_.prepare("INSERT OR REPLACE INTO snapshots (session_id, body) VALUES (?, ?)")
      .bind(1, id)
      .bind_blob(2, blob)
      .run();
  tx.commit();
  settle();
}

std::optional<proto::DataSnapshot> ContextStore::snapshot(const std::string& id) {
  require_session(id);
  Statement stmt = db_.prepare("SELECT body FROM snapshots WHERE session_id = ?");
  stmt.bind(1, id);
  if (!stmt.step()) return std::nullopt;
  return from_blob<proto::DataSnapshot>(stmt.blob(0), "snapshot");
}

void ContextStore::store_analysis(const std::string& id, const proto::DataAnalysis& analysis) {
  const std::string blob = to_blob(analysis, config_.compress_threshold);
  make_room(blob.size());
  Transaction tx(db_);
  require_session(id);
  db_.prepare("INSERT OR REPLACE INTO analyses (session_id, body, created_at) VALUES (?, ?, ?)")
      .bind(1, id)
      .bind_blob(2, blob)
      .bind(3, now_text())
      .run();
  tx.commit();
  settle();
}

std::optional<proto::DataAnalysis> ContextStore::analysis(const std::string& id) {
  require_session(id);
  Statement stmt = db_.prepare("SELECT body FROM analyses WHERE session_id = ?");
  stmt.bind(1, id);
  if (!stmt.step()) return std::nullopt;
  return from_blob<proto::DataAnalysis>(stmt.blob(0), "analysis");
}

std::int64_t ContextStore::add_script(const std::string& id, std::int64_t step,
                                      const proto::ProcessingScript& script, ScriptOrigin origin,
                                      const std::optional<proto::ValidationResult>& validation) {
  const std::string body = to_blob(script, config_.compress_threshold);
  std::optional<std::string> checked;
  if (validation) checked = to_blob(*validation, config_.compress_threshold);
  make_room(body.size() + (checked ? checked->size() : 0));
  Transaction tx(db_);
  require_session(id);
  const std::int64_t version = next_number(
      "SELECT coalesce(max(version), 0) + 1 FROM scripts WHERE session_id = ? AND step = ?", id, step);
  Statement insert = db_.prepare(
      "INSERT INTO scripts (session_id, step, version, origin, body, validation, content_sha256, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, id).bind(2, step).bind(3, version);
  insert.bind(4, json::value_to<std::string>(wire::to_json(origin))).bind_blob(5, body);
  if (checked) {
    insert.bind_blob(6, *checked);
  } else {
    insert.bind_null(6);
  }
  insert.bind(7, sha256_hex(script.content)).bind(8, now_text()).run();
  tx.commit();
  settle();
  return version;
}

std::vector<ScriptVersion> ContextStore::scripts(const std::string& id) {
  require_session(id);
  std::vector<ScriptVersion> out;
  Statement stmt = db_.prepare(
      "SELECT step, version, origin, body, validation, content_sha256, created_at FROM scripts "
      "WHERE session_id = ? ORDER BY step, version");
  stmt.bind(1, id);
  while (stmt.step()) {
    ScriptVersion v;
    v.step = stmt.integer(0);
    v.version = stmt.integer(1);
    v.origin = wire::from_json<ScriptOrigin>(json::value(stmt.text(2)), "origin");
    v.script = from_blob<proto::ProcessingScript>(stmt.blob(3), "script");
    if (!stmt.is_null(4)) v.validation = from_blob<proto::ValidationResult>(stmt.blob(4), "validation");
    v.content_sha256 = stmt.text(5);
    v.created_at = stmt.text(6);
    out.push_back(std::move(v));
  }
  return out;
}

void ContextStore::record_decision(const std::string& id, const DecisionRecord& d) {
  make_room(512 + (d.reason ? d.reason->size() : 0));
  Transaction tx(db_);
  // The decision is about the exact bytes the user saw: keep that version's hash with it.
  std::string hash;
  {
    Statement script =
        db_.prepare("SELECT content_sha256 FROM scripts WHERE session_id = ? AND step = ? AND version = ?");
    script.bind(1, id).bind(2, d.step).bind(3, d.version);
    if (!script.step()) {
      require_session(id);
      throw RpcError(ErrorCode::InvalidState, "session " + id + " has no script version " +
                                                  std::to_string(d.step) + "." + std::to_string(d.version) +
                                                  " to decide on");
    }
    hash = script.text(0);
  }
  db_.prepare(
         "INSERT INTO decisions (session_id, step, version, decision, reason, by_pid, by_tty, decided_at, "
         "content_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, id)
      .bind(2, d.step)
      .bind(3, d.version)
      .bind(4, json::value_to<std::string>(wire::to_json(d.decision)))
      .bind(5, d.reason)
      .bind(6, d.by.pid)
      .bind(7, d.by.tty)
      .bind(8, d.decided_at.empty() ? now_text() : d.decided_at)
      .bind(9, hash)
      .run();
  tx.commit();
  settle();
}

std::vector<DecisionRecord> ContextStore::decisions(const std::string& id) {
  require_session(id);
  std::vector<DecisionRecord> out;
  Statement stmt = db_.prepare(
      "SELECT step, version, decision, reason, by_pid, by_tty, decided_at, content_sha256 FROM decisions "
      "WHERE session_id = ? ORDER BY id");
  stmt.bind(1, id);
  while (stmt.step()) {
    DecisionRecord d;
    d.step = stmt.integer(0);
    d.version = stmt.integer(1);
    d.decision = wire::from_json<DecisionKind>(json::value(stmt.text(2)), "decision");
    d.reason = stmt.optional_text(3);
    d.by.pid = stmt.integer(4);
    d.by.tty = stmt.text(5);
    d.decided_at = stmt.text(6);
    d.content_sha256 = stmt.text(7);
    out.push_back(std::move(d));
  }
  return out;
}

void ContextStore::store_result(const std::string& id, const StepResult& r) {
  const std::string body = to_blob(r.result, config_.compress_threshold);
  make_room(body.size() + 256 * r.files.size());
  Transaction tx(db_);
  require_session(id);
  db_.prepare("INSERT INTO results (session_id, step, version, body) VALUES (?, ?, ?, ?)")
      .bind(1, id)
      .bind(2, r.step)
      .bind(3, r.version)
      .bind_blob(4, body)
      .run();
  Statement file =
      db_.prepare("INSERT INTO output_files (session_id, step, path, sha256, size) VALUES (?, ?, ?, ?, ?)");
  for (const OutputFile& f : r.files) {
    file.bind(1, id).bind(2, r.step).bind(3, f.path).bind(4, f.sha256).bind(5, f.size).run();
    file.reset();
  }
  // The checkpoint goes in the same transaction: after a crash a step either has its result and
  // checkpoint, or neither and runs again.
  db_.prepare("INSERT INTO checkpoints (session_id, step, at) VALUES (?, ?, ?)")
      .bind(1, id)
      .bind(2, r.step)
      .bind(3, now_text())
      .run();
  db_.prepare("UPDATE sessions SET last_accessed = ? WHERE id = ?").bind(1, now_text()).bind(2, id).run();
  tx.commit();
  settle();
}

std::vector<StepResult> ContextStore::results(const std::string& id) {
  require_session(id);
  std::vector<StepResult> out;
  Statement stmt = db_.prepare("SELECT step, version, body FROM results WHERE session_id = ? ORDER BY step");
  stmt.bind(1, id);
  Statement files = db_.prepare(
      "SELECT path, sha256, size FROM output_files WHERE session_id = ? AND step = ? ORDER BY path");
  while (stmt.step()) {
    StepResult r;
    r.step = stmt.integer(0);
    r.version = stmt.integer(1);
    r.result = from_blob<proto::ExecutionResult>(stmt.blob(2), "result");
    files.bind(1, id).bind(2, r.step);
    while (files.step()) r.files.push_back({files.text(0), files.text(1), files.integer(2)});
    files.reset();
    out.push_back(std::move(r));
  }
  return out;
}

void ContextStore::record_sent(const std::string& id, std::string_view method, std::string_view body) {
  const std::string blob = encode_blob(body, config_.compress_threshold);
  make_room(blob.size() + 128);
  Transaction tx(db_);
  require_session(id);
  const std::int64_t seq =
      next_number("SELECT coalesce(max(seq), 0) + 1 FROM sent_requests WHERE session_id = ?", id);
  db_.prepare("INSERT INTO sent_requests (session_id, seq, method, sent_at, body) VALUES (?, ?, ?, ?, ?)")
      .bind(1, id)
      .bind(2, seq)
      .bind(3, method)
      .bind(4, now_text())
      .bind_blob(5, blob)
      .run();
  tx.commit();
  settle();
}

std::vector<SentRequest> ContextStore::sent(const std::string& id) {
  require_session(id);
  std::vector<SentRequest> out;
  Statement stmt =
      db_.prepare("SELECT seq, method, sent_at, body FROM sent_requests WHERE session_id = ? ORDER BY seq");
  stmt.bind(1, id);
  while (stmt.step()) out.push_back({stmt.integer(0), stmt.text(1), stmt.text(2), decode_blob(stmt.blob(3))});
  return out;
}

std::vector<std::pair<SessionRecord, std::optional<proto::DataAnalysis>>> ContextStore::history(
    const std::string& except_id, std::size_t limit) {
  std::vector<std::string> ids;
  Statement stmt = db_.prepare("SELECT id FROM sessions WHERE id <> ? ORDER BY seq DESC LIMIT ?");
  stmt.bind(1, except_id).bind(2, static_cast<std::int64_t>(limit));
  while (stmt.step()) ids.push_back(stmt.text(0));
  std::vector<std::pair<SessionRecord, std::optional<proto::DataAnalysis>>> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) out.emplace_back(session(id), analysis(id));
  return out;
}

std::uint64_t ContextStore::live_bytes() {
  const std::int64_t page = db_.scalar("PRAGMA page_size");
  const std::int64_t pages = db_.scalar("PRAGMA page_count") - db_.scalar("PRAGMA freelist_count");
  std::error_code ec;
  const auto wal = fs::file_size(fs::path(paths_.database()) += "-wal", ec);
  return static_cast<std::uint64_t>(page * pages) + (ec ? 0 : wal);
}

proto::StorageStats ContextStore::usage() {
  proto::StorageStats stats;
  stats.total_size_mb = static_cast<double>(live_bytes()) / (1024.0 * 1024.0);
  stats.session_count = db_.scalar("SELECT count(*) FROM sessions");
  Statement oldest = db_.prepare("SELECT min(created_at) FROM sessions");
  if (oldest.step() && !oldest.is_null(0)) stats.oldest_session_date = oldest.text(0);
  const double cap = static_cast<double>(config_.cap_bytes) / (1024.0 * 1024.0);
  stats.available_space_mb = std::max(0.0, cap - stats.total_size_mb);
  return stats;
}

void ContextStore::remove_session(const std::string& id) {
  Transaction tx(db_);
  std::string state;
  {
    // Scoped: an unfinished statement would keep a read open, and the WAL could not be folded.
    Statement status = db_.prepare("SELECT status FROM sessions WHERE id = ?");
    status.bind(1, id);
    if (!status.step()) require_session(id);
    state = status.text(0);
  }
  if (state == "active") {
    throw RpcError(ErrorCode::InvalidState,
                   "session " + id + " is active; cancel it (`gdp cancel " + id + "`) before removing it");
  }
  db_.prepare("DELETE FROM sessions WHERE id = ?").bind(1, id).run();
  tx.commit();
  std::error_code ec;
  fs::remove_all(paths_.session(id), ec);
  // Give the freed pages back and fold the WAL in, so live_bytes() drops at once.
  db_.exec("PRAGMA incremental_vacuum");
  fold_wal();
}

void ContextStore::make_room(std::uint64_t payload) {
  // A payload costs its pages in the file and, until a checkpoint, their copies in the WAL; plus
  // a few pages of b-tree and index updates.
  const std::uint64_t incoming = 2 * payload + (std::uint64_t{16} << 10);
  if (incoming > config_.cap_bytes) {
    throw RpcError(ErrorCode::StorageLimit, "a record of " + size_text(payload) +
                                                " cannot fit in the project's store at all (cap " +
                                                size_text(config_.cap_bytes) + ")");
  }
  if (live_bytes() + incoming > config_.cap_bytes) fold_wal();
  while (live_bytes() + incoming > config_.cap_bytes) {
    Statement next = db_.prepare(kEvictionOrder);
    if (!next.step()) {
      throw RpcError(ErrorCode::StorageLimit,
                     "the project's store is full (" + size_text(live_bytes()) + " of " +
                         size_text(config_.cap_bytes) +
                         ") and only active sessions are left; finish or cancel one, or raise the cap");
    }
    const std::string id = next.text(0);
    next.reset();  // release the read before the delete's write
    remove_session(id);
    evicted_.push_back(id);
  }
}

std::int64_t ContextStore::next_number(std::string_view sql, const std::string& id,
                                       std::optional<std::int64_t> step) {
  // The statement ends here: one left open would hold a read and keep fold_wal() from truncating.
  Statement stmt = db_.prepare(sql);
  stmt.bind(1, id);
  if (step) stmt.bind(2, *step);
  return stmt.step() ? stmt.integer(0) : 1;
}

void ContextStore::fold_wal() {
  sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

void ContextStore::settle() {
  if (live_bytes() <= config_.cap_bytes) return;
  fold_wal();
  while (live_bytes() > config_.cap_bytes) {
    Statement next = db_.prepare(kEvictionOrder);
    if (!next.step()) return;  // only active sessions: the next write's make_room refuses
    const std::string id = next.text(0);
    next.reset();
    remove_session(id);
    evicted_.push_back(id);
  }
}

fs::path ContextStore::backup() {
  std::error_code ec;
  fs::create_directories(paths_.backups(), ec);
  const auto now = config_.now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::array<char, 8> frac{};
  std::snprintf(frac.data(), frac.size(), "%06lld", static_cast<long long>(micros));
  std::string stamp = compact(now);
  stamp.insert(stamp.size() - 1, frac.data());  // microseconds: two backups in one second stay apart
  fs::path target = paths_.backups() / ("context-" + stamp + ".db");
  {
    Database out(target, true);
    sqlite3_backup* b = sqlite3_backup_init(out.handle(), "main", db_.handle(), "main");
    if (b == nullptr) out.check(sqlite3_errcode(out.handle()), "backup");
    const int rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    out.check(rc, "backup", SQLITE_DONE);
  }
  std::vector<fs::path> all;
  for (const auto& entry : fs::directory_iterator(paths_.backups(), ec)) all.push_back(entry.path());
  std::sort(all.begin(), all.end());
  const auto keep = static_cast<std::size_t>(std::max(1, config_.keep_backups));
  for (std::size_t i = 0; i + keep < all.size(); ++i) fs::remove(all[i], ec);
  return target;
}

}  // namespace gdp::store
