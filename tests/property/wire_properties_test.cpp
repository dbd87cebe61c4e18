// Properties of the wire layer, each checked on generated inputs (RapidCheck, 100+ cases each).
// The seed's 21 numbered properties belong to the capabilities they describe and live beside them.
#include "common/framing.h"
#include "common/jsonrpc.h"
#include "common/protocol.h"
#include "common/utf8.h"
#include "common/wire.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

using namespace gdp;

namespace {

// Frames as a client would send them: any bytes but the line ending, never empty.
rc::Gen<std::string> frame_gen() {
  return rc::gen::suchThat(rc::gen::container<std::string>(rc::gen::suchThat(
                               rc::gen::arbitrary<char>(), [](char c) { return c != '\n'; })),
                           [](const std::string& s) { return !s.empty() && s.back() != '\r'; });
}

// Valid UTF-8 text over the whole code point range (surrogates excluded).
rc::Gen<std::string> utf8_gen() {
  auto code_point =
      rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(0, 0x80), rc::gen::inRange<std::uint32_t>(0x80, 0xD800),
                     rc::gen::inRange<std::uint32_t>(0xE000, 0x110000));
  return rc::gen::map(rc::gen::container<std::vector<std::uint32_t>>(code_point),
                      [](const std::vector<std::uint32_t>& cps) {
                        std::string out;
                        for (auto cp : cps) {
                          if (cp < 0x80) {
                            out += static_cast<char>(cp);
                          } else if (cp < 0x800) {
                            out += static_cast<char>(0xC0 | (cp >> 6));
                            out += static_cast<char>(0x80 | (cp & 0x3F));
                          } else if (cp < 0x10000) {
                            out += static_cast<char>(0xE0 | (cp >> 12));
                            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                            out += static_cast<char>(0x80 | (cp & 0x3F));
                          } else {
                            out += static_cast<char>(0xF0 | (cp >> 18));
                            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
                            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                            out += static_cast<char>(0x80 | (cp & 0x3F));
                          }
                        }
                        return out;
                      });
}

}  // namespace

TEST_CASE("every encoded message is valid JSON, whatever bytes its strings hold", "[property][wire]") {
  rc::prop("arbitrary bytes in strings and keys", [] {
    const auto text = *rc::gen::arbitrary<std::string>();
    const auto key = *rc::gen::arbitrary<std::string>();
    const auto line = rpc::encode_result(1, boost::json::object{{"text", text}, {key, 1}});
    RC_ASSERT(line.find('\n') == line.size() - 1);
    const auto parsed = rpc::parse_message(std::string_view(line).substr(0, line.size() - 1));
    RC_ASSERT(parsed.message.has_value());
    // Valid text passes through untouched.
    if (utf8::valid(text)) RC_ASSERT(parsed.message->result.at("text").as_string() == text);
  });
}

TEST_CASE("framing does not depend on how the bytes are split into reads", "[property][framing]") {
  rc::prop("frames survive any split", [] {
    const auto frames = *rc::gen::container<std::vector<std::string>>(frame_gen());
    std::string stream;
    for (const auto& f : frames) stream += f + (*rc::gen::arbitrary<bool>() ? "\r\n" : "\n");
    LineFramer framer(1 << 20);
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < stream.size()) {
      const auto n = *rc::gen::inRange<std::size_t>(1, stream.size() - pos + 1);
      RC_ASSERT(framer.feed(std::string_view(stream).substr(pos, n), out) == LineFramer::Status::ok);
      pos += n;
    }
    RC_ASSERT(out == frames);
    RC_ASSERT(framer.pending_bytes() == 0u);
  });
}

TEST_CASE("no frame over the cap is ever delivered", "[property][framing]") {
  rc::prop("cap holds", [] {
    const auto cap = *rc::gen::inRange<std::size_t>(1, 64);
    const auto stream = *rc::gen::arbitrary<std::string>();
    LineFramer framer(cap);
    std::vector<std::string> out;
    const auto status = framer.feed(stream, out);
    for (const auto& f : out) RC_ASSERT(f.size() <= cap);
    // Too large is reported exactly when some line (without its CR) exceeds the cap.
    bool over = false;
    std::size_t start = 0;
    for (;;) {
      const auto nl = stream.find('\n', start);
      auto line =
          std::string_view(stream).substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      if (nl != std::string::npos && !line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > cap) over = true;
      if (nl == std::string::npos || over) break;
      start = nl + 1;
    }
    RC_ASSERT((status == LineFramer::Status::frame_too_large) == over);
  });
}

TEST_CASE("hello params and scripts round-trip through JSON", "[property][wire]") {
  rc::prop("HelloParams", [] {
    proto::HelloParams p;
    p.protocol_versions = *rc::gen::container<std::vector<std::int64_t>>(rc::gen::arbitrary<std::int64_t>());
    p.client.name = *utf8_gen();
    p.client.version = *utf8_gen();
    p.client.pid = *rc::gen::arbitrary<std::int64_t>();
    if (*rc::gen::arbitrary<bool>()) p.client.tty = *utf8_gen();
    p.capabilities = *rc::gen::container<std::vector<std::string>>(utf8_gen());
    const auto line = rpc::encode_request(1, "hello", wire::to_json(p));
    const auto parsed = rpc::parse_message(std::string_view(line).substr(0, line.size() - 1));
    RC_ASSERT(parsed.message.has_value());
    const auto back = wire::from_json<proto::HelloParams>(parsed.message->params);
    RC_ASSERT(back.protocol_versions == p.protocol_versions);
    RC_ASSERT(back.client.name == p.client.name);
    RC_ASSERT(back.client.pid == p.client.pid);
    RC_ASSERT(back.client.tty == p.client.tty);
    RC_ASSERT(back.capabilities == p.capabilities);
  });
  rc::prop("ProcessingScript", [] {
    proto::ProcessingScript s;
    s.script_id = *utf8_gen();
    s.content = *utf8_gen();
    s.description = *utf8_gen();
    s.required_packages = *rc::gen::container<std::vector<std::string>>(utf8_gen());
    s.estimated_runtime = *rc::gen::arbitrary<std::int64_t>();
    s.validation_status =
        *rc::gen::element(proto::ValidationStatus::valid, proto::ValidationStatus::invalid,
                          proto::ValidationStatus::warning, proto::ValidationStatus::pending);
    s.security_level = *rc::gen::element(proto::SecurityLevel::safe, proto::SecurityLevel::caution,
                                         proto::SecurityLevel::restricted);
    const auto json = wire::to_json(s);
    RC_ASSERT(wire::to_json(wire::from_json<proto::ProcessingScript>(
                  boost::json::parse(boost::json::serialize(json)))) == json);
  });
}
