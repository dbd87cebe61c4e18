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
