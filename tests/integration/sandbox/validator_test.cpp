// Script validation in the sandbox with Python's own parser: syntax errors where they are,
// security warnings and levels, and Property 19 over generated edits of a good script.
#include "daemon/sandbox/validator.h"
#include "tests/integration/sandbox/sandbox_fixture.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

using namespace gdp;
using namespace gdp::sandbox;
using gdp::sandbox::test::engine;

namespace {

struct Check {
  gdp::test::TempDir dir;
  StepLabels labels{daemon_label(dir.path().string()), "validate", 1};
  Validator validator{engine(), ResourceConfig{}, dir.path()};

  proto::ValidationResult operator()(std::string_view script) { return validator.validate(script, labels); }
};

bool any_contains(const std::vector<std::string>& lines, std::string_view what) {
  for (const auto& l : lines) {
    if (l.find(what) != std::string::npos) return true;
  }
  return false;
}

const std::string kGood =
    "import pandas as pd\n"
    "df = pd.read_csv('/data/input/sales.csv')\n"
    "df = df.drop_duplicates()\n"
    "df.to_csv('/data/work/clean.csv', index=False)\n"
    "summary = df.describe()\n"
    "summary.to_csv('/data/output/summary.csv')\n"
    "print(len(df))\n";

}  // namespace

TEST_CASE("a good script is valid and safe", "[docker][validate]") {
  Check check;
  const auto r = check(kGood);
  CHECK(r.is_valid);
  CHECK(r.syntax_errors.empty());
  CHECK(r.security_warnings.empty());
  CHECK(r.security_level == proto::SecurityLevel::safe);
  CHECK(r.validation_time > 0);
}

TEST_CASE("syntax errors come with line and column", "[docker][validate]") {
  Check check;
  const auto r = check("x = 1\ny = [2, 3]\nprint(x\n");
  CHECK_FALSE(r.is_valid);
  REQUIRE(r.syntax_errors.size() == 1);
  CHECK(r.syntax_errors[0].find("line 3, column 6") != std::string::npos);
  CHECK(r.syntax_errors[0].find("was never closed") != std::string::npos);
  CHECK_FALSE(r.suggested_fixes.empty());
}

TEST_CASE("what a script may not do is named, with its level", "[docker][validate]") {
  Check check;
  auto r = check("import subprocess\nsubprocess.run(['ls'])\n");
  CHECK(r.security_level == proto::SecurityLevel::restricted);
  CHECK(any_contains(r.security_warnings, "line 1: imports subprocess"));
  r = check("import os\nos.system('rm -rf /')\n");
  CHECK(r.security_level == proto::SecurityLevel::restricted);
  CHECK(any_contains(r.security_warnings, "line 2: calls os.system"));
  r = check("from os import system as s\ns('x')\n");
  CHECK(r.security_level == proto::SecurityLevel::restricted);
  r = check("eval('1+1')\n");
  CHECK(any_contains(r.security_warnings, "calls eval"));
  r = check("import requests\nrequests.get('https://example.com')\n");
  CHECK(any_contains(r.security_warnings, "network"));
  CHECK(any_contains(r.suggested_fixes, "no network"));
  r = check("open('/etc/passwd').read()\n");
  CHECK(r.security_level == proto::SecurityLevel::caution);
  CHECK(any_contains(r.security_warnings, "reads /etc/passwd"));
  r = check("import pandas as pd\npd.DataFrame().to_csv('/home/user/out.csv')\n");
  CHECK(any_contains(r.security_warnings, "writes /home/user/out.csv"));
  r = check("open('/data/output/x.txt', 'w').write('ok')\nopen('/data/input/a.csv').read()\n");
  CHECK(r.security_level == proto::SecurityLevel::safe);
}

TEST_CASE("a hostile script under validation is only parsed, never run", "[docker][validate]") {
  Check check;
  // If the validator ran it, the marker would exist in the check's work folder; it only parses.
  const auto r = check("open('/data/work/ran', 'w').write('x')\nwhile True: pass\n");
  CHECK(r.is_valid);
  CHECK(r.validation_time < 60);
}

TEST_CASE("Property 19: every edited script is validated, with specific errors",
          "[property][Property 19][docker]") {
  Check check;
  rc::prop("Script Validation Enforcement", [&] {
    // The user's edit: a syntax error, a restricted call, or a harmless change, at a random line.
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (auto nl = kGood.find('\n'); nl != std::string::npos; start = nl + 1, nl = kGood.find('\n', start)) {
      lines.push_back(kGood.substr(start, nl - start));
    }
    const auto at = *rc::gen::inRange<std::size_t>(0, lines.size());
    const auto kind = *rc::gen::inRange(0, 3);
    const std::string edits[] = {"print((1, 2)", "import subprocess",
                                 "x = " + std::to_string(*rc::gen::arbitrary<int>())};
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), edits[kind]);
    std::string script;
    for (const auto& l : lines) script += l + "\n";
    const auto r = check(script);
    const auto line = "line " + std::to_string(at + 1);
    switch (kind) {
      case 0:
        RC_ASSERT(!r.is_valid);
        RC_ASSERT(r.syntax_errors.size() == 1u);
        RC_ASSERT(r.syntax_errors[0].rfind(line + ", column", 0) == 0u);
        break;
      case 1:
        RC_ASSERT(r.is_valid);
        RC_ASSERT(r.security_level == proto::SecurityLevel::restricted);
        RC_ASSERT(any_contains(r.security_warnings, line + ": imports subprocess"));
        break;
      default:
        RC_ASSERT(r.is_valid);
        RC_ASSERT(r.security_level == proto::SecurityLevel::safe);
    }
  });
}
