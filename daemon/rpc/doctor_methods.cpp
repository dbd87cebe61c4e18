// config and doctor: gdpd's effective settings with where each came from, and the checks of its
// world that only gdpd can make (the Docker Engine as gdpd reaches it, the image, the sandbox's
// network isolation, the disk cap, its own folders). gdp adds the checks of its own side.
#include "common/doctor_checks.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/rpc/methods.h"
#include "daemon/sandbox/probe.h"
#include "daemon/sandbox/runner.h"
#include "daemon/worker_pool.h"
#include "gdp/runtime_recipe.h"
#include "gdp/version.h"

#include <filesystem>

namespace gdp {
namespace {

using proto::CheckStatus;
using proto::DoctorCheck;

DoctorCheck check(std::string name, CheckStatus status, std::string detail,
                  std::optional<std::string> fix = std::nullopt) {
  return {std::move(name), status, std::move(detail), std::move(fix)};
}

DoctorCheck skipped(std::string name, const std::string& because) {
  return check(std::move(name), CheckStatus::warn, "not checked: " + because,
               "fix the failed check above first");
}

std::string short_hash(std::string_view hash) {
  return std::string(hash.substr(0, 12));
}

// The image scripts run in: there, and built from the recipe this gdpd knows.
DoctorCheck image_check(sandbox::Engine& engine, const std::string& image) {
  const auto inspected = engine.inspect_image(image);
  const bool ours = image == sandbox::ResourceConfig{}.image;
  if (!inspected) {
    return check(
        "sandbox.image", CheckStatus::fail, "image " + image + " is not in the engine",
        ours ? "build it: sudo packaging/runtime-image/build.sh (in gdp's source tree; no registry needed)"
             : "docker pull " + image + ", or set sandbox.image to an image you have");
  }
  std::string label;
  if (const auto* config = inspected->if_contains("Config"); config != nullptr && config->is_object()) {
    if (const auto* labels = config->as_object().if_contains("Labels");
        labels != nullptr && labels->is_object()) {
      if (const auto* hash = labels->as_object().if_contains(sandbox::kRecipeHashLabel);
          hash != nullptr && hash->is_string()) {
        label = std::string(hash->as_string());
      }
    }
  }
  if (label.empty()) {
    return check("sandbox.image", CheckStatus::ok,
                 image + " is present (not built from gdp's recipe, so there is no recipe to compare)");
  }
  if (label != sandbox::kRuntimeRecipeHash) {
    return check("sandbox.image", CheckStatus::warn,
                 image + " was built from recipe " + short_hash(label) + ", this gdpd's is " +
                     short_hash(sandbox::kRuntimeRecipeHash) +
                     " (packages may differ from what the planner expects)",
                 "rebuild it: sudo packaging/runtime-image/build.sh --image " + image);
  }
  return check("sandbox.image", CheckStatus::ok,
               image + " is present and current (recipe " + short_hash(label) + ")");
}

DoctorCheck network_check(sandbox::Engine& engine, const DaemonCore& core) {
  const auto scratch = std::filesystem::path(core.config.state_dir) / "scratch";
  std::filesystem::create_directories(scratch);
  const auto probe = sandbox::probe_network(engine, core.config.resources, scratch, core.daemon_label);
  if (probe.error) {
    return check(
        "sandbox.network", CheckStatus::fail, "the network probe could not run: " + *probe.error,
        "make sure the image runs python3: docker run --rm " + core.config.resources.image + " python3 -V");
  }
  if (!probe.isolated) {
    return check(
        "sandbox.network", CheckStatus::fail,
        "a script container (NetworkMode none) reached the network: " + probe.found,
        "do not run sessions until this is fixed: the engine does not honour NetworkMode none; check "
        "docker info and the engine's network plugins");
  }
  return check("sandbox.network", CheckStatus::ok, "a script container has no network (" + probe.found + ")");
}

DoctorCheck disk_cap_check(sandbox::Engine& engine, const sandbox::ResourceConfig& resources) {
  std::string driver = "unknown";
  if (const auto info = engine.info(); info.contains("Driver") && info.at("Driver").is_string()) {
    driver = std::string(info.at("Driver").as_string());
  }
  return check("sandbox.disk-cap", CheckStatus::ok,
               doctor::human_bytes(static_cast<std::uint64_t>(resources.disk_bytes)) + " per step, " +
                   std::string(sandbox::Runner::kDiskCapMethod) +
                   "; not an engine storage option (storage driver " + driver + ")");
}

// Every check that talks to the engine, in order; later ones are skipped when the engine does not
// answer. Blocking.
std::vector<DoctorCheck> engine_checks(const DaemonCore& core, bool quick) {
  std::vector<DoctorCheck> out;
  auto& engine = *core.engine;
  std::string socket;
  try {
    socket =
        core.config.docker_socket.empty() ? sandbox::Engine::default_socket() : core.config.docker_socket;
  } catch (const std::exception& e) {
    out.push_back(
        check("docker.socket", CheckStatus::fail, e.what(), "unset DOCKER_HOST or make it unix://PATH"));
  }
  if (!socket.empty()) out.push_back(doctor::docker_socket(socket));
  try {
    const auto v = engine.version();
    out.push_back(check("docker.engine", CheckStatus::ok,
                        "Docker Engine " + v.version + " (API " + v.api_version + ", gdpd uses " +
                            v.negotiated + ") on " + v.os + "/" + v.arch));
  } catch (const std::exception& e) {
    const bool socket_failed = !out.empty() && out.back().status == CheckStatus::fail;
    out.push_back(check("docker.engine", CheckStatus::fail, e.what(),
                        socket_failed ? "see docker.socket's fix"
                                      : "start the engine: sudo systemctl start docker (or dockerd)"));
    for (const char* name : {"sandbox.image", "sandbox.network", "sandbox.disk-cap"}) {
      out.push_back(skipped(name, "the Docker Engine does not answer"));
    }
    return out;
  }
  out.push_back(image_check(engine, core.config.resources.image));
  const bool image_ok = out.back().status != CheckStatus::fail;
  if (quick) {
    out.push_back(check("sandbox.network", CheckStatus::ok, "not probed (--quick)"));
  } else if (!image_ok) {
    out.push_back(skipped("sandbox.network", "the image is missing"));
  } else {
    try {
      out.push_back(network_check(engine, core));
    } catch (const std::exception& e) {
      out.push_back(check("sandbox.network", CheckStatus::fail,
                          std::string("the network probe failed: ") + e.what(),
                          "run gdp doctor again; if it persists, see gdpd's log"));
    }
  }
  try {
    out.push_back(disk_cap_check(engine, core.config.resources));
  } catch (const std::exception& e) {
    out.push_back(
        check("sandbox.disk-cap", CheckStatus::warn, std::string("engine info failed: ") + e.what()));
  }
  return out;
}

}  // namespace

boost::asio::awaitable<proto::ConfigResult> DoctorMethods::config(proto::ConfigParams, CallContext&) {
  proto::ConfigResult result;
  result.config_file = core_.config.config_file;
  result.config_file_found = core_.config.config_file_found;
  for (auto& s : effective_settings(core_.config)) {
    result.settings.push_back(settings::to_view(s.key, std::move(s.value), s.origin));
  }
  co_return result;
}

boost::asio::awaitable<proto::DoctorResult> DoctorMethods::doctor(proto::DoctorParams params, CallContext&) {
  const auto& core = core_;
  auto work = [&core, quick = params.quick.value_or(false)] {
    auto checks = engine_checks(core, quick);
    const auto& state = core.config.state_dir;
    checks.push_back(doctor::folder_writable("state.writable", "gdpd's state folder", state));
    checks.push_back(
        doctor::free_space("state.free", "gdpd's state folder", state, doctor::kStateFreeWarnBytes));
    return checks;
  };
  proto::DoctorResult result;
  result.daemon_version = kVersion;
  result.checks = co_await run_blocking(*core_.workers, work);
  GDP_LOG(info) << "doctor: " << result.checks.size() << " checks";
  co_return result;
}

}  // namespace gdp
