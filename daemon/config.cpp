#include "daemon/config.h"

#include "common/paths.h"
#include "daemon/net/https.h"
#include "daemon/privacy/detectors.h"
#include "daemon/sandbox/engine.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <sstream>

namespace gdp {
namespace po = boost::program_options;

namespace {

using settings::Value;

[[noreturn]] void bad(const Value& v, const std::string& what) {
  throw ConfigError(v.key + " " + v.origin.where() + (what.starts_with(":") ? "" : " ") + what);
}

template <class T>
void positive(const Value& v, T& field) {
  field = static_cast<T>(settings::to_whole(v, 1));
}

int at_least(const Value& v, int minimum) {
  const auto n = settings::to_whole(v, minimum);
  if (n > 1'000'000'000) bad(v, "must be at most 1000000000");
  return static_cast<int>(n);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

std::string number_text(double n) {
  std::ostringstream s;
  s << n;
  return s.str();
}

// What each key means to gdpd: how its text is checked and applied, and how the effective value
// is shown again. One row per key of settings::all(); a key without a row is refused at start.
struct Binding {
  std::string_view key;
  void (*apply)(DaemonConfig&, const Value&);
  std::string (*show)(const DaemonConfig&);
};

// clang-format off
const Binding kBindings[] = {
    {"socket", [](DaemonConfig& c, const Value& v) { c.socket_path = v.text; },
     [](const DaemonConfig& c) { return c.socket_path; }},
    {"state-dir", [](DaemonConfig& c, const Value& v) { c.state_dir = v.text; },
     [](const DaemonConfig& c) { return c.state_dir; }},
    {"log-level",
     [](DaemonConfig& c, const Value& v) {
       const auto level = log::parse_level(v.text);
       if (!level) {
         throw ConfigError("log-level \"" + v.text + "\" " + v.origin.where() +
                           " is not one of error, warn, info, debug");
       }
       c.log_level = *level;
     },
     [](const DaemonConfig& c) {
       constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
       return std::string(kNames[static_cast<int>(c.log_level)]);
     }},
    {"max-frame-bytes", [](DaemonConfig& c, const Value& v) { positive(v, c.max_frame_bytes); },
     [](const DaemonConfig& c) { return std::to_string(c.max_frame_bytes); }},
    {"max-json-depth", [](DaemonConfig& c, const Value& v) { positive(v, c.max_json_depth); },
     [](const DaemonConfig& c) { return std::to_string(c.max_json_depth); }},
    {"max-connections", [](DaemonConfig& c, const Value& v) { positive(v, c.max_connections); },
     [](const DaemonConfig& c) { return std::to_string(c.max_connections); }},
    {"max-input-bytes",
     [](DaemonConfig& c, const Value& v) { c.max_input_bytes = static_cast<std::uint64_t>(settings::to_whole(v, 0)); },
     [](const DaemonConfig& c) { return std::to_string(c.max_input_bytes); }},
    {"allow-root", [](DaemonConfig& c, const Value& v) { c.allow_root = settings::to_boolean(v); },
     [](const DaemonConfig& c) { return std::string(c.allow_root ? "true" : "false"); }},
    {"docker-socket", [](DaemonConfig& c, const Value& v) { c.docker_socket = v.text; },
     [](const DaemonConfig& c) {
       if (!c.docker_socket.empty()) return c.docker_socket;
       try {
         return sandbox::Engine::default_socket();
       } catch (const std::exception& e) {
         return std::string("(unusable: ") + e.what() + ")";
       }
     }},
    {"max-concurrent-containers", [](DaemonConfig& c, const Value& v) { positive(v, c.max_concurrent_containers); },
     [](const DaemonConfig& c) { return std::to_string(c.max_concurrent_containers); }},
    {"sandbox.image",
     [](DaemonConfig& c, const Value& v) {
       if (v.text.empty()) bad(v, "is empty; name an image, e.g. gdp-runtime");
       c.resources.image = v.text;
     },
     [](const DaemonConfig& c) { return c.resources.image; }},
    {"sandbox.timeout-minutes",
     [](DaemonConfig& c, const Value& v) { c.resources.timeout = std::chrono::minutes(at_least(v, 1)); },
     [](const DaemonConfig& c) { return std::to_string(c.resources.timeout.count() / 60); }},
    {"sandbox.disk-bytes",
     [](DaemonConfig& c, const Value& v) { c.resources.disk_bytes = settings::to_whole(v, std::int64_t{1} << 20); },
     [](const DaemonConfig& c) { return std::to_string(c.resources.disk_bytes); }},
    {"store.max-mb",
     [](DaemonConfig& c, const Value& v) {
       const double mb = settings::to_number(v);
       if (!(mb >= 0.1 && mb <= 1e6)) bad(v, "must be between 0.1 and 1000000");
       c.store_cap_bytes = static_cast<std::uint64_t>(mb * 1024 * 1024);
     },
     [](const DaemonConfig& c) { return number_text(static_cast<double>(c.store_cap_bytes) / (1024 * 1024)); }},
    {"store.backup-hours",
     [](DaemonConfig& c, const Value& v) {
       c.backup_hours = settings::to_number(v);
       if (!(c.backup_hours > 0 && c.backup_hours <= 24 * 365)) bad(v, "must be more than 0 and at most a year");
     },
     [](const DaemonConfig& c) { return number_text(c.backup_hours); }},
    {"privacy.disable",
     [](DaemonConfig& c, const Value& v) {
       c.privacy_disabled.clear();
       std::istringstream list(v.text);
       for (std::string name; std::getline(list, name, ',');) {
         name.erase(0, name.find_first_not_of(" \t"));
         name.erase(name.find_last_not_of(" \t") + 1);
         if (name.empty()) continue;
         if (!privacy::detector_by_name(name)) {
           bad(v, ": \"" + name + "\" is not a detector (see gdpd --help for the list)");
         }
         c.privacy_disabled.push_back(name);
       }
     },
     [](const DaemonConfig& c) { return join(c.privacy_disabled); }},
    {"privacy.strict", [](DaemonConfig& c, const Value& v) { c.privacy_strict = settings::to_boolean(v); },
     [](const DaemonConfig& c) { return std::string(c.privacy_strict ? "true" : "false"); }},
    {"privacy.shape-hints", [](DaemonConfig& c, const Value& v) { c.privacy_shape_hints = settings::to_boolean(v); },
     [](const DaemonConfig& c) { return std::string(c.privacy_shape_hints ? "true" : "false"); }},
    {"gemini.endpoint",
     [](DaemonConfig& c, const Value& v) {
       std::string endpoint = v.text;
       while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
       try {
         net::parse_https_url(endpoint);
       } catch (const std::exception& e) {
         bad(v, std::string(": ") + e.what());
       }
       c.gemini.endpoint = endpoint;
     },
     [](const DaemonConfig& c) { return c.gemini.endpoint; }},
    {"gemini.model",
     [](DaemonConfig& c, const Value& v) {
       if (v.text.empty() || v.text.find_first_of("/?#: ") != std::string::npos) {
         bad(v, ": \"" + v.text + "\" is not a model id (e.g. gemini-3.5-flash, without models/)");
       }
       c.gemini.model = v.text;
     },
     [](const DaemonConfig& c) { return c.gemini.model; }},
    {"gemini.temperature",
     [](DaemonConfig& c, const Value& v) {
       const double t = settings::to_number(v);
       if (!(t >= 0.0 && t <= 2.0)) bad(v, "must be between 0 and 2");
       c.gemini.temperature = t;
     },
     [](const DaemonConfig& c) {
       return c.gemini.temperature ? number_text(*c.gemini.temperature) : std::string("(the model's own)");
     }},
    {"gemini.max-output-tokens", [](DaemonConfig& c, const Value& v) { c.gemini.max_output_tokens = at_least(v, 256); },
     [](const DaemonConfig& c) { return std::to_string(c.gemini.max_output_tokens); }},
    {"gemini.requests-per-minute",
     [](DaemonConfig& c, const Value& v) { c.gemini.requests_per_minute = at_least(v, 1); },
     [](const DaemonConfig& c) { return std::to_string(c.gemini.requests_per_minute); }},
    {"gemini.max-retries", [](DaemonConfig& c, const Value& v) { c.gemini.max_retries = at_least(v, 0); },
     [](const DaemonConfig& c) { return std::to_string(c.gemini.max_retries); }},
    {"gemini.max-context-size",
     [](DaemonConfig& c, const Value& v) {
       const auto n = settings::to_whole(v, 0);
       if (n < 10'000) bad(v, "must be at least 10000 characters");
       c.gemini.max_context_size = static_cast<std::size_t>(n);
     },
     [](const DaemonConfig& c) { return std::to_string(c.gemini.max_context_size); }},
    {"ca-file", [](DaemonConfig& c, const Value& v) { c.https.ca_file = v.text; },
     [](const DaemonConfig& c) { return c.https.ca_file.empty() ? std::string("(none)") : c.https.ca_file; }},
    {"security.max-api-key-age-days",
     [](DaemonConfig& c, const Value& v) { c.keys.max_api_key_age_days = at_least(v, 1); },
     [](const DaemonConfig& c) { return std::to_string(c.keys.max_api_key_age_days); }},
};
// clang-format on

const Binding& binding(std::string_view key) {
  for (const auto& b : kBindings) {
    if (b.key == key) return b;
  }
  // A key in common/settings.cpp that gdpd does not know would be silently ignored: refuse.
  throw std::logic_error("settings key " + std::string(key) + " has no binding in daemon/config.cpp");
}

// Wide enough that no variable name in a description is cut in two (program_options splits a word
// longer than half the description column).
constexpr unsigned kHelpWidth = 110;

// Every setting as a flag, from the key table: --KEY VALUE, checked like the file's.
po::options_description setting_flags() {
  po::options_description opts(
      "Settings (each also a config file key and a GDP_* environment variable; see \"Where settings "
      "come from\" below)",
      kHelpWidth);
  for (const auto& s : settings::all()) {
    const std::string help = std::string(s.meaning) + " (" + std::string(settings::type_name(s.type)) +
                             ", default " + std::string(s.default_value) + "; env " +
                             settings::env_var(s.key) + ")";
    opts.add_options()(std::string(s.key).c_str(),
                       po::value<std::string>()->value_name(std::string(settings::type_name(s.type))),
                       help.c_str());
  }
  return opts;
}

constexpr const char* kOrderHelp =
    "Where settings come from, later winning:\n"
    "  1. built-in defaults\n"
    "  2. the config file: --config FILE, else $XDG_CONFIG_HOME/gdp/config (else ~/.config/gdp/config),\n"
    "     read when it exists; INI lines \"key = value\", [section] headers prefix keys\n"
    "     ([gemini] then model = x is gemini.model), # or ; starts a comment\n"
    "  3. environment variables: GDP_ + the key upper-cased, '.' and '-' as '_'\n"
    "     (sandbox.image -> GDP_SANDBOX_IMAGE, log-level -> GDP_LOG_LEVEL)\n"
    "  4. the command line (--KEY VALUE)\n"
    "DOCKER_HOST, HTTPS_PROXY and NO_PROXY keep their usual meaning; the Gemini API key is never a\n"
    "setting (gdp key set, or GEMINI_API_KEY in gdp's environment). gdp config show prints every\n"
    "effective value and where it came from.\n";

}  // namespace

std::vector<EffectiveSetting> effective_settings(const DaemonConfig& config) {
  std::vector<EffectiveSetting> out;
  for (const auto& s : settings::all()) {
    EffectiveSetting e{std::string(s.key), binding(s.key).show(config), {}};
    if (const auto it = config.origins.find(e.key); it != config.origins.end()) e.origin = it->second;
    out.push_back(std::move(e));
  }
  return out;
}

ParsedCommandLine parse_command_line(const std::vector<std::string>& args, const settings::Environment& env) {
  po::options_description general("gdpd options", kHelpWidth);
  // clang-format off
  general.add_options()
      ("help,h", "show this help")
      ("version", "print the version")
      ("foreground", "stay in the foreground and log to stderr (what systemd and tests use)")
      ("no-sanitize", "send snapshots to planners UNMASKED; every client warns on every submit. Only on "
                      "the command line: no config file or variable can switch the privacy step off")
      ("config", po::value<std::string>(), "read settings from this INI file instead of "
                                           "$XDG_CONFIG_HOME/gdp/config (it must exist)");
  // clang-format on
  po::options_description all(kHelpWidth);
  all.add(general).add(setting_flags());

  ParsedCommandLine out;
  std::ostringstream help;
  help << "Usage: gdpd [--foreground] [--socket PATH] [--state-dir DIR] [--config FILE] "
          "[--log-level L]\n\n"
          "gdpd is the per-user daemon behind gdp: it owns the sessions, the Docker connection,\n"
          "the planner calls and the stores, and serves gdp over a private Unix socket.\n\n"
       << all << "\n"
       << kOrderHelp
       << "\nExample:\n  GDP_LOG_LEVEL=debug gdpd --foreground --sandbox.timeout-minutes 10\n\n"
          "Exit status: 0 stopped cleanly; 1 could not start (the message says why);\n"
          "2 bad command line or config; 3 another gdpd already serves the socket.\n";
  out.help_text = help.str();

  po::variables_map cli;
  try {
    std::vector<std::string> argv(args.begin(), args.end());
    po::store(po::command_line_parser(argv).options(all).run(), cli);
    po::notify(cli);
  } catch (const po::error& e) {
    throw ConfigError(std::string(e.what()) + " (on the command line; see gdpd --help)");
  }
  out.show_help = cli.count("help") != 0;
  out.show_version = cli.count("version") != 0;
  auto& cfg = out.config;
  cfg.foreground = cli.count("foreground") != 0;
  cfg.no_sanitize = cli.count("no-sanitize") != 0;
  cfg.socket_path = default_socket_path();
  cfg.state_dir = default_state_dir();

  const bool explicit_file = cli.count("config") != 0;
  settings::Layers layers;
  try {
    layers = settings::read_layers(
        explicit_file ? cli["config"].as<std::string>() : settings::default_config_path(env), explicit_file,
        env);
  } catch (const settings::SettingError& e) {
    throw ConfigError(e.what());
  }
  cfg.config_file = layers.file;
  cfg.config_file_found = layers.file_found;
  for (const auto& s : settings::all()) {
    if (!cli.count(std::string(s.key))) continue;
    Value v{std::string(s.key), cli[std::string(s.key)].as<std::string>(), {}};
    v.origin.kind = settings::Origin::Kind::command_line;
    layers.values[v.key] = std::move(v);
  }
  // In key order, so that a message about one bad value does not depend on which layer set it.
  for (const auto& s : settings::all()) {
    const auto it = layers.values.find(std::string(s.key));
    if (it == layers.values.end()) continue;
    try {
      binding(s.key).apply(cfg, it->second);
    } catch (const settings::SettingError& e) {
      throw ConfigError(e.what());
    }
    cfg.origins[it->first] = it->second.origin;
  }
  return out;
}

}  // namespace gdp
