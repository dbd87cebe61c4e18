// cleanup: the sandbox's leftovers.
#include "client/commands.h"
#include "client/rpc_client.h"

#include <iostream>

namespace gdp::client {
namespace {

int cleanup(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (int code = 0; stray_arguments(g, args, code)) return code;
  DaemonConnection conn(g.socket_path, g.timeout);
  const auto result = conn.call<proto::Cleanup>({});
  if (g.out.json) {
    g.out.document(wire::to_json(result));
  } else {
    std::cout << "removed " << result.removed << " leftover sandbox container(s) (Docker Engine "
              << result.engine << ")\n";
  }
  return kOk;
}

const Command kCommands[] = {
    {"cleanup", "remove sandbox containers that no running step owns (after a crash, say)", "cleanup",
     "gdp cleanup", cleanup},
};

}  // namespace

std::span<const Command> sandbox_commands() {
  return kCommands;
}

}  // namespace gdp::client
