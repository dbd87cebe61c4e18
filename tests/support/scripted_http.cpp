#include "tests/support/scripted_http.h"

#include "common/errors.h"

#include <catch2/catch.hpp>

namespace gdp::test {

namespace json = boost::json;

bool FakeClock::sleep_for(std::chrono::milliseconds delay, std::stop_token stop) {
  sleeps.push_back(delay);
  if (on_sleep) on_sleep(delay);
  if (stop.stop_requested()) return false;
  now_ += delay;
  return true;
}

net::HttpResponse ScriptedTransport::send(const net::HttpRequest& request, const net::HttpTimeouts&) {
  sent.push_back({request, clock_->now()});
  if (on_send) on_send(sent.back());
  if (queue_.empty()) {
    FAIL("the planner sent a request the test did not expect: " << request.method << " " << request.url);
  }
  auto reply = std::move(queue_.front());
  queue_.pop_front();
  return reply(request);
}

void ScriptedTransport::push(int status, std::string body) {
  push([status, body = std::move(body)](const net::HttpRequest&) {
    return net::HttpResponse{status, {{"Content-Type", "application/json; charset=UTF-8"}}, body};
  });
}

void ScriptedTransport::push_network_error(std::string what) {
  push([what = std::move(what)](const net::HttpRequest&) -> net::HttpResponse {
    throw RpcError(ErrorCode::Network, what);
  });
}

namespace gemini_replies {

std::string model(std::string_view name) {
  return json::serialize(
      json::object{{"name", "models/" + std::string(name)},
                   {"displayName", "Gemini"},
                   {"inputTokenLimit", 1048576},
                   {"outputTokenLimit", 65536},
                   {"supportedGenerationMethods", json::array{"generateContent", "countTokens"}}});
}

std::string answer(std::string_view text, std::string_view finish_reason) {
  json::object content{{"role", "model"}};
  if (!text.empty()) content["parts"] = json::array{json::object{{"text", text}}};
  return json::serialize(json::object{
      {"candidates",
       json::array{json::object{{"content", content}, {"finishReason", finish_reason}, {"index", 0}}}},
      {"usageMetadata", {{"promptTokenCount", 100}, {"totalTokenCount", 120}}},
      {"modelVersion", "gemini-3.5-flash"}});
}

std::string error(int code, std::string_view status, std::string_view message, json::array details) {
  return json::serialize(json::object{
      {"error",
       {{"code", code}, {"message", message}, {"status", status}, {"details", std::move(details)}}}});
}

json::object retry_info(std::string_view delay) {
  return {{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", delay}};
}

json::object quota_failure(std::string_view quota_id) {
  return {{"@type", "type.googleapis.com/google.rpc.QuotaFailure"},
          {"violations",
           json::array{json::object{
               {"quotaMetric", "generativelanguage.googleapis.com/generate_content_free_tier_requests"},
               {"quotaId", quota_id},
               {"quotaDimensions", {{"location", "global"}, {"model", "gemini-3.5-flash"}}}}}}};
}

json::object error_info(std::string_view reason) {
  return {{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
          {"reason", reason},
          {"domain", "googleapis.com"},
          {"metadata", {{"service", "generativelanguage.googleapis.com"}}}};
}

std::string analysis_json() {
  return json::serialize(
      json::object{{"data_quality_issues", json::array{"12 rows repeat exactly"}},
                   {"suggested_operations", json::array{"drop duplicate rows"}},
                   {"column_insights",
                    json::array{json::object{{"column", "amount"}, {"insight", "a few negative values"}}}},
                   {"processing_recommendations", json::array{"deduplicate, then normalise dates"}},
                   {"estimated_complexity", "medium"},
                   {"sensitive_data_detected", true},
                   {"recommended_security_level", "caution"}});
}

std::string script_json(std::string_view content, std::string_view description) {
  return json::serialize(json::object{{"done", false},
                                      {"script",
                                       {{"description", description},
                                        {"content", content},
                                        {"required_packages", json::array{}},
                                        {"input_files", json::array{"/data/input/sales.csv"}},
                                        {"output_files", json::array{"/data/work/dedup.csv"}},
                                        {"estimated_runtime", 5}}}});
}

std::string revised_script_json(std::string_view content, std::string_view description) {
  return json::serialize(json::parse(script_json(content, description)).at("script"));
}

std::string done_json() {
  return json::serialize(json::object{{"done", true}, {"reason", "the recommendations are carried out"}});
}

}  // namespace gemini_replies
}  // namespace gdp::test
