// hello: the first message of every connection. It picks the newest protocol version both sides
// speak and records who the client is (for "approved by pid 4242 on /dev/pts/3" later).
#include "daemon/log.h"
#include "daemon/rpc/methods.h"
#include "gdp/version.h"

#include <unistd.h>
#include <algorithm>

namespace gdp {

boost::asio::awaitable<proto::HelloResult> HandshakeMethods::hello(proto::HelloParams params,
                                                                   CallContext& ctx) {
  if (ctx.connection.greeted) {
    throw RpcError(ErrorCode::HandshakeRepeated, "this connection already said hello");
  }
  std::int64_t chosen = 0;
  for (auto v : proto::kSupportedProtocolVersions) {  // newest first
    if (std::find(params.protocol_versions.begin(), params.protocol_versions.end(), v) !=
        params.protocol_versions.end()) {
      chosen = v;
      break;
    }
  }
  if (chosen == 0) {
    auto list = [](const auto& versions) {
      std::string out;
      for (auto v : versions) out += (out.empty() ? "" : ", ") + std::to_string(v);
      return out.empty() ? std::string("none") : out;
    };
    boost::json::array client_versions(params.protocol_versions.begin(), params.protocol_versions.end());
    boost::json::array daemon_versions(proto::kSupportedProtocolVersions.begin(),
                                       proto::kSupportedProtocolVersions.end());
    throw RpcError(ErrorCode::ProtocolVersionMismatch,
                   "protocol mismatch: " + params.client.name + " speaks version(s) " +
                       list(params.protocol_versions) + ", gdpd " + kVersion + " speaks " +
                       list(proto::kSupportedProtocolVersions) + "; install matching gdp and gdpd versions",
                   {{"client_versions", client_versions}, {"daemon_versions", daemon_versions}});
  }
  ctx.connection.greeted = true;
  ctx.connection.protocol_version = chosen;
  ctx.connection.client = params.client;
  GDP_LOG(debug) << "client " << ctx.connection.id << " is " << params.client.name << " "
                 << params.client.version << " (pid " << ctx.connection.peer.pid << ", tty "
                 << params.client.tty.value_or("none") << "), protocol " << chosen;
  co_return proto::HelloResult{chosen, {"gdpd", kVersion, getpid()}, {}};
}

}  // namespace gdp
