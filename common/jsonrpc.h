// JSON-RPC 2.0 messages: the one parser for incoming frames and the encoders for outgoing ones.
// Both binaries use it; it knows nothing of methods (see common/protocol.h) or of sockets.
#pragma once

#include "common/errors.h"
#include "common/framing.h"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace gdp::rpc {

struct Message {
  enum class Kind { request, notification, response };
  Kind kind = Kind::request;
  boost::json::value id;          // requests and responses; null for notifications
  std::string method;             // requests and notifications
  boost::json::value params;      // requests and notifications; an empty object when absent
  boost::json::value result;      // successful responses
  std::optional<RpcError> error;  // error responses
};

// The outcome of parsing one frame. When the frame is not a valid message, `error` says why and
// `id` holds the request id if it could be read, so the reply can still be matched to its request.
struct ParseOutcome {
  std::optional<Message> message;
  std::optional<RpcError> error;
  boost::json::value id;
};

// Parses one frame. Never throws: malformed JSON is ParseError, nesting past `max_depth` is
// NestingTooDeep, a well-formed value that is not a JSON-RPC 2.0 message is InvalidRequest.
ParseOutcome parse_message(std::string_view frame, std::size_t max_depth = kDefaultMaxJsonDepth);

// Encoders return one compact line including its "\n". Boost.JSON escapes control characters in
// strings, so a serialised message never contains a raw newline; invalid UTF-8 in any string or
// key is replaced with U+FFFD (common/utf8.h), so every line is valid JSON text.
std::string encode_request(const boost::json::value& id, std::string_view method, boost::json::value params);
std::string encode_notification(std::string_view method, boost::json::value params);
std::string encode_result(const boost::json::value& id, boost::json::value result);
std::string encode_error(const boost::json::value& id, const RpcError& error);

}  // namespace gdp::rpc
