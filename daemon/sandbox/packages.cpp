// Installs packages in a container with the network, commits it, removes it.
#include "daemon/sandbox/packages.h"

#include "daemon/privacy/siphash.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace gdp::sandbox {

namespace json = boost::json;

namespace {

constexpr std::string_view kRepository = "gdp-runtime-pkg";

// Debian package names (policy 5.6.1) or PyPI names with an optional ==version: the only text
// that reaches the installer's command line.
bool valid_name(std::string_view name, Installer installer) {
  if (name.empty() || name.size() > 128) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (installer == Installer::apt) {
    if (!alnum(name[0]) || name.size() < 2) return false;
    return std::all_of(name.begin(), name.end(),
                       [&](char c) { return alnum(c) || c == '+' || c == '-' || c == '.'; });
  }
  const auto eq = name.find("==");
  const auto base = name.substr(0, eq);
  auto pypi = [&](char c) { return alnum(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.'; };
  if (base.empty() || !std::all_of(base.begin(), base.end(), pypi)) return false;
  if (eq == std::string_view::npos) return true;
  const auto version = name.substr(eq + 2);
  return !version.empty() && std::all_of(version.begin(), version.end(), pypi);
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

bool contains(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

std::string debian_package_for(std::string_view name) {
  std::string base(name.substr(0, name.find_first_of("=<>!~;[ ")));
  for (auto& c : base) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '_') c = '-';
  }
  if (base.starts_with("python3-")) return base;
  // Where the import name, the PyPI name and Debian's name part ways.
  static const std::map<std::string_view, std::string_view> kDifferent{
      {"beautifulsoup4", "python3-bs4"},
      {"bs4", "python3-bs4"},
      {"pyyaml", "python3-yaml"},
      {"yaml", "python3-yaml"},
      {"pillow", "python3-pil"},
      {"pil", "python3-pil"},
      {"scikit-learn", "python3-sklearn"},
      {"sklearn", "python3-sklearn"},
      {"opencv-python", "python3-opencv"},
      {"cv2", "python3-opencv"},
      {"python-dateutil", "python3-dateutil"},
      {"dateutil", "python3-dateutil"},
      {"pytz", "python3-tz"},
      {"tz", "python3-tz"},
      {"statsmodels", "python3-statsmodels"},
      {"openpyxl", "python3-openpyxl"},
  };
  if (const auto it = kDifferent.find(base); it != kDifferent.end()) return std::string(it->second);
  if (base.starts_with("python-")) base.erase(0, 7);
  return "python3-" + base;
}

PackageInstaller::PackageInstaller(Engine& engine, ResourceConfig config, Installer installer,
                                   std::chrono::seconds timeout, std::string network)
    : engine_(engine),
      config_(std::move(config)),
      installer_(installer),
      timeout_(timeout),
      network_(std::move(network)) {}

std::string PackageInstaller::image_for(const std::vector<std::string>& packages) const {
  const std::set<std::string> sorted(packages.begin(), packages.end());
  // The base image's id, not its name: a rebuilt gdp-runtime gets new derived images.
  const auto base = engine_.inspect_image(config_.image);
  std::string key = base ? std::string(base->at("Id").as_string()) : config_.image;
  key += installer_ == Installer::apt ? "\napt" : "\npip";
  for (const auto& p : sorted) key += "\n" + p;
  // A fixed key: the name must be the same on every run and every machine, not secret.
  constexpr std::array<std::uint8_t, 16> kKey{'g', 'd', 'p', '-', 'p', 'a', 'c', 'k',
                                              'a', 'g', 'e', 's', '-', 'v', '1', 0};
  return std::string(kRepository) + ":" + hex64(privacy::siphash24(kKey, key));
}

PackageStep PackageInstaller::install(const std::vector<std::string>& packages, const StepLabels& labels) {
  const auto started = std::chrono::steady_clock::now();
  if (packages.empty()) throw RpcError(ErrorCode::InvalidParams, "no packages to install");
  for (const auto& p : packages) {
    if (!valid_name(p, installer_)) {
      throw RpcError(ErrorCode::InvalidParams, "\"" + p + "\" is not a package name", {{"package", p}});
    }
  }
  PackageStep step;
  step.image = image_for(packages);
  if (engine_.inspect_image(step.image)) {
    step.reused = true;
    return step;
  }
  std::string list;
  for (const auto& p : std::set<std::string>(packages.begin(), packages.end())) list += " " + p;
  const std::string command =
      installer_ == Installer::apt
          ? "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
            "--no-install-recommends" +
                list + " && rm -rf /var/lib/apt/lists/*"
          : "python3 -m pip install --no-cache-dir --disable-pip-version-check" + list;
  // Root, a writable root filesystem and the network: what an installer needs, for this step
  // only. Capabilities stay dropped but for what apt does as root (files, and dropping to _apt).
  json::object body{
      {"Image", config_.image},
      {"Cmd", json::array{"sh", "-c", command}},
      {"User", "0:0"},
      {"Env", json::array{"HOME=/root"}},
      {"Labels", json::object{{kDaemonLabel, labels.daemon},
                              {kSessionLabel, labels.session},
                              {kStepLabel, std::to_string(labels.step)},
                              {"org.gdp.packages", list.substr(1)}}},
      {"HostConfig",
       json::object{{"NetworkMode", network_},
                    {"CapDrop", json::array{"ALL"}},
                    {"CapAdd", json::array{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETUID", "SETGID"}},
                    {"SecurityOpt", json::array{"no-new-privileges"}},
                    {"Memory", config_.memory_bytes},
                    {"MemorySwap", config_.memory_bytes},
                    {"PidsLimit", config_.pids},
                    {"Init", true}}},
  };
  const auto created = engine_.create_container("", body);
  const ContainerRemover remover{engine_, created.id};
  if (!created.warnings.empty()) {
    throw RpcError(ErrorCode::ResourceLimit,
                   "the Docker Engine would drop a limit for the package step: " + created.warnings.front());
  }
  auto wait = engine_.wait_next_exit(created.id);
  engine_.start(created.id);
  const auto exit = wait(std::chrono::duration_cast<std::chrono::milliseconds>(timeout_));
  if (!exit) engine_.kill(created.id, "KILL");
  const auto logs = engine_.logs(created.id, config_.max_stream_bytes);
  step.output = logs.out + logs.err;
  step.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!exit) {
    throw RpcError(ErrorCode::PackageInstallation, "installing" + list + " took longer than " +
                                                       std::to_string(timeout_.count()) + " s:\n" +
                                                       step.output);
  }
  if (exit->status_code != 0) {
    if (contains(step.output, "Temporary failure resolving") || contains(step.output, "Could not resolve") ||
        contains(step.output, "Failed to fetch") || contains(step.output, "Network is unreachable") ||
        contains(step.output, "NewConnectionError")) {
      throw RpcError(ErrorCode::Network,
                     "the package repositories could not be reached from the Docker "
                     "Engine's network; check the machine's connection or proxy:\n" +
                         step.output);
    }
    throw RpcError(ErrorCode::PackageInstallation, "installing" + list + " failed:\n" + step.output);
  }
  const auto colon = step.image.find(':');
  engine_.commit(created.id, step.image.substr(0, colon), step.image.substr(colon + 1));
  return step;
}

}  // namespace gdp::sandbox
