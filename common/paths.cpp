#include "common/paths.h"

#include <unistd.h>
#include <cstdlib>
#include <stdexcept>
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

std::string default_docker_socket() {
  const auto host = env("DOCKER_HOST");
  if (host.empty()) return "/var/run/docker.sock";
  constexpr std::string_view kScheme = "unix://";
  if (host.starts_with(kScheme) && host.size() > kScheme.size()) return host.substr(kScheme.size());
  throw std::invalid_argument(
      "DOCKER_HOST=" + host +
      " is not supported: gdp's sandbox needs a local engine on a Unix socket. Unset "
      "DOCKER_HOST, or set it to unix:///var/run/docker.sock (or your Podman socket)");
}

}  // namespace gdp
