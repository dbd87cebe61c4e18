// gdpd's settings as data: every key with its type, default and meaning, and the layers that set
// them (built-in default < config file < environment < command line; later wins), each value
// remembering where it came from.
//
// In common/ rather than daemon/ because gdp needs the same reading when gdpd does not answer
// (`gdp config show` prints what a gdpd started now would read) and for `gdp doctor`; gdp must not
// link daemon code. What a value MEANS (a log level, a URL, a detector name) is checked by gdpd
// (daemon/config.cpp); this file checks only the shape: known key, whole number, number, boolean.
// docs/configuration.md describes every key for people; keep it in step with kSettings.
#pragma once

#include "common/protocol.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::settings {

enum class Type { text, path, whole, number, boolean, list };
std::string_view type_name(Type type);  // "string", "path", "integer", "number", "boolean", "list"

struct Spec {
  std::string_view key;  // as in the file: "log-level", "gemini.model"
  Type type;
  std::string_view default_value;  // as a person reads it; the effective value comes from gdpd
  std::string_view meaning;        // one line, for gdpd --help and docs
};

// Every key, in the order gdpd --help and gdp config show list them.
std::span<const Spec> all();
const Spec* find(std::string_view key);

// The environment variable for a key: GDP_ + the key upper-cased, '.' and '-' made '_'
// (sandbox.image -> GDP_SANDBOX_IMAGE, log-level -> GDP_LOG_LEVEL).
std::string env_var(std::string_view key);

// The known key closest to an unknown one (a typo, or a key written without its [section]), or
// nullopt when none is close enough to be what was meant.
std::optional<std::string> closest(std::string_view unknown);

struct Origin {
  enum class Kind { builtin, file, environment, command_line };
  Kind kind = Kind::builtin;
  std::string file;       // Kind::file
  std::int64_t line = 0;  // Kind::file, from 1
  std::string variable;   // Kind::environment
  // Short, for listings: "default", "/home/me/.config/gdp/config:3", "env GDP_LOG_LEVEL",
  // "command line".
  std::string brief() const;
  // For messages, after the key: "in config file /home/me/.config/gdp/config, line 3",
  // "in environment variable GDP_LOG_LEVEL", "on the command line".
  std::string where() const;
};

struct Value {
  std::string key;
  std::string text;
  Origin origin;
};

// A setting that cannot be used; the message names the key and where it was set.
class SettingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads "key = value" lines; "[section]" prefixes the keys after it ("[gemini]" then "model = x"
// is gemini.model); '#' or ';' starts a comment line. Throws SettingError naming the file and line
// for a line that is not a setting, an unknown key (with the key meant, when close) and a key set
// twice.
std::vector<Value> parse_file(const std::string& path, std::string_view text);

// How the process's environment is read; tests pass their own.
using Environment = std::function<const char*(const char*)>;
Environment process_environment();

// The values set by GDP_* variables for known keys (env_var), in key order.
std::vector<Value> from_environment(const Environment& env);

// $XDG_CONFIG_HOME/gdp/config, else $HOME/.config/gdp/config (empty when neither is absolute).
std::string default_config_path(const Environment& env);

// Shape checks; each throws SettingError("KEY in WHERE: ...").
std::int64_t to_whole(const Value& v, std::int64_t minimum);
double to_number(const Value& v);
bool to_boolean(const Value& v);  // true/false, yes/no, on/off, 1/0
// Throws SettingError when v's text does not have the shape of its key's type.
void check_shape(const Value& v);

// Every layer but the command line, merged (later wins) and shape-checked: what a gdpd started
// now would read before its flags. `file` is read when it exists; when it does not, `file_found`
// is false and it is no error unless `required` (gdpd --config FILE).
struct Layers {
  std::string file;
  bool file_found = false;
  std::map<std::string, Value> values;  // key -> the winning value; keys left at their default absent
};
Layers read_layers(const std::string& file, bool required, const Environment& env);

// A key's value and origin as the config method sends it.
proto::SettingView to_view(std::string_view key, std::string value, const Origin& origin);

}  // namespace gdp::settings
