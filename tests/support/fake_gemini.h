// The fake Gemini API for tests: Google's REST API over real HTTPS with a test CA, answers from
// fixtures or a queue the test fills, faults on demand, and a record of every request.
//
//   gdp::test::FakeGemini gemini;                                 // starts it; stops in the destructor
//   gdp::net::HttpsConfig config;
//   config.ca_file = gemini.ca_file();                            // trust its test CA
//   // ... point the planner at gemini.endpoint() ("https://127.0.0.1:PORT") with gemini.valid_key()
//   gemini.push(FakeReply::fault(FakeFault::rate_limit));         // the next generateContent gets a 429
//   gemini.push(FakeReply::analysis().delay(200ms));              // then a DataAnalysis, late
//   auto sent = gemini.requests();                                // what arrived, exact bytes and headers
//
// It serves POST /v1beta/models/{model}:generateContent, GET /v1beta/models and GET
// /v1beta/models/{model} (models from tests/data/gemini/models.json; others are 404 NOT_FOUND). A
// request without x-goog-api-key (or ?key=) is 403, with a key other than valid_key() 400
// API_KEY_INVALID, a generateContent body without a "contents" list 400 INVALID_ARGUMENT. With the
// queue empty, generateContent answers with tests/data/gemini/script_response.json if the request
// mentions "script_id", else analysis_response.json. Pushed replies are taken in order by the
// requests they are for (generateContent unless for_models() or for_any() says otherwise).
//
// The server is tests/support/fake_gemini.py (Python's standard library; its docstring has the
// control-file details); FakeProxy is its CONNECT proxy mode. Both need python3 and openssl.
#pragma once

#include "tests/support/test_support.h"

#include <boost/json.hpp>

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gdp::test {

// Faults with the status and body Google sends (docs: protocols.md part 2.8; bodies in
// tests/data/gemini/).
enum class FakeFault {
  api_key_invalid,  // 400 INVALID_ARGUMENT, ErrorInfo reason API_KEY_INVALID
  rate_limit,       // 429 RESOURCE_EXHAUSTED, QuotaFailure per minute, RetryInfo retryDelay "2s"
  quota_per_day,    // 429 RESOURCE_EXHAUSTED, quotaId GenerateRequestsPerDayPerProjectPerModel-FreeTier
  internal,         // 500 INTERNAL
  unavailable,      // 503 UNAVAILABLE "The model is overloaded..."
  html_error,       // 502 with an HTML body, as Google's front end sometimes answers
  truncated,        // 200, Content-Length larger than what is sent, then the connection closes
  malformed_body,   // 200 whose body is not JSON
  malformed_text,   // 200 STOP whose part's text is not JSON
  max_tokens,       // 200, finishReason MAX_TOKENS, no parts
  blocked,          // 200, promptFeedback.blockReason SAFETY, no candidates
  model_not_found,  // 404 NOT_FOUND
};

// One queued answer. Builders return a copy to adjust: FakeReply::analysis().delay(2s).chunked().
class FakeReply {
 public:
  static FakeReply fixture(std::string_view name, int status = 200);  // tests/data/gemini/NAME.json
  static FakeReply analysis() { return fixture("analysis_response"); }
  static FakeReply script() { return fixture("script_response"); }
  static FakeReply text(std::string_view model_text);  // finishReason STOP, one part with this text
  static FakeReply raw(int status, std::string_view body);
  static FakeReply fault(FakeFault fault);

  FakeReply& delay(std::chrono::milliseconds before_headers);
  FakeReply& chunked();     // Transfer-Encoding: chunked
  FakeReply& truncated();   // promise more than is sent, then close
  FakeReply& for_models();  // answers a GET of /v1beta/models or a model instead
  FakeReply& for_any();     // answers whichever request comes next

  const boost::json::object& spec() const { return spec_; }

 private:
  boost::json::object spec_;
};

// One request as it arrived.
struct RecordedRequest {
  std::string method;
  std::string path;                                          // without the query
  std::string query;                                         // without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, in order
  std::string body;                                          // the exact bytes
  std::chrono::steady_clock::time_point arrived;

  // The value of the first header with this name (case-insensitive); empty if there is none.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

// The bytes of tests/data/gemini/NAME.json, for tests that script a transport by hand.
std::string gemini_fixture(std::string_view name);

// A child process that prints "PORT <n>" when ready; stopped in the destructor.
class PortProcess {
 public:
  PortProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~PortProcess();
  PortProcess(const PortProcess&) = delete;
  PortProcess& operator=(const PortProcess&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  void stop();
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

struct FakeGeminiOptions {
  std::string valid_key = "fake-gemini-key-4c2b9e";
  // Serve a certificate for wrong-host.invalid (signed by the same CA) instead of 127.0.0.1.
  bool wrong_host_certificate = false;
};

class FakeGemini {
 public:
  explicit FakeGemini(FakeGeminiOptions options = {});
  FakeGemini(const FakeGemini&) = delete;
  FakeGemini& operator=(const FakeGemini&) = delete;

  std::string endpoint() const { return "https://127.0.0.1:" + std::to_string(port()); }
  std::uint16_t port() const { return process_.port(); }
  std::string ca_file() const { return dir_ / "ca.pem"; }
  const std::string& valid_key() const { return options_.valid_key; }

  void push(const FakeReply& reply);
  std::vector<RecordedRequest> requests() const;
  std::string log() const;  // the server's stderr, for a failing test to show

 private:
  FakeGeminiOptions options_;
  TempDir dir_;
  PortProcess process_;
};

struct FakeProxyOptions {
  std::string credentials;  // "user:password" the proxy demands (407 otherwise); empty: none
  int deny_status = 0;      // answer every CONNECT with this status instead of tunnelling
};

class FakeProxy {
 public:
  struct Connect {
    std::string target;         // "127.0.0.1:443" as the CONNECT line named it
    std::string authorization;  // the Proxy-Authorization header, empty if none
  };

  explicit FakeProxy(FakeProxyOptions options = {});
  FakeProxy(const FakeProxy&) = delete;
  FakeProxy& operator=(const FakeProxy&) = delete;

  std::uint16_t port() const { return process_.port(); }
  // http://127.0.0.1:PORT, or http://user:password@127.0.0.1:PORT when it demands credentials.
  std::string url() const;
  std::vector<Connect> connects() const;

 private:
  FakeProxyOptions options_;
  TempDir dir_;
  PortProcess process_;
};

}  // namespace gdp::test
