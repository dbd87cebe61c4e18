#include "common/doctor_checks.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace gdp::doctor {
namespace {

namespace fs = std::filesystem;

proto::DoctorCheck check(const std::string& name, proto::CheckStatus status, std::string detail,
                         std::optional<std::string> fix = std::nullopt) {
  return {name, status, std::move(detail), std::move(fix)};
}

// The path itself when it exists, else its nearest existing parent (what would hold it).
fs::path existing(const fs::path& path) {
  fs::path p = path;
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  return p.empty() ? fs::path("/") : p;
}

}  // namespace

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto n = static_cast<double>(bytes);
  std::size_t u = 0;
  while (n >= 1024 && u + 1 < std::size(units)) {
    n /= 1024;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", n, units[u]);
  return text;
}

proto::DoctorCheck folder_writable(const std::string& name, const std::string& what,
                                   const std::string& path) {
  if (path.empty()) {
    return check(name, proto::CheckStatus::fail, what + ": no path (HOME is not set)",
                 "set HOME, or give the folder explicitly");
  }
  const auto holder = existing(path);
  std::error_code ec;
  if (!fs::is_directory(holder, ec)) {
    return check(name, proto::CheckStatus::fail,
                 what + " " + path + ": " + holder.string() + " is not a folder",
                 "remove or rename " + holder.string() + ", or choose another folder");
  }
  if (access(holder.c_str(), W_OK | X_OK) != 0) {
    const std::string why = std::strerror(errno);
    return check(name, proto::CheckStatus::fail,
                 what + " " + path + ": " + holder.string() + " is not writable (" + why + ")",
                 "make it yours: sudo chown -R $(id -u):$(id -g) " + holder.string());
  }
  return check(name, proto::CheckStatus::ok,
               what + " " + path + (holder == fs::path(path) ? " is writable" : " can be created"));
}

proto::DoctorCheck free_space(const std::string& name, const std::string& what, const std::string& path,
                              std::uint64_t warn_below) {
  const auto holder = existing(path.empty() ? fs::path("/") : fs::path(path));
  struct statvfs fsinfo {};
  if (statvfs(holder.c_str(), &fsinfo) != 0) {
    return check(name, proto::CheckStatus::warn,
                 what + ": cannot read free space of " + holder.string() + " (" + std::strerror(errno) + ")",
                 "check that " + holder.string() + " is mounted and readable");
  }
  const auto free = static_cast<std::uint64_t>(fsinfo.f_bavail) * fsinfo.f_frsize;
  const auto detail = what + ": " + human_bytes(free) + " free on " + holder.string();
  if (free < warn_below) {
    return check(name, proto::CheckStatus::warn, detail + " (less than " + human_bytes(warn_below) + ")",
                 "free space on that filesystem (gdp cleanup --older-than 30d removes old sessions)");
  }
  return check(name, proto::CheckStatus::ok, detail);
}

proto::DoctorCheck docker_socket(const std::string& path) {
  const std::string name = "docker.socket";
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return check(
        name, proto::CheckStatus::fail,
        "no Docker Engine socket at " + path + " (" + std::strerror(errno) + ")",
        "start the engine (sudo systemctl start docker), or point gdpd at it: DOCKER_HOST=unix:///PATH "
        "or docker-socket = PATH in ~/.config/gdp/config");
  }
  if (!S_ISSOCK(st.st_mode)) {
    return check(name, proto::CheckStatus::fail, path + " is not a socket",
                 "set docker-socket (or DOCKER_HOST=unix:///PATH) to the engine's socket");
  }
  if (access(path.c_str(), R_OK | W_OK) != 0) {
    return check(name, proto::CheckStatus::fail,
                 "permission denied on " + path + " (owner uid " + std::to_string(st.st_uid) +
                     ", group gid " + std::to_string(st.st_gid) + ")",
                 "add yourself to the socket's group: sudo usermod -aG docker $USER, then log in again; or "
                 "use rootless Docker and set DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock");
  }
  return check(name, proto::CheckStatus::ok, path + " is a socket this user may use");
}

}  // namespace gdp::doctor
