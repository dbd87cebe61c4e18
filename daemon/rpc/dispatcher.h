// The method table and the checks every request passes through, in one place.
//
// A handler is a member coroutine taking the method's typed params and returning its typed result
// or throwing RpcError; the dispatcher converts JSON at the edge (bad params become InvalidParams
// naming the field), enforces the handshake, and turns every outcome into exactly one reply: a
// handler cannot forget to answer or answer twice, because the reply is its return value.
#pragma once

#include "common/errors.h"
#include "common/jsonrpc.h"
#include "common/protocol.h"
#include "common/wire.h"
#include "daemon/rpc/listener.h"

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace gdp {

// What the daemon knows about one connection; handlers may read it and hello fills it.
struct ConnectionState {
  std::uint64_t id = 0;
  PeerCredentials peer;
  bool greeted = false;
  std::int64_t protocol_version = 0;
  proto::ClientInfo client;
};

struct CallContext {
  ConnectionState& connection;
  // Queues an encoded notification line to the calling client. Safe from any thread (the planner
  // calls it from the worker pool); a no-op once the client has gone.
  std::function<void(std::string line)> notify;
};

class Dispatcher {
 public:
  template <class Method>
  using HandlerFn =
      std::function<boost::asio::awaitable<typename Method::Result>(typename Method::Params, CallContext&)>;

  template <class Method, class Object>
  void bind(Object* object,
            boost::asio::awaitable<typename Method::Result> (Object::*fn)(typename Method::Params,
                                                                          CallContext&)) {
    handlers_[std::string(Method::name)] =
        [object, fn](const boost::json::value& params,
                     CallContext& ctx) -> boost::asio::awaitable<boost::json::value> {
      auto typed = decode_params<typename Method::Params>(params);
      co_return wire::to_json(co_await (object->*fn)(std::move(typed), ctx));
    };
  }

  // Runs one request or notification. Returns the reply line for a request, nothing for a
  // notification (JSON-RPC forbids answering those; their failures are logged instead).
  boost::asio::awaitable<std::optional<std::string>> dispatch(const rpc::Message& message,
                                                              CallContext& ctx) const;

  std::string method_names() const;

 private:
  using Handler =
      std::function<boost::asio::awaitable<boost::json::value>(const boost::json::value&, CallContext&)>;

  template <class Params>
  static Params decode_params(const boost::json::value& params) {
    if (!params.is_object()) {
      throw RpcError(ErrorCode::InvalidParams, "params must be an object with named fields");
    }
    try {
      return wire::from_json<Params>(params);
    } catch (const wire::TypeError& e) {
      throw RpcError(ErrorCode::InvalidParams, std::string("invalid params: ") + e.what(),
                     {{"field", e.path()}});
    }
  }

  std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace gdp
