#include "daemon/log.h"

#include <unistd.h>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace gdp::log {
namespace {

std::atomic<Level> g_level{Level::info};
constexpr std::array<std::string_view, 4> kNames{"error", "warn", "info", "debug"};

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Level>(i);
  }
  if (name == "warning") return Level::warn;
  return std::nullopt;
}

void set_level(Level level) {
  g_level.store(level);
}

bool enabled(Level level) {
  return static_cast<int>(level) <= static_cast<int>(g_level.load());
}

void write(Level level, std::string_view message) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> stamp{};
  std::strftime(stamp.data(), stamp.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  // One fprintf per line keeps lines whole when several threads log.
  std::fprintf(stderr, "gdpd[%d] %s %s: %.*s\n", static_cast<int>(getpid()), stamp.data(),
               kNames[static_cast<std::size_t>(level)].data(), static_cast<int>(message.size()),
               message.data());
}

}  // namespace gdp::log
