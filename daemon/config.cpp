#include "daemon/config.h"

#include "common/paths.h"
#include "daemon/net/https.h"
#include "daemon/privacy/detectors.h"

#include <boost/program_options.hpp>

#include <fstream>
#include <sstream>

namespace gdp {
namespace po = boost::program_options;

namespace {

// Options that may appear both in the config file and on the command line.
po::options_description shared_options() {
  po::options_description opts("Settings (also valid in the config file, without the dashes)");
  // One option per line reads better than the reflowed chain.
  // clang-format off
  opts.add_options()
      ("socket", po::value<std::string>(), "listen on this Unix socket path")
      ("state-dir", po::value<std::string>(), "directory for gdpd's own state and log")
      ("log-level", po::value<std::string>(), "error, warn, info or debug (default info)")
      ("max-frame-bytes", po::value<std::size_t>(), "largest accepted message in bytes (default 16 MiB)")
      ("max-json-depth", po::value<std::size_t>(), "deepest accepted JSON nesting (default 64)")
      ("max-connections", po::value<std::size_t>(), "most clients at once (default 512)")
      ("max-input-bytes", po::value<std::uint64_t>(), "files larger than this need --yes-large (default 1 GiB)")
      ("allow-root", po::value<bool>(), "let root connect to this user's daemon (default false)")
      ("privacy.disable", po::value<std::string>(),
       "privacy detectors to switch off, comma-separated (email, phone, card, iban, ssn, ipv4, ipv6, mac, "
       "url_credentials, aws_access_key, google_api_key, github_token, slack_token, jwt, private_key, secret, "
       "person_name, date_of_birth, address, national_id)")
      ("docker-socket", po::value<std::string>(), "the Docker Engine's Unix socket (default: DOCKER_HOST, else /var/run/docker.sock)")
      ("sandbox.image", po::value<std::string>(), "the image scripts run in (default gdp-runtime)")
      ("sandbox.timeout-minutes", po::value<int>(), "a script is stopped after this long (default 30)")
      ("max-concurrent-containers", po::value<std::size_t>(), "steps that may run at once, all sessions together (default 1)")
      ("store.max-mb", po::value<double>(), "each project's history cap in MB; the oldest finished sessions make room (default 100)")
      ("store.backup-hours", po::value<double>(), "hours between backups of every open project's history (default 24)")
      ("privacy.strict", po::value<bool>(), "drop sensitive columns from snapshots instead of masking (default false)")
      ("privacy.shape-hints", po::value<bool>(),
       "show an email's domain or a value's length inside placeholders (default false)")
      ("gemini.endpoint", po::value<std::string>(), "the Gemini API's base URL (default https://generativelanguage.googleapis.com)")
      ("gemini.model", po::value<std::string>(), "the Gemini model that plans (default gemini-3.5-flash); never switched silently")
      ("gemini.temperature", po::value<double>(), "sampling temperature, 0 to 2 (default: the model's own)")
      ("gemini.max-output-tokens", po::value<int>(), "the longest answer, in tokens (default 8192)")
      ("gemini.requests-per-minute", po::value<int>(), "requests per minute, retries included (default 10)")
      ("gemini.max-retries", po::value<int>(), "retries of one request after 429, 5xx or a network error (default 5)")
      ("gemini.max-context-size", po::value<std::size_t>(), "the largest prompt, in characters (default 200000)")
      ("ca-file", po::value<std::string>(), "a PEM file of CAs trusted besides the system's (a corporate proxy's CA)")
      ("security.max-api-key-age-days", po::value<int>(), "warn on every submit once the keyring's key is older (default 90)");
  // clang-format on
  return opts;
}

void apply(const po::variables_map& vm, DaemonConfig& cfg, const std::string& source) {
  if (vm.count("socket")) cfg.socket_path = vm["socket"].as<std::string>();
  if (vm.count("state-dir")) cfg.state_dir = vm["state-dir"].as<std::string>();
  if (vm.count("log-level")) {
    const auto& name = vm["log-level"].as<std::string>();
    auto level = log::parse_level(name);
    if (!level) {
      throw ConfigError("log-level \"" + name + "\" in " + source +
                        " is not one of error, warn, info, debug");
    }
    cfg.log_level = *level;
  }
  auto positive = [&](const char* key, std::size_t& field) {
    if (!vm.count(key)) return;
    field = vm[key].as<std::size_t>();
    if (field == 0) throw ConfigError(std::string(key) + " in " + source + " must be at least 1");
  };
  positive("max-frame-bytes", cfg.max_frame_bytes);
  positive("max-json-depth", cfg.max_json_depth);
  positive("max-connections", cfg.max_connections);
  if (vm.count("allow-root")) cfg.allow_root = vm["allow-root"].as<bool>();
  if (vm.count("max-input-bytes")) cfg.max_input_bytes = vm["max-input-bytes"].as<std::uint64_t>();
  if (vm.count("privacy.disable")) {
    cfg.privacy_disabled.clear();
    std::istringstream list(vm["privacy.disable"].as<std::string>());
    for (std::string name; std::getline(list, name, ',');) {
      name.erase(0, name.find_first_not_of(" \t"));
      name.erase(name.find_last_not_of(" \t") + 1);
      if (name.empty()) continue;
      if (!privacy::detector_by_name(name)) {
        throw ConfigError("privacy.disable in " + source + ": \"" + name +
                          "\" is not a detector (see gdpd --help for the list)");
      }
      cfg.privacy_disabled.push_back(name);
    }
  }
  if (vm.count("docker-socket")) cfg.docker_socket = vm["docker-socket"].as<std::string>();
  if (vm.count("sandbox.image")) {
    cfg.resources.image = vm["sandbox.image"].as<std::string>();
    if (cfg.resources.image.empty()) throw ConfigError("sandbox.image in " + source + " is empty");
  }
  positive("max-concurrent-containers", cfg.max_concurrent_containers);
  if (vm.count("store.max-mb")) {
    const double mb = vm["store.max-mb"].as<double>();
    if (!(mb >= 0.1 && mb <= 1e6))
      throw ConfigError("store.max-mb in " + source + " must be between 0.1 and 1000000");
    cfg.store_cap_bytes = static_cast<std::uint64_t>(mb * 1024 * 1024);
  }
  if (vm.count("store.backup-hours")) {
    cfg.backup_hours = vm["store.backup-hours"].as<double>();
    if (!(cfg.backup_hours > 0 && cfg.backup_hours <= 24 * 365)) {
      throw ConfigError("store.backup-hours in " + source + " must be more than 0 and at most a year");
    }
  }
  if (vm.count("privacy.strict")) cfg.privacy_strict = vm["privacy.strict"].as<bool>();
  if (vm.count("privacy.shape-hints")) cfg.privacy_shape_hints = vm["privacy.shape-hints"].as<bool>();
  if (vm.count("gemini.endpoint")) {
    std::string endpoint = vm["gemini.endpoint"].as<std::string>();
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    try {
      net::parse_https_url(endpoint);
    } catch (const std::exception& e) {
      throw ConfigError("gemini.endpoint in " + source + ": " + e.what());
    }
    cfg.gemini.endpoint = endpoint;
  }
  if (vm.count("gemini.model")) {
    const auto& model = vm["gemini.model"].as<std::string>();
    if (model.empty() || model.find_first_of("/?#: ") != std::string::npos) {
      throw ConfigError("gemini.model in " + source + ": \"" + model +
                        "\" is not a model id (e.g. gemini-3.5-flash, without models/)");
    }
    cfg.gemini.model = model;
  }
  if (vm.count("gemini.temperature")) {
    const double t = vm["gemini.temperature"].as<double>();
    if (!(t >= 0.0 && t <= 2.0))
      throw ConfigError("gemini.temperature in " + source + " must be between 0 and 2");
    cfg.gemini.temperature = t;
  }
  auto at_least = [&](const char* key, int minimum, int& field) {
    if (!vm.count(key)) return;
    field = vm[key].as<int>();
    if (field < minimum) {
      throw ConfigError(std::string(key) + " in " + source + " must be at least " + std::to_string(minimum));
    }
  };
  at_least("gemini.max-output-tokens", 256, cfg.gemini.max_output_tokens);
  at_least("gemini.requests-per-minute", 1, cfg.gemini.requests_per_minute);
  at_least("gemini.max-retries", 0, cfg.gemini.max_retries);
  at_least("security.max-api-key-age-days", 1, cfg.keys.max_api_key_age_days);
  int timeout_minutes = static_cast<int>(cfg.resources.timeout.count() / 60);
  at_least("sandbox.timeout-minutes", 1, timeout_minutes);
  cfg.resources.timeout = std::chrono::minutes(timeout_minutes);
  if (vm.count("gemini.max-context-size")) {
    cfg.gemini.max_context_size = vm["gemini.max-context-size"].as<std::size_t>();
    if (cfg.gemini.max_context_size < 10'000) {
      throw ConfigError("gemini.max-context-size in " + source + " must be at least 10000 characters");
    }
  }
  if (vm.count("ca-file")) cfg.https.ca_file = vm["ca-file"].as<std::string>();
}

}  // namespace

ParsedCommandLine parse_command_line(const std::vector<std::string>& args) {
  po::options_description general("gdpd options");
  // clang-format off
  general.add_options()
      ("help,h", "show this help")
      ("version", "print the version")
      ("foreground", "stay in the foreground and log to stderr (what systemd and tests use)")
      ("no-sanitize", "send snapshots to planners UNMASKED; every client warns on every submit. Only on "
                      "the command line: no config file can switch the privacy step off")
      ("config", po::value<std::string>(), "read settings from this INI file first");
  // clang-format on
  auto settings = shared_options();
  po::options_description all;
  all.add(general).add(settings);

  ParsedCommandLine out;
  std::ostringstream help;
  help << "Usage: gdpd [--foreground] [--socket PATH] [--state-dir DIR] [--config FILE] "
          "[--log-level L]\n\n"
          "gdpd is the per-user daemon behind gdp: it owns the sessions, the Docker connection,\n"
          "the planner calls and the stores, and serves gdp over a private Unix socket.\n\n"
       << all
       << "\nExample:\n  gdpd --foreground --log-level debug\n\n"
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
  out.config.foreground = cli.count("foreground") != 0;
  out.config.no_sanitize = cli.count("no-sanitize") != 0;
  out.config.socket_path = default_socket_path();
  out.config.state_dir = default_state_dir();

  if (cli.count("config")) {
    const auto path = cli["config"].as<std::string>();
    std::ifstream in(path);
    if (!in) throw ConfigError("cannot read config file " + path);
    po::variables_map file_vm;
    try {
      po::store(po::parse_config_file(in, settings, /*allow_unregistered=*/false), file_vm);
      po::notify(file_vm);
    } catch (const po::error& e) {
      throw ConfigError(std::string(e.what()) + " in config file " + path);
    }
    apply(file_vm, out.config, "config file " + path);
  }
  apply(cli, out.config, "the command line");
  return out;
}

}  // namespace gdp
