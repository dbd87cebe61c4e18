// The outside world's HTTP, behind one small interface: the Gemini planner speaks to an
// HttpTransport, the daemon gives it the HTTPS one (https.h), and unit tests give it a scripted one.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace gdp::net {

struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string url;     // absolute: https://host[:port]/path?query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpTimeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds read{120'000};  // a model may think for a while
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Any HTTP status is a response; only a failure to get one (DNS, connect, TLS, timeout, a
  // truncated body) throws RpcError(Network) with what failed and where.
  virtual HttpResponse send(const HttpRequest& request, const HttpTimeouts& timeouts) = 0;
};

}  // namespace gdp::net
