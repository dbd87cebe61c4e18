// libFuzzer target for the two parsers that read untrusted bytes from the socket: the line framer
// and the JSON-RPC message parser. The input is split into reads at fuzzer-chosen points, as a
// socket would deliver it, and the invariants below must hold for every input.
#include "common/framing.h"
#include "common/jsonrpc.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {
void require(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the read size, so the same bytes are also framed across read boundaries.
  const std::size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  constexpr std::size_t kCap = 4096;
  gdp::LineFramer framer(kCap);
  std::vector<std::string> frames;
  bool too_large = false;
  while (!input.empty() && !too_large) {
    const auto piece = input.substr(0, chunk);
    input.remove_prefix(piece.size());
    too_large = framer.feed(piece, frames) == gdp::LineFramer::Status::frame_too_large;
  }
  for (const auto& frame : frames) {
    require(!frame.empty() && frame.size() <= kCap);
    require(frame.find('\n') == std::string::npos);
    const auto outcome = gdp::rpc::parse_message(frame, 32);
    // Exactly one of message or error, and an error reply is always encodable as one line.
    require(outcome.message.has_value() != outcome.error.has_value());
    if (outcome.error) {
      const auto line = gdp::rpc::encode_error(outcome.id, *outcome.error);
      require(line.find('\n') == line.size() - 1);
    } else if (outcome.message->kind != gdp::rpc::Message::Kind::response) {
      const auto line =
          gdp::rpc::encode_request(outcome.message->id, outcome.message->method, outcome.message->params);
      require(line.find('\n') == line.size() - 1);
      // What we encode, we parse back to the same method and params.
      const auto back = gdp::rpc::parse_message(std::string_view(line).substr(0, line.size() - 1), 64);
      require(back.message && back.message->method == outcome.message->method &&
              back.message->params == outcome.message->params);
    }
  }
  return 0;
}
