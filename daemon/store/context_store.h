// The seed's Context Storage Layer: one SQLite file per project directory,
// `.gemini-processor/context.db` (WAL, foreign keys, versioned migrations), beside the sessions'
// folders. It keeps snapshots, analyses, every version of every script with its decisions,
// execution results and logs (zstd past a threshold), checkpoints, and the exact bytes sent to a
// remote planner, so the next session of the same project builds on what earlier ones learned.
//
// Paths inside the store are relative to the project directory (Property 17): a project folder
// copied to another machine opens there unchanged. The size cap counts live pages plus the WAL
// (Property 15); past it the oldest finished sessions are evicted, never an active one.
//
// Blocking; one ContextStore per project, used from one thread at a time (the session layer runs
// it on the worker pool behind a strand or a mutex).
#pragma once

#include "common/models.h"
#include "common/protocol.h"
#include "daemon/store/sqlite.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gdp::store {

namespace fs = std::filesystem;

struct StoreConfig {
  std::uint64_t cap_bytes = std::uint64_t{100} << 20;  // the seed's 100 MB
  std::size_t compress_threshold = 4096;
  int keep_backups = 3;
  // synchronous=NORMAL (a power cut may lose the last commits, never corrupt). Off only for tests
  // that exercise logic through thousands of checkpoints and do not test durability.
  bool durable = true;
  // Time source for created_at / decided_at; tests fix it. Default: the system clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

// The folder layout the seed gives, for one project.
struct ProjectPaths {
  fs::path project;  // the project directory itself
  fs::path root() const { return project / ".gemini-processor"; }
  fs::path database() const { return root() / "context.db"; }
  fs::path backups() const { return root() / "backups"; }
  fs::path sessions() const { return root() / "sessions"; }
  fs::path session(const std::string& id) const { return sessions() / id; }
};

struct NewSession {
  fs::path input_file;  // absolute; stored relative to the project
  std::string input_sha256;
  std::string planner;        // "builtin" or "gemini"
  fs::path output_directory;  // absolute; default project/output
};

BOOST_DEFINE_ENUM_CLASS(ScriptOrigin, planner, revision, edit)
BOOST_DEFINE_ENUM_CLASS(DecisionKind, approve, deny, edit)

struct Decider {
  std::int64_t pid = 0;
  std::string tty;  // "" when not a terminal
};

struct DecisionRecord {
  std::int64_t step = 0;
  std::int64_t version = 0;
  DecisionKind decision = DecisionKind::approve;
  std::optional<std::string> reason;
  Decider by;
  std::string decided_at;
  std::string content_sha256;  // of the script version decided on
};

struct ScriptVersion {
  std::int64_t step = 0;
  std::int64_t version = 0;
  ScriptOrigin origin = ScriptOrigin::planner;
  proto::ProcessingScript script;
  std::optional<proto::ValidationResult> validation;
  std::string content_sha256;
  std::string created_at;
};

struct OutputFile {
  std::string path;  // relative to the session's folder
  std::string sha256;
  std::int64_t size = 0;
};

struct StepResult {
  std::int64_t step = 0;
  std::int64_t version = 0;
  proto::ExecutionResult result;
  std::vector<OutputFile> files;
};

struct SentRequest {
  std::int64_t seq = 0;
  std::string method;
  std::string sent_at;
  std::string body;
};

struct SessionRecord {
  std::string session_id;
  fs::path input_file;         // absolute, resolved against where the project is now
  std::string input_relative;  // as stored
  std::string input_sha256;
  fs::path output_directory;  // absolute, resolved likewise
  std::string planner;
  proto::SessionStatus status = proto::SessionStatus::active;
  std::optional<std::string> failure;
  std::string created_at;
  std::string last_accessed;
  std::vector<std::int64_t> checkpoints;  // finished steps, in order
};

// 2026-11-27T08:55:00Z: what the records and the wire carry, and back (nullopt if malformed).
std::string rfc3339(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

class ContextStore {
 public:
  // Opens the project's store, creating it (and the folder) when absent. A store that fails
  // SQLite's quick_check is set aside and the latest backup restored; notices() says so.
  static ContextStore open(const fs::path& project_dir, StoreConfig config = {});

  ContextStore(ContextStore&&) noexcept = default;
  ContextStore& operator=(ContextStore&&) noexcept = default;

  const ProjectPaths& paths() const { return paths_; }
  // Things the user should be told about opening this store (a restore, a migration).
  const std::vector<std::string>& notices() const { return notices_; }
  std::int64_t schema_version();
  static constexpr std::int64_t kSchemaVersion = 1;

  // Sessions. create_session makes the session's folders too; an id is {timestamp}_{hash}.
  SessionRecord create_session(const NewSession& session);
  SessionRecord session(const std::string& id);  // SessionNotFound when absent
  std::vector<proto::SessionSummary> sessions();
  void set_status(const std::string& id, proto::SessionStatus status,
                  const std::optional<std::string>& failure = std::nullopt);
  // At daemon start: every session still active belonged to a daemon that died.
  std::vector<std::string> mark_active_abandoned();

  // What a session learned, in the order it learned it (Property 4).
  void store_snapshot(const std::string& id, const proto::DataSnapshot& snapshot);
  std::optional<proto::DataSnapshot> snapshot(const std::string& id);
  void store_analysis(const std::string& id, const proto::DataAnalysis& analysis);
  std::optional<proto::DataAnalysis> analysis(const std::string& id);

  // Every version of every script; returns the new version's number (1, 2, ...).
  std::int64_t add_script(const std::string& id, std::int64_t step, const proto::ProcessingScript& script,
                          ScriptOrigin origin, const std::optional<proto::ValidationResult>& validation);
  std::vector<ScriptVersion> scripts(const std::string& id);
  void record_decision(const std::string& id, const DecisionRecord& decision);
  std::vector<DecisionRecord> decisions(const std::string& id);
  // A step's result, its output files, and the checkpoint after it, in one transaction.
  void store_result(const std::string& id, const StepResult& result);
  std::vector<StepResult> results(const std::string& id);

  // The exact bytes sent to a remote planner, for `gdp show SESSION --sent`.
  void record_sent(const std::string& id, std::string_view method, std::string_view body);
  std::vector<SentRequest> sent(const std::string& id);

  // Sessions of this project other than `id`, newest first, with their analyses: what a
  // context builder gives the planner so a new session builds on earlier ones.
  std::vector<std::pair<SessionRecord, std::optional<proto::DataAnalysis>>> history(
      const std::string& except_id, std::size_t limit);

  // Live pages plus the WAL, which is what the cap counts; and the seed's StorageStats.
  std::uint64_t live_bytes();
  proto::StorageStats usage();
  // Removes a session, its rows and its folder. Never an active one (InvalidState).
  void remove_session(const std::string& id);
  // Sessions removed to make room, oldest first; tests read it.
  const std::vector<std::string>& evicted() const { return evicted_; }

  // SQLite's online backup into backups/, keeping the newest keep_backups. Returns its path.
  fs::path backup();

 private:
  ContextStore(ProjectPaths paths, StoreConfig config, Database db);

  std::string now_text() const;
  void migrate();
  // Evicts the oldest finished sessions until `incoming` more bytes fit under the cap, or throws
  // StorageLimit when only active sessions are left.
  void make_room(std::uint64_t payload);
  // After a write: folds the WAL in, then evicts, if the write took the store past the cap (the
  // estimate in make_room is only an estimate).
  void settle();
  void fold_wal();
  // max(number) + 1 for a session (and a step): the next script version or sent-request number.
  std::int64_t next_number(std::string_view sql, const std::string& id,
                           std::optional<std::int64_t> step = {});
  void require_session(const std::string& id);
  std::string relative(const fs::path& absolute) const;
  fs::path absolute(const std::string& relative) const;

  ProjectPaths paths_;
  StoreConfig config_;
  Database db_;
  std::vector<std::string> notices_;
  std::vector<std::string> evicted_;
};

}  // namespace gdp::store
