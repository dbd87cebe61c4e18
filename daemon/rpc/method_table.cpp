// Every gdpd method, one line each. A method not bound here does not exist.
#include "daemon/rpc/methods.h"

namespace gdp {

void bind_methods(Dispatcher& d, Methods& m) {
  d.bind<proto::Hello>(&m.handshake, &HandshakeMethods::hello);
  d.bind<proto::Ping>(&m.daemon, &DaemonMethods::ping);
  d.bind<proto::Version>(&m.daemon, &DaemonMethods::version);
  d.bind<proto::Status>(&m.daemon, &DaemonMethods::status);
  d.bind<proto::Snapshot>(&m.ingest, &IngestMethods::snapshot);
  d.bind<proto::Plan>(&m.planner, &PlannerMethods::plan);
  d.bind<proto::Cleanup>(&m.sandbox, &SandboxMethods::cleanup);
}

}  // namespace gdp
