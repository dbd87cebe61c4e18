// Which Gemini API key a session uses: the one its client forwarded (GEMINI_API_KEY in the shell
// that ran gdp submit), else the one in the user's kernel keyring (`gdp key set`), else none, and
// then the session plans with the built-in planner. The key is checked for format here; whether
// Google accepts it is the Gemini planner's cheap authenticated call, before any analysis.
//
// A SessionKey holds its key in locked memory (common/secret.h); the session drops it when it
// ends, fails or is cancelled, and gdpd wipes whatever is left on its way out (daemon/main.cpp).
#pragma once

#include "common/api_key.h"
#include "common/keyring.h"
#include "common/secret.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace gdp::keys {

// Key settings (the seed's SecurityConfig.max_api_key_age_days); the daemon's config fills it.
struct KeyConfig {
  int max_api_key_age_days = api_key::kDefaultMaxAgeDays;
};

enum class KeyOrigin { client, keyring, none };

struct SessionKey {
  KeyOrigin origin = KeyOrigin::none;
  SecretKey key;  // empty when origin is none
  // Where it came from, for the session's log and events: "GEMINI_API_KEY from the client",
  // "the persistent keyring", or why there is none. Never the key.
  std::string source;
  // Set when a keyring key is older than max_api_key_age_days: every submit shows it.
  std::optional<std::string> rotation_warning;
};

class KeySource {
 public:
  using OpenKeyring = std::function<keyring::Keyring()>;

  // `open_keyring` reaches the keyring (tests pass one that opens their private session keyring).
  explicit KeySource(
      KeyConfig config, OpenKeyring open_keyring = [] { return keyring::Keyring::open(); });

  // `forwarded` is the key the client sent for this session, or empty: its bytes are moved into
  // locked memory and overwritten where they were. Throws RpcError(InvalidAPIKey) when the key
  // found has not the format of a Google API key. A keyring that cannot be used is logged and
  // counts as no key.
  SessionKey resolve(std::string& forwarded,
                     std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

 private:
  KeyConfig config_;
  OpenKeyring open_keyring_;
};

}  // namespace gdp::keys
