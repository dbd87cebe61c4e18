// The wire protocol between gdp and gdpd: every method's params and result and every event, each
// struct followed by the description that drives its JSON conversion (common/wire.h).
//
// Don't forget to bump kProtocolVersion if any of these change incompatibly (a field removed,
// renamed or retyped, a method's meaning changed). Adding an optional field is compatible.
// The contract is proto-schema/protocol.schema.json; proto-schema/protocol.md is its human page.
#pragma once

#include "common/models.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace gdp::proto {

inline constexpr std::int64_t kProtocolVersion = 1;
// Every version this build speaks, newest first.
inline constexpr std::array<std::int64_t, 1> kSupportedProtocolVersions{1};

// ---- hello: opens every connection --------------------------------------------------------------
struct ClientInfo {
  std::string name;
  std::string version;
  std::int64_t pid = 0;
  std::optional<std::string> tty;
};
BOOST_DESCRIBE_STRUCT(ClientInfo, (), (name, version, pid, tty))

struct HelloParams {
  std::vector<std::int64_t> protocol_versions;
  ClientInfo client;
  std::vector<std::string> capabilities;
};
BOOST_DESCRIBE_STRUCT(HelloParams, (), (protocol_versions, client, capabilities))

struct DaemonInfo {
  std::string name;
  std::string version;
  std::int64_t pid = 0;
};
BOOST_DESCRIBE_STRUCT(DaemonInfo, (), (name, version, pid))

struct HelloResult {
  std::int64_t protocol_version = 0;
  DaemonInfo daemon;
  std::vector<std::string> capabilities;
};
BOOST_DESCRIBE_STRUCT(HelloResult, (), (protocol_version, daemon, capabilities))

// ---- ping ------------------------------------------------------------------------------------------
struct PingParams {};
BOOST_DESCRIBE_STRUCT(PingParams, (), ())

struct PingResult {
  bool pong = true;
  double uptime_seconds = 0;
};
BOOST_DESCRIBE_STRUCT(PingResult, (), (pong, uptime_seconds))

// ---- version ---------------------------------------------------------------------------------------
struct VersionParams {};
BOOST_DESCRIBE_STRUCT(VersionParams, (), ())

struct BuildInfo {
  std::string compiler;
  std::string build_type;
  std::string boost;
};
BOOST_DESCRIBE_STRUCT(BuildInfo, (), (compiler, build_type, boost))

struct VersionResult {
  std::string daemon_version;
  std::int64_t protocol_version = 0;
  std::vector<std::int64_t> supported_protocol_versions;
  BuildInfo build;
};
BOOST_DESCRIBE_STRUCT(VersionResult, (),
                      (daemon_version, protocol_version, supported_protocol_versions, build))

// ---- status ----------------------------------------------------------------------------------------
struct StatusParams {};
BOOST_DESCRIBE_STRUCT(StatusParams, (), ())

struct DaemonStatus {
  std::int64_t pid = 0;
  std::string version;
  double uptime_seconds = 0;
  std::int64_t connections = 0;
  std::string socket;
  std::string state_dir;
};
BOOST_DESCRIBE_STRUCT(DaemonStatus, (), (pid, version, uptime_seconds, connections, socket, state_dir))

struct SessionSummary {
  std::string session_id;
  std::string input_file;
  SessionStatus status = SessionStatus::active;
  std::string created_at;
  std::string last_accessed;
  std::int64_t steps_done = 0;
  bool pending_approval = false;
};
BOOST_DESCRIBE_STRUCT(SessionSummary, (),
                      (session_id, input_file, status, created_at, last_accessed, steps_done,
                       pending_approval))

struct StatusResult {
  DaemonStatus daemon;
  std::vector<SessionSummary> sessions;
};
BOOST_DESCRIBE_STRUCT(StatusResult, (), (daemon, sessions))

// ---- snapshot: read a file and sample it ------------------------------------------------------------
struct SnapshotParams {
  std::string path;                         // absolute; gdp resolves it against its own working directory
  std::optional<ExtractionMethod> method;   // default random
  std::optional<std::string> stratify_by;   // the column, for method stratified
  std::optional<std::int64_t> seed;         // default: a fresh one, reported back
  std::optional<std::int64_t> sample_size;  // default 100
  std::optional<bool> allow_large;          // files over max-input-bytes need this
};
BOOST_DESCRIBE_STRUCT(SnapshotParams, (), (path, method, stratify_by, seed, sample_size, allow_large))

// The snapshot as a planner would get it: masked by the privacy step, with sanitized_fields
// saying what was masked. `sanitized` is false only when gdpd runs with --no-sanitize; clients
// warn every time.
struct SnapshotResult {
  DataSnapshot snapshot;
  double elapsed_seconds = 0;
  bool sanitized = true;
};
BOOST_DESCRIBE_STRUCT(SnapshotResult, (), (snapshot, elapsed_seconds, sanitized))

// ---- plan: what a planner makes of a file, before anything runs ----------------------------------
// The planner gdpd would use (Gemini with a key, the offline builtin planner without), its
// analysis of the masked snapshot, and the first script it proposes. Nothing runs.
struct PlanParams {
  SnapshotParams source;
  // The client's GEMINI_API_KEY, forwarded for this request only; gdpd wipes it when done and
  // never logs or stores it. Absent: the key in the user's keyring, if any.
  std::optional<std::string> api_key;
};
BOOST_DESCRIBE_STRUCT(PlanParams, (), (source, api_key))

struct PlanResult {
  std::string planner;  // "builtin" or "gemini"
  std::string note;     // who plans, with which model, and where the key came from (never the key)
  std::vector<std::string> warnings;  // e.g. the key is past its rotation age
  DataSnapshot snapshot;              // masked, as the planner saw it
  bool sanitized = true;
  DataAnalysis analysis;
  std::optional<ProcessingScript> script;  // absent when the planner finds nothing to do
  double elapsed_seconds = 0;
};
BOOST_DESCRIBE_STRUCT(PlanResult, (),
                      (planner, note, warnings, snapshot, sanitized, analysis, script, elapsed_seconds))

// ---- cleanup: remove sandbox containers no live step owns (the seed's force_cleanup_all_containers)
struct CleanupParams {};
BOOST_DESCRIBE_STRUCT(CleanupParams, (), ())

struct CleanupResult {
  std::int64_t removed = 0;  // containers labelled for this daemon that were removed
  std::string engine;        // the Docker Engine's version, e.g. "20.10.24+dfsg1"
};
BOOST_DESCRIBE_STRUCT(CleanupResult, (), (removed, engine))

// ---- events (notifications from gdpd) -------------------------------------------------------------
struct DaemonShuttingDownEvent {
  std::string reason;
};
BOOST_DESCRIBE_STRUCT(DaemonShuttingDownEvent, (), (reason))

// The planner waits before its next request: the per-minute limit, or a backoff after 429, 5xx or a
// network error. Sent to the client whose request waits, before the wait starts.
struct PlannerWaitingEvent {
  std::string reason;
  double delay_seconds = 0;
};
BOOST_DESCRIBE_STRUCT(PlannerWaitingEvent, (), (reason, delay_seconds))

// ---- the method and event tables ------------------------------------------------------------------
// One descriptor per method ties its wire name to its types; the daemon binds handlers by
// descriptor and the contract test walks the same list, so a method cannot exist on one side only.
template <std::size_t N>
struct FixedString {
  constexpr FixedString(const char (&text)[N]) {  // NOLINT(google-explicit-constructor): a literal tag
    for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
  }
  char chars[N]{};
};

template <FixedString Name, class P, class R>
struct Method {
  static constexpr std::string_view name{Name.chars};
  using Params = P;
  using Result = R;
};

template <FixedString Name, class P>
struct Event {
  static constexpr std::string_view name{Name.chars};
  using Params = P;
};

using Hello = Method<"hello", HelloParams, HelloResult>;
using Ping = Method<"ping", PingParams, PingResult>;
using Version = Method<"version", VersionParams, VersionResult>;
using Status = Method<"status", StatusParams, StatusResult>;
using Snapshot = Method<"snapshot", SnapshotParams, SnapshotResult>;
using Plan = Method<"plan", PlanParams, PlanResult>;
using Cleanup = Method<"cleanup", CleanupParams, CleanupResult>;
using AllMethods = std::tuple<Hello, Ping, Version, Status, Snapshot, Plan, Cleanup>;

using DaemonShuttingDown = Event<"daemon.shutting_down", DaemonShuttingDownEvent>;
using PlannerWaiting = Event<"planner.waiting", PlannerWaitingEvent>;
using AllEvents = std::tuple<DaemonShuttingDown, PlannerWaiting>;

// The seed's data models by their schema names, for the contract test.
template <class T>
struct Model {
  using Type = T;
};
#define GDP_MODEL(T)                             \
  struct T##Model : Model<T> {                   \
    static constexpr std::string_view name = #T; \
  };
GDP_MODEL(DataSnapshot)
GDP_MODEL(DataAnalysis)
GDP_MODEL(ProcessingScript)
GDP_MODEL(ExecutionResult)
GDP_MODEL(ProcessingSession)
GDP_MODEL(ValidationResult)
GDP_MODEL(ResourceUsage)
GDP_MODEL(StorageStats)
#undef GDP_MODEL
using AllModels =
    std::tuple<DataSnapshotModel, DataAnalysisModel, ProcessingScriptModel, ExecutionResultModel,
               ProcessingSessionModel, ValidationResultModel, ResourceUsageModel, StorageStatsModel>;

}  // namespace gdp::proto
