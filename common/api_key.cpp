#include "common/api_key.h"

#include "common/errors.h"

namespace gdp::api_key {
namespace {

constexpr std::string_view kPrefix = "AIza";
constexpr std::size_t kLength = 39;

bool key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

[[noreturn]] void reject(std::string_view where, const std::string& what) {
  throw RpcError(ErrorCode::InvalidAPIKey,
                 std::string(where) + " is not a Gemini API key: " + what + ". " + std::string(kHowToGetOne));
}

}  // namespace

void check_format(std::string_view key, std::string_view where) {
  if (key.empty()) reject(where, "it is empty");
  if (key.substr(0, kPrefix.size()) != kPrefix) reject(where, "Google API keys start with \"AIza\"");
  if (key.size() != kLength) {
    reject(where, "it has " + std::to_string(key.size()) + " characters, Google API keys have " +
                      std::to_string(kLength));
  }
  for (std::size_t i = kPrefix.size(); i < key.size(); ++i) {
    if (!key_char(key[i])) {
      // The position and a description, never the character: part of a key is still a secret.
      reject(where, "character " + std::to_string(i + 1) +
                        " is not a letter, digit, '-' or '_' (a space or quote pasted with it?)");
    }
  }
}

std::int64_t age_days(std::chrono::system_clock::time_point created,
                      std::chrono::system_clock::time_point now) {
  if (now <= created) return 0;
  return std::chrono::duration_cast<std::chrono::hours>(now - created).count() / 24;
}

std::optional<std::string> rotation_warning(std::int64_t age_days, int max_age_days) {
  if (age_days <= max_age_days) return std::nullopt;
  return "your Gemini API key was set " + std::to_string(age_days) + " days ago, more than the " +
         std::to_string(max_age_days) +
         " days allowed (max_api_key_age_days): rotate it: create a new key at "
         "https://aistudio.google.com/app/apikey, run `gdp key set`, then delete the old key in AI Studio";
}

}  // namespace gdp::api_key
