#include "daemon/security/key_source.h"

#include "daemon/log.h"

#include <atomic>

namespace gdp::keys {
namespace {

// Said once per daemon: the first key that could not be locked says all there is to say.
void note_unlocked(const SecretKey& key) {
  static std::atomic<bool> said{false};
  if (!key.locked() && !said.exchange(true)) {
    GDP_LOG(warn) << "cannot mlock() the memory holding API keys (RLIMIT_MEMLOCK?): they are still wiped "
                     "and kept out of core dumps, but could be swapped out; raise LimitMEMLOCK";
  }
}

}  // namespace

KeySource::KeySource(KeyConfig config, OpenKeyring open_keyring)
    : config_(config), open_keyring_(std::move(open_keyring)) {}

SessionKey KeySource::resolve(std::string& forwarded, std::chrono::system_clock::time_point now) const {
  SessionKey out;
  if (!forwarded.empty()) {
    out.key = SecretKey::take(forwarded);
    note_unlocked(out.key);
    api_key::check_format(out.key.view(), "GEMINI_API_KEY (forwarded by gdp)");
    out.origin = KeyOrigin::client;
    out.source = "GEMINI_API_KEY from the client";
    return out;
  }
  try {
    const auto ring = open_keyring_();
    auto stored = ring.get();
    if (!stored) {
      out.source = "no key in the " + std::string(keyring::place_name(ring.place())) + " keyring";
      return out;
    }
    note_unlocked(stored->key);
    api_key::check_format(stored->key.view(), "the key stored with `gdp key set`");
    out.key = std::move(stored->key);
    out.origin = KeyOrigin::keyring;
    out.source = "the " + std::string(keyring::place_name(ring.place())) + " keyring";
    out.rotation_warning =
        api_key::rotation_warning(api_key::age_days(stored->created, now), config_.max_api_key_age_days);
  } catch (const keyring::KeyringError& e) {
    GDP_LOG(warn) << "no API key from the keyring: " << e.what();
    out.source = std::string("the keyring cannot be used: ") + e.what();
  }
  return out;
}

}  // namespace gdp::keys
