// gdpd's settings in layers: default < config file < GDP_* environment < command line, each value
// remembering where it came from; the file's [sections], and what a bad or unknown key says (the
// file and the line, the key meant). The environment is a map passed in, never the process's.
#include "common/settings.h"
#include "daemon/config.h"
#include "tests/support/test_support.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

using namespace gdp;
using Kind = settings::Origin::Kind;

namespace {

struct Env {
  std::map<std::string, std::string> vars;
  settings::Environment lookup() const {
    return [this](const char* name) -> const char* {
      const auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

const EffectiveSetting& setting(const std::vector<EffectiveSetting>& all, std::string_view key) {
  for (const auto& s : all) {
    if (s.key == key) return s;
  }
  FAIL("no setting " << key);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("layers: default < file < env < flag, and each value says where it came from", "[config]") {
  test::TempDir dir;
  Env env;
  env.vars["XDG_CONFIG_HOME"] = dir / "xdg";
  std::filesystem::create_directories(dir.path() / "xdg/gdp");
  const auto file = dir / "xdg/gdp/config";
  std::ofstream(file) << "# mine\nmax-connections = 10\nmax-json-depth = 20\n\n[gemini]\nmax-retries = 3\n";
  env.vars["GDP_MAX_JSON_DEPTH"] = "30";
  env.vars["GDP_GEMINI_MAX_RETRIES"] = "4";
  const auto parsed = parse_command_line({"--gemini.max-retries", "2"}, env.lookup());
  const auto& cfg = parsed.config;
  CHECK(cfg.config_file == file);
  CHECK(cfg.config_file_found);
  CHECK(cfg.max_connections == 10);         // file
  CHECK(cfg.max_json_depth == 30);          // env over file
  CHECK(cfg.gemini.max_retries == 2);       // flag over env over file
  CHECK(cfg.max_frame_bytes == 16u << 20);  // default

  const auto all = effective_settings(cfg);
  CHECK(all.size() == settings::all().size());
  const auto& connections = setting(all, "max-connections");
  CHECK(connections.value == "10");
  CHECK(connections.origin.kind == Kind::file);
  CHECK(connections.origin.brief() == file + ":2");
  CHECK(setting(all, "max-json-depth").origin.brief() == "env GDP_MAX_JSON_DEPTH");
  CHECK(setting(all, "gemini.max-retries").origin.brief() == "command line");
  CHECK(setting(all, "gemini.max-retries").value == "2");
  CHECK(setting(all, "max-frame-bytes").origin.brief() == "default");
  CHECK(setting(all, "max-frame-bytes").value == "16777216");
}

TEST_CASE("the default config file may be missing, and --config replaces it and must exist", "[config]") {
  test::TempDir dir;
  Env env;
  env.vars["HOME"] = dir / "home";  // no XDG_CONFIG_HOME: ~/.config/gdp/config
  const auto parsed = parse_command_line({}, env.lookup());
  CHECK(parsed.config.config_file == dir / "home/.config/gdp/config");
  CHECK_FALSE(parsed.config.config_file_found);

  std::filesystem::create_directories(dir.path() / "home/.config/gdp");
  std::ofstream(dir / "home/.config/gdp/config") << "max-connections = 7\n";
  const auto other = dir / "other.ini";
  std::ofstream(other) << "max-connections = 8\n";
  // --config replaces the default file: its value, not the default file's.
  CHECK(parse_command_line({"--config", other}, env.lookup()).config.max_connections == 8);
  CHECK(parse_command_line({}, env.lookup()).config.max_connections == 7);
  CHECK_THROWS_WITH(parse_command_line({"--config", dir / "absent.ini"}, env.lookup()),
                    Catch::Contains("cannot read config file") && Catch::Contains(dir / "absent.ini"));
}

TEST_CASE("[section] headers prefix the keys after them", "[config]") {
  test::TempDir dir;
  const auto file = dir / "config";
  std::ofstream(file) << "log-level = warn\n[gemini]\nmodel = gemini-3.7-pro\n  [ privacy ]\nstrict = yes\n"
                         "[sandbox]\nimage = my-python:3.11\n";
  const auto parsed = parse_command_line({"--config", file}, Env{}.lookup());
  CHECK(parsed.config.log_level == log::Level::warn);
  CHECK(parsed.config.gemini.model == "gemini-3.7-pro");
  CHECK(parsed.config.privacy_strict);
  CHECK(parsed.config.resources.image == "my-python:3.11");
  CHECK(setting(effective_settings(parsed.config), "privacy.strict").origin.brief() == file + ":5");
}

TEST_CASE("a bad value names the key, the file and the line", "[config]") {
  test::TempDir dir;
  const auto file = dir / "config";
  std::ofstream(file) << "# comment\n\n[gemini]\nmodel = gemini-3.5-flash\ntemperature = hot\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains("gemini.temperature") && Catch::Contains(file + ", line 5") &&
                        Catch::Contains("not a number"));
  std::ofstream(file) << "[sandbox]\n\ntimeout-minutes = 0\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains("sandbox.timeout-minutes") && Catch::Contains(file + ", line 3"));
  // A value whose meaning is wrong (not its shape) names the line too.
  std::ofstream(file) << "\n\n\nlog-level = loud\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains("log-level \"loud\"") && Catch::Contains(file + ", line 4"));
  // From the environment: the variable.
  Env env;
  env.vars["GDP_ALLOW_ROOT"] = "perhaps";
  CHECK_THROWS_WITH(parse_command_line({}, env.lookup()),
                    Catch::Contains("allow-root") && Catch::Contains("environment variable GDP_ALLOW_ROOT"));
  // A line that is no setting, and a key set twice.
  std::ofstream(file) << "max-connections = 3\nmax-connections\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains(file + ", line 2") && Catch::Contains("key = value"));
  std::ofstream(file) << "max-connections = 3\n[x]\n[]\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains(file + ", line 3"));
  std::ofstream(file) << "max-connections = 3\nmax-connections = 4\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains(file + ", line 2") && Catch::Contains("first on line 1"));
}

TEST_CASE("an unknown key names the file and line, and the key meant when one is close", "[config]") {
  test::TempDir dir;
  const auto file = dir / "config";
  std::ofstream(file) << "[gemini]\nmodle = x\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains("unknown key \"gemini.modle\"") && Catch::Contains(file + ", line 2") &&
                        Catch::Contains("did you mean \"gemini.model\""));
  // Written without its section.
  std::ofstream(file) << "\ntemperature = 0.3\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains("did you mean \"gemini.temperature\""));
  std::ofstream(file) << "log_level = debug\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains("did you mean \"log-level\""));
  // Nothing close: no guess.
  std::ofstream(file) << "colour = blue\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}, Env{}.lookup()),
                    Catch::Contains("unknown key \"colour\"") && !Catch::Contains("did you mean"));
}

TEST_CASE("every key has a GDP_ variable of its own, a flag, a binding and a line in --help", "[config]") {
  std::set<std::string> vars;
  const auto help = parse_command_line({"--help"}, Env{}.lookup()).help_text;
  for (const auto& s : settings::all()) {
    const auto var = settings::env_var(s.key);
    CHECK(vars.insert(var).second);
    CHECK(var.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos);
    CHECK_THAT(help, Catch::Contains("--" + std::string(s.key)) && Catch::Contains(var));
  }
  CHECK(settings::env_var("sandbox.image") == "GDP_SANDBOX_IMAGE");
  CHECK(settings::env_var("gemini.max-output-tokens") == "GDP_GEMINI_MAX_OUTPUT_TOKENS");
  CHECK_THAT(help, Catch::Contains("later winning") && Catch::Contains("$XDG_CONFIG_HOME/gdp/config"));
  // effective_settings refuses a key without a binding: this would throw.
  CHECK(effective_settings(DaemonConfig{}).size() == settings::all().size());
}

// For whole-number keys, any choice of layers setting any values: the effective value is the last
// layer's, and its origin says which layer (and which line or variable).
TEST_CASE("property: the last layer that sets a key wins, and is the origin shown", "[config][property]") {
  const std::vector<std::string> keys{"max-connections", "max-json-depth", "gemini.max-retries",
                                      "sandbox.timeout-minutes", "security.max-api-key-age-days"};
  test::TempDir dir;
  const auto file = dir / "config";
  rc::prop("later layers win", [&] {
    Env env;
    std::vector<std::string> args{"--config", file};
    std::map<std::string, std::pair<Kind, std::int64_t>> expected;  // key -> (winning layer, value)
    std::map<std::string, std::int64_t> line_of;
    std::ofstream out(file);
    std::int64_t line = 0;
    // Top-level keys first: a [section] runs to the next header. Sectioned keys are written the
    // way people write them, under their header.
    for (const bool sectioned : {false, true}) {
      for (const auto& key : keys) {
        const auto dot = key.find('.');
        if ((dot != std::string::npos) != sectioned) continue;
        const auto layers = *rc::gen::inRange(0, 8);  // bit 0 file, 1 env, 2 flag
        const auto value = [] { return *rc::gen::inRange<std::int64_t>(1, 100); };
        if (layers & 1) {
          const auto v = value();
          if (sectioned) {
            out << "[" << key.substr(0, dot) << "]\n";
            ++line;
          }
          out << (sectioned ? key.substr(dot + 1) : key) << " = " << v << "\n";
          line_of[key] = ++line;
          expected[key] = {Kind::file, v};
        }
        if (layers & 2) {
          const auto v = value();
          env.vars[settings::env_var(key)] = std::to_string(v);
          expected[key] = {Kind::environment, v};
        }
        if (layers & 4) {
          const auto v = value();
          args.insert(args.end(), {"--" + key, std::to_string(v)});
          expected[key] = {Kind::command_line, v};
        }
      }
    }
    out.close();

    const auto all = effective_settings(parse_command_line(args, env.lookup()).config);
    for (const auto& key : keys) {
      const auto& s = setting(all, key);
      const auto it = expected.find(key);
      if (it == expected.end()) {
        RC_ASSERT(s.origin.kind == Kind::builtin);
        continue;
      }
      RC_ASSERT(s.origin.kind == it->second.first);
      RC_ASSERT(s.value == std::to_string(it->second.second));
      if (it->second.first == Kind::file) {
        RC_ASSERT(s.origin.brief() == file + ":" + std::to_string(line_of[key]));
      }
      if (it->second.first == Kind::environment) RC_ASSERT(s.origin.variable == settings::env_var(key));
    }
  });
}

// Every key, mistyped by one deleted letter or two swapped neighbours, is recognised: the
// suggestion is that key (exhaustive over the table, not sampled).
TEST_CASE("a one-letter typo of any key suggests that key", "[config]") {
  int typos = 0;
  for (const auto& s : settings::all()) {
    const std::string key(s.key);
    for (std::size_t i = 0; i < key.size(); ++i) {
      std::vector<std::string> variants{key.substr(0, i) + key.substr(i + 1)};
      if (i + 1 < key.size() && key[i] != key[i + 1]) {
        auto swapped = key;
        std::swap(swapped[i], swapped[i + 1]);
        variants.push_back(swapped);
      }
      for (const auto& typo : variants) {
        if (settings::find(typo) != nullptr) continue;
        INFO(typo);
        CHECK(settings::closest(typo) == key);
        ++typos;
      }
    }
  }
  CHECK(typos > 500);
}
