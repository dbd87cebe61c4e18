#include "common/jsonrpc.h"

#include "common/utf8.h"
#include "common/wipe.h"

namespace gdp::rpc {
namespace json = boost::json;
namespace {

bool valid_id(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64() || id.is_null();
}

ParseOutcome failure(ErrorCode code, std::string message, json::value id = nullptr, json::object data = {}) {
  ParseOutcome out;
  out.error.emplace(code, std::move(message), std::move(data));
  out.id = std::move(id);
  return out;
}

std::string line(json::object obj) {
  json::value v(std::move(obj));
  utf8::repair_in_place(v);
  auto text = json::serialize(v);
  text.push_back('\n');
  return text;
}

}  // namespace

ParseOutcome parse_message(std::string_view frame, std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  json::error_code ec;
  // A message may carry an API key; the parsed value and its copies wipe what they free.
  json::value value = json::parse(frame, ec, wiping_json_storage(), options);
  if (ec == json::error::too_deep) {
    return failure(ErrorCode::NestingTooDeep,
                   "message nests deeper than " + std::to_string(max_depth) +
                       " levels; flatten it or raise max_json_depth",
                   nullptr, {{"limit", max_depth}});
  }
  if (ec) return failure(ErrorCode::ParseError, "malformed JSON: " + ec.message());

  if (value.is_array()) {
    return failure(ErrorCode::InvalidRequest, "batch requests are not supported; send one message per line");
  }
  auto* obj = value.if_object();
  if (obj == nullptr) return failure(ErrorCode::InvalidRequest, "a message must be a JSON object");

  json::value id = nullptr;
  const auto* id_field = obj->if_contains("id");
  if (id_field != nullptr) {
    if (!valid_id(*id_field)) {
      return failure(ErrorCode::InvalidRequest, "\"id\" must be a string, an integer or null");
    }
    id = *id_field;
  }
  const auto* version = obj->if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->as_string() != "2.0") {
    return failure(ErrorCode::InvalidRequest, "\"jsonrpc\" must be \"2.0\"", id);
  }

  Message msg;
  msg.id = id;
  if (const auto* method = obj->if_contains("method")) {
    if (!method->is_string()) return failure(ErrorCode::InvalidRequest, "\"method\" must be a string", id);
    msg.method = std::string(method->as_string());
    msg.kind = id_field != nullptr ? Message::Kind::request : Message::Kind::notification;
    if (const auto* params = obj->if_contains("params")) {
      msg.params = *params;
    } else {
      msg.params = json::object{};
    }
  } else if (const auto* result = obj->if_contains("result")) {
    if (id_field == nullptr) return failure(ErrorCode::InvalidRequest, "a response needs an \"id\"");
    msg.kind = Message::Kind::response;
    msg.result = *result;
  } else if (const auto* error = obj->if_contains("error")) {
    if (id_field == nullptr) return failure(ErrorCode::InvalidRequest, "a response needs an \"id\"");
    msg.kind = Message::Kind::response;
    msg.error = RpcError::decode(*error);
  } else {
    return failure(ErrorCode::InvalidRequest,
                   "a message needs \"method\" (request) or \"result\"/\"error\" (response)", id);
  }
  ParseOutcome out;
  out.id = std::move(id);
  out.message = std::move(msg);
  return out;
}

std::string encode_request(const json::value& id, std::string_view method, json::value params) {
  return line({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
}

std::string encode_notification(std::string_view method, json::value params) {
  return line({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
}

std::string encode_result(const json::value& id, json::value result) {
  return line({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

std::string encode_error(const json::value& id, const RpcError& error) {
  return line({{"jsonrpc", "2.0"}, {"id", id}, {"error", gdp::encode_error(error)}});
}

}  // namespace gdp::rpc
