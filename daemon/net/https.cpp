#include "daemon/net/https.h"

#include "common/errors.h"
#include "common/wipe.h"
#include "daemon/log.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <vector>

namespace gdp::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

// Zeroes the values of the fields that carry credentials (an API key, a proxy's password) in a
// message about to be destroyed: Beast keeps each field in a heap block of its own, freed as is.
template <class Fields>
class CredentialWipe {
 public:
  explicit CredentialWipe(Fields& fields) noexcept : fields_(fields) {}
  ~CredentialWipe() {
    for (const auto& field : fields_) {
      const auto name = field.name_string();
      if (beast::iequals(name, "x-goog-api-key") || beast::iequals(name, "authorization") ||
          beast::iequals(name, "proxy-authorization")) {
        // The block is the fields' own (allocated, not const), so writing through it is allowed.
        wipe(const_cast<char*>(field.value().data()), field.value().size());
      }
    }
  }
  CredentialWipe(const CredentialWipe&) = delete;
  CredentialWipe& operator=(const CredentialWipe&) = delete;

 private:
  Fields& fields_;
};

using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

[[noreturn]] void network_error(const std::string& message) {
  throw RpcError(ErrorCode::Network, message);
}

[[noreturn]] void bad_setting(const std::string& message) {
  throw RpcError(ErrorCode::InvalidParams, message);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  return text;
}

std::string size_text(std::size_t bytes) {
  if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string ms(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Host names as RFC 3986's reg-name allows them, minus percent-encoding (no real host needs it).
bool valid_host_name(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
  });
}

// Splits "host[:port]" or "[v6]:port"; `what` names the setting in messages.
void split_authority(std::string_view authority, const std::string& what, std::string& host,
                     std::uint16_t& port) {
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad_setting(what + " has an IPv6 address without its closing ']'");
    host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) {
        bad_setting(what + " has something other than :PORT after its IPv6 address");
      }
      port_text = rest.substr(1);
    }
    boost::system::error_code ec;
    asio::ip::make_address_v6(host, ec);
    if (ec) {
      bad_setting(what + " has '" + host + "' in brackets, which is not an IPv6 address");
    }
  } else {
    const auto colon = authority.find(':');
    host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (!valid_host_name(host)) {
      bad_setting(what + " has no valid host name (IPv6 addresses go in brackets: https://[::1]:8443/)");
    }
  }
  if (port_text.empty()) return;  // the caller's default stands
  unsigned long value = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9' || value > 65535) {
      bad_setting(what + " has a port that is not a number from 1 to 65535");
    }
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value == 0 || value > 65535) bad_setting(what + " has a port that is not a number from 1 to 65535");
  port = static_cast<std::uint16_t>(value);
}

std::string authority_of(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) != 0 &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2])) != 0) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

struct Proxy {
  std::string host;
  std::uint16_t port = 1080;  // curl's default when the URL names none
  std::string authorization;  // "Basic ..." or empty
  std::string name() const { return "the proxy " + authority_of(host, port); }
};

// Never echoes the URL: it may carry a password.
Proxy parse_proxy(std::string_view url) {
  url = trim(url);
  const auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    const auto scheme = lower(url.substr(0, scheme_end));
    if (scheme != "http") {
      bad_setting("HTTPS_PROXY must be an http:// proxy (one that tunnels with CONNECT); " + scheme +
                  ":// proxies are not supported");
    }
    url.remove_prefix(scheme_end + 3);
  }
  url = url.substr(0, url.find('/'));
  Proxy proxy;
  const auto at = url.rfind('@');
  if (at != std::string_view::npos) {
    const auto userinfo = url.substr(0, at);
    const auto colon = userinfo.find(':');
    std::string credentials = percent_decode(userinfo.substr(0, colon)) + ":";
    if (colon != std::string_view::npos) credentials += percent_decode(userinfo.substr(colon + 1));
    proxy.authorization = "Basic " + base64(credentials);
    url.remove_prefix(at + 1);
  }
  split_authority(url, "HTTPS_PROXY", proxy.host, proxy.port);
  return proxy;
}

// Header names are tokens (RFC 9110 5.6.2); a value must not smuggle a line break into the request.
void check_header(const std::string& name, const std::string& value) {
  static constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || kTokenPunct.find(static_cast<char>(c)) != std::string_view::npos;
  });
  if (!name_ok) bad_setting("an HTTP header name has characters a header name cannot have");
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    bad_setting("the HTTP header " + name + " has a line break or NUL in its value");
  }
}

// What OpenSSL says about a failed handshake, and what the user can do about it.
std::string tls_failure(SSL* ssl, const beast::error_code& ec, const std::string& host) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    return "TLS certificate verify failed for " + host + ": the certificate is not for " + host +
           " (host name mismatch); something between you and " + host +
           " answered in its place (a proxy, a captive portal, a wrong DNS entry)";
  }
  if (verify != X509_V_OK) {
    std::string advice;
    if (verify == X509_V_ERR_CERT_HAS_EXPIRED || verify == X509_V_ERR_CERT_NOT_YET_VALID) {
      advice = "check the system clock";
    } else {
      advice =
          "if a proxy or your organisation re-signs TLS traffic, give gdpd its CA certificate (a PEM "
          "file) with the CA file option (ca-file)";
    }
    return "TLS certificate verify failed for " + host + ": " + X509_verify_cert_error_string(verify) + "; " +
           advice;
  }
  return "TLS handshake with " + host + " failed: " + ec.message();
}

// Tells OpenSSL which name the certificate must carry, and sends it as SNI. SNI must not carry an
// IP literal (RFC 6066 section 3); for one, the check matches the certificate's IP addresses. OpenSSL's
// own check (rather than asio's host_name_verification callback) records X509_V_ERR_HOSTNAME_MISMATCH,
// so a mismatch can be told apart from an untrusted chain in the message.
bool name_server(SSL* ssl, const HttpsUrl& url) {
  const char* host = url.host.c_str();
  if (url.host_is_ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
  // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
  return SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host)) ==
             1 &&
         SSL_set1_host(ssl, host) == 1;
}

}  // namespace

std::string HttpsUrl::authority() const {
  if (port == 443) return host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return authority_of(host, port);
}

HttpsUrl parse_https_url(std::string_view url) {
  static constexpr std::string_view kScheme = "https://";
  if (url.size() < kScheme.size() || lower(url.substr(0, kScheme.size())) != kScheme) {
    bad_setting("only https:// URLs can be fetched (got one starting with '" +
                std::string(url.substr(0, std::min(url.find(':'), std::size_t{16}))) + "')");
  }
  url.remove_prefix(kScheme.size());
  const auto end = url.find_first_of("/?#");
  const auto authority = url.substr(0, end);
  if (authority.find('@') != std::string_view::npos) {
    bad_setting("an https:// URL must not carry a user name or password");
  }
  HttpsUrl parsed;
  split_authority(authority, "the URL", parsed.host, parsed.port);
  parsed.host_is_ip = is_ip_literal(parsed.host);
  auto rest = end == std::string_view::npos ? std::string_view{} : url.substr(end);
  rest = rest.substr(0, rest.find('#'));  // a fragment never goes to the server
  parsed.target = rest.starts_with('/') ? std::string(rest) : "/" + std::string(rest);
  if (parsed.target.find_first_of(" \t\r\n") != std::string::npos) {
    bad_setting("the URL's path or query has white space in it; percent-encode it");
  }
  return parsed;
}

bool bypasses_proxy(std::string_view host, std::string_view no_proxy) {
  const auto name = lower(host);
  while (!no_proxy.empty()) {
    const auto comma = no_proxy.find(',');
    auto entry = trim(no_proxy.substr(0, comma));
    no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
    if (entry == "*") return true;
    if (entry.starts_with('[') && entry.ends_with(']')) entry = entry.substr(1, entry.size() - 2);
    while (entry.starts_with('.')) entry.remove_prefix(1);
    if (entry.empty()) continue;
    const auto suffix = lower(entry);
    if (name == suffix) return true;
    if (name.size() > suffix.size() && name.ends_with(suffix) &&
        name[name.size() - suffix.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

HttpsConfig https_config_from_environment() {
  const auto first = [](const char* a, const char* b) {
    for (const char* name : {a, b}) {
      const char* value = std::getenv(name);
      if (value != nullptr && *value != '\0') return std::string(value);
    }
    return std::string();
  };
  HttpsConfig config;
  config.https_proxy = first("https_proxy", "HTTPS_PROXY");
  config.no_proxy = first("no_proxy", "NO_PROXY");
  return config;
}

struct HttpsTransport::Impl {
  HttpsConfig config;
  std::optional<Proxy> proxy;
  ssl::context tls{ssl::context::tls_client};
};

namespace {

// One request on its own connection, driven by a private io_context: each step is an async
// operation whose tcp_stream deadline turns a silent peer into beast::error::timeout, so the
// calling worker thread never blocks for longer than the timeouts allow.
class Exchange {
 public:
  Exchange(const HttpsConfig& config, const std::optional<Proxy>& proxy, ssl::context& tls,
           const HttpTimeouts& timeouts, HttpsUrl url)
      : config_(config), proxy_(proxy), tls_context_(tls), timeouts_(timeouts), url_(std::move(url)) {}

  HttpResponse run(const HttpRequest& request) {
    auto message = build(request);
    const CredentialWipe wipe_credentials(message.base());
    const auto connect_deadline = Clock::now() + timeouts_.connect;
    beast::tcp_stream socket(io_);
    if (proxy_ && !bypasses_proxy(url_.host, config_.no_proxy)) {
      connect(socket, proxy_->host, proxy_->port, proxy_->name(), connect_deadline);
      tunnel(socket, connect_deadline);
    } else {
      connect(socket, url_.host, url_.port, authority_of(url_.host, url_.port), connect_deadline);
    }
    // Asio's stream, not beast::ssl_stream: Beast's copies small buffers into one flat buffer first
    // (freed with the key in it); Asio hands each buffer to SSL_write, which encrypts in place.
    ssl::stream<beast::tcp_stream> stream(std::move(socket), tls_context_);
    handshake(stream, connect_deadline);

    beast::get_lowest_layer(stream).expires_after(timeouts_.read);
    auto ec = wait([&](auto done) { http::async_write(stream, message, std::move(done)); });
    if (ec == beast::error::timeout) network_error("sending the request to " + host_ + timed_out("read"));
    if (ec) network_error("sending the request to " + host_ + " failed: " + ec.message());

    http::response_parser<http::string_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(config_.max_header_bytes, UINT32_MAX)));
    parser.body_limit(config_.max_body_bytes);
    ec = wait([&](auto done) { http::async_read(stream, buffer_, parser, std::move(done)); });
    if (ec) read_failure(ec, parser.got_some());

    // The answer is complete by its own framing, so the connection is closed without waiting for
    // the server's close_notify: that wait could only cost time.
    HttpResponse response;
    auto& answer = parser.get();
    response.status = static_cast<int>(answer.result_int());
    for (const auto& field : answer) response.headers.emplace_back(field.name_string(), field.value());
    response.body = std::move(answer.body());
    GDP_LOG(debug) << request.method << " " << host_ << url_.target.substr(0, url_.target.find('?')) << ": "
                   << response.status << ", " << response.body.size() << " bytes";
    return response;
  }

 private:
  http::request<http::string_body> build(const HttpRequest& request) {
    const auto verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) bad_setting("unknown HTTP method '" + request.method + "'");
    http::request<http::string_body> message{verb, url_.target, 11};
    for (const auto& [name, value] : request.headers) {
      check_header(name, value);
      message.insert(name, value);
    }
    if (message.find(http::field::host) == message.end()) message.set(http::field::host, url_.authority());
    if (message.find(http::field::user_agent) == message.end()) {
      message.set(http::field::user_agent, config_.user_agent);
    }
    message.set(http::field::connection, "close");
    message.body() = request.body;
    message.prepare_payload();
    return message;
  }

  // Starts one async operation and runs the io_context until it completes. The tcp_stream's
  // deadline bounds every socket operation, so run() returns.
  template <class Start>
  beast::error_code wait(Start&& start) {
    std::optional<beast::error_code> result;
    std::forward<Start>(start)([&result](beast::error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run();
    return result.value_or(asio::error::operation_aborted);
  }

  std::string timed_out(const char* which) const {
    const auto limit = std::string(which) == "read" ? timeouts_.read : timeouts_.connect;
    return " timed out after " + ms(limit) + " (the " + which + " timeout)";
  }

  void connect(beast::tcp_stream& socket, const std::string& host, std::uint16_t port, const std::string& who,
               Clock::time_point deadline) {
    // The resolver has no deadline of its own: give it what is left of the connect timeout. A
    // system resolver that hangs still holds its thread until it gives up; the answer is ignored.
    tcp::resolver resolver(io_);
    std::optional<beast::error_code> resolved_ec;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(host, std::to_string(port),
                           [&](beast::error_code ec, tcp::resolver::results_type r) {
                             resolved_ec = ec;
                             endpoints = std::move(r);
                           });
    io_.restart();
    io_.run_until(deadline);
    if (!resolved_ec) {
      resolver.cancel();
      network_error("looking up " + who + timed_out("connect"));
    }
    if (*resolved_ec) {
      network_error("cannot resolve " + who + " (DNS): " + resolved_ec->message() +
                    "; check the host name and the network");
    }
    socket.expires_at(deadline);
    const auto ec = wait([&](auto done) { socket.async_connect(endpoints, std::move(done)); });
    if (!ec) return;
    if (ec == beast::error::timeout) network_error("connecting to " + who + timed_out("connect"));
    if (ec == asio::error::connection_refused) {
      network_error(who + " refused the connection (nothing listens there, or a firewall says no)");
    }
    network_error("cannot connect to " + who + ": " + ec.message());
  }

  // HTTP CONNECT: the proxy opens a TCP tunnel to the server, and TLS runs end to end through it,
  // so the proxy sees the host and port but nothing of the request.
  void tunnel(beast::tcp_stream& socket, Clock::time_point deadline) {
    const auto target = authority_of(url_.host, url_.port);
    http::request<http::empty_body> request{http::verb::connect, target, 11};
    const CredentialWipe wipe_credentials(request.base());
    request.set(http::field::host, target);
    request.set(http::field::user_agent, config_.user_agent);
    if (!proxy_->authorization.empty()) request.set(http::field::proxy_authorization, proxy_->authorization);
    socket.expires_at(deadline);
    auto ec = wait([&](auto done) { http::async_write(socket, request, std::move(done)); });
    // A 200 answer to CONNECT has no body whatever its fields say; the tunnel starts after it.
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    if (!ec) ec = wait([&](auto done) { http::async_read_header(socket, buffer_, parser, std::move(done)); });
    if (ec == beast::error::timeout) {
      network_error("opening a tunnel through " + proxy_->name() + timed_out("connect"));
    }
    if (ec) {
      network_error("opening a tunnel through " + proxy_->name() + " to " + target +
                    " failed: " + ec.message());
    }
    const auto status = parser.get().result_int();
    if (status != 200) {
      auto reason = std::string(parser.get().reason()).substr(0, 120);
      std::string advice;
      if (status == 407) advice = "; check the user name and password in HTTPS_PROXY";
      network_error(proxy_->name() + " refused to open a tunnel to " + target + ": HTTP " +
                    std::to_string(status) + " " + reason + advice);
    }
    if (buffer_.size() != 0) {
      network_error(proxy_->name() + " sent data before the TLS handshake began; it is not a CONNECT proxy");
    }
  }

  void handshake(ssl::stream<beast::tcp_stream>& stream, Clock::time_point deadline) {
    SSL* ssl = stream.native_handle();
    const bool named = name_server(ssl, url_);
    if (!named) network_error("cannot set up TLS for " + host_ + ": OpenSSL refused the host name");
    beast::get_lowest_layer(stream).expires_at(deadline);
    const auto ec =
        wait([&](auto done) { stream.async_handshake(ssl::stream_base::client, std::move(done)); });
    if (ec == beast::error::timeout) network_error("the TLS handshake with " + host_ + timed_out("connect"));
    if (ec) network_error(tls_failure(ssl, ec, host_));
  }

  [[noreturn]] void read_failure(const beast::error_code& ec, bool got_some) const {
    if (ec == beast::error::timeout) {
      network_error("waiting for the answer from " + host_ + timed_out("read") +
                    (got_some ? "; part of it had arrived" : ""));
    }
    if (ec == http::error::body_limit) {
      network_error("the answer from " + host_ + " is larger than " + size_text(config_.max_body_bytes) +
                    "; refusing it");
    }
    if (ec == http::error::header_limit) {
      network_error("the answer from " + host_ + " has a header larger than " +
                    size_text(config_.max_header_bytes) + "; refusing it");
    }
    const bool closed = ec == ssl::error::stream_truncated || ec == http::error::partial_message ||
                        ec == http::error::end_of_stream || ec == asio::error::eof ||
                        ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
    if (closed && got_some) {
      network_error("truncated answer from " + host_ +
                    ": the connection closed before the whole answer arrived");
    }
    if (closed) network_error(host_ + " closed the connection without answering");
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
      network_error(host_ + " answered with something that is not HTTP/1.1: " + ec.message());
    }
    network_error("reading the answer from " + host_ + " failed: " + ec.message());
  }

  const HttpsConfig& config_;
  const std::optional<Proxy>& proxy_;
  ssl::context& tls_context_;
  HttpTimeouts timeouts_;
  HttpsUrl url_;
  std::string host_ = url_.host;  // what messages call the server
  asio::io_context io_{1};
  beast::flat_buffer buffer_;
};

}  // namespace

HttpsTransport::HttpsTransport(HttpsConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  if (!impl_->config.https_proxy.empty()) impl_->proxy = parse_proxy(impl_->config.https_proxy);
  auto& tls = impl_->tls;
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.set_verify_mode(ssl::verify_peer);
  tls.set_default_verify_paths();
  if (!impl_->config.ca_file.empty()) {
    boost::system::error_code ec;
    tls.load_verify_file(impl_->config.ca_file, ec);
    if (ec) {
      bad_setting("cannot load the CA file " + impl_->config.ca_file + ": " + ec.message() +
                  "; it must be a readable PEM file of CA certificates");
    }
  }
}

HttpsTransport::~HttpsTransport() = default;

HttpResponse HttpsTransport::send(const HttpRequest& request, const HttpTimeouts& timeouts) {
  Exchange exchange(impl_->config, impl_->proxy, impl_->tls, timeouts, parse_https_url(request.url));
  return exchange.run(request);
}

}  // namespace gdp::net
