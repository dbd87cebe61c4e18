// One project's ContextStore shared by every session of that project and by the methods that read
// it, behind a mutex: SQLite calls are blocking, so they run on the worker pool, and a store is
// used by one thread at a time.
#pragma once

#include "daemon/store/context_store.h"

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gdp::session {

class ProjectStore {
 public:
  explicit ProjectStore(store::ContextStore store) : paths_(store.paths()), store_(std::move(store)) {}

  // Runs fn(ContextStore&) under the lock and returns what it returns. Sessions the cap evicted
  // meanwhile are reported to on_evicted (from this thread).
  template <class Fn>
  auto with(Fn&& fn) {
    std::lock_guard lock(mutex_);
    struct Report {
      ProjectStore& self;
      ~Report() { self.report_evictions(); }
    } report{*this};
    return std::forward<Fn>(fn)(store_);
  }
  // Set once, before the store is shared.
  std::function<void(std::vector<std::string> ids)> on_evicted;
  const store::ProjectPaths& paths() const { return paths_; }

 private:
  void report_evictions() {
    const auto& all = store_.evicted();
    if (all.size() == reported_) return;
    std::vector<std::string> fresh(all.begin() + static_cast<std::ptrdiff_t>(reported_), all.end());
    reported_ = all.size();
    if (on_evicted) on_evicted(std::move(fresh));
  }

  const store::ProjectPaths paths_;
  std::size_t reported_ = 0;
  std::mutex mutex_;
  store::ContextStore store_;
};

}  // namespace gdp::session
