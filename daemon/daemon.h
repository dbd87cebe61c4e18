// gdpd as an object: the listener, the connections, the method table and the core state, run on
// one io_context. main() and the in-process integration tests both drive this class.
#pragma once

#include "daemon/config.h"
#include "daemon/llm/choose.h"
#include "daemon/privacy/sanitizer.h"
#include "daemon/rpc/connection.h"
#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/listener.h"
#include "daemon/rpc/methods.h"
#include "daemon/sandbox/engine.h"
#include "daemon/security/key_source.h"
#include "daemon/session/manager.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

namespace gdp {

// The state handlers read; no JSON, no sockets.
struct DaemonCore {
  DaemonConfig config{};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::function<std::size_t()> connection_count{};
  // Where blocking work runs (see worker_pool.h); one thread per core.
  std::unique_ptr<boost::asio::thread_pool> workers{};
  std::shared_ptr<const privacy::Sanitizer> sanitizer{};
  // The Docker Engine (connects per call, so a missing engine is an error per call, not at start)
  // and this daemon's container label.
  std::shared_ptr<sandbox::Engine> engine{};
  std::string daemon_label{};
  // Planning: the HTTPS transport to Gemini (ca-file, proxy), one request window for the whole
  // daemon (Google counts per key, not per session), and where keys come from.
  std::shared_ptr<net::HttpTransport> https{};
  std::shared_ptr<planner::RequestWindow> gemini_window{};
  std::unique_ptr<keys::KeySource> keys{};

  // The sessions (daemon/session/): the event loop they live on, their manager, and how a session
  // gets its sandbox (the Docker one; tests may give another).
  boost::asio::any_io_executor loop{};
  std::unique_ptr<session::SessionManager> sessions{};
  std::function<std::unique_ptr<session::StepSandbox>(const session::SandboxPlace&)> make_sandbox{};

  planner::PlannerChoice planner_choice() const { return {config.gemini, https, gemini_window, keys.get()}; }

  double uptime_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
};

class Daemon {
 public:
  // Binds the socket, or with `listen_fd` >= 0 serves on that listening socket instead (systemd's,
  // see daemon/systemd.h). Throws StartupError. `handle_signals` is off for in-process tests.
  explicit Daemon(DaemonConfig config, bool handle_signals = true, int listen_fd = -1);
  ~Daemon();

  // Serves until stopped; returns when every connection has closed.
  void run();
  // Thread-safe: begins an orderly shutdown.
  void request_stop(std::string reason);

  const std::string& socket_path() const { return listener_.path(); }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> backup_loop();
  void begin_shutdown(const std::string& reason);
  void on_connection_closed(std::uint64_t id);

  boost::asio::io_context io_{1};
  DaemonCore core_;
  Listener listener_;
  Dispatcher dispatcher_;
  Methods methods_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer shutdown_deadline_;
  boost::asio::steady_timer backup_timer_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
};

}  // namespace gdp
