// The handlers behind every gdpd method, one class per method family, one file each
// (handshake.cpp, daemon_methods.cpp). method_table.cpp binds them all in one screen.
#pragma once

#include "common/protocol.h"
#include "daemon/rpc/dispatcher.h"

#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace gdp {

struct DaemonCore;
namespace session {
class ProjectStore;
class Session;
struct SessionDeps;
}  // namespace session
namespace planner {
struct ChosenPlanner;
}

class SessionMethods;

// hello: version negotiation and client identity.
class HandshakeMethods {
 public:
  boost::asio::awaitable<proto::HelloResult> hello(proto::HelloParams params, CallContext& ctx);
};

// ping, version, status: the daemon itself.
class DaemonMethods {
 public:
  DaemonMethods(const DaemonCore& core, SessionMethods& sessions) : core_(core), sessions_(sessions) {}
  boost::asio::awaitable<proto::PingResult> ping(proto::PingParams params, CallContext& ctx);
  boost::asio::awaitable<proto::VersionResult> version(proto::VersionParams params, CallContext& ctx);
  boost::asio::awaitable<proto::StatusResult> status(proto::StatusParams params, CallContext& ctx);

 private:
  const DaemonCore& core_;
  SessionMethods& sessions_;
};

// snapshot: read a data file and sample it.
class IngestMethods {
 public:
  explicit IngestMethods(const DaemonCore& core) : core_(core) {}
  boost::asio::awaitable<proto::SnapshotResult> snapshot(proto::SnapshotParams params, CallContext& ctx);

 private:
  const DaemonCore& core_;
};

// plan: a planner's analysis and first script for a file; nothing runs.
class PlannerMethods {
 public:
  explicit PlannerMethods(const DaemonCore& core) : core_(core) {}
  boost::asio::awaitable<proto::PlanResult> plan(proto::PlanParams params, CallContext& ctx);

 private:
  const DaemonCore& core_;
};

// cleanup: the sandbox's containers, and abandoned sessions past an age.
class SandboxMethods {
 public:
  explicit SandboxMethods(const DaemonCore& core) : core_(core) {}
  boost::asio::awaitable<proto::CleanupResult> cleanup(proto::CleanupParams params, CallContext& ctx);

 private:
  const DaemonCore& core_;
};

// config, doctor: gdpd's effective settings and the checks of its world (gdp doctor).
class DoctorMethods {
 public:
  explicit DoctorMethods(const DaemonCore& core) : core_(core) {}
  boost::asio::awaitable<proto::ConfigResult> config(proto::ConfigParams params, CallContext& ctx);
  boost::asio::awaitable<proto::DoctorResult> doctor(proto::DoctorParams params, CallContext& ctx);

 private:
  const DaemonCore& core_;
};

// The session workflow: submit, attach, detach, approve, deny, edit, show, log, resume, cancel.
class SessionMethods {
 public:
  explicit SessionMethods(DaemonCore& core) : core_(core) {}
  boost::asio::awaitable<proto::SubmitResult> submit(proto::SubmitParams params, CallContext& ctx);
  boost::asio::awaitable<proto::AttachResult> attach(proto::AttachParams params, CallContext& ctx);
  boost::asio::awaitable<proto::DetachResult> detach(proto::SessionRef params, CallContext& ctx);
  boost::asio::awaitable<proto::DecisionResult> approve(proto::ApproveParams params, CallContext& ctx);
  boost::asio::awaitable<proto::DecisionResult> deny(proto::DenyParams params, CallContext& ctx);
  boost::asio::awaitable<proto::EditResult> edit(proto::EditParams params, CallContext& ctx);
  boost::asio::awaitable<proto::ShowResult> show(proto::ShowParams params, CallContext& ctx);
  boost::asio::awaitable<proto::LogResult> log(proto::SessionRef params, CallContext& ctx);
  boost::asio::awaitable<proto::SessionView> resume(proto::ResumeParams params, CallContext& ctx);
  boost::asio::awaitable<proto::SessionView> cancel(proto::SessionRef params, CallContext& ctx);

  // A session's view, live or from its store (status uses it too).
  boost::asio::awaitable<proto::SessionView> view(const std::string& id,
                                                  const std::optional<std::string>& project);

 private:
  // The store of a session's project: the hint, else where gdpd saw it. Blocking.
  std::shared_ptr<session::ProjectStore> project_for(const std::string& id,
                                                     const std::optional<std::string>& hint);
  // The live session, or an error saying what state it is in and what to do.
  std::shared_ptr<session::Session> live_or_explain(const std::string& id);
  session::SessionDeps deps(std::shared_ptr<session::ProjectStore> project, const std::string& id,
                            const std::filesystem::path& input, planner::ChosenPlanner chosen);

  DaemonCore& core_;
};

struct Methods {
  explicit Methods(DaemonCore& core)
      : daemon(core, sessions), ingest(core), planner(core), sandbox(core), doctor(core), sessions(core) {}
  HandshakeMethods handshake;
  DaemonMethods daemon;
  IngestMethods ingest;
  PlannerMethods planner;
  SandboxMethods sandbox;
  DoctorMethods doctor;
  SessionMethods sessions;
};

// Binds every method of every family to `dispatcher`.
void bind_methods(Dispatcher& dispatcher, Methods& methods);

}  // namespace gdp
