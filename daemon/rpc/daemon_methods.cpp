// ping, version and status: questions about the daemon itself.
#include "daemon/daemon.h"
#include "daemon/rpc/methods.h"
#include "daemon/session/manager.h"
#include "gdp/version.h"

#include <boost/version.hpp>

#include <unistd.h>

namespace gdp {

boost::asio::awaitable<proto::PingResult> DaemonMethods::ping(proto::PingParams, CallContext&) {
  co_return proto::PingResult{true, core_.uptime_seconds()};
}

boost::asio::awaitable<proto::VersionResult> DaemonMethods::version(proto::VersionParams, CallContext& ctx) {
  proto::VersionResult result;
  result.daemon_version = kVersion;
  result.protocol_version = ctx.connection.protocol_version;
  result.supported_protocol_versions.assign(proto::kSupportedProtocolVersions.begin(),
                                            proto::kSupportedProtocolVersions.end());
  result.build = {kCompiler, kBuildType, BOOST_LIB_VERSION};
  co_return result;
}

boost::asio::awaitable<proto::StatusResult> DaemonMethods::status(proto::StatusParams params, CallContext&) {
  proto::StatusResult result;
  result.daemon = {getpid(),
                   kVersion,
                   core_.uptime_seconds(),
                   static_cast<std::int64_t>(core_.connection_count()),
                   core_.config.socket_path,
                   core_.config.state_dir};
  result.sessions = core_.sessions->list();
  if (params.session_id) result.session = co_await sessions_.view(*params.session_id, params.project);
  co_return result;
}

}  // namespace gdp
