// What the Gemini planner asks for and what it gets back: the response schemas (the OpenAPI subset
// generateContent accepts), the answers turned into the seed's models, and Google's error bodies.
#include "common/wire.h"
#include "daemon/llm/gemini_detail.h"
#include "daemon/privacy/siphash.h"

#include <boost/describe.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace gdp::planner::gemini {

namespace json = boost::json;

namespace {

// The answers as the schemas shape them. Gemini's schema subset has no maps, so column insights
// arrive as a list of pairs.
struct ColumnInsight {
  std::string column;
  std::string insight;
};
BOOST_DESCRIBE_STRUCT(ColumnInsight, (), (column, insight))

struct AnalysisAnswer {
  std::vector<std::string> data_quality_issues;
  std::vector<std::string> suggested_operations;
  std::vector<ColumnInsight> column_insights;
  std::vector<std::string> processing_recommendations;
  proto::Complexity estimated_complexity = proto::Complexity::low;
  bool sensitive_data_detected = false;
  proto::SecurityLevel recommended_security_level = proto::SecurityLevel::safe;
};
BOOST_DESCRIBE_STRUCT(AnalysisAnswer, (),
                      (data_quality_issues, suggested_operations, column_insights, processing_recommendations,
                       estimated_complexity, sensitive_data_detected, recommended_security_level))

struct ScriptAnswer {
  std::string description;
  std::string content;
  std::vector<std::string> required_packages;
  std::vector<std::string> input_files;
  std::vector<std::string> output_files;
  std::int64_t estimated_runtime = 0;
};
BOOST_DESCRIBE_STRUCT(ScriptAnswer, (),
                      (description, content, required_packages, input_files, output_files, estimated_runtime))

struct StepAnswer {
  bool done = false;
  std::optional<std::string> reason;
  std::optional<ScriptAnswer> script;
};
BOOST_DESCRIBE_STRUCT(StepAnswer, (), (done, reason, script))

// The schemas are written as JSON, as Google documents them, rather than built field by field.
json::object schema(std::string_view text) {
  return json::parse(text).as_object();
}

constexpr std::string_view kStrings = R"({"type": "ARRAY", "items": {"type": "STRING"}})";

std::string script_schema_text() {
  return std::string(R"({"type": "OBJECT", "properties": {
      "description": {"type": "STRING", "description": "what the step does, for someone who does not read Python"},
      "content": {"type": "STRING", "description": "the complete Python 3 source"},
      "required_packages": )") +
         std::string(kStrings) + R"(,
      "input_files": )" +
         std::string(kStrings) +
         R"(,
      "output_files": )" +
         std::string(kStrings) +
         R"(,
      "estimated_runtime": {"type": "INTEGER", "description": "seconds"}},
    "required": ["description", "content", "required_packages", "input_files", "output_files", "estimated_runtime"],
    "propertyOrdering": ["description", "content", "required_packages", "input_files", "output_files",
                         "estimated_runtime"]})";
}

// Models sometimes fence JSON in Markdown even when asked for application/json.
std::string_view unfence(std::string_view text) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  if (text.starts_with("```") && text.ends_with("```") && text.size() >= 6) {
    text = text.substr(3, text.size() - 6);
    if (text.starts_with("json")) text.remove_prefix(4);
    text = trim(text);
  }
  return text;
}

template <class T>
T decode(const std::string& text) {
  json::value value;
  try {
    value = json::parse(unfence(text));
  } catch (const std::exception&) {
    throw AnswerProblem("The answer was not valid JSON.", text);
  }
  try {
    return wire::from_json<T>(value);
  } catch (const wire::TypeError& e) {
    throw AnswerProblem(std::string("The answer did not follow the response schema: ") + e.what() + ".",
                        text);
  }
}

proto::ProcessingScript to_script(ScriptAnswer a, const std::string& text) {
  if (a.content.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw AnswerProblem("The script's content was empty.", text);
  }
  if (a.description.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw AnswerProblem("The script had no description; the person approving it needs one.", text);
  }
  proto::ProcessingScript script;
  script.content = std::move(a.content);
  script.description = std::move(a.description);
  script.required_packages = std::move(a.required_packages);
  script.input_files = std::move(a.input_files);
  script.output_files = std::move(a.output_files);
  script.estimated_runtime = std::max<std::int64_t>(0, a.estimated_runtime);
  script.validation_status = proto::ValidationStatus::pending;  // the validator decides
  return script;
}

bool ends_with_type(const json::object& detail, std::string_view type) {
  const auto* t = detail.if_contains("@type");
  return t != nullptr && t->is_string() && std::string_view(t->get_string()).ends_with(type);
}

}  // namespace

const json::object& analysis_schema() {
  static const json::object s = schema(std::string(R"({"type": "OBJECT", "properties": {
      "data_quality_issues": )") + std::string(kStrings) +
                                       R"(,
      "suggested_operations": )" + std::string(kStrings) +
                                       R"(,
      "column_insights": {"type": "ARRAY", "items": {"type": "OBJECT",
          "properties": {"column": {"type": "STRING"}, "insight": {"type": "STRING"}},
          "required": ["column", "insight"]}},
      "processing_recommendations": )" +
                                       std::string(kStrings) + R"(,
      "estimated_complexity": {"type": "STRING", "enum": ["low", "medium", "high"]},
      "sensitive_data_detected": {"type": "BOOLEAN"},
      "recommended_security_level": {"type": "STRING", "enum": ["safe", "caution", "restricted"]}},
    "required": ["data_quality_issues", "suggested_operations", "column_insights", "processing_recommendations",
                 "estimated_complexity", "sensitive_data_detected", "recommended_security_level"],
    "propertyOrdering": ["data_quality_issues", "suggested_operations", "column_insights",
                         "processing_recommendations", "estimated_complexity", "sensitive_data_detected",
                         "recommended_security_level"]})");
  return s;
}

const json::object& script_schema() {
  static const json::object s = schema(script_schema_text());
  return s;
}

const json::object& step_schema() {
  static const json::object s = [] {
    auto script = schema(script_schema_text());
    script["nullable"] = true;
    return json::object{
        {"type", "OBJECT"},
        {"properties",
         {{"done", {{"type", "BOOLEAN"}}},
          {"reason", {{"type", "STRING"}, {"description", "why the work is done, when it is"}}},
          {"script", std::move(script)}}},
        {"required", json::array{"done"}},
        {"propertyOrdering", json::array{"done", "reason", "script"}}};
  }();
  return s;
}

std::string answer_text(std::string_view response_body) {
  json::value parsed;
  try {
    parsed = json::parse(response_body);
  } catch (const std::exception&) {
    throw AnswerProblem("Gemini's response was not JSON.");
  }
  const auto* response = parsed.if_object();
  if (response == nullptr) throw AnswerProblem("Gemini's response was not a JSON object.");
  if (const auto* feedback = response->if_contains("promptFeedback");
      feedback != nullptr && feedback->is_object()) {
    if (const auto* block = feedback->get_object().if_contains("blockReason");
        block != nullptr && block->is_string()) {
      throw AnswerProblem("Gemini blocked the request (blockReason " + std::string(block->get_string()) +
                          ").");
    }
  }
  const auto* candidates = response->if_contains("candidates");
  if (candidates == nullptr || !candidates->is_array() || candidates->get_array().empty() ||
      !candidates->get_array()[0].is_object()) {
    throw AnswerProblem("Gemini returned no answer.");
  }
  const auto& candidate = candidates->get_array()[0].get_object();
  std::string text;
  if (const auto* content = candidate.if_contains("content"); content != nullptr && content->is_object()) {
    if (const auto* parts = content->get_object().if_contains("parts");
        parts != nullptr && parts->is_array()) {
      for (const auto& part : parts->get_array()) {
        if (!part.is_object()) continue;
        const auto& p = part.get_object();
        // Thoughts are the model's working, not its answer.
        if (const auto* thought = p.if_contains("thought");
            thought != nullptr && thought->is_bool() && thought->get_bool()) {
          continue;
        }
        if (const auto* t = p.if_contains("text"); t != nullptr && t->is_string()) text += t->get_string();
      }
    }
  }
  std::string finish = "STOP";
  if (const auto* f = candidate.if_contains("finishReason"); f != nullptr && f->is_string()) {
    finish = f->get_string();
  }
  if (finish == "MAX_TOKENS") {
    throw AnswerProblem(text.empty()
                            ? "The answer was cut off at the output token limit before any text (the "
                              "thinking used it all up)."
                            : "The answer was cut off at the output token limit.",
                        text);
  }
  if (finish != "STOP" && finish != "FINISH_REASON_UNSPECIFIED") {
    throw AnswerProblem("Gemini stopped the answer (finishReason " + finish + ").", text);
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) throw AnswerProblem("The answer was empty.");
  return text;
}

proto::DataAnalysis decode_analysis(const std::string& text) {
  auto a = decode<AnalysisAnswer>(text);
  proto::DataAnalysis out;
  out.data_quality_issues = std::move(a.data_quality_issues);
  out.suggested_operations = std::move(a.suggested_operations);
  for (auto& c : a.column_insights) out.column_insights[c.column] = std::move(c.insight);
  out.processing_recommendations = std::move(a.processing_recommendations);
  out.estimated_complexity = a.estimated_complexity;
  out.sensitive_data_detected = a.sensitive_data_detected;
  out.recommended_security_level = a.recommended_security_level;
  return out;
}

std::optional<proto::ProcessingScript> decode_step(const std::string& text) {
  auto a = decode<StepAnswer>(text);
  if (a.done) return std::nullopt;
  if (!a.script) throw AnswerProblem("done was false but the answer had no script.", text);
  return to_script(std::move(*a.script), text);
}

proto::ProcessingScript decode_script(const std::string& text) {
  return to_script(decode<ScriptAnswer>(text), text);
}

std::string script_id(std::size_t step_number, std::string_view content) {
  // A fixed key: the id must be the same for the same content on every run, not secret.
  const auto hash = privacy::siphash24({}, content);
  char buf[32];
  std::snprintf(buf, sizeof buf, "step_%02zu_%08x", step_number, static_cast<unsigned>(hash >> 32));
  return buf;
}

bool ApiError::per_day_quota() const {
  return std::any_of(quota_ids.begin(), quota_ids.end(),
                     [](const std::string& id) { return id.find("PerDay") != std::string::npos; });
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  // Decimal arithmetic, not a double: "0.007s" must be 7 ms, not the 8 that 7.000000000000001 rounds up to.
  if (!text.ends_with('s')) return std::nullopt;
  text.remove_suffix(1);
  const auto dot = text.find('.');
  const auto whole = text.substr(0, dot);
  auto fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || fraction.size() > 9) return std::nullopt;
  std::int64_t seconds = 0, nanos = 0;
  if (const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
      ec != std::errc{} || end != whole.data() + whole.size() || seconds < 0) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < 9; ++i) {
    const char c = i < fraction.size() ? fraction[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    nanos = nanos * 10 + (c - '0');
  }
  return std::chrono::milliseconds(seconds * 1000 + (nanos + 999'999) / 1'000'000);
}

ApiError parse_error(int http_status, std::string_view body) {
  ApiError out;
  out.http_status = http_status;
  json::value parsed;
  boost::system::error_code ec;
  parsed = json::parse(body, ec);
  if (!ec && parsed.is_array() && parsed.get_array().size() == 1) parsed = parsed.get_array()[0];
  const json::object* error = nullptr;
  if (!ec && parsed.is_object()) {
    if (const auto* e = parsed.get_object().if_contains("error"); e != nullptr && e->is_object()) {
      error = &e->get_object();
    }
  }
  if (error == nullptr) {
    // Google's front end answers some refusals with an HTML page.
    out.message = std::string(body.substr(0, 200));
    return out;
  }
  if (const auto* s = error->if_contains("status"); s != nullptr && s->is_string()) {
    out.status = s->get_string();
  }
  if (const auto* m = error->if_contains("message"); m != nullptr && m->is_string()) {
    out.message = m->get_string();
  }
  const auto* details = error->if_contains("details");
  if (details == nullptr || !details->is_array()) return out;
  for (const auto& d : details->get_array()) {
    if (!d.is_object()) continue;
    const auto& detail = d.get_object();
    if (ends_with_type(detail, "google.rpc.ErrorInfo")) {
      if (const auto* r = detail.if_contains("reason"); r != nullptr && r->is_string()) {
        out.reasons.emplace_back(r->get_string());
      }
    } else if (ends_with_type(detail, "google.rpc.QuotaFailure")) {
      const auto* violations = detail.if_contains("violations");
      if (violations == nullptr || !violations->is_array()) continue;
      for (const auto& v : violations->get_array()) {
        if (!v.is_object()) continue;
        if (const auto* id = v.get_object().if_contains("quotaId"); id != nullptr && id->is_string()) {
          out.quota_ids.emplace_back(id->get_string());
        }
      }
    } else if (ends_with_type(detail, "google.rpc.RetryInfo")) {
      if (const auto* delay = detail.if_contains("retryDelay"); delay != nullptr && delay->is_string()) {
        out.retry_delay = parse_duration(delay->get_string());
      }
    }
  }
  return out;
}

}  // namespace gdp::planner::gemini
