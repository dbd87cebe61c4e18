// plan: what the planner gdpd would use makes of a file, before anything runs. The snapshot is
// read and masked exactly as for `snapshot`; only the masked snapshot reaches the planner (the
// Planner interface takes nothing else), and the key the client forwarded is wiped when done.
#include "common/jsonrpc.h"
#include "common/wire.h"
#include "daemon/daemon.h"
#include "daemon/llm/choose.h"
#include "daemon/log.h"
#include "daemon/rpc/methods.h"
#include "daemon/rpc/snapshot_request.h"
#include "daemon/worker_pool.h"

#include <filesystem>

namespace gdp {

boost::asio::awaitable<proto::PlanResult> PlannerMethods::plan(proto::PlanParams params, CallContext& ctx) {
  const auto started = std::chrono::steady_clock::now();
  auto job = snapshot_job(core_, params.source);
  std::string forwarded = std::move(params.api_key).value_or(std::string());
  auto work = [this, job = std::move(job), forwarded = std::move(forwarded), notify = ctx.notify,
               input = std::filesystem::path(params.source.path).filename().string()]() mutable {
    auto chosen = planner::choose_planner(core_.planner_choice(), forwarded);
    auto sanitized = job();
    proto::PlanResult out;
    out.planner = std::string(chosen.planner->name());
    out.note = chosen.note;
    if (chosen.rotation_warning) out.warnings.push_back(*chosen.rotation_warning);
    if (!sanitized.masked()) {
      out.warnings.emplace_back("gdpd runs with --no-sanitize: this snapshot is NOT masked");
    }
    planner::PlanningContext context;
    context.input_name = input;
    planner::PlannerEvents events;
    // A wait is told to the user before it starts, so a pause never looks like a hang.
    events.on_wait = [&notify](const planner::WaitNotice& wait) {
      notify(rpc::encode_notification(proto::PlannerWaiting::name,
                                      wire::to_json(proto::PlannerWaitingEvent{
                                          wait.reason, std::chrono::duration<double>(wait.delay).count()})));
    };
    out.analysis = chosen.planner->analyze(sanitized, context, events);
    out.script = chosen.planner->next_script(sanitized, out.analysis, context, events);
    out.sanitized = sanitized.masked();
    out.snapshot = std::move(sanitized).snapshot();
    return out;
  };
  auto result = co_await run_blocking(*core_.workers, std::move(work));
  result.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  GDP_LOG(info) << "plan of " << params.source.path << " by " << result.planner << " in "
                << result.elapsed_seconds << " s";
  co_return result;
}

}  // namespace gdp
