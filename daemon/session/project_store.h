// One project's ContextStore shared by every session of that project and by the methods that read
// it, behind a mutex: SQLite calls are blocking, so they run on the worker pool, and a store is
// used by one thread at a time.
#pragma once

#include "daemon/store/context_store.h"

#include <mutex>
#include <utility>

namespace gdp::session {

class ProjectStore {
 public:
  explicit ProjectStore(store::ContextStore store) : paths_(store.paths()), store_(std::move(store)) {}

  // Runs fn(ContextStore&) under the lock and returns what it returns.
  template <class Fn>
  auto with(Fn&& fn) {
    std::lock_guard lock(mutex_);
    return std::forward<Fn>(fn)(store_);
  }
  const store::ProjectPaths& paths() const { return paths_; }

 private:
  const store::ProjectPaths paths_;
  std::mutex mutex_;
  store::ContextStore store_;
};

}  // namespace gdp::session
