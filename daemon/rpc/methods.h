// The handlers behind every gdpd method, one class per method family, one file each
// (handshake.cpp, daemon_methods.cpp). method_table.cpp binds them all in one screen.
#pragma once

#include "common/protocol.h"
#include "daemon/rpc/dispatcher.h"

#include <boost/asio/awaitable.hpp>

namespace gdp {

struct DaemonCore;

// hello: version negotiation and client identity.
class HandshakeMethods {
 public:
  boost::asio::awaitable<proto::HelloResult> hello(proto::HelloParams params, CallContext& ctx);
};

// ping, version, status: the daemon itself.
class DaemonMethods {
 public:
  explicit DaemonMethods(const DaemonCore& core) : core_(core) {}
  boost::asio::awaitable<proto::PingResult> ping(proto::PingParams params, CallContext& ctx);
  boost::asio::awaitable<proto::VersionResult> version(proto::VersionParams params, CallContext& ctx);
  boost::asio::awaitable<proto::StatusResult> status(proto::StatusParams params, CallContext& ctx);

 private:
  const DaemonCore& core_;
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

// cleanup: the sandbox's containers.
class SandboxMethods {
 public:
  explicit SandboxMethods(const DaemonCore& core) : core_(core) {}
  boost::asio::awaitable<proto::CleanupResult> cleanup(proto::CleanupParams params, CallContext& ctx);

 private:
  const DaemonCore& core_;
};

struct Methods {
  explicit Methods(const DaemonCore& core) : daemon(core), ingest(core), planner(core), sandbox(core) {}
  HandshakeMethods handshake;
  DaemonMethods daemon;
  IngestMethods ingest;
  PlannerMethods planner;
  SandboxMethods sandbox;
};

// Binds every method of every family to `dispatcher`.
void bind_methods(Dispatcher& dispatcher, Methods& methods);

}  // namespace gdp
