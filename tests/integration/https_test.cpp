// The HTTPS transport against the fake Gemini API over real TLS with a test CA, and the fake's own
// contract: every fault it offers, at the HTTP level, so the Gemini planner's tests can rely on it.
#include "daemon/net/https.h"

#include "common/errors.h"
#include "tests/support/fake_gemini.h"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cstdlib>
#include <future>
#include <optional>
#include <thread>

using namespace gdp::test;
using Catch::Matchers::Contains;
using gdp::ErrorCode;
using gdp::RpcError;
using gdp::net::HttpRequest;
using gdp::net::HttpResponse;
using gdp::net::HttpsConfig;
using gdp::net::HttpsTransport;
using gdp::net::HttpTimeouts;

namespace {

namespace json = boost::json;

constexpr std::string_view kModelPath = "/v1beta/models/gemini-3.5-flash:generateContent";
constexpr std::string_view kBody = R"({"contents":[{"role":"user","parts":[{"text":"Say hi"}]}]})";

// Values no error message may ever show, sent with every request below.
constexpr std::string_view kBearer = "Bearer oauth-secret-7d1f";
constexpr std::string_view kProxySecret = "proxy-secret-9a3c";

HttpRequest generate_request(const std::string& endpoint, const std::string& key,
                             std::string_view body = kBody) {
  HttpRequest request{"POST", endpoint + std::string(kModelPath), {}, std::string(body)};
  request.headers = {{"Content-Type", "application/json"}, {"x-goog-api-key", key}};
  return request;
}

HttpRequest get(const std::string& endpoint, const std::string& path, const std::string& key) {
  return HttpRequest{"GET", endpoint + path, {{"x-goog-api-key", key}}, {}};
}

HttpsConfig trusting(const FakeGemini& gemini) {
  HttpsConfig config;
  config.ca_file = gemini.ca_file();
  return config;
}

HttpResponse send_ok(HttpsTransport& transport, const HttpRequest& request, HttpTimeouts timeouts = {}) {
  try {
    return transport.send(request, timeouts);
  } catch (const RpcError& e) {
    FAIL("the request failed: " << e.what());
  }
  return {};
}

// Sends and returns the Network error's message. Whatever failed, the message must name no
// secret: not the key or authorization headers, not the proxy's password.
std::string network_failure(HttpsTransport& transport, HttpRequest request, HttpTimeouts timeouts = {}) {
  request.headers.emplace_back("Authorization", kBearer);
  try {
    transport.send(request, timeouts);
  } catch (const RpcError& e) {
    std::string message = e.what();
    INFO(message);
    CHECK(e.code() == ErrorCode::Network);
    for (const auto& [name, value] : request.headers) {
      if (name == "x-goog-api-key" || name == "Authorization") CHECK_THAT(message, !Contains(value));
    }
    CHECK_THAT(message, !Contains(std::string(kProxySecret)));
    return message;
  }
  FAIL("the request succeeded where it should not");
  return {};
}

json::value parse(const std::string& body) {
  return json::parse(body);
}

// A loopback port bound for the test's lifetime, so no one else takes it meanwhile. Not listening,
// it refuses connections; listening, the kernel accepts them but no one ever speaks.
class IdlePort {
 public:
  explicit IdlePort(bool listening) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    if (listening) REQUIRE(::listen(fd_, 4) == 0);
  }
  ~IdlePort() { ::close(fd_); }
  IdlePort(const IdlePort&) = delete;
  IdlePort& operator=(const IdlePort&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

}  // namespace

TEST_CASE("https URLs are taken apart, and anything else is refused with the reason", "[https][unit]") {
  auto url = gdp::net::parse_https_url("https://generativelanguage.googleapis.com/v1beta/models?pageSize=50");
  CHECK(url.host == "generativelanguage.googleapis.com");
  CHECK(url.port == 443);
  CHECK(url.target == "/v1beta/models?pageSize=50");
  CHECK_FALSE(url.host_is_ip);
  CHECK(url.authority() == "generativelanguage.googleapis.com");

  url = gdp::net::parse_https_url("HTTPS://127.0.0.1:8443");
  CHECK(url.host == "127.0.0.1");
  CHECK(url.port == 8443);
  CHECK(url.target == "/");
  CHECK(url.host_is_ip);
  CHECK(url.authority() == "127.0.0.1:8443");

  url = gdp::net::parse_https_url("https://[::1]:9443/x?y#fragment");
  CHECK(url.host == "::1");
  CHECK(url.port == 9443);
  CHECK(url.target == "/x?y");
  CHECK(url.host_is_ip);
  CHECK(url.authority() == "[::1]:9443");

  url = gdp::net::parse_https_url("https://example.com?q=1");
  CHECK(url.target == "/?q=1");

  const std::pair<const char*, const char*> bad[] = {
      {"http://example.com/", "only https://"},
      {"ftp://example.com/", "only https://"},
      {"https:///path", "no valid host name"},
      {"https://[::1/", "closing ']'"},
      {"https://[nope]/", "not an IPv6 address"},
      {"https://::1/", "no valid host name"},
      {"https://example.com:0/", "port"},
      {"https://example.com:70000/", "port"},
      {"https://example.com:44x/", "port"},
      {"https://user:pw@example.com/", "user name or password"},
      {"https://exa mple.com/", "no valid host name"},
      {"https://example.com/a b", "white space"},
  };
  for (const auto& [text, why] : bad) {
    INFO(text);
    try {
      gdp::net::parse_https_url(text);
      FAIL("accepted");
    } catch (const RpcError& e) {
      CHECK(e.code() == ErrorCode::InvalidParams);
      CHECK_THAT(e.what(), Contains(why));
    }
  }
  // The query may hold a key (?key=...): a refusal never echoes it.
  try {
    gdp::net::parse_https_url("https://example.com:99999/v1beta/models?key=AIzaSecretKey");
    FAIL("accepted");
  } catch (const RpcError& e) {
    CHECK_THAT(e.what(), !Contains("AIzaSecretKey"));
  }
}

TEST_CASE("NO_PROXY entries match the host and its subdomains, and * matches all", "[https][unit]") {
  using gdp::net::bypasses_proxy;
  CHECK(bypasses_proxy("anything.example", "*"));
  CHECK(bypasses_proxy("example.com", "example.com"));
  CHECK(bypasses_proxy("api.Example.com", "example.com"));
  CHECK(bypasses_proxy("api.example.com", ".example.com"));
  CHECK_FALSE(bypasses_proxy("badexample.com", "example.com"));
  CHECK_FALSE(bypasses_proxy("example.com.evil", "example.com"));
  CHECK(bypasses_proxy("b.org", " a.com , b.org "));
  CHECK(bypasses_proxy("127.0.0.1", "localhost,127.0.0.1"));
  CHECK(bypasses_proxy("::1", "[::1]"));
  CHECK_FALSE(bypasses_proxy("generativelanguage.googleapis.com", ""));
  CHECK_FALSE(bypasses_proxy("generativelanguage.googleapis.com", "localhost, ,."));
}

TEST_CASE("the proxy settings come from the environment as curl reads them", "[https][unit]") {
  // Saved and restored, so the rest of the run sees the environment it was started with.
  const std::vector<const char*> names{"https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"};
  std::vector<std::optional<std::string>> saved;
  for (const char* name : names) {
    const char* value = std::getenv(name);
    saved.push_back(value == nullptr ? std::nullopt : std::optional<std::string>(value));
  }
  ::setenv("https_proxy", "http://lower:3128", 1);
  ::setenv("HTTPS_PROXY", "http://upper:3128", 1);
  ::unsetenv("no_proxy");
  ::setenv("NO_PROXY", "localhost", 1);
  auto config = gdp::net::https_config_from_environment();
  CHECK(config.https_proxy == "http://lower:3128");
  CHECK(config.no_proxy == "localhost");
  ::setenv("https_proxy", "", 1);  // empty counts as unset
  config = gdp::net::https_config_from_environment();
  CHECK(config.https_proxy == "http://upper:3128");
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (saved[i]) {
      ::setenv(names[i], saved[i]->c_str(), 1);
    } else {
      ::unsetenv(names[i]);
    }
  }
}

TEST_CASE("settings the transport cannot use are refused when it is made", "[https][unit]") {
  HttpsConfig config;
  config.https_proxy = "https://user:" + std::string(kProxySecret) + "@proxy.example:3128";
  try {
    HttpsTransport transport(config);
    FAIL("accepted an https:// proxy");
  } catch (const RpcError& e) {
    CHECK(e.code() == ErrorCode::InvalidParams);
    CHECK_THAT(e.what(), Contains("http:// proxy"));
    CHECK_THAT(e.what(), !Contains(std::string(kProxySecret)));
  }

  TempDir dir;
  config = {};
  config.ca_file = dir / "missing.pem";
  CHECK_THROWS_WITH(HttpsTransport(config), Contains("cannot load the CA file") && Contains("missing.pem"));
}

TEST_CASE("a request travels to the fake verified with its CA, byte for byte", "[https][integration]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));
  const auto response = send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
  CHECK(response.status == 200);
  CHECK(response.body == gemini_fixture("analysis_response"));
  const auto content_type = std::find_if(response.headers.begin(), response.headers.end(),
                                         [](const auto& h) { return h.first == "Content-Type"; });
  REQUIRE(content_type != response.headers.end());
  CHECK(content_type->second == "application/json; charset=UTF-8");

  const auto sent = gemini.requests();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].method == "POST");
  CHECK(sent[0].path == kModelPath);
  CHECK(sent[0].query.empty());
  CHECK(sent[0].body == kBody);
  CHECK(sent[0].header("x-goog-api-key") == gemini.valid_key());
  CHECK(sent[0].header("content-type") == "application/json");
  CHECK(sent[0].header("Host") == "127.0.0.1:" + std::to_string(gemini.port()));
  CHECK(sent[0].header("Content-Length") == std::to_string(kBody.size()));
  CHECK(sent[0].header("User-Agent") == "gdpd");
  CHECK(sent[0].arrived <= std::chrono::steady_clock::now());

  // A GET carries no body, and the query arrives as it was written.
  const auto models =
      send_ok(transport, get(gemini.endpoint(), "/v1beta/models?pageSize=50", gemini.valid_key()));
  CHECK(models.status == 200);
  CHECK(parse(models.body).at("models").as_array().size() == 3);
  const auto all = gemini.requests();
  REQUIRE(all.size() == 2);
  CHECK(all[1].method == "GET");
  CHECK(all[1].path == "/v1beta/models");
  CHECK(all[1].query == "pageSize=50");
  CHECK(all[1].body.empty());
  CHECK_FALSE(all[1].has_header("Content-Length"));
}

TEST_CASE("several threads share one transport", "[https][integration]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));
  std::vector<std::future<int>> results(4);
  for (auto& result : results) {
    result = std::async(std::launch::async, [&] {
      int ok = 0;
      for (int j = 0; j < 3; ++j) {
        ok +=
            transport.send(generate_request(gemini.endpoint(), gemini.valid_key()), {}).status == 200 ? 1 : 0;
      }
      return ok;
    });
  }
  int ok = 0;
  for (auto& r : results) ok += r.get();
  CHECK(ok == 12);
  CHECK(gemini.requests().size() == 12);
}

TEST_CASE("without the test CA the certificate does not verify, and the message says what to do",
          "[https][integration]") {
  FakeGemini gemini;
  HttpsTransport transport(HttpsConfig{});  // the system store only
  const auto message = network_failure(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
  CHECK_THAT(message, Contains("certificate verify failed for 127.0.0.1"));
  CHECK_THAT(message, Contains("unable to get local issuer certificate"));
  CHECK_THAT(message, Contains("CA file option"));
  CHECK(gemini.requests().empty());  // nothing was sent to a server that could not be verified
}

TEST_CASE("a certificate for another host name is refused", "[https][integration]") {
  FakeGeminiOptions options;
  options.wrong_host_certificate = true;
  FakeGemini gemini(options);
  HttpsTransport transport(trusting(gemini));
  const auto message = network_failure(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
  CHECK_THAT(message, Contains("host name mismatch"));
  CHECK_THAT(message, Contains("127.0.0.1"));
  CHECK(gemini.requests().empty());
}

TEST_CASE("a server slower than the read timeout is a Network error that says timeout",
          "[https][integration]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));
  gemini.push(FakeReply::analysis().delay(std::chrono::milliseconds(3000)));
  HttpTimeouts timeouts;
  timeouts.read = std::chrono::milliseconds(200);
  const auto message =
      network_failure(transport, generate_request(gemini.endpoint(), gemini.valid_key()), timeouts);
  CHECK_THAT(message, Contains("waiting for the answer from 127.0.0.1 timed out"));
  CHECK_THAT(message, Contains("read timeout"));
}

TEST_CASE("a slow answer within the timeout arrives whole", "[https][integration]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));
  gemini.push(FakeReply::script().delay(std::chrono::milliseconds(300)));
  const auto response = send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
  CHECK(response.status == 200);
  CHECK(response.body == gemini_fixture("script_response"));
}

TEST_CASE("a truncated answer is a Network error, framed by length or by chunks", "[https][integration]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));
  gemini.push(FakeReply::fault(FakeFault::truncated));
  gemini.push(FakeReply::analysis().chunked().truncated());
  for (int i = 0; i < 2; ++i) {
    const auto message = network_failure(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
    CHECK_THAT(message, Contains("truncated answer from 127.0.0.1"));
  }
}

TEST_CASE("a chunked answer is put together", "[https][integration]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));
  gemini.push(FakeReply::analysis().chunked());
  const auto response = send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
  CHECK(response.status == 200);
  CHECK(response.body == gemini_fixture("analysis_response"));
}

TEST_CASE("answers over the caps are refused", "[https][integration]") {
  FakeGemini gemini;
  HttpsConfig config = trusting(gemini);
  config.max_body_bytes = 1000;
  HttpsTransport small_body(config);
  gemini.push(FakeReply::raw(200, std::string(1001, 'x')));
  CHECK_THAT(network_failure(small_body, generate_request(gemini.endpoint(), gemini.valid_key())),
             Contains("larger than 1000 bytes"));
  gemini.push(FakeReply::raw(200, std::string(1000, 'x')));
  CHECK(send_ok(small_body, generate_request(gemini.endpoint(), gemini.valid_key())).body.size() == 1000);

  config = trusting(gemini);
  config.max_header_bytes = 64;
  HttpsTransport small_header(config);
  CHECK_THAT(network_failure(small_header, generate_request(gemini.endpoint(), gemini.valid_key())),
             Contains("header larger than 64 bytes"));
}

TEST_CASE("nothing listening, or no such host, is a Network error naming the place", "[https][integration]") {
  HttpsTransport transport(HttpsConfig{});
  IdlePort port(false);
  const auto endpoint = "https://127.0.0.1:" + std::to_string(port.port());
  CHECK_THAT(network_failure(transport, generate_request(endpoint, "AIzaSyRefusedKey")),
             Contains("127.0.0.1:" + std::to_string(port.port()) + " refused the connection"));
  CHECK_THAT(
      network_failure(transport, generate_request("https://no-such-host.invalid", "AIzaSyUnresolvedKey")),
      Contains("cannot resolve no-such-host.invalid:443 (DNS)"));
}

TEST_CASE("a server that accepts but never speaks TLS runs into the connect timeout",
          "[https][integration]") {
  HttpsTransport transport(HttpsConfig{});
  IdlePort port(true);
  HttpTimeouts timeouts;
  timeouts.connect = std::chrono::milliseconds(200);
  const auto endpoint = "https://127.0.0.1:" + std::to_string(port.port());
  const auto message = network_failure(transport, generate_request(endpoint, "AIzaSySilentKey"), timeouts);
  CHECK_THAT(message, Contains("the TLS handshake with 127.0.0.1 timed out"));
  CHECK_THAT(message, Contains("connect timeout"));
}

TEST_CASE("a header value that would break the request is refused without being shown", "[https][unit]") {
  HttpsTransport transport(HttpsConfig{});
  auto request = generate_request("https://127.0.0.1:9", "AIzaSy\r\nX-Injected: 1");
  try {
    transport.send(request, {});
    FAIL("sent");
  } catch (const RpcError& e) {
    CHECK(e.code() == ErrorCode::InvalidParams);
    CHECK_THAT(e.what(), Contains("x-goog-api-key"));
    CHECK_THAT(e.what(), !Contains("AIzaSy"));
  }
}

TEST_CASE("through an HTTPS_PROXY the request is tunnelled with CONNECT", "[https][integration]") {
  FakeGemini gemini;
  FakeProxyOptions proxy_options;
  proxy_options.credentials = "gdp:" + std::string(kProxySecret);
  FakeProxy proxy(proxy_options);
  HttpsConfig config = trusting(gemini);
  config.https_proxy = proxy.url();

  SECTION("with credentials, the tunnel carries the request end to end") {
    HttpsTransport transport(config);
    const auto response = send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
    CHECK(response.status == 200);
    const auto connects = proxy.connects();
    REQUIRE(connects.size() == 1);
    CHECK(connects[0].target == "127.0.0.1:" + std::to_string(gemini.port()));
    CHECK(connects[0].authorization == "Basic Z2RwOnByb3h5LXNlY3JldC05YTNj");  // gdp:proxy-secret-9a3c
    REQUIRE(gemini.requests().size() == 1);
    CHECK(gemini.requests()[0].body == kBody);
  }
  SECTION("without them, the proxy's 407 is a Network error naming the proxy and its status") {
    config.https_proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
    HttpsTransport transport(config);
    const auto message = network_failure(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
    CHECK_THAT(message, Contains("the proxy 127.0.0.1:" + std::to_string(proxy.port()) + " refused"));
    CHECK_THAT(message, Contains("HTTP 407"));
    CHECK_THAT(message, Contains("user name and password in HTTPS_PROXY"));
    CHECK(gemini.requests().empty());
  }
  SECTION("with wrong credentials, the error does not show the password sent") {
    config.https_proxy =
        "http://gdp:" + std::string(kProxySecret) + "-wrong@127.0.0.1:" + std::to_string(proxy.port());
    HttpsTransport transport(config);
    CHECK_THAT(network_failure(transport, generate_request(gemini.endpoint(), gemini.valid_key())),
               Contains("407"));
  }
  SECTION("NO_PROXY sends matching hosts around the proxy") {
    for (const char* no_proxy : {"localhost,127.0.0.1", "*"}) {
      config.no_proxy = no_proxy;
      HttpsTransport transport(config);
      CHECK(send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key())).status == 200);
    }
    CHECK(proxy.connects().empty());
    CHECK(gemini.requests().size() == 2);
  }
  SECTION("a proxy that refuses outright is named with its status") {
    FakeProxyOptions deny;
    deny.deny_status = 403;
    FakeProxy denying(deny);
    config.https_proxy = denying.url();
    HttpsTransport transport(config);
    const auto message = network_failure(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
    CHECK_THAT(message, Contains("the proxy 127.0.0.1:" + std::to_string(denying.port())));
    CHECK_THAT(message, Contains("HTTP 403"));
    REQUIRE(denying.connects().size() == 1);
  }
}

TEST_CASE("the fake checks the key as Gemini does", "[https][integration][fake]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));

  auto response = send_ok(transport, generate_request(gemini.endpoint(), "AIzaSyNotTheKey"));
  CHECK(response.status == 400);
  auto error = parse(response.body).at("error");
  CHECK(error.at("code") == 400);
  CHECK(error.at("status") == "INVALID_ARGUMENT");
  CHECK(error.at("details").at(0).at("@type") == "type.googleapis.com/google.rpc.ErrorInfo");
  CHECK(error.at("details").at(0).at("reason") == "API_KEY_INVALID");

  auto no_key = generate_request(gemini.endpoint(), "");
  no_key.headers.pop_back();
  response = send_ok(transport, no_key);
  CHECK(response.status == 403);
  CHECK(parse(response.body).at("error").at("status") == "PERMISSION_DENIED");

  // ?key= works too, as it does at Google.
  no_key.url += "?key=" + gemini.valid_key();
  CHECK(send_ok(transport, no_key).status == 200);

  response =
      send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key(), R"({"contents": 1})"));
  CHECK(response.status == 400);
  CHECK(parse(response.body).at("error").at("status") == "INVALID_ARGUMENT");
  response = send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key(), "not json"));
  CHECK(response.status == 400);
}

TEST_CASE("the fake lists models and knows which exist", "[https][integration][fake]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));
  auto response =
      send_ok(transport, get(gemini.endpoint(), "/v1beta/models/gemini-3.5-flash", gemini.valid_key()));
  CHECK(response.status == 200);
  CHECK(parse(response.body).at("name") == "models/gemini-3.5-flash");
  CHECK(parse(response.body).at("outputTokenLimit") == 65536);

  response =
      send_ok(transport, get(gemini.endpoint(), "/v1beta/models/gemini-0-retired", gemini.valid_key()));
  CHECK(response.status == 404);
  auto error = parse(response.body).at("error");
  CHECK(error.at("status") == "NOT_FOUND");
  CHECK_THAT(json::value_to<std::string>(error.at("message")),
             Contains("models/gemini-0-retired is not found for API version v1beta"));

  auto generate_unknown = generate_request(gemini.endpoint(), gemini.valid_key());
  generate_unknown.url = gemini.endpoint() + "/v1beta/models/gemini-0-retired:generateContent";
  CHECK(send_ok(transport, generate_unknown).status == 404);

  // A reply pushed for the models endpoints is not taken by generateContent.
  gemini.push(FakeReply::fault(FakeFault::unavailable).for_models());
  CHECK(send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key())).status == 200);
  CHECK(send_ok(transport, get(gemini.endpoint(), "/v1beta/models", gemini.valid_key())).status == 503);
  CHECK(send_ok(transport, get(gemini.endpoint(), "/v1beta/models", gemini.valid_key())).status == 200);
}

TEST_CASE("the fake answers from its queue in order, then from the fixtures", "[https][integration][fake]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));
  const auto send = [&](std::string_view body = kBody) {
    return send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key(), body));
  };
  const auto model_text = [](const HttpResponse& r) {
    return json::value_to<std::string>(
        parse(r.body).at("candidates").at(0).at("content").at("parts").at(0).at("text"));
  };

  gemini.push(FakeReply::text(R"({"hello": "world"})"));
  gemini.push(FakeReply::script());
  gemini.push(FakeReply::fault(FakeFault::internal).for_any());
  auto first = send();
  CHECK(parse(first.body).at("candidates").at(0).at("finishReason") == "STOP");
  CHECK(model_text(first) == R"({"hello": "world"})");
  CHECK(send().body == gemini_fixture("script_response"));
  CHECK(send_ok(transport, get(gemini.endpoint(), "/v1beta/models", gemini.valid_key())).status == 500);

  // Queue used up: the request decides between the two fixtures.
  CHECK(send().body == gemini_fixture("analysis_response"));
  CHECK(send(R"({"contents": [], "generationConfig": {"responseSchema": {"properties": {"done": {}}}}})")
            .body == gemini_fixture("script_response"));
  CHECK(send(R"({"contents": [], "generationConfig": {"responseSchema": {"properties": {"content": {}}}}})")
            .body == gemini_fixture("revised_script_response"));
  // Both fixtures carry model text that is JSON, as structured output does.
  CHECK(parse(model_text(send())).as_object().contains("data_quality_issues"));
  CHECK(parse(model_text(send(
                  R"({"contents":[],"generationConfig":{"responseSchema":{"properties":{"done":{}}}}})")))
            .at("script")
            .as_object()
            .contains("content"));
}

TEST_CASE("every fault of the fake has Google's status and body shape", "[https][integration][fake]") {
  FakeGemini gemini;
  HttpsTransport transport(trusting(gemini));
  const auto answer = [&](FakeFault fault) {
    gemini.push(FakeReply::fault(fault));
    return send_ok(transport, generate_request(gemini.endpoint(), gemini.valid_key()));
  };
  const auto error_of = [](const HttpResponse& r) { return parse(r.body).at("error"); };
  const auto detail = [](const json::value& error, std::string_view type) -> json::value {
    for (const auto& d : error.at("details").as_array()) {
      if (d.at("@type").as_string() == "type.googleapis.com/google.rpc." + std::string(type)) return d;
    }
    FAIL("no " << type << " detail");
    return {};
  };

  auto r = answer(FakeFault::api_key_invalid);
  CHECK(r.status == 400);
  CHECK(detail(error_of(r), "ErrorInfo").at("reason") == "API_KEY_INVALID");
  CHECK(error_of(r).at("message") == "API key not valid. Please pass a valid API key.");

  r = answer(FakeFault::rate_limit);
  CHECK(r.status == 429);
  CHECK(error_of(r).at("status") == "RESOURCE_EXHAUSTED");
  CHECK(detail(error_of(r), "RetryInfo").at("retryDelay") == "2s");
  CHECK(detail(error_of(r), "QuotaFailure").at("violations").at(0).at("quotaId") ==
        "GenerateRequestsPerMinutePerProjectPerModel-FreeTier");

  r = answer(FakeFault::quota_per_day);
  CHECK(r.status == 429);
  CHECK(error_of(r).at("status") == "RESOURCE_EXHAUSTED");
  CHECK(detail(error_of(r), "QuotaFailure").at("violations").at(0).at("quotaId") ==
        "GenerateRequestsPerDayPerProjectPerModel-FreeTier");
  CHECK_FALSE(error_of(r).at("message").as_string().empty());

  r = answer(FakeFault::internal);
  CHECK(r.status == 500);
  CHECK(error_of(r).at("status") == "INTERNAL");

  r = answer(FakeFault::unavailable);
  CHECK(r.status == 503);
  CHECK(error_of(r).at("status") == "UNAVAILABLE");
  CHECK(error_of(r).at("message") == "The model is overloaded. Please try again later.");

  r = answer(FakeFault::html_error);
  CHECK(r.status == 502);
  CHECK(r.body.starts_with("<!DOCTYPE html>"));

  r = answer(FakeFault::model_not_found);
  CHECK(r.status == 404);
  CHECK(error_of(r).at("status") == "NOT_FOUND");

  r = answer(FakeFault::malformed_body);
  CHECK(r.status == 200);
  json::error_code ec;
  json::parse(r.body, ec);
  CHECK(ec);

  r = answer(FakeFault::malformed_text);
  CHECK(r.status == 200);
  const auto candidate = parse(r.body).at("candidates").at(0);
  CHECK(candidate.at("finishReason") == "STOP");
  json::parse(json::value_to<std::string>(candidate.at("content").at("parts").at(0).at("text")), ec);
  CHECK(ec);

  r = answer(FakeFault::max_tokens);
  CHECK(r.status == 200);
  const auto cut = parse(r.body).at("candidates").at(0);
  CHECK(cut.at("finishReason") == "MAX_TOKENS");
  CHECK(cut.at("content").as_object().if_contains("parts") == nullptr);

  r = answer(FakeFault::blocked);
  CHECK(r.status == 200);
  CHECK(parse(r.body).as_object().if_contains("candidates") == nullptr);
  CHECK(parse(r.body).at("promptFeedback").at("blockReason") == "SAFETY");

  // FakeFault::truncated and a delay are Network errors at this level: see the tests above.
  CHECK(gemini.requests().size() == 11);
}
