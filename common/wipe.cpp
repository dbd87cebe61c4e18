#include "common/wipe.h"

#include <boost/json/memory_resource.hpp>

#include <cstring>
#include <new>

namespace gdp {

void wipe(void* data, std::size_t size) noexcept {
  if (size > 0) explicit_bzero(data, size);
}

namespace {

// Boost.JSON may free a block with another alignment than it asked for (1, then 16, for a string):
// at or under operator new's own alignment both are served by plain new and delete, so the pair
// always matches.
constexpr bool over_aligned(std::size_t align) {
  return align > __STDCPP_DEFAULT_NEW_ALIGNMENT__;
}

class WipingResource final : public boost::json::memory_resource {
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    return over_aligned(align) ? ::operator new(bytes, std::align_val_t(align)) : ::operator new(bytes);
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    wipe(p, bytes);
    if (over_aligned(align)) {
      ::operator delete(p, std::align_val_t(align));
    } else {
      ::operator delete(p);
    }
  }
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }
};

}  // namespace

boost::json::storage_ptr wiping_json_storage() noexcept {
  // Stateless and thread-safe (it only forwards to operator new/delete), so one for the process;
  // a storage_ptr to it does not own it.
  static WipingResource resource;
  return boost::json::storage_ptr(&resource);
}

}  // namespace gdp
