// The user's Gemini API key in the kernel's key retention service (man 7 keyrings), shared by gdp
// (`gdp key set/clear/status`) and gdpd (which reads it for a session), both as the same user. The
// key never touches a file: the kernel holds it, and we read it straight into a SecretKey.
//
// Where: the user's persistent keyring (man 7 persistent-keyring), which outlives login sessions,
// so a daemon started by systemd or cron sees a key set from a terminal. It does not outlive a
// reboot, and the kernel drops it after /proc/sys/kernel/keys/persistent_keyring_expiry (3 days by
// default) without use; every read by gdp or gdpd resets that timer. Kernels without
// CONFIG_PERSISTENT_KEYRINGS get the user keyring instead (gone when the user's last process
// ends), and `gdp key status` says so. GDP_KEYRING=session selects the caller's session keyring:
// the tests use it so they never touch the real user's key.
//
// The key is a `user` key whose description carries the time it was set:
// "gdp:gemini-api-key:created=<epoch seconds>". In the description rather than a second key, so
// that the key and its age are one add_key() (never one without the other), and so that status
// reads the age from the description alone without ever loading the key.
#pragma once

#include "common/secret.h"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gdp::keyring {

inline constexpr std::string_view kDescriptionPrefix = "gdp:gemini-api-key:created=";

enum class Place { persistent, user, session };
std::string_view place_name(Place place);  // "persistent", "user", "session"

// The keyring cannot be used (keyctl blocked by a seccomp filter, a quota, a bad GDP_KEYRING).
class KeyringError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StoredKey {
  SecretKey key;
  std::chrono::system_clock::time_point created;
};

struct Status {
  bool present = false;
  std::optional<std::chrono::system_clock::time_point> created;
  std::int32_t serial = 0;  // the kernel's key id, for `keyctl show`; 0 when absent
};

// How long the kernel keeps a persistent keyring nobody uses
// (/proc/sys/kernel/keys/persistent_keyring_expiry), or nullopt if it cannot be read.
std::optional<std::chrono::seconds> persistent_expiry();

class Keyring {
 public:
  // The keyring this process uses: GDP_KEYRING=session, else persistent, else user. Throws
  // KeyringError when none can be used, saying to use GEMINI_API_KEY instead.
  static Keyring open();
  static Keyring open(Place wanted);

  Place place() const { return place_; }
  // Why the persistent keyring is not used, when it was wanted and the user keyring is; else empty.
  const std::string& fallback_reason() const { return fallback_reason_; }

  // Stores `key` (replacing any earlier one), readable and writable by this user only.
  void set(std::string_view key,
           std::chrono::system_clock::time_point created = std::chrono::system_clock::now()) const;
  // The key, read straight into locked memory, or nullopt if none is stored.
  std::optional<StoredKey> get() const;
  // Removes the key at once (invalidates it, wherever else it is linked). False if there was none.
  bool clear() const;
  // Present or not and when it was set, without reading the key.
  Status status() const;

 private:
  Keyring(std::int32_t ring, Place place, std::string fallback_reason)
      : ring_(ring), place_(place), fallback_reason_(std::move(fallback_reason)) {}

  std::int32_t ring_;
  Place place_;
  std::string fallback_reason_;
};

}  // namespace gdp::keyring
