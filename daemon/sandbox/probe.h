// Checks of the sandbox itself, for gdp doctor: a one-shot container made exactly as a script's
// (Runner's spec: NetworkMode none and every other limit) tries to reach the network. Blocking;
// run it on the worker pool.
#pragma once

#include "daemon/sandbox/runner.h"

#include <filesystem>
#include <optional>
#include <string>

namespace gdp::sandbox {

struct NetworkProbe {
  bool isolated = false;  // neither the connection nor the name lookup worked
  std::string found;      // what the container saw, e.g. "connect 1.1.1.1:53: Network is unreachable; ..."
  std::optional<std::string> error;  // the probe itself could not run (no image, engine error)
};

// `scratch` is gdpd's private scratch folder; `daemon` its container label (daemon_label()).
NetworkProbe probe_network(Engine& engine, const ResourceConfig& config, const std::filesystem::path& scratch,
                           const std::string& daemon);

}  // namespace gdp::sandbox
