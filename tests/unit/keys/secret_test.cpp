// SecretKey: locked, kept out of core dumps and forks, wiped before its pages go, empty after a
// move, and reachable by wipe_all_secrets() while it lives.
#include "common/secret.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

using gdp::SecretKey;

namespace {

const std::string kKey = "AIzaSyFAKEfakeFAKEfake0123456789_-abcde";

long vm_locked_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmLck:", 0) == 0) return std::stol(line.substr(6));
  }
  FAIL("no VmLck in /proc/self/status");
  return -1;
}

// The VmFlags line of the mapping that holds `address`, from /proc/self/smaps.
std::string vm_flags(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream in("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    std::uintptr_t start = 0, end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> start >> dash >> end && dash == '-') {
      inside = start <= at && at < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  FAIL("no mapping holds the secret");
  return {};
}

bool all_zero(const char* p, std::size_t n) {
  return std::all_of(p, p + n, [](char c) { return c == 0; });
}

// What the release hook saw: where the last pages were, whether they were zero then, and how
// many of all released were not.
struct Released {
  const char* data = nullptr;
  std::size_t capacity = 0;
  bool zero = false;
  int calls = 0;
  int not_zero = 0;
};
Released released;

void record_release(const char* data, std::size_t capacity) {
  const bool zero = all_zero(data, capacity);
  released = {data, capacity, zero, released.calls + 1, released.not_zero + (zero ? 0 : 1)};
}

struct HookInstalled {
  HookInstalled() {
    released = {};
    gdp::secret_testing::set_release_hook(record_release);
  }
  ~HookInstalled() { gdp::secret_testing::set_release_hook(nullptr); }
};

}  // namespace

TEST_CASE("a secret's pages are locked while it lives, and unlocked after", "[secret]") {
  const auto before = vm_locked_kb();
  {
    SecretKey s(std::size_t{64} * 1024);
    REQUIRE(s.locked());
    CHECK(vm_locked_kb() - before >= 64);
  }
  CHECK(vm_locked_kb() == before);
}

TEST_CASE("a secret's pages stay out of core dumps and forked children", "[secret]") {
  const auto s = SecretKey::from(kKey);
  const auto flags = vm_flags(s.view().data());
  INFO(flags);
  CHECK(flags.find(" dd") != std::string::npos);  // MADV_DONTDUMP
  CHECK(flags.find(" wf") != std::string::npos);  // MADV_WIPEONFORK
  CHECK(flags.find(" lo") != std::string::npos);  // mlock()ed
}

TEST_CASE("a secret's bytes are zero before its pages are unmapped", "[secret]") {
  HookInstalled hook;
  const char* where = nullptr;
  {
    auto s = SecretKey::from(kKey);
    where = s.view().data();
    REQUIRE(s.view() == kKey);
  }
  REQUIRE(released.calls == 1);
  CHECK(released.data == where);
  CHECK(released.capacity >= kKey.size());
  CHECK(released.zero);
}

TEST_CASE("moving a secret leaves the source empty and owning nothing", "[secret]") {
  HookInstalled hook;
  const auto live = gdp::live_secret_count();
  auto a = SecretKey::from(kKey);
  const char* where = a.view().data();
  SecretKey b(std::move(a));
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
  CHECK(a.capacity() == 0);
  CHECK(b.view() == kKey);
  CHECK(b.view().data() == where);  // the same locked pages, not a copy
  CHECK(gdp::live_secret_count() == live + 1);

  // Move assignment releases (and wipes) what the target held.
  auto c = SecretKey::from("AIzaOTHER");
  const char* other = c.view().data();
  c = std::move(b);
  CHECK(released.calls == 1);
  CHECK(released.data == other);
  CHECK(released.zero);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(c.view() == kKey);
  CHECK(gdp::live_secret_count() == live + 1);
}

TEST_CASE("take() moves a wire string into locked memory and empties it", "[secret]") {
  std::string wire = kKey;
  const auto s = SecretKey::take(wire);
  CHECK(wire.empty());
  CHECK(s.view() == kKey);
  CHECK(s.locked());
}

TEST_CASE("wipe_all_secrets wipes every live secret, which stays usable and empty", "[secret]") {
  auto a = SecretKey::from(kKey);
  auto b = SecretKey::from("AIzaSECOND");
  const SecretKey empty(16);
  const char* pa = a.view().data();
  const char* pb = b.view().data();
  CHECK(gdp::wipe_all_secrets() >= 2);
  CHECK(a.empty());
  CHECK(b.empty());
  CHECK(all_zero(pa, a.capacity()));  // still mapped: a owns its pages until it is destroyed
  CHECK(all_zero(pb, b.capacity()));
}

TEST_CASE("a secret grows only within its buffer and trims a trailing newline in place", "[secret]") {
  SecretKey s(10);
  CHECK(s.capacity() >= 4096);  // whole pages
  std::copy(kKey.begin(), kKey.end(), s.data());
  const std::string line = kKey + " \r\n";
  std::copy(line.begin(), line.end(), s.data());
  s.resize(line.size());
  s.trim_trailing_whitespace();
  CHECK(s.view() == kKey);
  CHECK(all_zero(s.data() + kKey.size(), 3));
  CHECK_THROWS_AS(s.resize(s.capacity() + 1), std::length_error);
}

TEST_CASE("Property 21: however keys are moved, dropped or left alive, none survives its release or a wipe",
          "[property][Property 21]") {
  rc::prop("API Key Security Cleanup (the memory part)", [] {
    HookInstalled hook;
    const auto baseline = gdp::live_secret_count();
    {
      std::vector<SecretKey> keys;  // growing the vector moves the secrets too
      for (const auto& k :
           *rc::gen::container<std::vector<std::string>>(rc::gen::nonEmpty(rc::gen::string<std::string>()))) {
        keys.push_back(SecretKey::from(k));
      }
      // Each step drops a secret, or moves one over another (which releases the other's pages).
      const auto steps = *rc::gen::container<std::vector<std::tuple<bool, std::size_t, std::size_t>>>(
          rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange<std::size_t>(0, 1000),
                         rc::gen::inRange<std::size_t>(0, 1000)));
      for (const auto& [drop, i, j] : steps) {
        if (keys.empty()) break;
        if (drop) {
          keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(i % keys.size()));
        } else {
          keys[i % keys.size()] = std::move(keys[j % keys.size()]);
        }
      }
      const auto holding =
          std::count_if(keys.begin(), keys.end(), [](const SecretKey& k) { return k.capacity() > 0; });
      RC_ASSERT(gdp::live_secret_count() == baseline + static_cast<std::size_t>(holding));
      gdp::wipe_all_secrets();
      for (const auto& k : keys) {
        RC_ASSERT(k.empty());
        if (k.capacity() > 0) RC_ASSERT(all_zero(k.view().data(), k.capacity()));
      }
    }
    RC_ASSERT(released.not_zero == 0);
    RC_ASSERT(gdp::live_secret_count() == baseline);  // the registry holds no dangling entry
  });
}
