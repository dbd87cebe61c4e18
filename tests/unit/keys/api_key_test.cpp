// The format check (Property 11's first half) and the age that asks for rotation.
#include "common/api_key.h"
#include "common/errors.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <string>

namespace api_key = gdp::api_key;
using namespace std::chrono_literals;

namespace {

const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

// The message of the InvalidAPIKey error `key` gets, or "" if it passes.
std::string rejection(const std::string& key) {
  try {
    api_key::check_format(key, "the test key");
    return "";
  } catch (const gdp::RpcError& e) {
    REQUIRE(e.code() == gdp::ErrorCode::InvalidAPIKey);
    return e.what();
  }
}

rc::Gen<std::string> valid_key() {
  return rc::gen::map(rc::gen::container<std::string>(35, rc::gen::elementOf(kAlphabet)),
                      [](const std::string& tail) { return "AIza" + tail; });
}

}  // namespace

TEST_CASE("a Google API key's format passes", "[api_key]") {
  CHECK(rejection("AIzaSyFAKEfakeFAKEfake0123456789_-abcde").empty());
  rc::prop("AIza and 35 of [A-Za-z0-9_-] pass", [] { RC_ASSERT(rejection(*valid_key()).empty()); });
}

TEST_CASE("a malformed key is refused, saying why and where to get one, never echoing it", "[api_key]") {
  const std::string good = "AIzaSyFAKEfakeFAKEfake0123456789_-abcde";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"", "empty"},
      {"BIzaSyFAKEfakeFAKEfake0123456789_-abcde", "start with \"AIza\""},
      {good.substr(0, 38), "38 characters"},
      {good + "x", "40 characters"},
      {good.substr(0, 20) + " " + good.substr(21), "character 21"},
      {good.substr(0, 38) + "+", "character 39"},
  };
  for (const auto& [key, why] : cases) {
    INFO(key);
    const auto message = rejection(key);
    CHECK_THAT(message, Catch::Contains(why));
    CHECK_THAT(message, Catch::Contains("https://aistudio.google.com/app/apikey"));
    CHECK_THAT(message, Catch::Contains("the test key"));
    if (key.size() > 4) CHECK(message.find(key.substr(4)) == std::string::npos);
  }
}

TEST_CASE("any key with one character outside the alphabet is refused", "[api_key]") {
  rc::prop("one bad character", [] {
    auto key = *valid_key();
    const auto at = *rc::gen::inRange<std::size_t>(4, key.size());
    const auto bad = *rc::gen::suchThat(rc::gen::arbitrary<char>(),
                                        [](char c) { return kAlphabet.find(c) == std::string::npos; });
    key[at] = bad;
    const auto message = rejection(key);
    RC_ASSERT(!message.empty());
    RC_ASSERT(message.find("character " + std::to_string(at + 1)) != std::string::npos);
  });
}

TEST_CASE("a key's age counts whole days and asks for rotation past the maximum", "[api_key]") {
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  CHECK(api_key::age_days(t0, t0) == 0);
  CHECK(api_key::age_days(t0, t0 + 23h) == 0);
  CHECK(api_key::age_days(t0, t0 + 24h * 100) == 100);
  CHECK(api_key::age_days(t0, t0 - 24h) == 0);  // a clock set back is not a negative age
  CHECK_FALSE(api_key::rotation_warning(90, 90));
  const auto warning = api_key::rotation_warning(91, 90);
  REQUIRE(warning);
  CHECK_THAT(*warning,
             Catch::Contains("91 days") && Catch::Contains("gdp key set") && Catch::Contains("rotate"));
}
