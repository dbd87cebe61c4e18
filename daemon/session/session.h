// One session's workflow (the seed's Core Processing Engine): snapshot and privacy → analysis →
// next script → validation → awaiting approval → (package step, approved on its own) → run in the
// sandbox → result stored → ... → the planner says done → results written → completed.
//
// A Session lives on gdpd's event-loop thread: its state is touched only there, so answers from
// several terminals are ordered without locks and the first valid one wins (Approvals). Blocking
// work (snapshot, planner, sandbox, SQLite) runs on the worker pool and the coroutine resumes on the
// loop with its result. Every transition is stored before it is announced, so a gdpd killed at any
// point leaves a store from which `resume` continues: finished steps are not repeated and a
// decision already given is not asked again.
#pragma once

#include "common/protocol.h"
#include "daemon/llm/choose.h"
#include "daemon/session/approvals.h"
#include "daemon/session/project_store.h"
#include "daemon/session/slots.h"
#include "daemon/session/step_sandbox.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace gdp::session {

// What a session uses of the daemon; the daemon builds one per session, tests build their own.
struct SessionDeps {
  boost::asio::any_io_executor loop;  // gdpd's event loop
  boost::asio::thread_pool* workers = nullptr;
  std::shared_ptr<ProjectStore> store;
  std::unique_ptr<StepSandbox> sandbox;
  planner::ChosenPlanner planner;
  // Reads, samples and masks the input (blocking); the only way to a SanitizedSnapshot.
  std::function<privacy::SanitizedSnapshot(const proto::SnapshotParams&)> snapshot;
  std::shared_ptr<ContainerSlots> slots;
  // Told of every change a `gdp status` listing shows (on the loop).
  std::function<void(const proto::SessionSummary&)> on_summary;
  // How many planner revisions a script that fails validation gets before the user sees it.
  int max_revisions = 2;
  std::chrono::seconds heartbeat{10};  // progress events while a long phase lasts
};

// A step as the session tracks it: its latest version and where it is.
struct StepInfo {
  std::int64_t step = 0;
  std::int64_t version = 0;
  proto::StepKind kind = proto::StepKind::script;
  proto::StepState state = proto::StepState::awaiting_approval;
  proto::ProcessingScript script;
  std::optional<proto::ValidationResult> validation;
  std::string content_sha256;
  std::optional<proto::DecisionInfo> decision;
  std::optional<proto::ExecutionResult> result;
};

// The steps as a store holds them (every version, decision and result), folded to each step's
// latest version and state: what resume continues from and what a session gdpd does not drive
// shows in `status`.
std::map<std::int64_t, StepInfo> steps_from_store(const std::vector<store::ScriptVersion>& scripts,
                                                  const std::vector<store::DecisionRecord>& decisions,
                                                  const std::vector<store::StepResult>& results);
proto::StepView step_view(const StepInfo& info);
proto::DecisionInfo decision_info(const store::DecisionRecord& d);
// A package step's script is shown like any other: what it installs and why.
bool is_package_step(const proto::ProcessingScript& script);

// A SessionView of a session nobody drives (finished, or abandoned until resumed).
proto::SessionView stored_view(const store::SessionRecord& record,
                               const std::map<std::int64_t, StepInfo>& steps);

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Notify = std::function<void(std::string line)>;

  // `source` says how the snapshot is taken (its seed is fixed at the first snapshot, so a
  // resumed session gets the same rows).
  Session(SessionDeps deps, store::SessionRecord record, proto::SnapshotParams source);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // A resumed session: its steps, events, snapshot and analysis as the store kept them.
  void restore(std::map<std::int64_t, StepInfo> steps, std::vector<proto::SessionEvent> events,
               std::optional<proto::DataSnapshot> snapshot, std::optional<proto::DataAnalysis> analysis);

  // The first snapshot, taken by submit (so a bad file is an error there, not a failed session).
  void set_snapshot(privacy::SanitizedSnapshot snapshot);

  // Runs the workflow on the loop until the session completes, fails or is cancelled.
  void start();

  const std::string& id() const { return record_.session_id; }
  bool live() const { return live_; }
  proto::SessionView view() const;
  proto::SessionSummary summary() const;
  const std::vector<proto::SessionEvent>& events() const { return events_; }

  // Follows the session on a connection: returns the events after `since` and sends later ones.
  std::vector<proto::SessionEvent> attach(std::uint64_t connection, Notify notify, std::int64_t since);
  bool detach(std::uint64_t connection);

  // Answers from any terminal (on the loop). Each is stored before it is announced and before
  // the workflow acts on it. Throws RpcError: ApprovalConflict, InvalidState (see Approvals).
  boost::asio::awaitable<proto::DecisionInfo> approve(const proto::ApproveParams& params,
                                                      const proto::DecidedBy& by);
  boost::asio::awaitable<proto::DecisionInfo> deny(const proto::DenyParams& params,
                                                   const proto::DecidedBy& by);
  boost::asio::awaitable<proto::EditResult> edit(const proto::EditParams& params, const proto::DecidedBy& by);
  // Stops the session: a waiting one at once, a running step is killed.
  void cancel();
  // gdpd stops: the running step is killed, nothing else changes (the store keeps the session
  // active; the loop stops before the workflow acts on it).
  void suspend();

 private:
  struct Cancelled {};
  template <class Fn>
  auto blocking(Fn& fn) -> boost::asio::awaitable<decltype(fn())>;

  boost::asio::awaitable<void> drive();
  boost::asio::awaitable<void> prepare();
  boost::asio::awaitable<std::optional<proto::ProcessingScript>> plan_next();
  boost::asio::awaitable<void> propose(proto::ProcessingScript script);
  boost::asio::awaitable<void> add_step(proto::ProcessingScript script, proto::StepKind kind,
                                        proto::ValidationResult validation, store::ScriptOrigin origin);
  boost::asio::awaitable<std::int64_t> store_version(std::int64_t step, const proto::ProcessingScript& script,
                                                     store::ScriptOrigin origin,
                                                     const proto::ValidationResult& validation,
                                                     std::optional<store::DecisionRecord> edit);
  boost::asio::awaitable<void> run_step(StepInfo& info);
  boost::asio::awaitable<void> run_packages(StepInfo& info);
  boost::asio::awaitable<void> run_script(StepInfo& info);
  boost::asio::awaitable<void> record_result(StepInfo& info, proto::ExecutionResult result,
                                             std::vector<store::OutputFile> files);
  boost::asio::awaitable<void> finish(proto::SessionStatus status, std::optional<std::string> failure);
  boost::asio::awaitable<proto::DecisionInfo> answer(Answer answer, store::DecisionKind kind,
                                                     const proto::DecidedBy& by);
  boost::asio::awaitable<void> heartbeat(std::uint64_t serial, std::optional<std::int64_t> step);
  boost::asio::awaitable<void> wait_for_wake();

  proto::SessionEvent event(proto::SessionEventKind kind, std::string message,
                            std::optional<std::int64_t> step = std::nullopt);
  // Numbers, stamps, logs and sends an event to every follower.
  void publish(proto::SessionEvent event);
  void set_phase(proto::SessionPhase phase, std::string message,
                 std::optional<std::int64_t> step = std::nullopt,
                 proto::SessionEventKind kind = proto::SessionEventKind::progress);
  void announce_pending(const StepInfo& info);
  void wake();
  void interrupt();  // stops planner waits and kills the running step
  void check_cancelled() const;
  std::int64_t next_step_number() const;
  StepInfo& step_of(std::optional<std::int64_t> step, std::optional<std::int64_t> version);
  planner::PlanningContext planning_context() const;
  planner::PlannerEvents planner_events();
  std::optional<proto::PendingApproval> pending() const;

  SessionDeps deps_;
  store::SessionRecord record_;
  proto::SnapshotParams source_;
  std::optional<privacy::SanitizedSnapshot> snapshot_;
  std::optional<proto::DataSnapshot> stored_snapshot_;
  std::optional<proto::DataAnalysis> analysis_;
  std::string project_notes_;
  std::map<std::int64_t, StepInfo> steps_;
  Approvals approvals_;
  std::optional<proto::ProcessingScript> deferred_;  // the script a package step is for
  std::vector<proto::SessionEvent> events_;
  std::map<std::uint64_t, Notify> followers_;
  std::FILE* event_log_ = nullptr;  // logs/events.jsonl, appended as events happen
  proto::SessionPhase phase_ = proto::SessionPhase::snapshot;
  std::chrono::steady_clock::time_point phase_started_ = std::chrono::steady_clock::now();
  std::uint64_t phase_serial_ = 0;
  std::optional<std::string> results_directory_;
  boost::asio::steady_timer wake_;
  std::stop_source stop_;
  bool live_ = false;
  bool cancelled_ = false;
  bool editing_ = false;  // an edit is being validated: answers wait for the new version
};

}  // namespace gdp::session
