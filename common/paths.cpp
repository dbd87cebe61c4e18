#include "common/paths.h"

#include <unistd.h>
#include <cstdlib>
#include <string_view>

namespace gdp {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string per_uid_tmp() {
  return "/tmp/gdp-" + std::to_string(geteuid());
}

}  // namespace

std::string default_socket_path() {
  if (auto s = env("GDP_SOCKET"); !s.empty()) return s;
  if (auto rt = env("XDG_RUNTIME_DIR"); !rt.empty() && rt.front() == '/') return rt + "/gdp/gdpd.sock";
  return per_uid_tmp() + "/gdpd.sock";
}

std::string default_state_dir() {
  if (auto s = env("XDG_STATE_HOME"); !s.empty() && s.front() == '/') return s + "/gdp";
  if (auto h = env("HOME"); !h.empty() && h.front() == '/') return h + "/.local/state/gdp";
  return per_uid_tmp() + "/state";
}

}  // namespace gdp
