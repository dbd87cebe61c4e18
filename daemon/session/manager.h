// The sessions gdpd knows: the live ones it drives, and every session of every project it has
// seen (their summaries, for `gdp status`). Projects are remembered in the state directory, so
// after a restart gdpd finds their stores again, marks what was active abandoned (its daemon
// died), and `gdp resume` can continue it.
//
// The session map, the summaries and the followers live on gdpd's event loop; the project stores
// are opened on the worker pool (project() is thread-safe).
#pragma once

#include "daemon/session/project_store.h"
#include "daemon/session/session.h"
#include "daemon/session/slots.h"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gdp::session {

class SessionManager {
 public:
  SessionManager(boost::asio::any_io_executor loop, std::filesystem::path state_dir,
                 std::size_t max_containers, store::StoreConfig store_config = {});

  // At start, before serving (blocking): opens every project gdpd has seen, marks the sessions a
  // dead gdpd left active as abandoned, and lists them all. Returns the abandoned ones.
  std::vector<std::string> recover();

  // A project's store, opened once and shared (blocking; any thread). Remembers the project.
  std::shared_ptr<ProjectStore> project(const std::filesystem::path& dir);
  std::vector<std::filesystem::path> projects() const;
  // SQLite's online backup of every open project's store (blocking); how many were backed up.
  std::size_t backup_all();

  // ---- on the loop ----
  std::shared_ptr<Session> live(const std::string& id) const;
  void add(const std::shared_ptr<Session>& session);
  // The project a known session belongs to (from the summaries).
  std::optional<std::filesystem::path> project_of(const std::string& id) const;
  std::vector<proto::SessionSummary> list() const;
  void update(const proto::SessionSummary& summary);
  void forget(const std::string& id);
  // gdpd stops: every live session's running step is stopped; the sessions stay active in their
  // stores, for the next gdpd to mark abandoned and `gdp resume` to continue.
  void shutdown();
  // A client went away: it follows nothing any more.
  void connection_closed(std::uint64_t connection);

  const std::shared_ptr<ContainerSlots>& slots() const { return slots_; }

 private:
  std::filesystem::path known_projects_file() const;

  std::filesystem::path state_dir_;
  store::StoreConfig store_config_;
  std::shared_ptr<ContainerSlots> slots_;
  mutable std::mutex projects_mutex_;
  std::map<std::filesystem::path, std::shared_ptr<ProjectStore>> projects_;
  std::set<std::filesystem::path> listed_;  // the projects file's lines, so each is written once
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::map<std::string, proto::SessionSummary> summaries_;
};

}  // namespace gdp::session
