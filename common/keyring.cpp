#include "common/keyring.h"

#include <keyutils.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace gdp::keyring {
namespace {

using Clock = std::chrono::system_clock;

// The key's owner (possessor and same uid) may do everything but link it elsewhere; group and
// others nothing. The uid permissions matter: gdpd may not "possess" the key (its session keyring
// need not lead to the user keyring), and reads it as the same user.
constexpr key_perm_t kPermissions =
    KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_WRITE | KEY_USR_SEARCH | KEY_USR_SETATTR;

std::string errno_text(int err) {
  return std::strerror(err);
}

[[noreturn]] void fail(const std::string& what, int err) {
  throw KeyringError(what + ": " + errno_text(err) +
                     ". gdp cannot use the kernel keyring here; export GEMINI_API_KEY in the shell you run "
                     "gdp submit from instead");
}

// libkeyutils's *_alloc functions return malloc()ed memory.
struct FreeDeleter {
  void operator()(void* p) const {
    std::free(p);  // NOLINT(cppcoreguidelines-no-malloc)
  }
};

struct Entry {
  key_serial_t id;
  Clock::time_point created;
};

// Our keys in `ring`, newest first. Reading a keyring and describing keys shows ids and
// descriptions only, never a payload.
std::vector<Entry> our_keys(key_serial_t ring) {
  void* raw = nullptr;
  const long size = keyctl_read_alloc(ring, &raw);
  if (size < 0) fail("cannot list the keyring", errno);
  std::unique_ptr<void, FreeDeleter> list(raw);
  std::vector<Entry> out;
  const auto count = static_cast<std::size_t>(size) / sizeof(key_serial_t);
  for (std::size_t i = 0; i < count; ++i) {
    key_serial_t id = 0;
    std::memcpy(&id, static_cast<const char*>(raw) + i * sizeof(key_serial_t), sizeof id);
    char* text = nullptr;
    if (keyctl_describe_alloc(id, &text) < 0) continue;  // a key we may not view is not ours
    std::unique_ptr<char, FreeDeleter> owned(text);
    // "type;uid;gid;perm;description"; the description is last and may hold anything.
    const std::string_view d(text);
    std::size_t at = 0;
    for (int field = 0; field < 4 && at != std::string_view::npos; ++field) {
      at = d.find(';', at);
      if (at != std::string_view::npos) ++at;
    }
    if (at == std::string_view::npos || d.substr(0, 5) != "user;") continue;
    const auto description = d.substr(at);
    if (description.substr(0, kDescriptionPrefix.size()) != kDescriptionPrefix) continue;
    const std::string seconds(description.substr(kDescriptionPrefix.size()));
    char* end = nullptr;
    const long long epoch = std::strtoll(seconds.c_str(), &end, 10);
    if (seconds.empty() || *end != '\0') continue;
    out.push_back({id, Clock::time_point(std::chrono::seconds(epoch))});
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.created > b.created; });
  return out;
}

void remove(key_serial_t ring, key_serial_t id) {
  // Invalidate rather than unlink: the key is gone at once even if someone linked it elsewhere.
  if (keyctl_invalidate(id) < 0 && keyctl_unlink(id, ring) < 0 && errno != ENOKEY) {
    fail("cannot remove the old key from the keyring", errno);
  }
}

}  // namespace

std::string_view place_name(Place place) {
  switch (place) {
    case Place::persistent:
      return "persistent";
    case Place::user:
      return "user";
    case Place::session:
      return "session";
  }
  return "?";
}

std::optional<std::chrono::seconds> persistent_expiry() {
  std::ifstream in("/proc/sys/kernel/keys/persistent_keyring_expiry");
  long long seconds = 0;
  if (!(in >> seconds) || seconds <= 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

Keyring Keyring::open() {
  const char* env = std::getenv("GDP_KEYRING");
  if (env == nullptr || *env == '\0' || std::string_view(env) == "persistent") return open(Place::persistent);
  if (std::string_view(env) == "session") return open(Place::session);
  if (std::string_view(env) == "user") return open(Place::user);
  throw KeyringError("GDP_KEYRING must be persistent, user or session (or unset for persistent)");
}

Keyring Keyring::open(Place wanted) {
  std::string reason;
  if (wanted == Place::persistent) {
    // Links the persistent keyring into this process's own keyring (and resets its expiry timer).
    // The process keyring, not the user keyring: a keyring's contents are writable through
    // "possession" only, which the kernel grants along links from the thread, process and session
    // keyrings; a session keyring need not lead to the user keyring (`keyctl session`, some
    // service managers), and then adding a key to the persistent keyring fails with EACCES. The
    // process keyring goes away with the process and touches nothing of the user's.
    const long id = keyctl_get_persistent(static_cast<uid_t>(-1), KEY_SPEC_PROCESS_KEYRING);  // -1: own uid
    if (id >= 0) return {static_cast<key_serial_t>(id), Place::persistent, {}};
    reason = "the persistent keyring is unavailable (" + errno_text(errno) +
             "), so the key lives in the user keyring, which the kernel drops when your last process ends";
    wanted = Place::user;
  }
  const key_serial_t special = wanted == Place::session ? KEY_SPEC_SESSION_KEYRING : KEY_SPEC_USER_KEYRING;
  // Never create a session keyring: one made for this process alone would vanish with it.
  const key_serial_t id = keyctl_get_keyring_ID(special, wanted == Place::user ? 1 : 0);
  if (id < 0) fail(std::string("cannot open the ") + std::string(place_name(wanted)) + " keyring", errno);
  return {id, wanted, std::move(reason)};
}

void Keyring::set(std::string_view key, Clock::time_point created) const {
  const auto old = our_keys(ring_);
  const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(created.time_since_epoch()).count();
  const auto description = std::string(kDescriptionPrefix) + std::to_string(epoch);
  const key_serial_t id = add_key("user", description.c_str(), key.data(), key.size(), ring_);
  if (id < 0) fail("cannot store the key in the keyring", errno);
  if (keyctl_setperm(id, kPermissions) < 0) {
    const int err = errno;
    remove(ring_, id);
    fail("cannot restrict the stored key to this user", err);
  }
  // After the new key is in place, so a failure never leaves the user with no key at all.
  for (const auto& e : old) {
    if (e.id != id) remove(ring_, e.id);
  }
}

std::optional<StoredKey> Keyring::get() const {
  const auto keys = our_keys(ring_);
  if (keys.empty()) return std::nullopt;
  // A key is at most a few hundred bytes; one page fits it, and a bigger one is read again.
  SecretKey secret(1);
  for (;;) {
    const long size = keyctl_read(keys.front().id, secret.data(), secret.capacity());
    if (size < 0) fail("cannot read the key from the keyring", errno);
    if (static_cast<std::size_t>(size) <= secret.capacity()) {
      secret.resize(static_cast<std::size_t>(size));
      break;
    }
    secret = SecretKey(static_cast<std::size_t>(size));
  }
  return StoredKey{std::move(secret), keys.front().created};
}

bool Keyring::clear() const {
  const auto keys = our_keys(ring_);
  for (const auto& e : keys) remove(ring_, e.id);
  return !keys.empty();
}

Status Keyring::status() const {
  const auto keys = our_keys(ring_);
  if (keys.empty()) return {};
  return Status{true, keys.front().created, keys.front().id};
}

}  // namespace gdp::keyring
