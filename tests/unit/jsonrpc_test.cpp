#include "common/jsonrpc.h"
#include "common/utf8.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using gdp::ErrorCode;
using gdp::rpc::Message;
using gdp::rpc::parse_message;

namespace {
std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("requests, notifications and responses are classified", "[jsonrpc]") {
  auto r = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"ping"})");
  REQUIRE(r.message);
  CHECK(r.message->kind == Message::Kind::request);
  CHECK(r.message->id == 7);
  CHECK(r.message->params == boost::json::object{});  // absent params read as {}

  r = parse_message(R"({"jsonrpc":"2.0","method":"x","params":{"a":1}})");
  REQUIRE(r.message);
  CHECK(r.message->kind == Message::Kind::notification);

  r = parse_message(R"({"jsonrpc":"2.0","id":"a","result":{"ok":true},"extra":1})");
  REQUIRE(r.message);
  CHECK(r.message->kind == Message::Kind::response);
  CHECK(r.message->result.at("ok") == true);

  r = parse_message(
      R"({"jsonrpc":"2.0","id":1,"error":{"code":1001,"message":"m","data":{"kind":"ProtocolVersionMismatchError","daemon_versions":[1]}}})");
  REQUIRE(r.message);
  REQUIRE(r.message->error);
  CHECK(r.message->error->code() == ErrorCode::ProtocolVersionMismatch);
  CHECK(r.message->error->data().at("daemon_versions") == boost::json::array{1});
}

TEST_CASE("invalid envelopes are InvalidRequest and keep a readable id", "[jsonrpc]") {
  struct Case {
    const char* text;
    ErrorCode code;
    boost::json::value id;
  };
  const Case cases[] = {
      {R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", ErrorCode::InvalidRequest, nullptr},
      {R"(42)", ErrorCode::InvalidRequest, nullptr},
      {R"({"id":3,"method":"ping"})", ErrorCode::InvalidRequest, 3},
      {R"({"jsonrpc":"1.0","id":3,"method":"ping"})", ErrorCode::InvalidRequest, 3},
      {R"({"jsonrpc":"2.0","id":4,"method":5})", ErrorCode::InvalidRequest, 4},
      {R"({"jsonrpc":"2.0","id":[1],"method":"ping"})", ErrorCode::InvalidRequest, nullptr},
      {R"({"jsonrpc":"2.0","id":5})", ErrorCode::InvalidRequest, 5},
      {R"({"jsonrpc":"2.0","id":1,"method":"ping")", ErrorCode::ParseError, nullptr},
      {"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\"}", ErrorCode::ParseError, nullptr},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto r = parse_message(c.text);
    REQUIRE_FALSE(r.message);
    REQUIRE(r.error);
    CHECK(r.error->code() == c.code);
    CHECK(r.id == c.id);
  }
}

TEST_CASE("nesting past the cap is NestingTooDeep with the limit", "[jsonrpc]") {
  std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":)";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += "}}";
  auto r = parse_message(deep, 64);
  REQUIRE(r.error);
  CHECK(r.error->code() == ErrorCode::NestingTooDeep);
  CHECK(r.error->data().at("limit") == 64);
  CHECK(parse_message(deep, 200).message);  // the same message within a higher cap
}

TEST_CASE("encoders write one line with no raw newline", "[jsonrpc]") {
  const auto line = gdp::rpc::encode_result(1, boost::json::object{{"text", "a\nb\r\u2028"}});
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  auto back = parse_message(line.substr(0, line.size() - 1));
  REQUIRE(back.message);
  CHECK(back.message->result.at("text") == "a\nb\r\u2028");

  const auto err =
      gdp::rpc::encode_error(nullptr, gdp::RpcError(ErrorCode::FrameTooLarge, "big", {{"limit_bytes", 8}}));
  auto parsed = boost::json::parse(err);
  CHECK(parsed.at("error").at("code") == 1002);
  CHECK(parsed.at("error").at("data").at("kind") == "FrameTooLargeError");
  CHECK(parsed.at("error").at("data").at("limit_bytes") == 8);
  CHECK(parsed.at("id").is_null());
}

// JSONTestSuite ("Parsing JSON is a Minefield"): every y_ file must parse (it may still be an
// invalid *request*, never a ParseError), every n_ file must be refused as ParseError or
// NestingTooDeep, and i_ files must not crash.
TEST_CASE("JSONTestSuite through the message parser", "[jsonrpc][jsontestsuite]") {
  const std::filesystem::path dir = GDP_TEST_DATA "/jsontestsuite/test_parsing";
  REQUIRE(std::filesystem::is_directory(dir));
  int y = 0, n = 0, i = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    const auto text = read_file(entry.path());
    INFO(name);
    auto r = parse_message(text, 1000);
    if (name.starts_with("y_")) {
      ++y;
      if (r.error) CHECK(r.error->code() != ErrorCode::ParseError);
    } else if (name.starts_with("n_")) {
      ++n;
      REQUIRE(r.error);
      CHECK((r.error->code() == ErrorCode::ParseError || r.error->code() == ErrorCode::NestingTooDeep));
    } else {
      ++i;
    }
  }
  CHECK(y == 95);
  CHECK(n == 188);
  CHECK(i == 35);
}

TEST_CASE("invalid UTF-8 in outgoing strings is repaired, valid text untouched", "[jsonrpc][utf8]") {
  CHECK(gdp::utf8::valid("plain ascii"));
  CHECK(gdp::utf8::valid("\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80"));
  CHECK_FALSE(gdp::utf8::valid("caf\xE9"));           // Latin-1
  CHECK_FALSE(gdp::utf8::valid("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(gdp::utf8::valid("\xED\xA0\x80"));      // a surrogate
  CHECK_FALSE(gdp::utf8::valid("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(gdp::utf8::valid("\xE2\x82"));          // truncated
  CHECK(gdp::utf8::repair("caf\xE9!") == "caf\xEF\xBF\xBD!");
  // The ASCII fast path skips 16 bytes at a time; the offset must still be exact.
  const std::string long_ascii(37, 'a');
  CHECK(gdp::utf8::first_invalid(long_ascii + "\xE9" + long_ascii) == 37);
  CHECK(gdp::utf8::first_invalid(long_ascii + "\xE2\x82") == 37);                // cut at the end...
  CHECK(gdp::utf8::first_invalid(long_ascii + "\xE2\x82", true) == std::string_view::npos);  // ...allowed
  CHECK(gdp::utf8::first_invalid(long_ascii + "\xE2\x28", true) == 37);          // not a cut: wrong byte
  std::string out;
  gdp::utf8::append_latin1(out, "M\xFCnchen \xA9");
  CHECK(out == "M\xC3\xBCnchen \xC2\xA9");
  const auto line = gdp::rpc::encode_result(1, boost::json::object{{"name\xFF", "caf\xE9"}});
  auto parsed = parse_message(line.substr(0, line.size() - 1));
  REQUIRE(parsed.message);
  CHECK(parsed.message->result.at("name\xEF\xBF\xBD") == "caf\xEF\xBF\xBD");
}
