#include "common/errors.h"

#include <array>

namespace gdp {
namespace {

constexpr std::array kErrors{
#define GDP_X(e, code, name, kind, area) ErrorInfo{ErrorCode::e, name, kind, area},
    GDP_ERROR_CODES(GDP_X)
#undef GDP_X
};

}  // namespace

std::span<const ErrorInfo> all_errors() {
  return kErrors;
}

const ErrorInfo& error_info(ErrorCode code) {
  for (const auto& info : kErrors) {
    if (info.code == code) return info;
  }
  // Every enumerator is in the table by construction (both come from GDP_ERROR_CODES).
  return kErrors[4];  // InternalError
}

std::optional<ErrorCode> error_code_from_int(std::int64_t code) {
  for (const auto& info : kErrors) {
    if (static_cast<std::int64_t>(info.code) == code) return info.code;
  }
  return std::nullopt;
}

RpcError::RpcError(ErrorCode code, const std::string& message, boost::json::object data)
    : std::runtime_error(message),
      code_(code),
      raw_code_(static_cast<std::int64_t>(code)),
      kind_(error_info(code).kind),
      data_(std::move(data)) {}

RpcError RpcError::decode(const boost::json::value& error) {
  const auto* obj = error.if_object();
  if (obj == nullptr) return {ErrorCode::InternalError, "malformed error object in reply"};
  std::int64_t raw = 0;
  if (const auto* c = obj->if_contains("code"); c != nullptr && c->is_int64()) raw = c->as_int64();
  std::string message = "(no message)";
  if (const auto* m = obj->if_contains("message"); m != nullptr && m->is_string()) {
    message = std::string(m->as_string());
  }
  boost::json::object data;
  std::string kind;
  if (const auto* d = obj->if_contains("data"); d != nullptr && d->is_object()) {
    data = d->as_object();
    if (const auto* k = data.if_contains("kind"); k != nullptr && k->is_string()) {
      kind = std::string(k->as_string());
    }
    data.erase("kind");
  }
  auto code = error_code_from_int(raw).value_or(ErrorCode::InternalError);
  RpcError result(code, message, std::move(data));
  result.raw_code_ = raw;
  if (!kind.empty()) result.kind_ = std::move(kind);
  return result;
}

boost::json::object encode_error(const RpcError& error) {
  boost::json::object data = error.data();
  data["kind"] = error.kind();
  return boost::json::object{
      {"code", error.raw_code()}, {"message", error.what()}, {"data", std::move(data)}};
}

}  // namespace gdp
