// The HttpTransport the daemon gives the Gemini planner: HTTP/1.1 over TLS with Boost.Beast and
// OpenSSL 3, blocking (it runs on gdpd's worker pool), one connection per request.
//
// What it guarantees: TLS 1.2 or later; the server's chain verified against the system CA store
// plus an optional extra CA file; the host name (or IP literal) checked against the certificate;
// SNI sent for host names; HTTPS_PROXY honoured through an HTTP CONNECT tunnel, except for hosts
// NO_PROXY names; the answer's header and body capped. Every failure to get an answer is
// RpcError(Network) naming the host and the phase that failed (DNS, connect, proxy, TLS, sending,
// waiting, reading), and saying what to do where there is something to do. No message and no log
// line ever carries a header value, the URL's query, or the proxy's credentials.
#pragma once

#include "daemon/net/http.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gdp::net {

struct HttpsConfig {
  // A PEM file of CAs trusted besides the system store: a corporate CA that re-signs traffic, or
  // a test CA. Empty: the system store only.
  std::string ca_file;
  // http://[user:password@]host[:port] of a proxy reached by HTTP CONNECT; empty: connect directly.
  std::string https_proxy;
  // Comma-separated hosts that bypass the proxy: "example.com" also covers its subdomains, a
  // leading dot is optional, "*" bypasses the proxy for every host.
  std::string no_proxy;
  std::size_t max_body_bytes = std::size_t{32} << 20;
  std::size_t max_header_bytes = std::size_t{64} << 10;
  std::string user_agent = "gdpd";
};

// The proxy settings as curl reads them: https_proxy before HTTPS_PROXY, no_proxy before NO_PROXY.
HttpsConfig https_config_from_environment();

// An https:// URL taken apart. `host` is without brackets ("::1"); `target` is path and query,
// at least "/".
struct HttpsUrl {
  std::string host;
  std::uint16_t port = 443;
  std::string target;
  bool host_is_ip = false;
  // "host" or "host:port" as the Host header and CONNECT want it, brackets around IPv6 literals.
  std::string authority() const;
};

// Throws RpcError(InvalidParams) saying what is wrong (never echoing the query, which may hold a
// key): only https://host[:port][/path][?query], with an IPv6 literal in brackets.
HttpsUrl parse_https_url(std::string_view url);

// Whether `host` matches one entry of a NO_PROXY list (see HttpsConfig::no_proxy).
bool bypasses_proxy(std::string_view host, std::string_view no_proxy);

class HttpsTransport : public HttpTransport {
 public:
  // Throws RpcError(InvalidParams) for a proxy URL it cannot use or a CA file it cannot load.
  explicit HttpsTransport(HttpsConfig config);
  ~HttpsTransport() override;
  HttpsTransport(const HttpsTransport&) = delete;
  HttpsTransport& operator=(const HttpsTransport&) = delete;

  // Safe to call from several threads at once: each call has its own connection.
  HttpResponse send(const HttpRequest& request, const HttpTimeouts& timeouts) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gdp::net
