#include "common/wire.h"
#include "common/protocol.h"

#include <catch2/catch.hpp>

using namespace gdp;
namespace json = boost::json;

TEST_CASE("writers emit every field, an empty optional as null", "[wire]") {
  proto::ClientInfo info{"gdp", "0.1.0", 42, std::nullopt};
  auto v = wire::to_json(info);
  CHECK(v == json::parse(R"({"name":"gdp","version":"0.1.0","pid":42,"tty":null})"));
}

TEST_CASE("readers ignore unknown fields and accept absent optionals", "[wire]") {
  auto info = wire::from_json<proto::ClientInfo>(
      json::parse(R"({"name":"gdp","version":"9","pid":1,"future_field":{"x":[1,2]}})"));
  CHECK(info.name == "gdp");
  CHECK_FALSE(info.tty);
}

TEST_CASE("type errors name the field path", "[wire]") {
  auto bad = json::parse(
      R"({"protocol_versions":[1,"two"],"client":{"name":"g","version":"1","pid":1},"capabilities":[]})");
  try {
    wire::from_json<proto::HelloParams>(bad);
    FAIL("expected a TypeError");
  } catch (const wire::TypeError& e) {
    CHECK(e.path() == "protocol_versions[1]");
    CHECK(std::string(e.what()) == "protocol_versions[1]: expected an integer, got a string");
  }
  try {
    wire::from_json<proto::HelloParams>(
        json::parse(R"({"protocol_versions":[1],"client":{"name":"g","version":"1"},"capabilities":[]})"));
    FAIL("expected a TypeError");
  } catch (const wire::TypeError& e) {
    CHECK(e.path() == "client.pid");
    CHECK(std::string(e.what()).find("missing required field") != std::string::npos);
  }
}

TEST_CASE("enums travel as names and unknown names list the allowed ones", "[wire]") {
  CHECK(wire::to_json(proto::ExtractionMethod::first_n) == "first_n");
  CHECK(wire::from_json<proto::SessionStatus>(json::value("abandoned")) == proto::SessionStatus::abandoned);
  try {
    wire::from_json<proto::SecurityLevel>(json::value("dangerous"));
    FAIL("expected a TypeError");
  } catch (const wire::TypeError& e) {
    CHECK(std::string(e.what()).find("safe, caution, restricted") != std::string::npos);
  }
}

TEST_CASE("integers are range-checked and numbers accept integers", "[wire]") {
  CHECK_THROWS_AS(wire::from_json<std::int32_t>(json::value(std::int64_t{1} << 40)), wire::TypeError);
  CHECK_THROWS_AS(wire::from_json<std::int64_t>(json::value(std::uint64_t{1} << 63)), wire::TypeError);
  CHECK_THROWS_AS(wire::from_json<std::int64_t>(json::value(1.5)), wire::TypeError);
  CHECK(wire::from_json<double>(json::value(3)) == 3.0);
}
