// snapshot: the first look at a user's data, exactly as a planner would see it: read on the
// worker pool (a 1 GB scan never stalls the replies and events of other clients), then masked by
// the privacy step, so what the user reviews is what would leave the machine.
#include "daemon/daemon.h"
#include "daemon/ingest/snapshot.h"
#include "daemon/log.h"
#include "daemon/rpc/methods.h"
#include "daemon/rpc/snapshot_request.h"
#include "daemon/worker_pool.h"

namespace gdp {

std::function<privacy::SanitizedSnapshot()> snapshot_job(const DaemonCore& core,
                                                         const proto::SnapshotParams& params) {
  if (params.path.empty() || params.path.front() != '/') {
    throw RpcError(ErrorCode::InvalidParams, "path must be absolute (gdp resolves it for you)",
                   {{"field", "path"}});
  }
  ingest::SnapshotOptions options;
  options.method = params.method.value_or(proto::ExtractionMethod::random);
  options.stratify_by = params.stratify_by;
  options.seed = params.seed;
  if (params.seed && (*params.seed < 0 || *params.seed >= (std::int64_t{1} << 53))) {
    throw RpcError(ErrorCode::InvalidParams, "seed must be between 0 and 2^53 - 1", {{"field", "seed"}});
  }
  if (params.sample_size) {
    if (*params.sample_size < 1 || *params.sample_size > 100000) {
      throw RpcError(ErrorCode::InvalidParams, "sample_size must be between 1 and 100000",
                     {{"field", "sample_size"}});
    }
    options.sample_size = static_cast<std::size_t>(*params.sample_size);
  }
  options.max_bytes = core.config.max_input_bytes;
  options.allow_large = params.allow_large.value_or(false);
  return [path = params.path, options, sanitizer = core.sanitizer, off = core.config.no_sanitize] {
    auto raw = ingest::build_snapshot(path, options);
    privacy::Vault vault;  // one snapshot, one numbering; sessions keep theirs across calls
    return off ? privacy::Sanitizer::pass_through(std::move(raw))
               : sanitizer->sanitize(std::move(raw), vault);
  };
}

boost::asio::awaitable<proto::SnapshotResult> IngestMethods::snapshot(proto::SnapshotParams params,
                                                                      CallContext&) {
  const auto started = std::chrono::steady_clock::now();
  auto work = [job = snapshot_job(core_, params)] {
    auto sanitized = job();
    const bool masked = sanitized.masked();
    return proto::SnapshotResult{std::move(sanitized).snapshot(), 0, masked};
  };
  auto result = co_await run_blocking(*core_.workers, std::move(work));
  result.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  GDP_LOG(info) << "snapshot of " << params.path << ": " << result.snapshot.total_rows << " rows, "
                << result.snapshot.columns.size() << " columns, " << result.snapshot.sanitized_fields.size()
                << " fields masked in " << result.elapsed_seconds << " s";
  co_return result;
}

}  // namespace gdp
