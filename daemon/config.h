// gdpd's settings: built-in defaults, then the config file ($XDG_CONFIG_HOME/gdp/config, or
// --config FILE), then GDP_* environment variables, then the command line; later wins. The keys,
// their types and the layers are common/settings.h; this file gives each key its meaning and its
// checks, and remembers where every effective value came from.
#pragma once

#include "common/settings.h"
#include "daemon/llm/gemini.h"
#include "daemon/log.h"
#include "daemon/net/https.h"
#include "daemon/sandbox/runner.h"
#include "daemon/security/key_source.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gdp {

struct DaemonConfig {
  std::string socket_path;  // default: common/paths.h
  std::string state_dir;    // default: common/paths.h
  log::Level log_level = log::Level::info;
  bool foreground = false;
  std::size_t max_frame_bytes = std::size_t{16} * 1024 * 1024;
  std::size_t max_json_depth = 64;
  std::size_t max_connections = 512;
  // A client whose unread replies and events pile up past this is disconnected, so one stalled
  // terminal cannot hold the daemon's memory or slow the others.
  std::size_t max_queued_bytes = std::size_t{64} * 1024 * 1024;
  // Root may talk to a user's daemon only when the user says so.
  bool allow_root = false;
  // Files over this need an explicit yes before a snapshot reads them (the seed's 1 GB warning).
  std::uint64_t max_input_bytes = std::uint64_t{1} << 30;
  // The privacy step (daemon/privacy/). Detectors can be switched off one by one in the config
  // file; sanitizing as a whole only with --no-sanitize on the command line, never by a file.
  std::vector<std::string> privacy_disabled;  // detector names
  bool privacy_strict = false;
  bool privacy_shape_hints = false;
  bool no_sanitize = false;
  // The Docker Engine's socket; default DOCKER_HOST (unix://) or /var/run/docker.sock.
  std::string docker_socket;
  // Every script container's image and limits (the seed's ResourceConfig).
  sandbox::ResourceConfig resources;
  // At most this many steps run at once across all sessions (the seed's CLIConfig); others queue.
  std::size_t max_concurrent_containers = 1;
  // Each project's store: its size cap (live pages plus WAL), and how often every open project's
  // store is copied to .gemini-processor/backups/ (SQLite's online backup) besides before migrations.
  std::uint64_t store_cap_bytes = std::uint64_t{100} << 20;
  double backup_hours = 24;
  // The Gemini planner (gemini.* keys) and its HTTPS transport: ca-file from the config, the
  // proxy from HTTPS_PROXY / NO_PROXY in gdpd's environment.
  planner::GeminiConfig gemini;
  net::HttpsConfig https = net::https_config_from_environment();
  keys::KeyConfig keys;

  // Where each key's effective value came from (keys left at their default are absent), and the
  // config file that was looked for.
  std::map<std::string, settings::Origin> origins;
  std::string config_file;
  bool config_file_found = false;
};

// Every key's effective value, as text, in settings::all() order (what gdp config show prints).
struct EffectiveSetting {
  std::string key;
  std::string value;
  settings::Origin origin;
};
std::vector<EffectiveSetting> effective_settings(const DaemonConfig& config);

// Thrown for a bad command line, config file or GDP_* variable; the message names the key and
// where it was set (the file and line, the variable).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ParsedCommandLine {
  DaemonConfig config;
  bool show_help = false;
  bool show_version = false;
  std::string help_text;
};

// Throws ConfigError. `env` is where GDP_* variables, XDG_CONFIG_HOME and HOME are read.
ParsedCommandLine parse_command_line(const std::vector<std::string>& args,
                                     const settings::Environment& env = settings::process_environment());

}  // namespace gdp
