// cleanup: containers labelled for this daemon that no live step owns are removed; with an age,
// abandoned sessions older than that go too, with their files (their containers went when the
// gdpd that ran them died, or at this gdpd's start).
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/rpc/methods.h"
#include "daemon/sandbox/runner.h"
#include "daemon/session/manager.h"
#include "daemon/worker_pool.h"

#include <set>

namespace gdp {

namespace {

// Abandoned sessions last touched before `cutoff`, in the given projects; removed, ids returned.
std::vector<std::string> remove_abandoned(const std::vector<std::shared_ptr<session::ProjectStore>>& projects,
                                          std::chrono::system_clock::time_point cutoff) {
  std::vector<std::string> removed;
  for (const auto& project : projects) {
    project->with([&](store::ContextStore& s) {
      for (const auto& summary : s.sessions()) {
        if (summary.status != proto::SessionStatus::abandoned) continue;
        const auto touched = store::parse_rfc3339(summary.last_accessed);
        if (!touched || *touched > cutoff) continue;
        s.remove_session(summary.session_id);
        removed.push_back(summary.session_id);
      }
    });
  }
  return removed;
}

// Containers of this daemon that no live session owns (a live session's warm container stays).
std::int64_t remove_orphans(sandbox::Engine& engine, const std::string& label,
                            const std::set<std::string>& live) {
  std::int64_t removed = 0;
  for (const auto& c : engine.list_containers({std::string(sandbox::kDaemonLabel) + "=" + label})) {
    const auto owner = c.labels.find(std::string(sandbox::kSessionLabel));
    if (owner != c.labels.end() && live.contains(owner->second)) continue;
    engine.remove(c.id, true);
    ++removed;
  }
  return removed;
}

}  // namespace

boost::asio::awaitable<proto::CleanupResult> SandboxMethods::cleanup(proto::CleanupParams params,
                                                                     CallContext&) {
  if (params.older_than_seconds && !(*params.older_than_seconds >= 0)) {
    throw RpcError(ErrorCode::InvalidParams, "older_than_seconds must be 0 or more",
                   {{"field", "older_than_seconds"}});
  }
  if (params.project && (params.project->empty() || params.project->front() != '/')) {
    throw RpcError(ErrorCode::InvalidParams, "project must be an absolute path", {{"field", "project"}});
  }
  std::set<std::string> live;
  for (const auto& s : core_.sessions->list()) {
    if (const auto session = core_.sessions->live(s.session_id); session && session->live())
      live.insert(s.session_id);
  }
  auto* manager = core_.sessions.get();
  auto work = [engine = core_.engine, label = core_.daemon_label, live, manager, params] {
    proto::CleanupResult result;
    if (params.older_than_seconds) {
      std::vector<std::shared_ptr<session::ProjectStore>> projects;
      if (params.project) {
        projects.push_back(manager->project(*params.project));
      } else {
        for (const auto& dir : manager->projects()) projects.push_back(manager->project(dir));
      }
      const auto cutoff =
          std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                 std::chrono::duration<double>(*params.older_than_seconds));
      result.removed_sessions = remove_abandoned(projects, cutoff);
    }
    result.engine = engine->version().version;
    result.removed = remove_orphans(*engine, label, live);
    return result;
  };
  auto result = co_await run_blocking(*core_.workers, work);
  for (const auto& id : result.removed_sessions) core_.sessions->forget(id);
  GDP_LOG(info) << "cleanup removed " << result.removed << " container(s) and "
                << result.removed_sessions.size() << " abandoned session(s)";
  co_return result;
}

}  // namespace gdp
