#include "daemon/session/manager.h"

#include "daemon/log.h"

#include <boost/asio/post.hpp>

#include <fstream>
#include <set>

namespace gdp::session {

namespace fs = std::filesystem;

SessionManager::SessionManager(boost::asio::any_io_executor loop, fs::path state_dir,
                               std::size_t max_containers, store::StoreConfig store_config)
    : state_dir_(std::move(state_dir)),
      store_config_(std::move(store_config)),
      slots_(std::make_shared<ContainerSlots>(std::move(loop), std::max<std::size_t>(1, max_containers))) {}

fs::path SessionManager::known_projects_file() const {
  return state_dir_ / "projects";
}

std::vector<std::string> SessionManager::recover() {
  std::vector<std::string> abandoned;
  std::set<fs::path> known;
  std::ifstream in(known_projects_file());
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) known.insert(line);
  }
  {
    std::lock_guard lock(projects_mutex_);
    listed_ = known;
  }
  for (const auto& dir : known) {
    std::error_code ec;
    if (!fs::is_directory(dir / ".gemini-processor", ec)) {
      GDP_LOG(info) << "project " << dir.string() << " has no store any more; skipped";
      continue;
    }
    try {
      auto project = this->project(dir);
      const auto left = project->with([](store::ContextStore& s) { return s.mark_active_abandoned(); });
      for (const auto& id : left) {
        GDP_LOG(warn) << "session " << id << " in " << dir.string()
                      << " was active when gdpd stopped: abandoned; gdp resume " << id << " continues it";
      }
      abandoned.insert(abandoned.end(), left.begin(), left.end());
      for (auto& s : project->with([](store::ContextStore& st) { return st.sessions(); })) {
        summaries_[s.session_id] = std::move(s);
      }
    } catch (const std::exception& e) {
      GDP_LOG(warn) << "project " << dir.string() << " could not be opened: " << e.what();
    }
  }
  return abandoned;
}

std::shared_ptr<ProjectStore> SessionManager::project(const fs::path& dir) {
  const auto key = fs::weakly_canonical(dir);
  std::lock_guard lock(projects_mutex_);
  if (const auto it = projects_.find(key); it != projects_.end()) return it->second;
  auto opened = std::make_shared<ProjectStore>(store::ContextStore::open(key, store_config_));
  // Sessions the cap removed leave the listing too (on the loop, where the listing lives).
  opened->on_evicted = [this, loop = slots_->executor()](std::vector<std::string> ids) {
    boost::asio::post(loop, [this, ids = std::move(ids)] {
      for (const auto& id : ids) {
        GDP_LOG(info) << "session " << id << " evicted to keep its project's history under the cap";
        forget(id);
      }
    });
  };
  for (const auto& notice : opened->with([](store::ContextStore& s) { return s.notices(); })) {
    GDP_LOG(warn) << "project " << key.string() << ": " << notice;
  }
  projects_.emplace(key, opened);
  // Remembered (append-only, read once at start) so the next gdpd finds this project again.
  if (listed_.insert(key).second) std::ofstream(known_projects_file(), std::ios::app) << key.string() << "\n";
  return opened;
}

std::vector<fs::path> SessionManager::projects() const {
  std::lock_guard lock(projects_mutex_);
  std::vector<fs::path> out;
  for (const auto& [dir, _] : projects_) out.push_back(dir);
  return out;
}

std::shared_ptr<Session> SessionManager::live(const std::string& id) const {
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

void SessionManager::add(const std::shared_ptr<Session>& session) {
  sessions_[session->id()] = session;
  update(session->summary());
}

std::optional<fs::path> SessionManager::project_of(const std::string& id) const {
  const auto it = summaries_.find(id);
  if (it == summaries_.end()) return std::nullopt;
  return fs::path(it->second.project);
}

std::vector<proto::SessionSummary> SessionManager::list() const {
  std::vector<proto::SessionSummary> out;
  out.reserve(summaries_.size());
  for (const auto& [id, s] : summaries_) out.push_back(s);
  return out;
}

void SessionManager::update(const proto::SessionSummary& summary) {
  summaries_[summary.session_id] = summary;
}

void SessionManager::forget(const std::string& id) {
  summaries_.erase(id);
  sessions_.erase(id);
}

std::size_t SessionManager::backup_all() {
  std::size_t done = 0;
  for (const auto& dir : projects()) {
    try {
      project(dir)->with([](store::ContextStore& s) { return s.backup(); });
      ++done;
    } catch (const std::exception& e) {
      GDP_LOG(warn) << "project " << dir.string() << " could not be backed up: " << e.what();
    }
  }
  return done;
}

void SessionManager::shutdown() {
  for (auto& [id, s] : sessions_) s->suspend();
}

void SessionManager::connection_closed(std::uint64_t connection) {
  for (auto& [id, s] : sessions_) s->detach(connection);
}

}  // namespace gdp::session
