// cleanup: containers labelled for this daemon that no live step owns are removed. No step runs
// yet outside a session (issue 7 brings them), so every labelled container is such a leftover.
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/rpc/methods.h"
#include "daemon/sandbox/runner.h"
#include "daemon/worker_pool.h"

namespace gdp {

boost::asio::awaitable<proto::CleanupResult> SandboxMethods::cleanup(proto::CleanupParams, CallContext&) {
  auto work = [engine = core_.engine, label = core_.daemon_label] {
    proto::CleanupResult result;
    result.engine = engine->version().version;
    result.removed = static_cast<std::int64_t>(sandbox::force_cleanup_all_containers(*engine, label));
    return result;
  };
  auto result = co_await run_blocking(*core_.workers, std::move(work));
  GDP_LOG(info) << "cleanup removed " << result.removed << " container(s)";
  co_return result;
}

}  // namespace gdp
