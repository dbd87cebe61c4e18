#include "daemon/session/session.h"

#include "common/errors.h"
#include "common/jsonrpc.h"
#include "common/wire.h"
#include "daemon/log.h"
#include "daemon/session/results.h"
#include "daemon/store/hash.h"
#include "daemon/worker_pool.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <set>

namespace gdp::session {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using proto::SessionEventKind;
using proto::SessionPhase;
using State = proto::StepState;

namespace {

std::string now_text() {
  return store::rfc3339(std::chrono::system_clock::now());
}

std::string step_name(std::int64_t step) {
  return "step " + std::to_string(step);
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
  return out;
}

// Where a step stands while nothing has finished it: the workflow's open step.
bool open_state(State s) {
  return s == State::awaiting_approval || s == State::invalid || s == State::approved || s == State::queued ||
         s == State::running;
}

proto::ProcessingScript with_validation(proto::ProcessingScript script, const proto::ValidationResult& v) {
  script.validation_status = !v.is_valid                   ? proto::ValidationStatus::invalid
                             : v.security_warnings.empty() ? proto::ValidationStatus::valid
                                                           : proto::ValidationStatus::warning;
  script.security_level = v.security_level;
  return script;
}

// The step that installs what the next script needs, shown for approval like a script.
proto::ProcessingScript package_script(const std::vector<std::string>& packages,
                                       const std::string& for_script) {
  proto::ProcessingScript s;
  s.script_id = "packages-" + store::sha256_hex(join(packages)).substr(0, 8);
  s.content =
      "# Runs as root in a container of its own, with network access, then is saved as an image\n"
      "# that later steps use without network.\n"
      "apt-get update && apt-get install -y --no-install-recommends " +
      join(packages) + "\n";
  s.description = "Installs the Debian packages " + join(packages) + ", which the next step (" + for_script +
                  ") needs. This is the only kind of step that can reach the network; it downloads from "
                  "Debian's repositories.";
  s.required_packages = packages;
  s.estimated_runtime = 60;
  return s;
}

proto::ValidationResult package_validation() {
  proto::ValidationResult v;
  v.is_valid = true;
  v.security_level = proto::SecurityLevel::caution;
  v.security_warnings.emplace_back("installs software and uses the network (this step only)");
  return v;
}

// Files under `dir` with their size and modification time: a step's outputs are what changed.
using Listing = std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>>;
Listing list_files(const fs::path& base, const fs::path& dir) {
  Listing out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    out[it->path().lexically_relative(base).generic_string()] = {it->file_size(ec), it->last_write_time(ec)};
  }
  return out;
}

}  // namespace

bool is_package_step(const proto::ProcessingScript& script) {
  return script.script_id.starts_with("packages-");
}

proto::DecisionInfo decision_info(const store::DecisionRecord& d) {
  proto::DecisionInfo out;
  out.step = d.step;
  out.version = d.version;
  out.decision = d.decision == store::DecisionKind::approve ? proto::Decision::approve
                 : d.decision == store::DecisionKind::deny  ? proto::Decision::deny
                                                            : proto::Decision::edit;
  out.reason = d.reason;
  out.by.pid = d.by.pid;
  if (!d.by.tty.empty()) out.by.tty = d.by.tty;
  out.decided_at = d.decided_at;
  out.content_sha256 = d.content_sha256;
  return out;
}

std::map<std::int64_t, StepInfo> steps_from_store(const std::vector<store::ScriptVersion>& scripts,
                                                  const std::vector<store::DecisionRecord>& decisions,
                                                  const std::vector<store::StepResult>& results) {
  std::map<std::int64_t, StepInfo> out;
  for (const auto& v : scripts) {
    auto& s = out[v.step];
    if (v.version < s.version) continue;
    s.step = v.step;
    s.version = v.version;
    s.script = v.script;
    s.validation = v.validation;
    s.content_sha256 = v.content_sha256;
    s.kind = is_package_step(v.script) ? proto::StepKind::packages : proto::StepKind::script;
    s.state = v.validation && !v.validation->is_valid ? State::invalid : State::awaiting_approval;
    s.decision.reset();
    s.result.reset();
  }
  for (const auto& d : decisions) {
    const auto it = out.find(d.step);
    if (it == out.end() || d.version != it->second.version || d.decision == store::DecisionKind::edit)
      continue;
    it->second.decision = decision_info(d);
    it->second.state = d.decision == store::DecisionKind::approve ? State::approved : State::denied;
  }
  for (const auto& r : results) {
    const auto it = out.find(r.step);
    if (it == out.end() || r.version != it->second.version) continue;
    it->second.result = r.result;
    it->second.state = r.result.success ? State::succeeded : State::failed;
  }
  return out;
}

proto::StepView step_view(const StepInfo& info) {
  return {info.step,   info.version,    info.kind,     info.state,
          info.script, info.validation, info.decision, info.result};
}

proto::SessionView stored_view(const store::SessionRecord& record,
                               const std::map<std::int64_t, StepInfo>& steps) {
  proto::SessionView v;
  v.session_id = record.session_id;
  v.input_file = record.input_file.string();
  v.output_directory = record.output_directory.string();
  v.planner = record.planner;
  v.status = record.status;
  v.phase = record.status == proto::SessionStatus::completed ? SessionPhase::done : SessionPhase::stopped;
  v.failure = record.failure;
  v.created_at = record.created_at;
  v.last_accessed = record.last_accessed;
  for (const auto& [n, info] : steps) v.steps.push_back(step_view(info));
  return v;
}

// ---- the session ---------------------------------------------------------------------------------

Session::Session(SessionDeps deps, store::SessionRecord record, proto::SnapshotParams source)
    : deps_(std::move(deps)), record_(std::move(record)), source_(std::move(source)), wake_(deps_.loop) {}

Session::~Session() {
  if (event_log_ != nullptr) std::fclose(event_log_);
}

void Session::restore(std::map<std::int64_t, StepInfo> steps, std::vector<proto::SessionEvent> events,
                      std::optional<proto::DataSnapshot> snapshot,
                      std::optional<proto::DataAnalysis> analysis) {
  steps_ = std::move(steps);
  events_ = std::move(events);
  stored_snapshot_ = std::move(snapshot);
  analysis_ = std::move(analysis);
  // The approval rules see the same history: a decision given before the crash stands.
  for (const auto& [n, s] : steps_) {
    approvals_.propose(n, s.version, s.validation.value_or(package_validation()));
    if (!s.decision) continue;
    Answer a{s.decision->decision == proto::Decision::approve ? AnswerKind::approve : AnswerKind::deny, n,
             s.version, s.decision->reason, true};
    approvals_.answer(a);
    if (s.result) {
      approvals_.started(n);
      approvals_.finished(n, s.result->success);
    }
  }
}

void Session::set_snapshot(privacy::SanitizedSnapshot snapshot) {
  snapshot_.emplace(std::move(snapshot));
}

void Session::start() {
  live_ = true;
  const auto log_path = deps_.store->paths().session(id()) / "logs" / "events.jsonl";
  std::error_code ec;
  fs::create_directories(log_path.parent_path(), ec);
  event_log_ = std::fopen(log_path.c_str(), "ae");
  asio::co_spawn(deps_.loop, drive(), asio::detached);
}

template <class Fn>
auto Session::blocking(Fn& fn) -> asio::awaitable<decltype(fn())> {
  co_return co_await run_blocking(*deps_.workers, fn);
}

// ---- events -------------------------------------------------------------------------------------

void Session::publish(proto::SessionEvent event) {
  event.session_id = id();
  event.seq = events_.empty() ? 1 : events_.back().seq + 1;
  event.at = now_text();
  event.phase = phase_;
  const auto json = wire::to_json(event);
  if (event_log_ != nullptr) {
    const auto line = boost::json::serialize(json) + "\n";
    std::fwrite(line.data(), 1, line.size(), event_log_);
    std::fflush(event_log_);
  }
  if (!followers_.empty()) {
    const auto note = rpc::encode_notification(proto::SessionEventNotice::name, json);
    for (const auto& [conn, notify] : followers_) notify(note);
  }
  GDP_LOG(debug) << "session " << id() << ": " << event.message;
  events_.push_back(std::move(event));
  if (deps_.on_summary) deps_.on_summary(summary());
}

proto::SessionEvent Session::event(SessionEventKind kind, std::string message,
                                   std::optional<std::int64_t> step) {
  proto::SessionEvent e;
  e.kind = kind;
  e.message = std::move(message);
  e.step = step;
  return e;
}

void Session::set_phase(SessionPhase phase, std::string message, std::optional<std::int64_t> step,
                        SessionEventKind kind) {
  phase_ = phase;
  phase_started_ = std::chrono::steady_clock::now();
  const auto serial = ++phase_serial_;
  publish(event(kind, std::move(message), step));
  if (phase != SessionPhase::awaiting_approval && phase != SessionPhase::done &&
      phase != SessionPhase::stopped) {
    asio::co_spawn(deps_.loop, heartbeat(serial, step), asio::detached);
  }
}

asio::awaitable<void> Session::heartbeat(std::uint64_t serial, std::optional<std::int64_t> step) {
  auto self = shared_from_this();
  asio::steady_timer timer(deps_.loop);
  for (;;) {
    timer.expires_after(deps_.heartbeat);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (serial != phase_serial_ || !live_) co_return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - phase_started_).count();
    auto e = event(
        SessionEventKind::progress,
        std::string(boost::describe::enum_to_string(phase_, "?")) + " for " + seconds_text(elapsed), step);
    e.elapsed_seconds = elapsed;
    publish(std::move(e));
  }
}

std::vector<proto::SessionEvent> Session::attach(std::uint64_t connection, Notify notify,
                                                 std::int64_t since) {
  if (live_) followers_[connection] = std::move(notify);
  std::vector<proto::SessionEvent> out;
  for (const auto& e : events_) {
    if (e.seq > since) out.push_back(e);
  }
  return out;
}

bool Session::detach(std::uint64_t connection) {
  return followers_.erase(connection) > 0;
}

// ---- views ---------------------------------------------------------------------------------------

std::optional<proto::PendingApproval> Session::pending() const {
  if (!live_) return std::nullopt;
  const auto waiting = approvals_.waiting();
  if (!waiting) return std::nullopt;
  const auto& s = steps_.at(*waiting);
  proto::PendingApproval p;
  p.step = s.step;
  p.version = s.version;
  p.kind = s.kind;
  p.script = s.script;
  p.validation = s.validation.value_or(proto::ValidationResult{});
  p.needs_confirmation = p.validation.security_level == proto::SecurityLevel::restricted;
  return p;
}

proto::SessionView Session::view() const {
  auto v = stored_view(record_, steps_);
  v.project = deps_.store->paths().project.string();
  v.phase = phase_;
  v.live = live_;
  v.pending = pending();
  v.results_directory = results_directory_;
  return v;
}

proto::SessionSummary Session::summary() const {
  proto::SessionSummary s;
  s.session_id = id();
  s.project = deps_.store->paths().project.string();
  s.input_file = record_.input_file.string();
  s.status = record_.status;
  s.created_at = record_.created_at;
  s.last_accessed = record_.last_accessed;
  s.steps_done = static_cast<std::int64_t>(std::count_if(
      steps_.begin(), steps_.end(), [](const auto& kv) { return kv.second.result.has_value(); }));
  s.pending_approval = live_ && approvals_.waiting().has_value();
  return s;
}

// ---- the workflow --------------------------------------------------------------------------------

void Session::check_cancelled() const {
  if (cancelled_) throw Cancelled{};
}

void Session::wake() {
  wake_.cancel();
}

asio::awaitable<void> Session::wait_for_wake() {
  wake_.expires_at(asio::steady_timer::time_point::max());
  co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> Session::drive() {
  auto self = shared_from_this();
  proto::SessionStatus end = proto::SessionStatus::completed;
  std::optional<std::string> failure;
  try {
    co_await prepare();
    for (;;) {
      check_cancelled();
      // At most one step is open at a time: the planner hears about each before the next.
      const auto open = std::find_if(steps_.begin(), steps_.end(),
                                     [](const auto& kv) { return open_state(kv.second.state); });
      if (open == steps_.end()) {
        auto next = co_await plan_next();
        check_cancelled();
        if (!next) break;
        co_await propose(std::move(*next));
        continue;
      }
      if (open->second.state == State::awaiting_approval || open->second.state == State::invalid) {
        if (phase_ != SessionPhase::awaiting_approval) announce_pending(open->second);
        co_await wait_for_wake();
        continue;
      }
      co_await run_step(open->second);
    }
  } catch (const Cancelled&) {
    end = proto::SessionStatus::cancelled;
  } catch (const RpcError& e) {
    end = proto::SessionStatus::failed;
    failure = std::string(e.kind()) + ": " + e.what();
  } catch (const std::exception& e) {
    end = proto::SessionStatus::failed;
    failure = e.what();
  }
  // Cancelling kills the session's containers, so whatever was under way may fail for that reason.
  if (cancelled_) {
    end = proto::SessionStatus::cancelled;
    failure.reset();
  }
  co_await finish(end, failure);
}

asio::awaitable<void> Session::prepare() {
  auto store = deps_.store;
  const auto session_id = id();
  if (!snapshot_) {
    set_phase(SessionPhase::snapshot,
              "reading and masking a snapshot of " + record_.input_file.filename().string());
    auto take = [fn = deps_.snapshot, source = source_] { return std::optional(fn(source)); };
    snapshot_ = co_await blocking(take);
    check_cancelled();
  }
  if (!stored_snapshot_) {
    auto keep = [store, session_id, snap = snapshot_->snapshot()] {
      store->with([&](store::ContextStore& s) { s.store_snapshot(session_id, snap); });
      return true;
    };
    co_await blocking(keep);
    stored_snapshot_ = snapshot_->snapshot();
  }
  // What earlier sessions of this project learned, for the planner.
  auto notes = [store, session_id] {
    std::string text;
    const auto history = store->with([&](store::ContextStore& s) { return s.history(session_id, 5); });
    for (const auto& [rec, analysis] : history) {
      text += "- session " + rec.session_id + " on " + rec.input_relative + " (" +
              std::string(boost::describe::enum_to_string(rec.status, "?")) + ", " +
              std::to_string(rec.checkpoints.size()) + " step(s) done)";
      if (analysis) {
        for (const auto& issue : analysis->data_quality_issues) text += "; found: " + issue;
      }
      text += "\n";
    }
    return text;
  };
  project_notes_ = co_await blocking(notes);
  // The container starts while the planner thinks.
  asio::post(*deps_.workers, [self = shared_from_this()] { self->deps_.sandbox->warm_up(); });
  if (!analysis_) {
    set_phase(SessionPhase::analysis, "the " + record_.planner + " planner analyses the masked snapshot");
    auto analyze = [planner = deps_.planner.planner.get(), snap = &*snapshot_, context = planning_context(),
                    events = planner_events()] { return planner->analyze(*snap, context, events); };
    auto analysis = co_await blocking(analyze);
    auto keep = [store, session_id, analysis] {
      store->with([&](store::ContextStore& s) { s.store_analysis(session_id, analysis); });
      return true;
    };
    co_await blocking(keep);
    analysis_ = std::move(analysis);
    auto e = event(SessionEventKind::notice,
                   "analysis: " + std::to_string(analysis_->data_quality_issues.size()) +
                       " data quality issue(s), complexity " +
                       std::string(boost::describe::enum_to_string(analysis_->estimated_complexity, "?")));
    publish(std::move(e));
  }
}

planner::PlanningContext Session::planning_context() const {
  planner::PlanningContext c;
  c.input_name = record_.input_file.filename().string();
  c.project_notes = project_notes_;
  c.stop = stop_.get_token();
  for (const auto& [n, s] : steps_) {
    if (open_state(s.state)) continue;
    planner::StepRecord r;
    r.script = s.script;
    r.decision = s.state == State::denied ? planner::Decision::denied : planner::Decision::approved;
    if (s.state == State::denied && s.decision) r.deny_reason = s.decision->reason;
    r.result = s.result;
    c.steps.push_back(std::move(r));
  }
  return c;
}

planner::PlannerEvents Session::planner_events() {
  planner::PlannerEvents events;
  std::weak_ptr<Session> weak = weak_from_this();
  events.on_wait = [weak, loop = deps_.loop](const planner::WaitNotice& wait) {
    asio::post(loop, [weak, wait] {
      const auto self = weak.lock();
      if (!self) return;
      auto e = self->event(SessionEventKind::planner_waiting,
                           "waiting before asking the planner again: " + wait.reason);
      e.delay_seconds = std::chrono::duration<double>(wait.delay).count();
      self->publish(std::move(e));
    });
  };
  // Called on a worker, inside the planner's request: the bytes are kept before they are sent.
  events.on_sent = [store = deps_.store, session_id = id()](std::string_view method, std::string_view body) {
    store->with([&](store::ContextStore& s) { s.record_sent(session_id, method, body); });
  };
  return events;
}

asio::awaitable<std::optional<proto::ProcessingScript>> Session::plan_next() {
  if (deferred_) {
    auto script = std::move(*deferred_);
    deferred_.reset();
    co_return script;
  }
  set_phase(SessionPhase::planning, "the " + record_.planner + " planner proposes the next step");
  auto next = [planner = deps_.planner.planner.get(), snap = &*snapshot_, analysis = *analysis_,
               context = planning_context(),
               events = planner_events()] { return planner->next_script(*snap, analysis, context, events); };
  co_return co_await blocking(next);
}

std::int64_t Session::next_step_number() const {
  return steps_.empty() ? 1 : steps_.rbegin()->first + 1;
}

asio::awaitable<std::int64_t> Session::store_version(std::int64_t step, const proto::ProcessingScript& script,
                                                     store::ScriptOrigin origin,
                                                     const proto::ValidationResult& validation,
                                                     std::optional<store::DecisionRecord> edit) {
  auto keep = [store = deps_.store, session_id = id(), step, script, origin, validation, edit] {
    return store->with([&](store::ContextStore& s) {
      if (edit) s.record_decision(session_id, *edit);
      return s.add_script(session_id, step, script, origin, validation);
    });
  };
  co_return co_await blocking(keep);
}

asio::awaitable<void> Session::propose(proto::ProcessingScript script) {
  const auto step = next_step_number();
  if (!script.required_packages.empty()) {
    auto check = [sandbox = deps_.sandbox.get(), wanted = script.required_packages] {
      return sandbox->missing_packages(wanted);
    };
    const auto missing = co_await blocking(check);
    if (!missing.empty()) {
      // The packages first, as a step of their own; the script follows once they are in.
      deferred_ = script;
      co_await add_step(package_script(missing, script.script_id), proto::StepKind::packages,
                        package_validation(), store::ScriptOrigin::planner);
      co_return;
    }
  }
  set_phase(SessionPhase::validating,
            "checking the proposed " + step_name(step) + " (" + script.script_id + ")", step);
  auto validate = [sandbox = deps_.sandbox.get(), step](const std::string& content) {
    return sandbox->validate(content, step);
  };
  auto check = [&validate, &script] { return validate(script.content); };
  auto validation = co_await blocking(check);
  auto origin = store::ScriptOrigin::planner;
  for (int revision = 0; !validation.is_valid && revision < deps_.max_revisions; ++revision) {
    check_cancelled();
    co_await store_version(step, with_validation(script, validation), origin, validation, std::nullopt);
    set_phase(SessionPhase::planning,
              "the planner revises " + step_name(step) + ": " +
                  (validation.syntax_errors.empty() ? std::string("it failed the security check")
                                                    : validation.syntax_errors.front()),
              step);
    auto revise = [planner = deps_.planner.planner.get(), snap = &*snapshot_, script, validation,
                   context = planning_context(), events = planner_events()] {
      return planner->revise(*snap, script, planner::Revision{validation, std::nullopt}, context, events);
    };
    script = co_await blocking(revise);
    origin = store::ScriptOrigin::revision;
    set_phase(SessionPhase::validating, "checking the revised " + step_name(step), step);
    validation = co_await blocking(check);
  }
  check_cancelled();
  co_await add_step(std::move(script), proto::StepKind::script, validation, origin);
}

asio::awaitable<void> Session::add_step(proto::ProcessingScript script, proto::StepKind kind,
                                        proto::ValidationResult validation, store::ScriptOrigin origin) {
  const auto step = next_step_number();
  script = with_validation(std::move(script), validation);
  const auto version = co_await store_version(step, script, origin, validation, std::nullopt);
  StepInfo info;
  info.step = step;
  info.version = version;
  info.kind = kind;
  info.state = validation.is_valid ? State::awaiting_approval : State::invalid;
  info.content_sha256 = store::sha256_hex(script.content);
  info.script = std::move(script);
  info.validation = std::move(validation);
  approvals_.propose(step, version, *info.validation);
  auto& stored = steps_[step] = std::move(info);
  announce_pending(stored);
}

void Session::announce_pending(const StepInfo& info) {
  phase_ = SessionPhase::awaiting_approval;
  phase_started_ = std::chrono::steady_clock::now();
  ++phase_serial_;
  const bool valid = info.state != State::invalid;
  auto e = event(SessionEventKind::approval_needed,
                 step_name(info.step) + " (version " + std::to_string(info.version) + ", " +
                     info.script.script_id + ") " +
                     (valid ? "waits for approval" : "failed validation: edit it or deny it"),
                 info.step);
  e.pending = pending();
  publish(std::move(e));
}

asio::awaitable<void> Session::run_step(StepInfo& info) {
  if (info.kind == proto::StepKind::packages) {
    co_await run_packages(info);
  } else {
    co_await run_script(info);
  }
}

asio::awaitable<void> Session::record_result(StepInfo& info, proto::ExecutionResult result,
                                             std::vector<store::OutputFile> files) {
  auto keep = [store = deps_.store, session_id = id(),
               r = store::StepResult{info.step, info.version, result, files}] {
    store->with([&](store::ContextStore& s) { s.store_result(session_id, r); });
    return true;
  };
  co_await blocking(keep);
  approvals_.finished(info.step, result.success);
  info.state = result.success ? State::succeeded : State::failed;
  std::string message = step_name(info.step) + (result.success ? " succeeded" : " failed") + " in " +
                        seconds_text(result.execution_time);
  if (!result.success && result.error_message) message += ": " + *result.error_message;
  info.result = std::move(result);
  auto e = event(SessionEventKind::step_finished, std::move(message), info.step);
  e.result = info.result;
  publish(std::move(e));
}

asio::awaitable<void> Session::run_packages(StepInfo& info) {
  approvals_.started(info.step);
  info.state = State::running;
  set_phase(SessionPhase::installing, "installing " + join(info.script.required_packages), info.step,
            SessionEventKind::step_started);
  auto install = [sandbox = deps_.sandbox.get(), packages = info.script.required_packages, step = info.step] {
    proto::ExecutionResult r;
    try {
      const auto done = sandbox->install(packages, step);
      r.success = true;
      r.output_data = done.output;
      r.execution_time = done.seconds;
    } catch (const RpcError& e) {
      r.error_message = std::string(e.kind()) + ": " + e.what();
    }
    return r;
  };
  auto result = co_await blocking(install);
  if (!result.success) deferred_.reset();  // the script cannot run without them; the planner hears why
  co_await record_result(info, std::move(result), {});
}

asio::awaitable<void> Session::run_script(StepInfo& info) {
  // The input must be the file the session started on: a changed one stops it, not mixes data.
  auto hash = [input = record_.input_file] { return store::sha256_file(input); };
  const auto now_hash = co_await blocking(hash);
  if (now_hash != record_.input_sha256) {
    throw RpcError(ErrorCode::InputFile,
                   "the input file " + record_.input_file.string() +
                       " changed since the session started (sha256 " + record_.input_sha256.substr(0, 12) +
                       "..., now " + now_hash.substr(0, 12) +
                       "...); nothing more runs on it. Submit it again for a new session.");
  }
  if (!deps_.slots->free()) {
    info.state = State::queued;
    set_phase(
        SessionPhase::queued,
        step_name(info.step) + " is queued: another session's step is running (max-concurrent-containers)",
        info.step, SessionEventKind::step_queued);
  }
  co_await deps_.slots->acquire();
  const SlotGuard slot(deps_.slots);
  check_cancelled();
  approvals_.started(info.step);
  info.state = State::running;
  set_phase(SessionPhase::running, step_name(info.step) + " runs: " + info.script.script_id, info.step,
            SessionEventKind::step_started);
  const auto session_dir = deps_.store->paths().session(id());
  auto run = [sandbox = deps_.sandbox.get(), content = info.script.content, step = info.step, session_dir] {
    const auto before = list_files(session_dir, session_dir / "intermediate");
    const auto before_out = list_files(session_dir, session_dir / "output");
    auto ran = sandbox->run(content, step);
    std::vector<store::OutputFile> files;
    for (const auto* dir : {"intermediate", "output"}) {
      const auto& old = std::string(dir) == "output" ? before_out : before;
      for (const auto& [path, stamp] : list_files(session_dir, session_dir / dir)) {
        const auto it = old.find(path);
        if (it != old.end() && it->second == stamp) continue;
        files.push_back(
            {path, store::sha256_file(session_dir / path), static_cast<std::int64_t>(stamp.first)});
        ran.result.output_files.push_back(path);
      }
    }
    return std::pair(std::move(ran), std::move(files));
  };
  auto [ran, files] = co_await blocking(run);
  co_await record_result(info, std::move(ran.result), std::move(files));
}

asio::awaitable<void> Session::finish(proto::SessionStatus status, std::optional<std::string> failure) {
  auto store = deps_.store;
  const auto session_id = id();
  if (status == proto::SessionStatus::completed) {
    set_phase(SessionPhase::writing_results, "writing the results folder");
    auto write = [store, session_id, root = record_.output_directory] {
      SessionHistory h;
      store->with([&](store::ContextStore& s) {
        h.session = s.session(session_id);
        h.analysis = s.analysis(session_id);
        h.scripts = s.scripts(session_id);
        h.decisions = s.decisions(session_id);
        h.results = s.results(session_id);
      });
      h.session.status = proto::SessionStatus::completed;  // what it is once the folder is written
      h.session_dir = store->paths().session(session_id);
      return write_results(h, root, std::chrono::system_clock::now()).string();
    };
    try {
      results_directory_ = co_await blocking(write);
    } catch (const std::exception& e) {
      status = proto::SessionStatus::failed;
      failure = std::string("the results could not be written: ") + e.what();
    }
  }
  auto keep = [store, session_id, status, failure] {
    store->with([&](store::ContextStore& s) { s.set_status(session_id, status, failure); });
    return true;
  };
  try {
    co_await blocking(keep);
  } catch (const std::exception& e) {
    GDP_LOG(error) << "session " << session_id << ": its end could not be stored: " << e.what();
  }
  record_.status = status;
  record_.failure = failure;
  // The container goes, and the key with the planner (wiped when its last reference drops).
  auto stop = [sandbox = deps_.sandbox.get()] {
    try {
      sandbox->stop();
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): cleanup removes it later
    }
    return true;
  };
  co_await blocking(stop);
  deps_.planner = {};
  phase_ = status == proto::SessionStatus::completed ? SessionPhase::done : SessionPhase::stopped;
  ++phase_serial_;
  std::string message = "session " + std::string(boost::describe::enum_to_string(status, "?"));
  if (results_directory_) message += ": results in " + *results_directory_;
  if (failure) message += ": " + *failure;
  auto e = event(SessionEventKind::finished, std::move(message));
  e.status = status;
  live_ = false;
  publish(std::move(e));
  followers_.clear();
  if (event_log_ != nullptr) {
    std::fclose(event_log_);
    event_log_ = nullptr;
  }
  GDP_LOG(info) << "session " << session_id << " " << boost::describe::enum_to_string(status, "?");
}

// ---- answers -------------------------------------------------------------------------------------

StepInfo& Session::step_of(std::optional<std::int64_t> step, std::optional<std::int64_t> version) {
  if (!live_) {
    throw RpcError(ErrorCode::InvalidState,
                   "session " + id() + " is " +
                       std::string(boost::describe::enum_to_string(record_.status, "?")) +
                       " and waits for nothing");
  }
  if (!step) {
    step = approvals_.waiting();
    if (!step) {
      throw RpcError(ErrorCode::InvalidState,
                     "no step of session " + id() + " waits for an answer now (it is " +
                         std::string(boost::describe::enum_to_string(phase_, "?")) + ")");
    }
  }
  const auto it = steps_.find(*step);
  if (it == steps_.end()) {
    throw RpcError(ErrorCode::InvalidState, "session " + id() + " has no " + step_name(*step) +
                                                "; gdp status " + id() + " shows its steps");
  }
  if (version && *version != it->second.version) {
    throw RpcError(ErrorCode::InvalidState,
                   step_name(*step) + " is at version " + std::to_string(it->second.version) + ", not " +
                       std::to_string(*version) +
                       ": it was edited since you looked; look at it again (gdp show " + id() + " --step " +
                       std::to_string(*step) + ")");
  }
  return it->second;
}

asio::awaitable<proto::DecisionInfo> Session::answer(Answer a, store::DecisionKind kind,
                                                     const proto::DecidedBy& by) {
  auto& info = step_of(a.step == 0 ? std::nullopt : std::optional(a.step),
                       a.version == 0 ? std::nullopt : std::optional(a.version));
  if (editing_) {
    throw RpcError(ErrorCode::InvalidState,
                   "an edit of " + step_name(info.step) + " is being checked; answer once it is shown again");
  }
  a.step = info.step;
  const auto version = approvals_.answer(a);  // the first valid answer wins, here, on the loop
  info.state = kind == store::DecisionKind::approve ? State::approved : State::denied;
  store::DecisionRecord record{
      info.step, version, kind, a.reason, {by.pid, by.tty.value_or("")}, now_text(), info.content_sha256};
  auto keep = [store = deps_.store, session_id = id(), record] {
    store->with([&](store::ContextStore& s) { s.record_decision(session_id, record); });
    return true;
  };
  co_await blocking(keep);
  info.decision = decision_info(record);
  if (kind == store::DecisionKind::deny && info.kind == proto::StepKind::packages) deferred_.reset();
  std::string who = "pid " + std::to_string(by.pid) + (by.tty ? " on " + *by.tty : std::string());
  std::string message = step_name(info.step) +
                        (kind == store::DecisionKind::approve ? " approved" : " denied") + " by " + who +
                        (a.reason ? " (reason: " + *a.reason + ")" : "");
  auto e = event(SessionEventKind::decided, std::move(message), info.step);
  e.decision = info.decision;
  publish(std::move(e));
  wake();
  co_return *info.decision;
}

asio::awaitable<proto::DecisionInfo> Session::approve(const proto::ApproveParams& p,
                                                      const proto::DecidedBy& by) {
  Answer a{AnswerKind::approve, p.step.value_or(0), p.version.value_or(0), std::nullopt,
           p.confirm_restricted.value_or(false)};
  co_return co_await answer(a, store::DecisionKind::approve, by);
}

asio::awaitable<proto::DecisionInfo> Session::deny(const proto::DenyParams& p, const proto::DecidedBy& by) {
  Answer a{AnswerKind::deny, p.step.value_or(0), p.version.value_or(0), p.reason, false};
  co_return co_await answer(a, store::DecisionKind::deny, by);
}

asio::awaitable<proto::EditResult> Session::edit(const proto::EditParams& p, const proto::DecidedBy& by) {
  auto& info = step_of(p.step, p.version);
  if (info.state != State::awaiting_approval && info.state != State::invalid) {
    throw RpcError(ErrorCode::InvalidState,
                   step_name(info.step) + " is " +
                       std::string(boost::describe::enum_to_string(info.state, "?")) +
                       "; only a step waiting for approval can be edited");
  }
  if (info.kind == proto::StepKind::packages) {
    throw RpcError(
        ErrorCode::InvalidState,
        "a package step cannot be edited; deny it and the planner is told the packages were refused");
  }
  if (editing_)
    throw RpcError(ErrorCode::InvalidState, "another edit of this step is being checked; try again");
  if (p.content.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw RpcError(ErrorCode::InvalidParams, "the edited script is empty; to skip the step, deny it");
  }
  const auto step = info.step;
  const auto from = info.version;
  auto script = info.script;
  script.content = p.content;
  editing_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{editing_};
  auto check = [sandbox = deps_.sandbox.get(), content = p.content, step] {
    return sandbox->validate(content, step);
  };
  auto validation = co_await blocking(check);
  script = with_validation(std::move(script), validation);
  store::DecisionRecord record{step,
                               from,
                               store::DecisionKind::edit,
                               std::nullopt,
                               {by.pid, by.tty.value_or("")},
                               now_text(),
                               info.content_sha256};
  const auto version = co_await store_version(step, script, store::ScriptOrigin::edit, validation, record);
  approvals_.propose(step, version, validation);
  auto& again = steps_.at(step);
  again.version = version;
  again.content_sha256 = store::sha256_hex(script.content);
  again.script = std::move(script);
  again.validation = validation;
  again.state = validation.is_valid ? State::awaiting_approval : State::invalid;
  again.decision.reset();
  auto e =
      event(SessionEventKind::decided,
            step_name(step) + " edited by pid " + std::to_string(by.pid) + (by.tty ? " on " + *by.tty : "") +
                ": version " + std::to_string(version) + (validation.is_valid ? "" : " fails validation"),
            step);
  e.decision = decision_info(record);
  publish(std::move(e));
  announce_pending(again);
  co_return proto::EditResult{step, version, validation};
}

void Session::cancel() {
  if (!live_ || cancelled_) return;
  cancelled_ = true;
  publish(event(SessionEventKind::notice, "cancelling"));
  wake();
  interrupt();
}

void Session::suspend() {
  if (live_) interrupt();
}

void Session::interrupt() {
  stop_.request_stop();
  asio::post(*deps_.workers, [self = shared_from_this()] {
    try {
      self->deps_.sandbox->interrupt();
    } catch (const std::exception& e) {
      GDP_LOG(warn) << "session " << self->id() << ": could not stop its step: " << e.what();
    }
  });
}

}  // namespace gdp::session
