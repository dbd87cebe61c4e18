// config show and doctor: what gdpd runs with and whether its world works. Both ask gdpd first
// (its settings and the checks that need the Docker Engine live there) and, when gdpd does not
// answer, say so and show what this side can see: the settings a gdpd started now would read
// (common/settings.h, the same reading gdpd does) and the local checks.
#include "client/commands.h"
#include "client/rpc_client.h"
#include "common/doctor_checks.h"
#include "common/keyring.h"
#include "common/paths.h"
#include "common/settings.h"
#include "gdp/version.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>

namespace gdp::client {
namespace po = boost::program_options;
namespace {

// Where the Gemini API key of a session started from this shell would come from; never the key.
// GEMINI_API_KEY wins because gdp forwards it with each request.
std::string gemini_key_status() {
  if (const char* env = std::getenv("GEMINI_API_KEY"); env != nullptr && *env != '\0') {
    return "set (GEMINI_API_KEY)";
  }
  try {
    if (keyring::Keyring::open().status().present) return "set (keyring)";
  } catch (const keyring::KeyringError&) {
    return "not set (the keyring cannot be used here)";
  }
  return "not set";
}

std::string no_daemon_advice(const GlobalOptions& g) {
  return "start it: gdpd (or systemctl --user enable --now gdpd.socket); it listens on " + g.socket_path;
}

// ---- config show ---------------------------------------------------------------------------------

void print_settings(const std::vector<proto::SettingView>& views) {
  std::size_t key_width = 3, value_width = 5;
  for (const auto& v : views) {
    key_width = std::max(key_width, v.key.size());
    value_width = std::max(value_width, std::min<std::size_t>(v.value.size(), 48));
  }
  std::printf("%-*s  %-*s  %s\n", static_cast<int>(key_width), "KEY", static_cast<int>(value_width), "VALUE",
              "FROM");
  for (const auto& v : views) {
    std::printf("%-*s  %-*s  %s\n", static_cast<int>(key_width), v.key.c_str(), static_cast<int>(value_width),
                v.value.c_str(), v.origin.c_str());
  }
}

// What a gdpd started now from this shell would read, without its flags; gdpd checks the values'
// meaning (a log level, a URL) only when it starts.
proto::ConfigResult local_settings() {
  const auto env = settings::process_environment();
  const auto layers = settings::read_layers(settings::default_config_path(env), false, env);
  proto::ConfigResult result;
  result.config_file = layers.file;
  result.config_file_found = layers.file_found;
  for (const auto& spec : settings::all()) {
    const auto it = layers.values.find(std::string(spec.key));
    if (it != layers.values.end()) {
      result.settings.push_back(settings::to_view(spec.key, it->second.text, it->second.origin));
      continue;
    }
    // The defaults that depend on the environment are worked out as gdpd would (common/paths.h).
    std::string value(spec.default_value);
    if (spec.key == "socket") value = default_socket_path();
    if (spec.key == "state-dir") value = default_state_dir();
    if (spec.key == "docker-socket") {
      try {
        value = default_docker_socket();
      } catch (const std::invalid_argument& e) {
        value = std::string("(unusable: ") + e.what() + ")";
      }
    }
    result.settings.push_back(settings::to_view(spec.key, value, {}));
  }
  return result;
}

int config_show(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (int code = 0; stray_arguments(g, args, code)) return code;
  const auto key = gemini_key_status();
  std::optional<proto::ConfigResult> effective;
  std::string no_daemon;
  ExitCode code = kOk;
  try {
    DaemonConnection conn(g.socket_path, g.timeout);
    effective = conn.call<proto::Config>({});
  } catch (const ClientError& e) {
    no_daemon = e.what();
    code = e.code();
  }
  if (effective) {
    if (g.out.json) {
      auto doc = wire::to_json(*effective).as_object();
      doc["effective"] = true;
      doc["gemini_api_key"] = key;
      g.out.document(doc);
      return kOk;
    }
    std::cout << "gdpd's effective settings (config file " << effective->config_file
              << (effective->config_file_found ? "" : ", not present") << "):\n\n";
    print_settings(effective->settings);
    std::cout << "\nGemini API key: " << key << "\n";
    return kOk;
  }
  proto::ConfigResult local;
  try {
    local = local_settings();
  } catch (const settings::SettingError& e) {
    return g.out.error(kUsage, std::string(e.what()) + " (gdpd would refuse to start with it)");
  }
  if (g.out.json) {
    auto doc = wire::to_json(local).as_object();
    doc["effective"] = false;
    doc["gemini_api_key"] = key;
    return g.out.error(code, no_daemon + "; " + no_daemon_advice(g), {}, std::move(doc));
  }
  std::cerr << "gdp: " << no_daemon << "\n";
  std::cout << "gdpd does not answer, so nothing below is in effect yet. A gdpd started now from this shell\n"
               "would read these (before its command-line flags; gdpd checks each value when it starts):\n"
            << "config file " << local.config_file << (local.config_file_found ? "" : " (not present)")
            << "\n\n";
  print_settings(local.settings);
  std::cout << "\nGemini API key: " << key << "\n" << no_daemon_advice(g) << "\n";
  return code;
}

int config(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (!args.empty() && args.front() == "show") return config_show(g, {args.begin() + 1, args.end()});
  return g.out.error(kUsage, "usage: gdp config show; see gdp config --help");
}

// ---- doctor --------------------------------------------------------------------------------------

using proto::CheckStatus;
using proto::DoctorCheck;

DoctorCheck gemini_key_check() {
  const auto status = gemini_key_status();
  if (status.starts_with("set")) {
    return {"gemini.key", CheckStatus::ok, "Gemini API key " + status, std::nullopt};
  }
  return {"gemini.key", CheckStatus::warn,
          "Gemini API key " + status + ": sessions plan offline with the built-in planner",
          "gdp key set (asks for the key without echo), or export GEMINI_API_KEY"};
}

void folder_checks(std::vector<DoctorCheck>& checks, const std::string& prefix, const std::string& what,
                   const std::string& path, std::uint64_t warn_below) {
  checks.push_back(doctor::folder_writable(prefix + ".writable", what, path));
  checks.push_back(doctor::free_space(prefix + ".free", what, path, warn_below));
}

// Without gdpd: its socket to the engine and its state folder as a gdpd started now would have
// them (the config file and GDP_* variables of this shell).
void local_checks(std::vector<DoctorCheck>& checks) {
  const auto env = settings::process_environment();
  settings::Layers layers;
  try {
    layers = settings::read_layers(settings::default_config_path(env), false, env);
  } catch (const settings::SettingError& e) {
    checks.push_back(
        {"config", CheckStatus::fail, e.what(), "correct that line; gdp config show lists the keys"});
  }
  const auto value = [&](const char* key) {
    const auto it = layers.values.find(key);
    return it == layers.values.end() ? std::string() : it->second.text;
  };
  std::string socket = value("docker-socket");
  if (socket.empty()) {
    try {
      socket = default_docker_socket();
    } catch (const std::invalid_argument& e) {
      checks.push_back(
          {"docker.socket", CheckStatus::fail, e.what(), "unset DOCKER_HOST or make it unix://PATH"});
    }
  }
  if (!socket.empty()) checks.push_back(doctor::docker_socket(socket));
  const auto state = value("state-dir").empty() ? default_state_dir() : value("state-dir");
  folder_checks(checks, "state", "gdpd's state folder", state, doctor::kStateFreeWarnBytes);
}

const char* status_word(CheckStatus s) {
  return s == CheckStatus::ok ? "ok" : s == CheckStatus::warn ? "warn" : "FAIL";
}

void doctor_options(po::options_description& opts) {
  opts.add_options()(
      "project", po::value<std::string>()->value_name("DIR"),
      "check this project folder (default: the current folder) is writable with room to spare")(
      "quick", "skip the network probe, the one check that starts a container");
}

int doctor_command(const GlobalOptions& g, const std::vector<std::string>& args) {
  po::options_description opts;
  doctor_options(opts);
  po::variables_map vm;
  if (const int code = parse_options(g, "doctor", args, opts, nullptr, vm); code != kOk) return code;
  const auto project = project_option(vm).value_or(std::filesystem::current_path().string());

  std::vector<DoctorCheck> checks;
  checks.push_back({"gdp.version", CheckStatus::ok, std::string("gdp ") + kVersion, std::nullopt});
  try {
    DaemonConnection conn(g.socket_path, g.timeout);
    const auto& daemon = conn.hello().daemon;
    const bool same = daemon.version == kVersion;
    checks.push_back({"daemon", same ? CheckStatus::ok : CheckStatus::warn,
                      "gdpd " + daemon.version + " (pid " + std::to_string(daemon.pid) + ") answers on " +
                          g.socket_path + (same ? "" : "; this gdp is " + std::string(kVersion)),
                      same ? std::nullopt
                           : std::optional<std::string>(
                                 "restart gdpd so both are the same version: systemctl --user restart gdpd "
                                 "(or stop it and run gdpd)")});
    proto::DoctorParams params;
    if (vm.count("quick")) params.quick = true;
    // The network probe starts a container: give it longer than a plain call.
    conn.set_reply_timeout(std::max(g.timeout, std::chrono::milliseconds(120000)));
    auto remote = conn.call<proto::Doctor>(params);
    checks.insert(checks.end(), remote.checks.begin(), remote.checks.end());
  } catch (const ClientError& e) {
    // The message's first line says what is wrong; the rest is advice the fix gives better here.
    const std::string message = e.what();
    checks.push_back(
        {"daemon", CheckStatus::fail, message.substr(0, message.find('\n')), no_daemon_advice(g)});
    local_checks(checks);
  }
  checks.push_back(gemini_key_check());
  folder_checks(checks, "project", "project folder", project, doctor::kProjectFreeWarnBytes);

  const bool failed =
      std::any_of(checks.begin(), checks.end(), [](const auto& c) { return c.status == CheckStatus::fail; });
  const bool warned =
      std::any_of(checks.begin(), checks.end(), [](const auto& c) { return c.status == CheckStatus::warn; });
  const int code = failed ? kChecksFailed : warned ? kChecksWarned : kOk;
  if (g.out.json) {
    boost::json::array list;
    for (const auto& c : checks) list.push_back(wire::to_json(c));
    g.out.document(boost::json::object{{"checks", std::move(list)}, {"exit_code", code}});
    return code;
  }
  std::size_t width = 0;
  for (const auto& c : checks) width = std::max(width, c.name.size());
  for (const auto& c : checks) {
    std::printf("%-4s  %-*s  %s\n", status_word(c.status), static_cast<int>(width), c.name.c_str(),
                c.detail.c_str());
    if (c.fix && c.status != CheckStatus::ok) {
      std::printf("      %-*s  fix: %s\n", static_cast<int>(width), "", c.fix->c_str());
    }
  }
  std::cout << (failed   ? "Some checks failed; each shows its fix.\n"
                : warned ? "No check failed; some warned.\n"
                         : "All checks ok.\n");
  return code;
}

const Command kCommands[] = {
    {"config", "show gdpd's effective settings and where each came from (API keys never shown)",
     "config show", "gdp config show", config},
    {"doctor", "check gdpd, the Docker Engine, the image, the sandbox's isolation, keys and folders",
     "doctor [--project DIR] [--quick]", "gdp doctor", doctor_command, doctor_options},
};

}  // namespace

std::span<const Command> doctor_commands() {
  return kCommands;
}

}  // namespace gdp::client
