// submit, attach, detach, approve, deny, edit, show, log, resume, cancel: the session workflow on
// the wire. A live session is asked directly (on the loop); one gdpd does not drive (finished, or
// abandoned until resumed) is read from its project's store on the worker pool.
#include "common/jsonrpc.h"
#include "common/wire.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/rpc/methods.h"
#include "daemon/rpc/snapshot_request.h"
#include "daemon/session/manager.h"
#include "daemon/store/hash.h"
#include "daemon/worker_pool.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fstream>
#include <future>

namespace gdp {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

fs::path absolute_param(const std::string& path, const char* field) {
  if (path.empty() || path.front() != '/') {
    throw RpcError(ErrorCode::InvalidParams,
                   std::string(field) + " must be an absolute path (gdp resolves it for you)",
                   {{"field", field}});
  }
  return fs::path(path).lexically_normal();
}

proto::DecidedBy decided_by(const CallContext& ctx) {
  // The kernel's word for the pid (SO_PEERCRED), the client's for its terminal.
  return {ctx.connection.peer.pid, ctx.connection.client.tty};
}

std::vector<proto::SessionEvent> read_event_log(const fs::path& file) {
  std::vector<proto::SessionEvent> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    try {
      out.push_back(wire::from_json<proto::SessionEvent>(boost::json::parse(line)));
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): a torn last line (kill -9) is dropped
    }
  }
  return out;
}

// A session as its store has it: what `status`, `show` and `attach` give for one gdpd does not drive.
struct Stored {
  std::shared_ptr<session::ProjectStore> project;
  store::SessionRecord record;
  std::map<std::int64_t, session::StepInfo> steps;
};

Stored load(const std::shared_ptr<session::ProjectStore>& project, const std::string& id) {
  Stored s;
  s.project = project;
  project->with([&](store::ContextStore& st) {
    s.record = st.session(id);
    s.steps = session::steps_from_store(st.scripts(id), st.decisions(id), st.results(id));
  });
  return s;
}

proto::SessionView view_of(const Stored& s) {
  auto v = session::stored_view(s.record, s.steps);
  v.project = s.project->paths().project.string();
  return v;
}

}  // namespace

// ---- lookups -------------------------------------------------------------------------------------

std::shared_ptr<session::ProjectStore> SessionMethods::project_for(const std::string& id,
                                                                   const std::optional<std::string>& hint) {
  std::optional<fs::path> dir;
  if (hint) dir = absolute_param(*hint, "project");
  if (!dir) dir = core_.sessions->project_of(id);
  if (!dir) {
    throw RpcError(
        ErrorCode::SessionNotFound,
        "gdpd knows no session " + id + "; run gdp from its project directory or pass --project DIR");
  }
  return core_.sessions->project(*dir);  // opens it if need be (blocking: callers are on the pool)
}

asio::awaitable<proto::SessionView> SessionMethods::view(const std::string& id,
                                                         const std::optional<std::string>& project) {
  if (const auto live = core_.sessions->live(id)) co_return live->view();
  auto read = [this, id, project] { return view_of(load(project_for(id, project), id)); };
  co_return co_await run_blocking(*core_.workers, read);
}

std::shared_ptr<session::Session> SessionMethods::live_or_explain(const std::string& id) {
  if (auto live = core_.sessions->live(id); live && live->live()) return live;
  std::string state = "unknown to this gdpd";
  for (const auto& s : core_.sessions->list()) {
    if (s.session_id == id) state = std::string(boost::describe::enum_to_string(s.status, "?"));
  }
  if (state == "unknown to this gdpd") {
    throw RpcError(ErrorCode::SessionNotFound,
                   "gdpd knows no session " + id + "; gdp status lists the sessions");
  }
  throw RpcError(ErrorCode::InvalidState,
                 "session " + id + " is " + state +
                     (state == "abandoned" || state == "failed" ? "; gdp resume " + id + " continues it"
                                                                : "; it takes no answers"));
}

// ---- a new session -------------------------------------------------------------------------------

session::SessionDeps SessionMethods::deps(std::shared_ptr<session::ProjectStore> project,
                                          const std::string& id, const fs::path& input,
                                          planner::ChosenPlanner chosen) {
  session::SessionDeps d;
  d.loop = core_.loop;
  d.workers = core_.workers.get();
  d.store = project;
  const auto dir = project->paths().session(id);
  session::SandboxPlace place{input,
                              dir / "intermediate",
                              dir / "output",
                              dir / "scripts",
                              fs::path(core_.config.state_dir) / "scratch",
                              {core_.daemon_label, id, 0}};
  for (const auto& p : {place.work, place.output, place.scripts, place.scratch}) fs::create_directories(p);
  d.sandbox = core_.make_sandbox(place);
  d.planner = std::move(chosen);
  d.snapshot = [core = &core_](const proto::SnapshotParams& p) { return snapshot_job(*core, p)(); };
  d.slots = core_.sessions->slots();
  d.on_summary = [manager = core_.sessions.get()](const proto::SessionSummary& s) { manager->update(s); };
  return d;
}

asio::awaitable<proto::SubmitResult> SessionMethods::submit(proto::SubmitParams params, CallContext&) {
  const auto input = absolute_param(params.source.path, "path");
  const auto project_dir = params.project ? absolute_param(*params.project, "project") : input.parent_path();
  const auto output = params.output ? absolute_param(*params.output, "output") : project_dir / "output";
  auto job = snapshot_job(core_, params.source);  // checks the params now
  std::string forwarded = std::move(params.api_key).value_or(std::string());
  struct Prepared {
    std::optional<privacy::SanitizedSnapshot> snapshot;
    planner::ChosenPlanner chosen;
    std::shared_ptr<session::ProjectStore> project;
    store::SessionRecord record;
  };
  // The snapshot first: a file that cannot be read is an error here, and no session is made.
  auto prepare = [this, job = std::move(job), forwarded = std::move(forwarded), input, project_dir,
                  output]() mutable {
    Prepared p;
    p.chosen = planner::choose_planner(core_.planner_choice(), forwarded);
    // The hash on a thread of its own beside the snapshot's pass: both read the file once, from
    // the page cache, and on a large file each takes seconds.
    auto hashing = std::async(std::launch::async, [input] { return store::sha256_file(input); });
    p.snapshot.emplace(job());
    const auto sha = hashing.get();
    p.project = core_.sessions->project(project_dir);
    p.record = p.project->with([&](store::ContextStore& s) {
      return s.create_session({input, sha, std::string(p.chosen.planner->name()), output});
    });
    return p;
  };
  auto prepared = co_await run_blocking(*core_.workers, prepare);
  proto::SubmitResult result;
  result.note = prepared.chosen.note;
  if (prepared.chosen.rotation_warning) result.warnings.push_back(*prepared.chosen.rotation_warning);
  if (!prepared.snapshot->masked()) {
    result.warnings.emplace_back("gdpd runs with --no-sanitize: snapshots go to the planner UNMASKED");
  }
  auto source = params.source;
  source.seed = prepared.snapshot->snapshot().seed;  // a resumed session takes the same rows
  const auto id = prepared.record.session_id;
  auto s = std::make_shared<session::Session>(deps(prepared.project, id, input, std::move(prepared.chosen)),
                                              std::move(prepared.record), source);
  s->set_snapshot(std::move(*prepared.snapshot));
  core_.sessions->add(s);
  s->start();
  GDP_LOG(info) << "session " << id << " submitted on " << input.string();
  result.session = s->view();
  co_return result;
}

asio::awaitable<proto::SessionView> SessionMethods::resume(proto::ResumeParams params, CallContext&) {
  if (const auto live = core_.sessions->live(params.session_id); live && live->live()) {
    throw RpcError(ErrorCode::InvalidState, "session " + params.session_id + " is running; gdp attach " +
                                                params.session_id + " follows it");
  }
  std::string forwarded = std::move(params.api_key).value_or(std::string());
  struct Prepared {
    Stored stored;
    planner::ChosenPlanner chosen;
    std::optional<proto::DataSnapshot> snapshot;
    std::optional<proto::DataAnalysis> analysis;
    std::vector<proto::SessionEvent> events;
    std::optional<privacy::SanitizedSnapshot> sanitized;
    proto::SnapshotParams source;
  };
  auto prepare = [this, id = params.session_id, project = params.project,
                  forwarded = std::move(forwarded)]() mutable {
    Prepared p;
    p.stored = load(project_for(id, project), id);
    const auto& r = p.stored.record;
    using proto::SessionStatus;
    if (r.status == SessionStatus::completed || r.status == SessionStatus::cancelled) {
      throw RpcError(ErrorCode::InvalidState,
                     "session " + id + " is " + std::string(boost::describe::enum_to_string(r.status, "?")) +
                         "; only an abandoned or failed session can be resumed");
    }
    // The same input, or nothing: a resumed session must not mix two versions of the data.
    if (store::sha256_file(r.input_file) != r.input_sha256) {
      throw RpcError(ErrorCode::InputFile,
                     "the input " + r.input_file.string() + " is not the file session " + id +
                         " started on (its sha256 differs); submit it as a new session");
    }
    p.stored.project->with([&](store::ContextStore& s) {
      p.snapshot = s.snapshot(id);
      p.analysis = s.analysis(id);
    });
    p.events = read_event_log(p.stored.project->paths().session(id) / "logs" / "events.jsonl");
    p.source.path = r.input_file.string();
    p.source.allow_large = true;  // agreed to at submit
    if (p.snapshot) {
      p.source.method = p.snapshot->extraction_method;
      p.source.stratify_by = p.snapshot->stratify_by;
      p.source.seed = p.snapshot->seed;
      p.source.sample_size = std::max<std::int64_t>(1, p.snapshot->sample_size);
    }
    p.chosen = planner::choose_planner(core_.planner_choice(), forwarded);
    p.sanitized.emplace(snapshot_job(core_, p.source)());
    p.stored.project->with([&](store::ContextStore& s) { s.set_status(id, proto::SessionStatus::active); });
    p.stored.record.status = proto::SessionStatus::active;
    p.stored.record.failure.reset();
    return p;
  };
  auto p = co_await run_blocking(*core_.workers, prepare);
  const auto id = p.stored.record.session_id;
  const auto input = p.stored.record.input_file;
  auto s = std::make_shared<session::Session>(deps(p.stored.project, id, input, std::move(p.chosen)),
                                              std::move(p.stored.record), p.source);
  s->restore(std::move(p.stored.steps), std::move(p.events), std::move(p.snapshot), std::move(p.analysis));
  s->set_snapshot(std::move(*p.sanitized));
  core_.sessions->add(s);
  s->start();
  GDP_LOG(info) << "session " << id << " resumed";
  co_return s->view();
}

// ---- following -----------------------------------------------------------------------------------

asio::awaitable<proto::AttachResult> SessionMethods::attach(proto::AttachParams params, CallContext& ctx) {
  proto::AttachResult result;
  const auto since = params.since_seq.value_or(0);
  if (const auto live = core_.sessions->live(params.session_id)) {
    // On the loop: the replay and the subscription are one step, so no event falls between.
    result.events = live->attach(ctx.connection.id, ctx.notify, since);
    result.session = live->view();
    co_return result;
  }
  auto read = [this, id = params.session_id, project = params.project, since] {
    proto::AttachResult r;
    const auto stored = load(project_for(id, project), id);
    r.session = view_of(stored);
    for (auto& e : read_event_log(stored.project->paths().session(id) / "logs" / "events.jsonl")) {
      if (e.seq > since) r.events.push_back(std::move(e));
    }
    return r;
  };
  co_return co_await run_blocking(*core_.workers, read);
}

asio::awaitable<proto::DetachResult> SessionMethods::detach(proto::SessionRef params, CallContext& ctx) {
  const auto live = core_.sessions->live(params.session_id);
  co_return proto::DetachResult{live && live->detach(ctx.connection.id)};
}

asio::awaitable<proto::LogResult> SessionMethods::log(proto::SessionRef params, CallContext&) {
  if (const auto live = core_.sessions->live(params.session_id)) co_return proto::LogResult{live->events()};
  auto read = [this, id = params.session_id, project = params.project] {
    const auto p = project_for(id, project);
    p->with([&](store::ContextStore& s) { return s.session(id); });  // SessionNotFound when absent
    return proto::LogResult{read_event_log(p->paths().session(id) / "logs" / "events.jsonl")};
  };
  co_return co_await run_blocking(*core_.workers, read);
}

// ---- answers -------------------------------------------------------------------------------------

asio::awaitable<proto::DecisionResult> SessionMethods::approve(proto::ApproveParams params,
                                                               CallContext& ctx) {
  const auto s = live_or_explain(params.session_id);
  const auto by = decided_by(ctx);
  auto decision = co_await s->approve(params, by);
  co_return proto::DecisionResult{std::move(decision)};
}

asio::awaitable<proto::DecisionResult> SessionMethods::deny(proto::DenyParams params, CallContext& ctx) {
  const auto s = live_or_explain(params.session_id);
  const auto by = decided_by(ctx);
  auto decision = co_await s->deny(params, by);
  co_return proto::DecisionResult{std::move(decision)};
}

asio::awaitable<proto::EditResult> SessionMethods::edit(proto::EditParams params, CallContext& ctx) {
  const auto s = live_or_explain(params.session_id);
  const auto by = decided_by(ctx);
  auto result = co_await s->edit(params, by);
  co_return result;
}

asio::awaitable<proto::SessionView> SessionMethods::cancel(proto::SessionRef params, CallContext&) {
  if (const auto live = core_.sessions->live(params.session_id); live && live->live()) {
    live->cancel();
    // The workflow stops at its next step boundary (a running step is killed): wait for it, so the
    // answer is the final state.
    asio::steady_timer tick(core_.loop);
    for (int i = 0; i < 600 && live->live(); ++i) {
      tick.expires_after(std::chrono::milliseconds(50));
      co_await tick.async_wait(asio::use_awaitable);
    }
    co_return live->view();
  }
  auto stop = [this, id = params.session_id, project = params.project] {
    auto stored = load(project_for(id, project), id);
    if (stored.record.status == proto::SessionStatus::completed) {
      throw RpcError(ErrorCode::InvalidState, "session " + id + " has completed; there is nothing to cancel");
    }
    stored.project->with([&](store::ContextStore& s) { s.set_status(id, proto::SessionStatus::cancelled); });
    stored.record.status = proto::SessionStatus::cancelled;
    return stored;
  };
  const auto stored = co_await run_blocking(*core_.workers, stop);
  auto v = view_of(stored);
  core_.sessions->update({v.session_id, v.project, v.input_file, v.status, v.created_at, v.last_accessed,
                          static_cast<std::int64_t>(stored.record.checkpoints.size()), false});
  co_return v;
}

// ---- reading -------------------------------------------------------------------------------------

asio::awaitable<proto::ShowResult> SessionMethods::show(proto::ShowParams params, CallContext&) {
  proto::ShowResult result;
  result.session = co_await view(params.session_id, params.project);
  auto read = [this, params, project_dir = result.session.project] {
    proto::ShowResult r;
    const auto& id = params.session_id;
    const auto project = core_.sessions->project(project_dir);
    project->with([&](store::ContextStore& s) {
      if (params.analysis.value_or(false)) {
        r.analysis = s.analysis(id);
        r.snapshot = s.snapshot(id);
      }
      if (params.step) {
        for (const auto& v : s.scripts(id)) {
          if (v.step != *params.step) continue;
          r.versions.push_back({v.step, v.version,
                                std::string(boost::describe::enum_to_string(v.origin, "?")), v.script,
                                v.validation, v.content_sha256, v.created_at});
        }
        if (r.versions.empty()) {
          throw RpcError(ErrorCode::InvalidParams,
                         "session " + id + " has no step " + std::to_string(*params.step),
                         {{"field", "step"}});
        }
        for (const auto& d : s.decisions(id)) {
          if (d.step == *params.step) r.decisions.push_back(session::decision_info(d));
        }
      }
      if (params.sent.value_or(false)) {
        for (auto& x : s.sent(id)) r.sent.push_back({x.seq, x.method, x.sent_at, std::move(x.body)});
      }
    });
    return r;
  };
  auto detail = co_await run_blocking(*core_.workers, read);
  detail.session = std::move(result.session);
  co_return detail;
}

}  // namespace gdp
