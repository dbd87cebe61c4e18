#include "daemon/daemon.h"

#include "common/jsonrpc.h"
#include "common/secret.h"
#include "common/wire.h"
#include "daemon/log.h"
#include "daemon/sandbox/runner.h"
#include "daemon/systemd.h"
#include "daemon/worker_pool.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <csignal>
#include <filesystem>
#include <thread>

namespace gdp {
namespace asio = boost::asio;

namespace {
// How long connections get to drain their queues after SIGTERM before the loop is stopped anyway.
constexpr auto kShutdownGrace = std::chrono::seconds(3);

// Writes a refusal without going through a Connection: the peer gets no dispatcher, no queue.
void refuse(Listener::socket_type& socket, const RpcError& error) {
  const auto line = rpc::encode_error(nullptr, error);
  boost::system::error_code ignored;
  asio::write(socket, asio::buffer(line), ignored);
  socket.shutdown(Listener::socket_type::shutdown_both, ignored);
  socket.close(ignored);
}
privacy::SanitizerConfig sanitizer_config(const DaemonConfig& config) {
  privacy::SanitizerConfig out;
  for (const auto& name : config.privacy_disabled) out.enabled.set(*privacy::detector_by_name(name), false);
  out.strict = config.privacy_strict;
  out.shape_hints = config.privacy_shape_hints;
  return out;
}

}  // namespace

Daemon::Daemon(DaemonConfig config, bool handle_signals, int listen_fd)
    : core_{.config = std::move(config),
            .workers =
                std::make_unique<asio::thread_pool>(std::max(2U, std::thread::hardware_concurrency()))},
      // Both are prvalues, so the chosen Listener is built in place (it cannot be moved).
      listener_(listen_fd >= 0 ? Listener(io_, listen_fd) : Listener(io_, core_.config.socket_path)),
      methods_(core_),
      signals_(io_),
      shutdown_deadline_(io_),
      backup_timer_(io_) {
  if (!core_.config.state_dir.empty()) {
    // The state dir holds nothing secret yet, but it will hold session state: keep it private.
    std::error_code ec;
    std::filesystem::create_directories(core_.config.state_dir, ec);
    if (ec) {
      throw StartupError("cannot create state directory " + core_.config.state_dir + ": " + ec.message());
    }
    chmod(core_.config.state_dir.c_str(), 0700);
  }
  core_.connection_count = [this] { return connections_.size(); };
  // Built once: the RE2 programs compile at start-up, not per snapshot.
  core_.sanitizer = std::make_shared<const privacy::Sanitizer>(sanitizer_config(core_.config));
  // An empty socket means DOCKER_HOST or the default; a bad DOCKER_HOST does not stop gdpd.
  core_.engine = std::make_shared<sandbox::Engine>(sandbox::Engine::Options{
      .socket_path = core_.config.docker_socket, .timeout = std::chrono::seconds(30)});
  core_.daemon_label = sandbox::daemon_label(core_.config.state_dir);
  try {
    core_.https = std::make_shared<net::HttpsTransport>(core_.config.https);
  } catch (const RpcError& e) {
    throw StartupError(std::string("the HTTPS settings cannot be used: ") + e.what());
  }
  core_.gemini_window = std::make_shared<planner::RequestWindow>(core_.config.gemini.requests_per_minute);
  core_.keys = std::make_unique<keys::KeySource>(core_.config.keys);
  // Containers left by a daemon that died: no step is live yet, so every one of ours goes. Off
  // the event loop, and not fatal: gdpd is useful without Docker until a script must run.
  asio::post(*core_.workers, [engine = core_.engine, label = core_.daemon_label] {
    try {
      if (const auto n = sandbox::force_cleanup_all_containers(*engine, label); n > 0) {
        GDP_LOG(info) << "removed " << n << " container(s) a previous gdpd left";
      }
    } catch (const std::exception& e) {
      GDP_LOG(info) << "no sandbox cleanup at start: " << e.what();
    }
  });
  // Sessions: the projects this gdpd has seen are opened now, and what a dead gdpd left active is
  // marked abandoned (its containers went with the cleanup above), before any client is served.
  core_.loop = io_.get_executor();
  store::StoreConfig store_config;
  store_config.cap_bytes = core_.config.store_cap_bytes;
  core_.sessions = std::make_unique<session::SessionManager>(
      core_.loop, core_.config.state_dir, core_.config.max_concurrent_containers, store_config);
  if (const auto left = core_.sessions->recover(); !left.empty()) {
    GDP_LOG(warn) << left.size()
                  << " session(s) abandoned by a previous gdpd; gdp resume SESSION continues one";
  }
  core_.make_sandbox = [engine = core_.engine,
                        resources = core_.config.resources](const session::SandboxPlace& place) {
    return session::make_docker_sandbox(engine, resources, place);
  };
  if (core_.config.no_sanitize) {
    GDP_LOG(warn) << "--no-sanitize: snapshots go to planners UNMASKED; clients will warn on every submit";
  }
  bind_methods(dispatcher_, methods_);
  if (handle_signals) {
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (!ec) begin_shutdown(signo == SIGTERM ? "SIGTERM" : "SIGINT");
    });
  }
  asio::co_spawn(io_, accept_loop(), asio::detached);
  asio::co_spawn(io_, backup_loop(), asio::detached);
  GDP_LOG(info) << "gdpd listening on " << listener_.path()
                << (listener_.inherited() ? " (socket from systemd)" : "");
}

Daemon::~Daemon() {
  core_.workers->join();
  // Every API key still in memory, whoever holds it: this is gdpd's way out after SIGTERM or
  // SIGINT (begin_shutdown, then run() returns) or an exception, and only now, with no worker
  // thread left to read a key, can the wipe not race a reader. One Daemon per process.
  if (const auto n = wipe_all_secrets(); n > 0) GDP_LOG(info) << "wiped " << n << " API key(s) from memory";
}

void Daemon::run() {
  io_.run();
}

void Daemon::request_stop(std::string reason) {
  asio::post(io_, [this, reason = std::move(reason)] { begin_shutdown(reason); });
}

asio::awaitable<void> Daemon::accept_loop() {
  const auto my_uid = geteuid();
  for (;;) {
    auto [ec, socket] = co_await listener_.acceptor().async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      // EMFILE and friends: log, breathe, keep serving the clients we have.
      GDP_LOG(warn) << "accept failed: " << ec.message();
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    const auto peer = peer_credentials(socket.native_handle());
    if (!peer_allowed(peer, my_uid, core_.config.allow_root)) {
      GDP_LOG(warn) << "refused a connection from uid " << peer.uid << " (pid " << peer.pid
                    << "): this daemon serves uid " << my_uid << " only";
      refuse(socket, RpcError(ErrorCode::PeerNotAllowed, "this gdpd serves uid " + std::to_string(my_uid) +
                                                             " only; uid " + std::to_string(peer.uid) +
                                                             " must run its own gdpd"));
      continue;
    }
    if (connections_.size() >= core_.config.max_connections) {
      GDP_LOG(warn) << "refused client pid " << peer.pid << ": " << connections_.size()
                    << " connections already open";
      refuse(socket, RpcError(ErrorCode::TooManyConnections,
                              "gdpd already has " + std::to_string(connections_.size()) +
                                  " clients; close some or raise max-connections"));
      continue;
    }
    const auto id = next_id_++;
    auto connection = std::make_shared<Connection>(
        std::move(socket), id, peer,
        ConnectionLimits{core_.config.max_frame_bytes, core_.config.max_json_depth,
                         core_.config.max_queued_bytes},
        dispatcher_, [this](std::uint64_t closed) { on_connection_closed(closed); });
    connections_.emplace(id, connection);
    GDP_LOG(debug) << "client " << id << " connected (pid " << peer.pid << ")";
    connection->start();
  }
}

// Every open project's store is backed up on a schedule (besides before each migration), so a
// corrupt database found at open has a recent copy to come back from.
asio::awaitable<void> Daemon::backup_loop() {
  const auto every = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double, std::ratio<3600>>(core_.config.backup_hours));
  for (;;) {
    backup_timer_.expires_after(every);
    const auto [ec] = co_await backup_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopping_) co_return;
    auto work = [sessions = core_.sessions.get()] { return sessions->backup_all(); };
    const auto n = co_await run_blocking(*core_.workers, work);
    GDP_LOG(debug) << "backed up " << n << " project store(s)";
  }
}

void Daemon::on_connection_closed(std::uint64_t id) {
  connections_.erase(id);
  core_.sessions->connection_closed(id);
  GDP_LOG(debug) << "client " << id << " disconnected";
  if (stopping_ && connections_.empty()) {
    shutdown_deadline_.cancel();
    // Live sessions keep timers waiting on the loop (an approval may take hours): stop it.
    io_.stop();
  }
}

void Daemon::begin_shutdown(const std::string& reason) {
  if (stopping_) return;
  stopping_ = true;
  GDP_LOG(info) << "shutting down (" << reason << "), " << connections_.size() << " client(s) attached";
  // Before anything closes: systemd then knows the exit that follows is wanted, not a crash.
  systemd::notify_stopping("shutting down (" + reason + ")");
  listener_.close();
  backup_timer_.cancel();
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  // Tell every attached client why, then let each drain its queue. Copy: finish() may close.
  const auto event = rpc::encode_notification(proto::DaemonShuttingDown::name,
                                              wire::to_json(proto::DaemonShuttingDownEvent{reason}));
  auto snapshot = connections_;
  for (auto& [id, connection] : snapshot) {
    connection->send(event);
    connection->finish();
  }
  // Sessions stay active in their stores (the next gdpd marks them abandoned, resumable); a step
  // running now is killed so no worker waits on it.
  core_.sessions->shutdown();
  if (connections_.empty()) {
    io_.stop();
    return;
  }
  shutdown_deadline_.expires_after(kShutdownGrace);
  shutdown_deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !connections_.empty()) {
      GDP_LOG(warn) << connections_.size() << " client(s) did not drain in time; stopping anyway";
      io_.stop();
    }
  });
}

}  // namespace gdp
