// gdpd's command line and config file: defaults, the file, then flags; bad values name the key
// and where it came from.
#include "daemon/config.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <fstream>

using namespace gdp;

TEST_CASE("flags override the config file, which overrides the defaults", "[config]") {
  test::TempDir dir;
  const auto file = dir / "config";
  std::ofstream(file)
      << "# gdpd settings\nlog-level = debug\nmax-frame-bytes = 1024\nsocket = /tmp/from-file.sock\n";
  auto parsed = parse_command_line({"--config", file, "--socket", "/tmp/from-flag.sock", "--foreground"});
  CHECK(parsed.config.socket_path == "/tmp/from-flag.sock");
  CHECK(parsed.config.log_level == log::Level::debug);
  CHECK(parsed.config.max_frame_bytes == 1024);
  CHECK(parsed.config.max_json_depth == 64);
  CHECK(parsed.config.foreground);
  CHECK_FALSE(parsed.config.allow_root);
}

TEST_CASE("bad settings name the key and the source", "[config]") {
  test::TempDir dir;
  const auto file = dir / "config";
  std::ofstream(file) << "colour = blue\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}),
                    Catch::Contains("colour") && Catch::Contains(file));
  std::ofstream(file) << "log-level = loud\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}),
                    Catch::Contains("log-level \"loud\"") && Catch::Contains(file));
  CHECK_THROWS_WITH(parse_command_line({"--max-json-depth", "0"}),
                    Catch::Contains("max-json-depth") && Catch::Contains("command line"));
  CHECK_THROWS_WITH(parse_command_line({"--max-frame-bytes", "lots"}), Catch::Contains("max-frame-bytes"));
  CHECK_THROWS_WITH(parse_command_line({"--config", dir / "missing"}),
                    Catch::Contains("cannot read config file"));
}

TEST_CASE("help and version are recognised", "[config]") {
  auto parsed = parse_command_line({"--help"});
  CHECK(parsed.show_help);
  CHECK(parsed.help_text.find("Exit status") != std::string::npos);
  CHECK(parse_command_line({"--version"}).show_version);
}

TEST_CASE("the planner's settings come from the [gemini] section, checked", "[config]") {
  test::TempDir dir;
  const auto file = dir / "config";
  std::ofstream(file) << "ca-file = /etc/corp-ca.pem\n[gemini]\nendpoint = https://127.0.0.1:8443/\n"
                         "model = gemini-3.7-flash\ntemperature = 0.2\nrequests-per-minute = 4\n"
                         "[security]\nmax-api-key-age-days = 30\n";
  const auto parsed = parse_command_line({"--config", file, "--gemini.max-retries", "2"});
  CHECK(parsed.config.gemini.endpoint == "https://127.0.0.1:8443");
  CHECK(parsed.config.gemini.model == "gemini-3.7-flash");
  CHECK(parsed.config.gemini.temperature == 0.2);
  CHECK(parsed.config.gemini.requests_per_minute == 4);
  CHECK(parsed.config.gemini.max_retries == 2);
  CHECK(parsed.config.https.ca_file == "/etc/corp-ca.pem");
  CHECK(parsed.config.keys.max_api_key_age_days == 30);
  // Defaults when unset.
  const auto plain = parse_command_line({});
  CHECK(plain.config.gemini.model == "gemini-3.5-flash");
  CHECK_FALSE(plain.config.gemini.temperature.has_value());

  std::ofstream(file) << "[gemini]\nendpoint = http://plain.example\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}),
                    Catch::Contains("gemini.endpoint") && Catch::Contains(file));
  std::ofstream(file) << "[gemini]\nmodel = models/gemini-3.5-flash\n";
  CHECK_THROWS_WITH(parse_command_line({"--config", file}), Catch::Contains("without models/"));
  CHECK_THROWS_WITH(parse_command_line({"--gemini.temperature", "3"}), Catch::Contains("between 0 and 2"));
  CHECK_THROWS_WITH(parse_command_line({"--gemini.requests-per-minute", "0"}),
                    Catch::Contains("gemini.requests-per-minute") && Catch::Contains("at least 1"));
}
