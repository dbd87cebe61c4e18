// The keyring round trip, in a session keyring private to this test process, so that no test
// ever reads or replaces the real user's key. Also KeySource, which picks a session's key.
#include "common/keyring.h"
#include "common/errors.h"
#include "daemon/security/key_source.h"

#include <keyutils.h>
#include <catch2/catch.hpp>

#include <string>

using namespace gdp;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "AIzaSyFAKEfakeFAKEfake0123456789_-abcde";
const std::string kOtherKey = "AIzaSyOTHERotherOTHER0123456789_-vwxyz";
const auto kT0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

// A fresh anonymous session keyring for this process (ctest runs each test case in a process of
// its own), and the Keyring on it. Fails the test rather than fall back to the user's keyrings.
keyring::Keyring private_keyring() {
  static const key_serial_t joined = keyctl_join_session_keyring(nullptr);
  REQUIRE(joined > 0);
  auto ring = keyring::Keyring::open(keyring::Place::session);
  REQUIRE(ring.place() == keyring::Place::session);
  ring.clear();  // an earlier test case in this process may have left one
  return ring;
}

std::string describe(std::int32_t serial) {
  char* text = nullptr;
  if (keyctl_describe_alloc(serial, &text) < 0) return "";
  std::string out(text);
  std::free(text);  // NOLINT(cppcoreguidelines-no-malloc): libkeyutils mallocs
  return out;
}

}  // namespace

TEST_CASE("keyring: set, status, get and clear round-trip the key", "[keyring]") {
  const auto ring = private_keyring();
  CHECK_FALSE(ring.status().present);
  CHECK_FALSE(ring.get());
  CHECK_FALSE(ring.clear());

  ring.set(kKey, kT0);
  const auto status = ring.status();
  REQUIRE(status.present);
  CHECK(status.created == kT0);
  const auto stored = ring.get();
  REQUIRE(stored);
  CHECK(stored->key.view() == kKey);
  CHECK(stored->key.locked());
  CHECK(stored->created == kT0);

  CHECK(ring.clear());
  CHECK_FALSE(ring.status().present);
  CHECK_FALSE(ring.get());
  CHECK(describe(status.serial).empty());  // gone from the kernel, not merely unlinked
}

TEST_CASE("keyring: the key is a user key only its owner may see, read or change", "[keyring]") {
  const auto ring = private_keyring();
  ring.set(kKey, kT0);
  const auto d = describe(ring.status().serial);
  INFO(d);
  // "type;uid;gid;perm;description"
  REQUIRE(d.rfind("user;", 0) == 0);
  CHECK(d.substr(d.rfind(';') + 1) == "gdp:gemini-api-key:created=1700000000");
  const auto perm_at = d.find(';', d.find(';', d.find(';') + 1) + 1) + 1;
  const auto perm = std::stoul(d.substr(perm_at, 8), nullptr, 16);
  CHECK((perm & 0xffffU) == 0);  // group and others: nothing
  CHECK((perm & KEY_USR_READ) != 0);
  CHECK((perm & KEY_POS_READ) != 0);
  CHECK((perm & KEY_USR_LINK) == 0);
}

TEST_CASE("keyring: setting again replaces the key and its age", "[keyring]") {
  const auto ring = private_keyring();
  ring.set(kKey, kT0);
  const auto first = ring.status().serial;
  ring.set(kOtherKey, kT0 + 24h);
  const auto status = ring.status();
  CHECK(status.serial != first);
  CHECK(describe(first).empty());
  CHECK(status.created == kT0 + 24h);
  CHECK(ring.get()->key.view() == kOtherKey);
}

TEST_CASE("key source: a key the client forwarded wins, moved into locked memory", "[key_source]") {
  const auto ring = private_keyring();
  ring.set(kOtherKey, kT0);
  const keys::KeySource source({}, [] { return keyring::Keyring::open(keyring::Place::session); });
  std::string wire = kKey;
  const auto key = source.resolve(wire, kT0);
  CHECK(key.origin == keys::KeyOrigin::client);
  CHECK(key.key.view() == kKey);
  CHECK(wire.empty());
  CHECK_FALSE(key.rotation_warning);
}

TEST_CASE("key source: a malformed forwarded key is refused, and still wiped", "[key_source]") {
  const keys::KeySource source({}, [] { return keyring::Keyring::open(keyring::Place::session); });
  std::string wire = "sk-not-a-google-key";
  try {
    source.resolve(wire);
    FAIL("a malformed key was accepted");
  } catch (const RpcError& e) {
    CHECK(e.code() == ErrorCode::InvalidAPIKey);
    CHECK_THAT(e.what(), Catch::Contains("GEMINI_API_KEY"));
  }
  CHECK(wire.empty());
}

TEST_CASE("key source: else the keyring's key, with a rotation warning past the maximum age",
          "[key_source]") {
  const auto ring = private_keyring();
  ring.set(kKey, kT0);
  const keys::KeySource source(keys::KeyConfig{.max_api_key_age_days = 30},
                               [] { return keyring::Keyring::open(keyring::Place::session); });
  std::string none;
  const auto young = source.resolve(none, kT0 + 24h * 30);
  CHECK(young.origin == keys::KeyOrigin::keyring);
  CHECK(young.key.view() == kKey);
  CHECK_FALSE(young.rotation_warning);
  const auto old = source.resolve(none, kT0 + 24h * 31);
  REQUIRE(old.rotation_warning);
  CHECK_THAT(*old.rotation_warning, Catch::Contains("31 days"));
}

TEST_CASE("key source: no key anywhere, or no keyring at all, means no key", "[key_source]") {
  private_keyring();
  std::string none;
  const keys::KeySource empty({}, [] { return keyring::Keyring::open(keyring::Place::session); });
  const auto a = empty.resolve(none);
  CHECK(a.origin == keys::KeyOrigin::none);
  CHECK(a.key.empty());
  const keys::KeySource blocked({},
                                []() -> keyring::Keyring { throw keyring::KeyringError("keyctl: blocked"); });
  const auto b = blocked.resolve(none);
  CHECK(b.origin == keys::KeyOrigin::none);
  CHECK_THAT(b.source, Catch::Contains("blocked"));
}
