#include "daemon/rpc/dispatcher.h"

#include "daemon/log.h"

namespace gdp {

std::string Dispatcher::method_names() const {
  std::string names;
  for (const auto& [name, handler] : handlers_) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names;
}

boost::asio::awaitable<std::optional<std::string>> Dispatcher::dispatch(const rpc::Message& message,
                                                                        CallContext& ctx) const {
  const bool wants_reply = message.kind == rpc::Message::Kind::request;
  std::optional<RpcError> failure;
  boost::json::value result;
  try {
    if (message.kind == rpc::Message::Kind::response) {
      throw RpcError(ErrorCode::InvalidRequest, "gdpd does not accept responses; send requests");
    }
    auto it = handlers_.find(message.method);
    if (it == handlers_.end()) {
      throw RpcError(ErrorCode::MethodNotFound,
                     "unknown method \"" + message.method + "\"; gdpd speaks: " + method_names());
    }
    if (!ctx.connection.greeted && message.method != proto::Hello::name) {
      throw RpcError(ErrorCode::HandshakeRequired,
                     "send \"hello\" first: every connection opens with the handshake");
    }
    result = co_await it->second(message.params, ctx);
  } catch (const RpcError& e) {
    failure = e;
  } catch (const std::exception& e) {
    GDP_LOG(error) << "method " << message.method << " failed: " << e.what();
    failure.emplace(ErrorCode::InternalError, std::string("internal error in ") + message.method + ": " +
                                                  e.what() + " (see gdpd's log)");
  }
  if (!wants_reply) {
    if (failure) GDP_LOG(warn) << "notification " << message.method << ": " << failure->what();
    co_return std::nullopt;
  }
  if (failure) co_return rpc::encode_error(message.id, *failure);
  co_return rpc::encode_result(message.id, std::move(result));
}

}  // namespace gdp
