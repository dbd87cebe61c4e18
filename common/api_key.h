// What gdp and gdpd both know about a Gemini API key: its format, where to get one, and when it
// is old enough that the user should rotate it (the seed's SecurityConfig.max_api_key_age_days).
// Nothing here ever puts the key itself in a message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gdp::api_key {

inline constexpr std::string_view kHowToGetOne =
    "Create a key at https://aistudio.google.com/app/apikey, then run `gdp key set` (it asks for the key "
    "without echoing it) or export GEMINI_API_KEY in the shell you run gdp submit from.";

// The seed's SecurityConfig.max_api_key_age_days default.
inline constexpr int kDefaultMaxAgeDays = 90;

// Google API keys are "AIza" and 35 characters of [A-Za-z0-9_-], 39 in all. Throws
// RpcError(InvalidAPIKey) saying what is wrong (length, prefix, or the position of a bad
// character; never the key) and how to get a key. `where` names the source for the message,
// e.g. "GEMINI_API_KEY" or "the key in your keyring".
void check_format(std::string_view key, std::string_view where);

// Whole days from `created` to `now` (0 for a key set today or a clock that went backwards).
std::int64_t age_days(std::chrono::system_clock::time_point created,
                      std::chrono::system_clock::time_point now);

// The warning every submit shows once a key is older than `max_age_days`, or nullopt.
std::optional<std::string> rotation_warning(std::int64_t age_days, int max_age_days);

}  // namespace gdp::api_key
