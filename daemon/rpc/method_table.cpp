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
  d.bind<proto::Submit>(&m.sessions, &SessionMethods::submit);
  d.bind<proto::Attach>(&m.sessions, &SessionMethods::attach);
  d.bind<proto::Detach>(&m.sessions, &SessionMethods::detach);
  d.bind<proto::Approve>(&m.sessions, &SessionMethods::approve);
  d.bind<proto::Deny>(&m.sessions, &SessionMethods::deny);
  d.bind<proto::Edit>(&m.sessions, &SessionMethods::edit);
  d.bind<proto::Show>(&m.sessions, &SessionMethods::show);
  d.bind<proto::Log>(&m.sessions, &SessionMethods::log);
  d.bind<proto::Resume>(&m.sessions, &SessionMethods::resume);
  d.bind<proto::Cancel>(&m.sessions, &SessionMethods::cancel);
  d.bind<proto::Config>(&m.doctor, &DoctorMethods::config);
  d.bind<proto::Doctor>(&m.doctor, &DoctorMethods::doctor);
}

}  // namespace gdp
