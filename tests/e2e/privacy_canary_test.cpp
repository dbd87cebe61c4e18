// The canary test: unique personal values of every kind planted in a CSV and a JSON file (in
// cells, inside free text, in headers, in JSON keys), a snapshot taken through the real gdpd and
// gdp, and not one canary in what a planner would be sent, in any normal form (digits only,
// lower case, spaces removed).
#include "tests/e2e/canaries.h"
#include "tests/e2e/e2e.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>

using namespace gdp::test;
namespace json = boost::json;

TEST_CASE("no canary of any kind reaches what a planner would be sent", "[e2e][privacy][canary]") {
  TempDir dir;
  DaemonProcess daemon(GDPD_BIN, dir);
  canary::Canaries c;
  const auto [csv_path, json_path] = canary::write_files(dir, c);
  for (const auto& path : {csv_path, json_path}) {
    INFO(path);
    auto r = run_gdp(daemon.socket(), {"--json", "snapshot", path});
    REQUIRE(r.exit_code == 0);
    const auto doc = one_document(r.out);
    CHECK(doc.at("sample_size").as_int64() == doc.at("total_rows").as_int64());  // every row was sampled
    CHECK_FALSE(doc.at("sanitized_fields").as_array().empty());
    canary::require_absent(r.out, c);
    // The human view shows the same masked sample.
    auto human = run_gdp(daemon.socket(), {"snapshot", path});
    REQUIRE(human.exit_code == 0);
    CHECK(human.out.find("MASKED") != std::string::npos);
    canary::require_absent(human.out, c);
  }
}

TEST_CASE("gdpd --no-sanitize is loud on every snapshot", "[e2e][privacy]") {
  TempDir dir;
  DaemonProcess daemon(GDPD_BIN, dir, {"--no-sanitize"});
  const auto path = dir / "p.csv";
  std::ofstream(path) << "email\nada@example.com\n";
  auto r = run_gdp(daemon.socket(), {"--json", "snapshot", path});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("ada@example.com") != std::string::npos);
  CHECK(r.err.find("NOT masked") != std::string::npos);
}
