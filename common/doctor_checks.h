// The checks of `gdp doctor` that need nothing but the local filesystem: gdpd runs them on its
// own folders, and gdp runs them too, on the project folder and, when gdpd does not answer, on
// what a gdpd would use. Each says what it found and, when not ok, the exact fix.
#pragma once

#include "common/protocol.h"

#include <cstdint>
#include <string>

namespace gdp::doctor {

// A step may write up to this much (the sandbox's disk cap); less free space under a project is
// worth a warning before a session runs out of it half-way.
inline constexpr std::uint64_t kProjectFreeWarnBytes = std::uint64_t{10} << 30;
// gdpd's own state (its log, scratch files of the script checks) needs little.
inline constexpr std::uint64_t kStateFreeWarnBytes = std::uint64_t{1} << 30;

// `path` exists (or can be created: its nearest existing parent is writable) and this user may
// write there; `what` names it for people ("gdpd's state folder").
proto::DoctorCheck folder_writable(const std::string& name, const std::string& what, const std::string& path);

// Free space for this user on the filesystem holding `path` (or its nearest existing parent);
// warn below `warn_below`.
proto::DoctorCheck free_space(const std::string& name, const std::string& what, const std::string& path,
                              std::uint64_t warn_below);

// The Docker Engine's Unix socket is there, is a socket, and this user may read and write it
// (stat and access(2) only: nothing is sent).
proto::DoctorCheck docker_socket(const std::string& path);

// "12.3 GiB"
std::string human_bytes(std::uint64_t bytes);

}  // namespace gdp::doctor
