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

// ---- status ----------------------------------------------------------------------------------------
// Without a session: the daemon and every session it knows (all projects it has seen). With one:
// that session in full as well (its state, the pending approval, its steps with their results).
struct StatusParams {
  std::optional<std::string> session_id;
  std::optional<std::string> project;  // absolute; where to look for a session gdpd has not seen
};
BOOST_DESCRIBE_STRUCT(StatusParams, (), (session_id, project))

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
  std::string project;
  std::string input_file;
  SessionStatus status = SessionStatus::active;
  std::string created_at;
  std::string last_accessed;
  std::int64_t steps_done = 0;
  bool pending_approval = false;
};
BOOST_DESCRIBE_STRUCT(SessionSummary, (),
                      (session_id, project, input_file, status, created_at, last_accessed, steps_done,
                       pending_approval))

// ---- sessions: the approval workflow ----------------------------------------------------------
// A session lives in a project directory (.gemini-processor/ there). Every session method takes
// its id, and the project when gdpd may not know it yet (after a restart gdpd knows every project
// it has seen; `project` is a hint, absolute).
struct SessionRef {
  std::string session_id;
  std::optional<std::string> project;
};
BOOST_DESCRIBE_STRUCT(SessionRef, (), (session_id, project))

// Where a step is. awaiting_approval and invalid wait for a person; queued waits for a container
// slot (max_concurrent_containers); skipped: denied, or its package step was denied.
BOOST_DEFINE_ENUM_CLASS(StepState, awaiting_approval, invalid, approved, denied, queued, running, succeeded,
                        failed, skipped)
BOOST_DEFINE_ENUM_CLASS(Decision, approve, deny, edit)
// What a step does: run a script, or install the packages the next script needs (approved on its
// own, the only step with network).
BOOST_DEFINE_ENUM_CLASS(StepKind, script, packages)

// Who answered: the answering client's pid and terminal, so every attached terminal can say.
struct DecidedBy {
  std::int64_t pid = 0;
  std::optional<std::string> tty;
};
BOOST_DESCRIBE_STRUCT(DecidedBy, (), (pid, tty))

struct DecisionInfo {
  std::int64_t step = 0;
  std::int64_t version = 0;
  Decision decision = Decision::approve;
  std::optional<std::string> reason;
  DecidedBy by;
  std::string decided_at;      // RFC 3339, UTC
  std::string content_sha256;  // of the version decided on
};
BOOST_DESCRIBE_STRUCT(DecisionInfo, (), (step, version, decision, reason, by, decided_at, content_sha256))

// A step waiting for a person: everything the approval prompt shows (Property 7).
struct PendingApproval {
  std::int64_t step = 0;
  std::int64_t version = 0;
  StepKind kind = StepKind::script;
  ProcessingScript script;  // content, description, packages, inputs, outputs, security level
  ValidationResult validation;
  bool needs_confirmation = false;  // restricted: a second, explicit yes
};
BOOST_DESCRIBE_STRUCT(PendingApproval, (), (step, version, kind, script, validation, needs_confirmation))

struct StepView {
  std::int64_t step = 0;
  std::int64_t version = 0;  // the latest version
  StepKind kind = StepKind::script;
  StepState state = StepState::awaiting_approval;
  ProcessingScript script;
  std::optional<ValidationResult> validation;
  std::optional<DecisionInfo> decision;   // the decision on the latest version
  std::optional<ExecutionResult> result;  // when it ran
};
BOOST_DESCRIBE_STRUCT(StepView, (), (step, version, kind, state, script, validation, decision, result))

// What a session is doing right now, for status lines and progress.
BOOST_DEFINE_ENUM_CLASS(SessionPhase, snapshot, analysis, planning, validating, awaiting_approval, queued,
                        installing, running, writing_results, done, stopped)

struct SessionView {
  std::string session_id;
  std::string project;
  std::string input_file;
  std::string output_directory;
  std::string planner;  // "builtin" or "gemini"
  SessionStatus status = SessionStatus::active;
  SessionPhase phase = SessionPhase::snapshot;
  std::optional<std::string> failure;
  std::string created_at;
  std::string last_accessed;
  bool live = false;  // this gdpd is driving it now (false: finished, or abandoned until resumed)
  std::optional<PendingApproval> pending;
  std::vector<StepView> steps;
  std::optional<std::string> results_directory;
};
BOOST_DESCRIBE_STRUCT(SessionView, (),
                      (session_id, project, input_file, output_directory, planner, status, phase, failure,
                       created_at, last_accessed, live, pending, steps, results_directory))

// One thing that happened in a session. Attached clients get each as a session.event
// notification; `attach` replays the ones before it and `log` lists them all. seq counts from 1
// per session, so a client that sees a number twice (replay and live overlap) drops the second.
BOOST_DEFINE_ENUM_CLASS(SessionEventKind, state, progress, approval_needed, decided, step_queued,
                        step_started, step_finished, planner_waiting, notice, finished)

struct SessionEvent {
  std::string session_id;
  std::int64_t seq = 0;
  std::string at;  // RFC 3339, UTC
  SessionEventKind kind = SessionEventKind::notice;
  SessionPhase phase = SessionPhase::snapshot;  // the phase the session is in after this event
  std::string message;                          // one line a person can read
  std::optional<std::int64_t> step;
  std::optional<PendingApproval> pending;  // approval_needed
  std::optional<DecisionInfo> decision;    // decided
  std::optional<ExecutionResult> result;   // step_finished
  std::optional<SessionStatus> status;     // state, finished
  std::optional<double> delay_seconds;     // planner_waiting
  std::optional<double> elapsed_seconds;   // progress: time in the current phase so far
};
BOOST_DESCRIBE_STRUCT(SessionEvent, (),
                      (session_id, seq, at, kind, phase, message, step, pending, decision, result, status,
                       delay_seconds, elapsed_seconds))

// submit: a new session on a file; the client then attaches (unless --detach).
struct SubmitParams {
  SnapshotParams source;
  std::optional<std::string> project;  // absolute; gdp sends its working directory or --project DIR
  std::optional<std::string> output;   // absolute results root; default {project}/output
  std::optional<std::string> api_key;  // as for plan: this session only, wiped when it ends
};
BOOST_DESCRIBE_STRUCT(SubmitParams, (), (source, project, output, api_key))

struct SubmitResult {
  SessionView session;
  std::string note;  // who plans, as for plan
  std::vector<std::string> warnings;
};
BOOST_DESCRIBE_STRUCT(SubmitResult, (), (session, note, warnings))

// attach: the session as it stands and its events so far; later events follow as notifications.
struct AttachParams {
  std::string session_id;
  std::optional<std::string> project;
  std::optional<std::int64_t> since_seq;  // replay only events after this one
};
BOOST_DESCRIBE_STRUCT(AttachParams, (), (session_id, project, since_seq))

struct AttachResult {
  SessionView session;
  std::vector<SessionEvent> events;
};
BOOST_DESCRIBE_STRUCT(AttachResult, (), (session, events))

// detach: stop following a session on this connection (the session goes on).
struct DetachResult {
  bool detached = false;
};
BOOST_DESCRIBE_STRUCT(DetachResult, (), (detached))

// approve / deny: an answer from any terminal, attached or not. step defaults to the one waiting;
// version (what the person saw) defaults to the waiting version. The first valid answer wins.
struct ApproveParams {
  std::string session_id;
  std::optional<std::string> project;
  std::optional<std::int64_t> step;
  std::optional<std::int64_t> version;
  std::optional<bool> confirm_restricted;
};
BOOST_DESCRIBE_STRUCT(ApproveParams, (), (session_id, project, step, version, confirm_restricted))

struct DenyParams {
  std::string session_id;
  std::optional<std::string> project;
  std::optional<std::int64_t> step;
  std::optional<std::int64_t> version;
  std::optional<std::string> reason;  // told to the planner
};
BOOST_DESCRIBE_STRUCT(DenyParams, (), (session_id, project, step, version, reason))

struct DecisionResult {
  DecisionInfo decision;
};
BOOST_DESCRIBE_STRUCT(DecisionResult, (), (decision))

// edit: a new version of the waiting step written by the user; validated again and shown again
// (approval_needed) before it can run. An invalid edit is kept as the waiting version, with what
// is wrong and where, so the user can fix it or deny the step.
struct EditParams {
  std::string session_id;
  std::optional<std::string> project;
  std::optional<std::int64_t> step;
  std::optional<std::int64_t> version;  // the version the edit started from
  std::string content;
};
BOOST_DESCRIBE_STRUCT(EditParams, (), (session_id, project, step, version, content))

struct EditResult {
  std::int64_t step = 0;
  std::int64_t version = 0;
  ValidationResult validation;
};
BOOST_DESCRIBE_STRUCT(EditResult, (), (step, version, validation))

// show: a session in detail: one step's every version (step), the analysis, the bytes sent to a
// remote planner (sent).
struct ShowParams {
  std::string session_id;
  std::optional<std::string> project;
  std::optional<std::int64_t> step;
  std::optional<bool> analysis;
  std::optional<bool> sent;
};
BOOST_DESCRIBE_STRUCT(ShowParams, (), (session_id, project, step, analysis, sent))

struct ScriptVersionView {
  std::int64_t step = 0;
  std::int64_t version = 0;
  std::string origin;  // planner, revision, edit
  ProcessingScript script;
  std::optional<ValidationResult> validation;
  std::string content_sha256;
  std::string created_at;
};
BOOST_DESCRIBE_STRUCT(ScriptVersionView, (),
                      (step, version, origin, script, validation, content_sha256, created_at))

struct SentRequestView {
  std::int64_t seq = 0;
  std::string method;
  std::string sent_at;
  std::string body;  // exactly as sent, without the key (which travels in a header)
};
BOOST_DESCRIBE_STRUCT(SentRequestView, (), (seq, method, sent_at, body))

struct ShowResult {
  SessionView session;
  std::optional<DataSnapshot> snapshot;     // with analysis
  std::optional<DataAnalysis> analysis;     // with analysis
  std::vector<ScriptVersionView> versions;  // with step: every version of it, oldest first
  std::vector<DecisionInfo> decisions;      // with step: every decision on it
  std::vector<SentRequestView> sent;        // with sent
};
BOOST_DESCRIBE_STRUCT(ShowResult, (), (session, snapshot, analysis, versions, decisions, sent))

// log: every event of the session, oldest first (kept in the session's logs/ folder).
struct LogResult {
  std::vector<SessionEvent> events;
};
BOOST_DESCRIBE_STRUCT(LogResult, (), (events))

// resume: an abandoned session (its daemon died) goes on from its last checkpoint: finished
// steps are not repeated, decisions already given are kept.
struct ResumeParams {
  std::string session_id;
  std::optional<std::string> project;
  std::optional<std::string> api_key;
};
BOOST_DESCRIBE_STRUCT(ResumeParams, (), (session_id, project, api_key))

struct StatusResult {
  DaemonStatus daemon;
  std::vector<SessionSummary> sessions;
  std::optional<SessionView> session;  // with StatusParams.session_id
};
BOOST_DESCRIBE_STRUCT(StatusResult, (), (daemon, sessions, session))

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
// With older_than_seconds: also abandoned sessions (and their files) older than that, in every
// project gdpd knows (or only `project`).
struct CleanupParams {
  std::optional<double> older_than_seconds;
  std::optional<std::string> project;
};
BOOST_DESCRIBE_STRUCT(CleanupParams, (), (older_than_seconds, project))

struct CleanupResult {
  std::int64_t removed = 0;  // containers labelled for this daemon that were removed
  std::string engine;        // the Docker Engine's version, e.g. "20.10.24+dfsg1"
  std::vector<std::string> removed_sessions;
};
BOOST_DESCRIBE_STRUCT(CleanupResult, (), (removed, engine, removed_sessions))

// ---- config: gdpd's effective settings and where each came from ----------------------------------
// No API key is a setting: keys are never sent back (gdp says which source has one, on its side).
struct ConfigParams {};
BOOST_DESCRIBE_STRUCT(ConfigParams, (), ())

// builtin: gdpd's default; file: the config file (file, line); env: a GDP_* variable (variable);
// command_line: gdpd's flags.
BOOST_DEFINE_ENUM_CLASS(SettingSource, builtin, file, env, command_line)

struct SettingView {
  std::string key;    // as in the config file, e.g. "gemini.model"
  std::string type;   // string, path, integer, number, boolean, list
  std::string value;  // the effective value as text
  SettingSource source = SettingSource::builtin;
  std::string origin;  // for people: "default", "/home/me/.config/gdp/config:3", "env GDP_X", "command line"
  std::optional<std::string> file;
  std::optional<std::int64_t> line;
  std::optional<std::string> variable;
  std::string env_var;  // the variable that would set this key, e.g. GDP_GEMINI_MODEL
};
BOOST_DESCRIBE_STRUCT(SettingView, (), (key, type, value, source, origin, file, line, variable, env_var))

struct ConfigResult {
  std::string config_file;  // the file gdpd looked for (empty when HOME and XDG_CONFIG_HOME are unset)
  bool config_file_found = false;
  std::vector<SettingView> settings;  // every key, in gdpd --help order
};
BOOST_DESCRIBE_STRUCT(ConfigResult, (), (config_file, config_file_found, settings))

// ---- doctor: what gdpd can check of its world (the Docker Engine, the image, the sandbox) --------
BOOST_DEFINE_ENUM_CLASS(CheckStatus, ok, warn, fail)

struct DoctorCheck {
  std::string name;  // stable, for scripts: "docker.engine", "sandbox.network", ...
  CheckStatus status = CheckStatus::ok;
  std::string detail;              // what was found, one line
  std::optional<std::string> fix;  // the exact thing to do when not ok
};
BOOST_DESCRIBE_STRUCT(DoctorCheck, (), (name, status, detail, fix))

struct DoctorParams {
  // Skip the checks that start a container (the network probe): quicker, and no image needed.
  std::optional<bool> quick;
};
BOOST_DESCRIBE_STRUCT(DoctorParams, (), (quick))

struct DoctorResult {
  std::string daemon_version;
  std::vector<DoctorCheck> checks;
};
BOOST_DESCRIBE_STRUCT(DoctorResult, (), (daemon_version, checks))

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
using Submit = Method<"submit", SubmitParams, SubmitResult>;
using Attach = Method<"attach", AttachParams, AttachResult>;
using Detach = Method<"detach", SessionRef, DetachResult>;
using Approve = Method<"approve", ApproveParams, DecisionResult>;
using Deny = Method<"deny", DenyParams, DecisionResult>;
using Edit = Method<"edit", EditParams, EditResult>;
using Show = Method<"show", ShowParams, ShowResult>;
using Log = Method<"log", SessionRef, LogResult>;
using Resume = Method<"resume", ResumeParams, SessionView>;
using Cancel = Method<"cancel", SessionRef, SessionView>;
using Config = Method<"config", ConfigParams, ConfigResult>;
using Doctor = Method<"doctor", DoctorParams, DoctorResult>;
using AllMethods = std::tuple<Hello, Ping, Version, Status, Snapshot, Plan, Cleanup, Submit, Attach, Detach,
                              Approve, Deny, Edit, Show, Log, Resume, Cancel, Config, Doctor>;

using DaemonShuttingDown = Event<"daemon.shutting_down", DaemonShuttingDownEvent>;
using PlannerWaiting = Event<"planner.waiting", PlannerWaitingEvent>;
using SessionEventNotice = Event<"session.event", SessionEvent>;
using AllEvents = std::tuple<DaemonShuttingDown, PlannerWaiting, SessionEventNotice>;

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
