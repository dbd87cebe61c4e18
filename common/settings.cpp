#include "common/settings.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gdp::settings {
namespace {

// One row per key. Defaults are the ones in daemon/config.h, written as a person reads them.
// clang-format off
constexpr Spec kSettings[] = {
    {"socket", Type::path, "$XDG_RUNTIME_DIR/gdp/gdpd.sock (else /tmp/gdp-UID/gdpd.sock)", "listen on this Unix socket path"},
    {"state-dir", Type::path, "$XDG_STATE_HOME/gdp (else ~/.local/state/gdp)", "directory for gdpd's own state and log"},
    {"log-level", Type::text, "info", "error, warn, info or debug"},
    {"max-frame-bytes", Type::whole, "16777216", "largest accepted message in bytes"},
    {"max-json-depth", Type::whole, "64", "deepest accepted JSON nesting"},
    {"max-connections", Type::whole, "512", "most clients at once"},
    {"max-input-bytes", Type::whole, "1073741824", "files larger than this need --yes-large"},
    {"allow-root", Type::boolean, "false", "let root connect to this user's daemon"},
    {"docker-socket", Type::path, "DOCKER_HOST (unix://PATH), else /var/run/docker.sock", "the Docker Engine's Unix socket"},
    {"max-concurrent-containers", Type::whole, "1", "steps that may run at once, all sessions together"},
    {"sandbox.image", Type::text, "gdp-runtime", "the image scripts run in"},
    {"sandbox.timeout-minutes", Type::whole, "30", "a script is stopped after this long"},
    {"sandbox.disk-bytes", Type::whole, "10737418240", "what one step may write to /data/work and /data/output, in bytes (at least 1048576)"},
    {"store.max-mb", Type::number, "100", "each project's history cap in MB; the oldest finished sessions make room"},
    {"store.backup-hours", Type::number, "24", "hours between backups of every open project's history"},
    {"privacy.disable", Type::list, "(none)",
     "privacy detectors to switch off, comma-separated (email, phone, card, iban, ssn, ipv4, ipv6, mac, "
     "url_credentials, aws_access_key, google_api_key, github_token, slack_token, jwt, private_key, secret, "
     "person_name, date_of_birth, address, national_id)"},
    {"privacy.strict", Type::boolean, "false", "drop sensitive columns from snapshots instead of masking"},
    {"privacy.shape-hints", Type::boolean, "false", "show an email's domain or a value's length inside placeholders"},
    {"gemini.endpoint", Type::text, "https://generativelanguage.googleapis.com", "the Gemini API's base URL (https only)"},
    {"gemini.model", Type::text, "gemini-3.5-flash", "the Gemini model that plans; never switched silently"},
    {"gemini.temperature", Type::number, "(the model's own)", "sampling temperature, 0 to 2"},
    {"gemini.max-output-tokens", Type::whole, "8192", "the longest answer, in tokens (at least 256)"},
    {"gemini.requests-per-minute", Type::whole, "10", "requests per minute, retries included"},
    {"gemini.max-retries", Type::whole, "5", "retries of one request after 429, 5xx or a network error"},
    {"gemini.max-context-size", Type::whole, "200000", "the largest prompt, in characters (at least 10000)"},
    {"ca-file", Type::path, "(none)", "a PEM file of CAs trusted besides the system's (a corporate proxy's CA)"},
    {"security.max-api-key-age-days", Type::whole, "90", "warn on every submit once the keyring's key is older"},
};
// clang-format on

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view last_part(std::string_view key) {
  const auto dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

[[noreturn]] void bad(const Value& v, const std::string& what) {
  throw SettingError(v.key + " " + v.origin.where() + ": \"" + v.text + "\" " + what);
}

}  // namespace

std::string_view type_name(Type type) {
  switch (type) {
    case Type::text:
      return "string";
    case Type::path:
      return "path";
    case Type::whole:
      return "integer";
    case Type::number:
      return "number";
    case Type::boolean:
      return "boolean";
    case Type::list:
      return "list";
  }
  return "string";
}

std::span<const Spec> all() {
  return kSettings;
}

const Spec* find(std::string_view key) {
  for (const auto& s : kSettings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::string env_var(std::string_view key) {
  std::string out = "GDP_";
  for (const char c : key) {
    out += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<std::string> closest(std::string_view unknown) {
  // A key written without its section ("model" for gemini.model) is the likeliest mistake after a
  // typo; an exact match of the last part wins.
  for (const auto& s : kSettings) {
    if (last_part(s.key) == unknown && s.key != unknown) return std::string(s.key);
  }
  const Spec* best = nullptr;
  std::size_t best_distance = 0;
  for (const auto& s : kSettings) {
    const auto d =
        std::min(edit_distance(unknown, s.key), edit_distance(last_part(unknown), last_part(s.key)) +
                                                    (last_part(unknown) == unknown ? 1 : 0));
    if (best == nullptr || d < best_distance) {
      best = &s;
      best_distance = d;
    }
  }
  // Close enough to be a typo: a few edits, and fewer than a third of the key.
  if (best == nullptr || best_distance > 3 || best_distance * 3 > unknown.size()) return std::nullopt;
  return std::string(best->key);
}

std::string Origin::brief() const {
  switch (kind) {
    case Kind::builtin:
      return "default";
    case Kind::file:
      return file + ":" + std::to_string(line);
    case Kind::environment:
      return "env " + variable;
    case Kind::command_line:
      return "command line";
  }
  return "default";
}

std::string Origin::where() const {
  switch (kind) {
    case Kind::builtin:
      return "in the built-in defaults";
    case Kind::file:
      return "in config file " + file + ", line " + std::to_string(line);
    case Kind::environment:
      return "in environment variable " + variable;
    case Kind::command_line:
      return "on the command line";
  }
  return "in the built-in defaults";
}

std::vector<Value> parse_file(const std::string& path, std::string_view text) {
  std::vector<Value> out;
  std::map<std::string, std::int64_t> seen;
  std::string section;
  std::int64_t number = 0;
  std::istringstream lines{std::string(text)};
  for (std::string raw; std::getline(lines, raw);) {
    ++number;
    const auto line = trim(raw);
    const auto at = "config file " + path + ", line " + std::to_string(number);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) {
        throw SettingError(at + ": \"" + line + "\" is not a [section] header");
      }
      section = trim(std::string_view(line).substr(1, line.size() - 2));
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      throw SettingError(at + ": \"" + line + "\" is not a setting; write key = value");
    }
    const auto name = trim(std::string_view(line).substr(0, eq));
    const auto key = section.empty() ? name : section + "." + name;
    if (name.empty()) throw SettingError(at + ": a setting without a key; write key = value");
    if (find(key) == nullptr) {
      std::string message = at + ": unknown key \"" + key + "\"";
      if (const auto meant = closest(key)) message += "; did you mean \"" + *meant + "\"?";
      throw SettingError(message + " (gdpd --help lists every key)");
    }
    if (const auto [it, fresh] = seen.emplace(key, number); !fresh) {
      throw SettingError(at + ": " + key + " is set again (first on line " + std::to_string(it->second) +
                         "); keep one");
    }
    Value v{key, trim(std::string_view(line).substr(eq + 1)), {}};
    v.origin.kind = Origin::Kind::file;
    v.origin.file = path;
    v.origin.line = number;
    out.push_back(std::move(v));
  }
  return out;
}

Environment process_environment() {
  return [](const char* name) { return std::getenv(name); };
}

std::vector<Value> from_environment(const Environment& env) {
  std::vector<Value> out;
  for (const auto& s : kSettings) {
    const auto var = env_var(s.key);
    const char* value = env(var.c_str());
    if (value == nullptr) continue;
    Value v{std::string(s.key), value, {}};
    v.origin.kind = Origin::Kind::environment;
    v.origin.variable = var;
    out.push_back(std::move(v));
  }
  return out;
}

std::string default_config_path(const Environment& env) {
  const char* xdg = env("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/gdp/config";
  const char* home = env("HOME");
  if (home != nullptr && home[0] == '/') return std::string(home) + "/.config/gdp/config";
  return {};
}

std::int64_t to_whole(const Value& v, std::int64_t minimum) {
  errno = 0;
  char* end = nullptr;
  const auto text = trim(v.text);
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) bad(v, "is not a whole number");
  if (n < minimum) bad(v, "is too small: it must be at least " + std::to_string(minimum));
  return n;
}

double to_number(const Value& v) {
  char* end = nullptr;
  const auto text = trim(v.text);
  const double n = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(n)) bad(v, "is not a number");
  return n;
}

bool to_boolean(const Value& v) {
  std::string text = trim(v.text);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
  if (text == "false" || text == "no" || text == "off" || text == "0") return false;
  bad(v, "is not a boolean (true or false)");
}

void check_shape(const Value& v) {
  const Spec* spec = find(v.key);
  if (spec == nullptr) throw SettingError("unknown key \"" + v.key + "\" " + v.origin.where());
  switch (spec->type) {
    case Type::whole:
      to_whole(v, INT64_MIN);
      break;
    case Type::number:
      to_number(v);
      break;
    case Type::boolean:
      to_boolean(v);
      break;
    case Type::text:
    case Type::path:
    case Type::list:
      break;
  }
}

Layers read_layers(const std::string& file, bool required, const Environment& env) {
  Layers out;
  out.file = file;
  if (!file.empty()) {
    std::ifstream in(file);
    if (in) {
      out.file_found = true;
      std::stringstream text;
      text << in.rdbuf();
      for (auto& v : parse_file(file, text.str())) out.values[v.key] = std::move(v);
    } else if (required) {
      throw SettingError("cannot read config file " + file + ": " + std::strerror(errno) +
                         " (--config names a file that must exist)");
    }
  }
  for (auto& v : from_environment(env)) out.values[v.key] = std::move(v);
  for (const auto& [key, v] : out.values) check_shape(v);
  return out;
}

proto::SettingView to_view(std::string_view key, std::string value, const Origin& origin) {
  proto::SettingView v;
  v.key = std::string(key);
  const Spec* spec = find(key);
  v.type = std::string(type_name(spec != nullptr ? spec->type : Type::text));
  v.value = std::move(value);
  v.origin = origin.brief();
  v.env_var = env_var(key);
  switch (origin.kind) {
    case Origin::Kind::builtin:
      v.source = proto::SettingSource::builtin;
      break;
    case Origin::Kind::file:
      v.source = proto::SettingSource::file;
      v.file = origin.file;
      v.line = origin.line;
      break;
    case Origin::Kind::environment:
      v.source = proto::SettingSource::env;
      v.variable = origin.variable;
      break;
    case Origin::Kind::command_line:
      v.source = proto::SettingSource::command_line;
      break;
  }
  return v;
}

}  // namespace gdp::settings
