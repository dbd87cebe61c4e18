// What the end-to-end tests share: running the real gdp against a daemon's socket, and reading
// its --json output.
#pragma once

#include "tests/support/test_support.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace gdp::test {

inline ProcessResult run_gdp(const std::string& socket, std::vector<std::string> args) {
  std::vector<std::string> argv{GDP_BIN, "--socket", socket};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

// --json promises exactly one JSON document on stdout.
inline boost::json::value one_document(const std::string& out) {
  REQUIRE(!out.empty());
  REQUIRE(out.back() == '\n');
  REQUIRE(out.find('\n') == out.size() - 1);
  boost::json::error_code ec;
  auto v = boost::json::parse(out, ec);
  REQUIRE_FALSE(ec);
  return v;
}

}  // namespace gdp::test
