#include "common/framing.h"

#include <catch2/catch.hpp>

using gdp::LineFramer;

TEST_CASE("framer splits lines and keeps partial frames across reads", "[framing]") {
  LineFramer framer(1024);
  std::vector<std::string> frames;
  REQUIRE(framer.feed("{\"a\":1}\n{\"b\"", frames) == LineFramer::Status::ok);
  REQUIRE(frames == std::vector<std::string>{"{\"a\":1}"});
  REQUIRE(framer.pending_bytes() == 4);
  frames.clear();
  REQUIRE(framer.feed(":2}\n", frames) == LineFramer::Status::ok);
  REQUIRE(frames == std::vector<std::string>{"{\"b\":2}"});
  REQUIRE(framer.pending_bytes() == 0);
}

TEST_CASE("framer drops CR before LF and skips empty lines", "[framing]") {
  LineFramer framer(1024);
  std::vector<std::string> frames;
  REQUIRE(framer.feed("\n\r\nx\r\n\ny\n", frames) == LineFramer::Status::ok);
  REQUIRE(frames == std::vector<std::string>{"x", "y"});
}

TEST_CASE("framer byte-at-a-time gives the same frames", "[framing]") {
  const std::string input = "one\ntwo\r\nthree\n";
  LineFramer framer(16);
  std::vector<std::string> frames;
  for (char c : input) REQUIRE(framer.feed(std::string_view(&c, 1), frames) == LineFramer::Status::ok);
  REQUIRE(frames == std::vector<std::string>{"one", "two", "three"});
}

TEST_CASE("framer enforces the cap before the newline arrives", "[framing]") {
  LineFramer framer(8);
  std::vector<std::string> frames;
  REQUIRE(framer.feed("12345678\n", frames) == LineFramer::Status::ok);   // exactly the cap
  REQUIRE(framer.feed("1234567\r\n", frames) == LineFramer::Status::ok);  // CR does not count
  REQUIRE(frames.size() == 2);
  REQUIRE(framer.feed("12345", frames) == LineFramer::Status::ok);
  REQUIRE(framer.feed("6789", frames) == LineFramer::Status::frame_too_large);  // no newline yet
  REQUIRE(framer.pending_bytes() == 0);
  // A spent framer stays spent: the stream cannot be re-synchronised.
  REQUIRE(framer.feed("ok\n", frames) == LineFramer::Status::frame_too_large);
  REQUIRE(frames.size() == 2);
}
