// The Gemini planner against a scripted transport and a fake clock: the happy paths, each fault
// Google can answer with, the repair round, cancellation, the context builder, and the key never
// leaving through anything but its header.
#include "daemon/llm/gemini.h"
#include "common/errors.h"
#include "common/wire.h"
#include "daemon/llm/gemini_detail.h"
#include "tests/support/scripted_http.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

namespace gdp::planner {
namespace {

namespace json = boost::json;
namespace replies = test::gemini_replies;
using std::chrono::milliseconds;

const std::string kKey(test::kCanaryKey);

proto::DataSnapshot raw_snapshot(std::size_t rows = 8) {
  proto::DataSnapshot s;
  for (std::size_t i = 0; i < rows; ++i) {
    s.rows.push_back({{"id", static_cast<std::int64_t>(i + 1)},
                      {"email", "person" + std::to_string(i) + "@example.com"},
                      {"amount", 10.5 * static_cast<double>(i)}});
  }
  s.columns = {
      {"id", "integer", 0, static_cast<std::int64_t>(rows), "1", std::to_string(rows), std::nullopt},
      {"email", "string", 0, static_cast<std::int64_t>(rows), std::nullopt, std::nullopt, std::nullopt},
      {"amount", "float", 0, static_cast<std::int64_t>(rows), "0", "99", std::nullopt}};
  for (const auto& c : s.columns) s.schema[c.name] = c.type;
  s.file_format = proto::FileFormat::csv;
  s.total_rows = 1000;
  s.sample_size = static_cast<std::int64_t>(rows);
  s.source = {"/home/someone/private/sales.csv", 123456, "utf-8", "','-delimited, header row"};
  return s;
}

privacy::SanitizedSnapshot sanitized(std::size_t rows = 8) {
  privacy::Vault vault;
  return privacy::Sanitizer{}.sanitize(raw_snapshot(rows), vault);
}

// A planner wired to fakes, recording what it announces and sends.
struct Rig {
  std::shared_ptr<test::FakeClock> clock = std::make_shared<test::FakeClock>();
  std::shared_ptr<test::ScriptedTransport> http = std::make_shared<test::ScriptedTransport>(clock);
  GeminiConfig config;
  std::string key = kKey;
  double jitter = 0.5;
  std::vector<WaitNotice> waits;
  std::vector<std::string> sent_bodies;
  std::stop_source stop;
  PlanningContext context;
  PlannerEvents events;
  std::unique_ptr<GeminiPlanner> planner;

  Rig() {
    config.max_retries = 3;
    context.input_name = "sales.csv";
    context.stop = stop.get_token();
    events.on_wait = [this](const WaitNotice& n) { waits.push_back(n); };
    events.on_sent = [this](std::string_view method, std::string_view body) {
      CHECK(method == "generateContent");
      sent_bodies.emplace_back(body);
    };
  }
  GeminiPlanner& make() {
    planner = std::make_unique<GeminiPlanner>(
        config, http, [this] { return std::string_view(key); }, nullptr, clock, [this] { return jitter; });
    return *planner;
  }
  void ready() { http->push(200, replies::model()); }
  std::vector<std::string> posts() const {
    std::vector<std::string> out;
    for (const auto& s : http->sent) {
      if (s.request.method == "POST") out.push_back(s.request.body);
    }
    return out;
  }
};

template <class Fn>
RpcError expect_error(Fn&& fn) {
  try {
    fn();
  } catch (const RpcError& e) {
    return e;
  }
  FAIL("no RpcError was thrown");
  throw std::logic_error("unreachable");
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

TEST_CASE("analyze checks the key and model once, then asks generateContent with the analysis schema",
          "[planner][gemini]") {
  Rig rig;
  rig.ready();
  rig.http->push(200, replies::answer(replies::analysis_json()));
  rig.http->push(200, replies::answer(replies::analysis_json()));
  auto& planner = rig.make();
  const auto snap = sanitized();
  const auto analysis = planner.analyze(snap, rig.context, rig.events);
  planner.analyze(snap, rig.context, rig.events);

  CHECK(analysis.estimated_complexity == proto::Complexity::medium);
  CHECK(analysis.sensitive_data_detected);
  CHECK(analysis.recommended_security_level == proto::SecurityLevel::caution);
  CHECK(analysis.column_insights.at("amount") == "a few negative values");

  REQUIRE(rig.http->sent.size() == 3);  // one GET for both calls
  const auto& get = rig.http->sent[0].request;
  CHECK(get.method == "GET");
  CHECK(get.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash");
  const auto& post = rig.http->sent[1].request;
  CHECK(post.url ==
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash:generateContent");
  for (const auto& s : rig.http->sent) {
    CHECK(std::count(s.request.headers.begin(), s.request.headers.end(),
                     std::pair<std::string, std::string>{"x-goog-api-key", kKey}) == 1);
  }
  // on_sent saw exactly the bytes that went out.
  CHECK(rig.sent_bodies == rig.posts());

  const auto body = json::parse(post.body).as_object();
  CHECK(body.at("systemInstruction").at("parts").at(0).at("text").as_string().size() > 100);
  CHECK(body.at("contents").at(0).at("role") == "user");
  const auto& generation = body.at("generationConfig").as_object();
  CHECK(generation.at("responseMimeType") == "application/json");
  CHECK(generation.at("maxOutputTokens") == 8192);
  CHECK(!generation.contains("temperature"));  // unset: the model's default
  CHECK(generation.at("responseSchema") == json::value(gemini::analysis_schema()));
  const auto prompt = std::string(body.at("contents").at(0).at("parts").at(0).at("text").as_string());
  // Only masked values and no host path leave the machine.
  CHECK(!contains(post.body, "@example.com"));
  CHECK(contains(prompt, "<EMAIL_1>"));
  CHECK(!contains(post.body, "/home/someone"));
  CHECK(contains(prompt, "/data/input/sales.csv"));
  CHECK(rig.waits.empty());
}

TEST_CASE("next_script proposes a script with a deterministic id, and done ends the work",
          "[planner][gemini]") {
  Rig rig;
  rig.ready();
  const std::string code = "import pandas as pd\nprint('ok')\n";
  rig.http->push(200, replies::answer(replies::script_json(code)));
  rig.http->push(200, replies::answer(replies::script_json(code)));
  rig.http->push(200, replies::answer(replies::done_json()));
  auto& planner = rig.make();
  const auto snap = sanitized();
  proto::DataAnalysis analysis;
  analysis.suggested_operations = {"drop duplicate rows"};

  const auto script = planner.next_script(snap, analysis, rig.context, rig.events);
  REQUIRE(script);
  CHECK(script->content == code);
  CHECK(script->description == "Removes duplicate rows.");
  CHECK(script->output_files == std::vector<std::string>{"/data/work/dedup.csv"});
  CHECK(script->validation_status == proto::ValidationStatus::pending);
  CHECK(script->script_id.starts_with("step_01_"));
  CHECK(planner.next_script(snap, analysis, rig.context, rig.events)->script_id == script->script_id);
  CHECK(gemini::script_id(1, code + " ") != script->script_id);

  StepRecord done_step{*script, Decision::approved, std::nullopt, proto::ExecutionResult{}};
  rig.context.steps.push_back(done_step);
  CHECK_FALSE(planner.next_script(snap, analysis, rig.context, rig.events).has_value());

  const auto posts = rig.posts();
  REQUIRE(posts.size() == 3);
  const auto body = json::parse(posts[0]);
  CHECK(body.at("generationConfig").at("responseSchema") == json::value(gemini::step_schema()));
  const auto prompt = std::string(body.at("contents").at(0).at("parts").at(0).at("text").as_string());
  // The sandbox contract, stated for the model.
  for (const auto* rule : {"/data/input/sales.csv", "/data/work", "/data/output", "no network", "not root",
                           "numpy, pandas and matplotlib", "Agg", "required_packages", "Debian package name",
                           "4 GB of memory and 2 CPUs", "chunks", "does not read Python",
                           "never hard-code a value", "drop duplicate rows"}) {
    INFO(rule);
    CHECK(contains(prompt, rule));
  }
  CHECK(contains(posts[2], "Propose step 2"));
  CHECK(contains(posts[2], "### Step 1 (step_01_"));
}

TEST_CASE("revise says why: the validator's findings, or the user's reason for the denial",
          "[planner][gemini]") {
  Rig rig;
  rig.ready();
  rig.http->push(200, replies::answer(replies::revised_script_json("print('fixed')\n")));
  rig.http->push(200, replies::answer(replies::revised_script_json("print('as asked')\n")));
  auto& planner = rig.make();
  const auto snap = sanitized();
  proto::ProcessingScript original;
  original.content = "import socket\n";
  original.script_id = "step_01_00000000";

  Revision validation;
  validation.validation = proto::ValidationResult{};
  validation.validation->syntax_errors = {"line 3: invalid syntax"};
  validation.validation->security_warnings = {"imports socket: network access"};
  const auto fixed = planner.revise(snap, original, validation, rig.context, rig.events);
  CHECK(fixed.content == "print('fixed')\n");
  CHECK(fixed.script_id == gemini::script_id(1, fixed.content));

  Revision denial;
  denial.deny_reason = "keep the rows with an empty amount, mark them instead";
  const auto redone = planner.revise(snap, original, denial, rig.context, rig.events);
  CHECK(redone.content == "print('as asked')\n");

  const auto posts = rig.posts();
  REQUIRE(posts.size() == 2);
  CHECK(json::parse(posts[0]).at("generationConfig").at("responseSchema") ==
        json::value(gemini::script_schema()));
  CHECK(contains(posts[0], "line 3: invalid syntax"));
  CHECK(contains(posts[0], "imports socket: network access"));
  CHECK(contains(posts[0], "import socket"));
  CHECK(contains(posts[1], "keep the rows with an empty amount, mark them instead"));
  CHECK(!contains(posts[1], "line 3: invalid syntax"));
  CHECK_THROWS_AS(planner.revise(snap, original, Revision{}, rig.context, rig.events), RpcError);
}

TEST_CASE("a key Google refuses is InvalidAPIKey saying where to get one and how to set it",
          "[planner][gemini]") {
  for (const int status : {400, 401, 403}) {
    Rig rig;
    json::array details;
    if (status == 400) details.push_back(replies::error_info("API_KEY_INVALID"));
    rig.http->push(status, replies::error(status, "INVALID_ARGUMENT", "API key not valid.", details));
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    INFO(status << ": " << e.what());
    CHECK(e.code() == ErrorCode::InvalidAPIKey);
    CHECK(contains(e.what(), "https://aistudio.google.com/app/apikey"));
    CHECK(contains(e.what(), "gdp key set"));
    CHECK(contains(e.what(), "GEMINI_API_KEY"));
    CHECK(contains(e.what(), "API key not valid."));
    CHECK(rig.http->sent.size() == 1);  // no data went out
    CHECK(rig.sent_bodies.empty());
  }
}

TEST_CASE("a key of the wrong shape is InvalidAPIKey before any request", "[planner][gemini]") {
  for (const std::string& bad :
       std::vector<std::string>{"", "AIzaTooShort", "AIzaCANARY-canary_0123456789-CANARY-xy\n",
                                "sk-proj-abcdef", "AIzaCANARY canary_0123456789-CANARY-xyz"}) {
    Rig rig;
    rig.key = bad;
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    INFO(e.what());
    CHECK(e.code() == ErrorCode::InvalidAPIKey);
    CHECK(contains(e.what(), "aistudio.google.com/app/apikey"));
    CHECK(rig.http->sent.empty());
  }
  CHECK_FALSE(check_key_format(kKey));
  CHECK_FALSE(check_key_format("AQ.Ab8RN6KwzX1-abcdefghij_klmnop"));
  CHECK(check_key_format("AQ.x"));
}

TEST_CASE("an unknown model is ScriptGeneration (reason model_not_found) naming it and how to list models",
          "[planner][gemini]") {
  Rig rig;
  rig.config.model = "gemini-9-ultra";
  rig.http->push(
      404, replies::error(404, "NOT_FOUND", "models/gemini-9-ultra is not found for API version v1beta"));
  auto& planner = rig.make();
  const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
  CHECK(e.code() == ErrorCode::ScriptGeneration);
  CHECK(e.data().at("reason") == "model_not_found");
  CHECK(e.data().at("model") == "gemini-9-ultra");
  CHECK(contains(e.what(), "\"gemini-9-ultra\""));
  CHECK(contains(e.what(), "/v1beta/models"));
  CHECK(contains(e.what(), "gemini.model"));
  CHECK(rig.http->sent.size() == 1);
  CHECK(rig.http->sent[0].request.url.ends_with("/v1beta/models/gemini-9-ultra"));
}

TEST_CASE("the model check: a model that cannot generate text is refused, a small output limit is respected",
          "[planner][gemini]") {
  SECTION("an embedding model") {
    Rig rig;
    rig.config.model = "text-embedding-004";
    rig.http->push(
        200, R"({"name": "models/text-embedding-004", "supportedGenerationMethods": ["embedContent"]})");
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    CHECK(e.code() == ErrorCode::ScriptGeneration);
    CHECK(contains(e.what(), "text-embedding-004"));
    CHECK(rig.http->sent.size() == 1);
  }
  SECTION("outputTokenLimit below max_output_tokens") {
    Rig rig;
    rig.http->push(200, R"({"name": "models/gemini-3.5-flash", "outputTokenLimit": 2048,
                            "supportedGenerationMethods": ["generateContent"]})");
    rig.http->push(200, replies::answer(replies::analysis_json()));
    rig.make().analyze(sanitized(), rig.context, rig.events);
    CHECK(json::parse(rig.posts().at(0)).at("generationConfig").at("maxOutputTokens") == 2048);
  }
  SECTION("a model id that would change the URL is refused before any request") {
    Rig rig;
    rig.config.model = "../tunedModels/x?alt=1";
    auto& planner = rig.make();
    CHECK(expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); }).code() ==
          ErrorCode::ScriptGeneration);
    CHECK(rig.http->sent.empty());
  }
}

TEST_CASE("429 with RetryInfo waits at least the server's delay, announced, then succeeds",
          "[planner][gemini]") {
  Rig rig;
  rig.jitter = 0.0;  // the drawn backoff is 0, so any wait comes from RetryInfo
  rig.ready();
  rig.http->push(
      429, replies::error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota",
                          {replies::quota_failure("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"),
                           replies::retry_info("7.25s")}));
  rig.http->push(200, replies::answer(replies::analysis_json()));
  auto& planner = rig.make();
  planner.analyze(sanitized(), rig.context, rig.events);
  REQUIRE(rig.http->sent.size() == 3);
  CHECK(rig.http->sent[2].at - rig.http->sent[1].at >= milliseconds(7250));
  REQUIRE(rig.waits.size() == 1);
  CHECK(rig.waits[0].delay == milliseconds(7250));
  CHECK(rig.waits[0].reason == "HTTP 429 RESOURCE_EXHAUSTED; retry 1 of 3");
  CHECK(rig.clock->sleeps == std::vector<milliseconds>{milliseconds(7250)});
}

TEST_CASE("the requests-per-minute window delays a send, and says so", "[planner][gemini]") {
  Rig rig;
  rig.config.requests_per_minute = 2;
  rig.ready();
  rig.http->push(200, replies::answer(replies::analysis_json()));
  rig.http->push(200, replies::answer(replies::analysis_json()));
  auto& planner = rig.make();
  planner.analyze(sanitized(), rig.context, rig.events);  // the GET and this POST fill the minute
  CHECK(rig.waits.empty());
  planner.analyze(sanitized(), rig.context, rig.events);
  REQUIRE(rig.waits.size() == 1);
  CHECK(rig.waits[0].reason == "rate limit: 2 requests per minute");
  CHECK(rig.waits[0].delay == milliseconds(60'000));
  CHECK(rig.http->sent[2].at - rig.http->sent[0].at == std::chrono::seconds(60));
}

TEST_CASE("planners sharing a window share the limit", "[planner][gemini]") {
  Rig rig;
  auto window = std::make_shared<RequestWindow>(3);
  auto make = [&] {
    return std::make_unique<GeminiPlanner>(
        rig.config, rig.http, [] { return test::kCanaryKey; }, window, rig.clock, [] { return 0.5; });
  };
  auto first = make();
  auto second = make();
  for (int i = 0; i < 2; ++i) {
    rig.ready();
    rig.http->push(200, replies::answer(replies::analysis_json()));
  }
  first->analyze(sanitized(), rig.context, rig.events);   // sends 1 and 2
  second->analyze(sanitized(), rig.context, rig.events);  // send 3, then send 4 waits for send 1's minute
  REQUIRE(rig.http->sent.size() == 4);
  CHECK(rig.http->sent[3].at - rig.http->sent[0].at == std::chrono::seconds(60));
  CHECK(rig.waits.size() == 1);
}

TEST_CASE("a per-day quota is APIQuotaExceeded at once, without waiting", "[planner][gemini]") {
  Rig rig;
  rig.ready();
  rig.http->push(429,
                 replies::error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota",
                                {replies::quota_failure("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
                                 replies::retry_info("30s")}));
  auto& planner = rig.make();
  const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
  CHECK(e.code() == ErrorCode::APIQuotaExceeded);
  CHECK(contains(e.what(), "midnight Pacific"));
  CHECK(rig.waits.empty());
  CHECK(rig.clock->sleeps.empty());
  CHECK(rig.http->sent.size() == 2);
}

TEST_CASE("503s back off exponentially with full jitter, then succeed, and too many end in Network",
          "[planner][gemini]") {
  const auto overloaded =
      replies::error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
  SECTION("three 503s, then an answer") {
    Rig rig;
    rig.jitter = 0.75;
    rig.ready();
    for (int i = 0; i < 3; ++i) rig.http->push(503, overloaded);
    rig.http->push(200, replies::answer(replies::analysis_json()));
    rig.make().analyze(sanitized(), rig.context, rig.events);
    REQUIRE(rig.waits.size() == 3);
    // 0.75 of 1 s, 2 s, 4 s.
    CHECK(rig.waits[0].delay == milliseconds(750));
    CHECK(rig.waits[1].delay == milliseconds(1500));
    CHECK(rig.waits[2].delay == milliseconds(3000));
    CHECK(contains(rig.waits[2].reason, "503"));
    CHECK(contains(rig.waits[2].reason, "retry 3 of 3"));
    CHECK(rig.http->sent.size() == 5);
  }
  SECTION("the cap holds") {
    Rig rig;
    rig.jitter = 0.999;
    rig.config.max_retries = 8;
    rig.config.backoff = {milliseconds(1000), milliseconds(5000)};
    rig.ready();
    for (int i = 0; i < 6; ++i) rig.http->push(503, overloaded);
    rig.http->push(200, replies::answer(replies::analysis_json()));
    rig.make().analyze(sanitized(), rig.context, rig.events);
    std::vector<milliseconds> delays;
    for (const auto& w : rig.waits) delays.push_back(w.delay);
    CHECK(delays == std::vector<milliseconds>{milliseconds(999), milliseconds(1998), milliseconds(3996),
                                              milliseconds(4995), milliseconds(4995), milliseconds(4995)});
  }
  SECTION("exhausted") {
    Rig rig;
    rig.ready();
    for (int i = 0; i < 4; ++i) rig.http->push(503, overloaded);
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    CHECK(e.code() == ErrorCode::Network);
    CHECK(contains(e.what(), "3 retries"));
    CHECK(contains(e.what(), "overloaded"));
    CHECK(rig.http->sent.size() == 5);
    CHECK(rig.http->pending() == 0);
  }
  SECTION("429 exhausted is RateLimit") {
    Rig rig;
    rig.ready();
    for (int i = 0; i < 4; ++i) rig.http->push(429, replies::error(429, "RESOURCE_EXHAUSTED", "slow down"));
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    CHECK(e.code() == ErrorCode::RateLimit);
    CHECK(contains(e.what(), "gemini.requests_per_minute"));
  }
  SECTION("a 400 for a bad request is not retried") {
    Rig rig;
    rig.ready();
    rig.http->push(400, replies::error(400, "INVALID_ARGUMENT", "Invalid JSON payload received."));
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    CHECK(e.code() == ErrorCode::ScriptGeneration);
    CHECK(contains(e.what(), "Invalid JSON payload received."));
    CHECK(rig.waits.empty());
  }
}

TEST_CASE("a network failure thrown by the transport is retried", "[planner][gemini]") {
  Rig rig;
  rig.http->push_network_error("connect to generativelanguage.googleapis.com:443: Connection refused");
  rig.ready();
  rig.http->push_network_error("TLS handshake: unexpected EOF");
  rig.http->push(200, replies::answer(replies::analysis_json()));
  rig.make().analyze(sanitized(), rig.context, rig.events);
  CHECK(rig.http->sent.size() == 4);
  REQUIRE(rig.waits.size() == 2);
  CHECK(contains(rig.waits[0].reason, "Connection refused"));
  CHECK(contains(rig.waits[1].reason, "retry 1 of 3"));  // the count starts again for each request
}

TEST_CASE("an unusable answer gets one repair request saying what was wrong", "[planner][gemini]") {
  SECTION("MAX_TOKENS with no parts, then an answer") {
    Rig rig;
    rig.ready();
    rig.http->push(200, replies::answer("", "MAX_TOKENS"));
    rig.http->push(200, replies::answer(replies::analysis_json()));
    rig.make().analyze(sanitized(), rig.context, rig.events);
    const auto posts = rig.posts();
    REQUIRE(posts.size() == 2);
    CHECK(contains(posts[1], "could not be used"));
    CHECK(contains(posts[1], "output token limit"));
    CHECK(!contains(posts[0], "could not be used"));
    CHECK(rig.sent_bodies == posts);
  }
  SECTION("MAX_TOKENS twice") {
    Rig rig;
    rig.ready();
    rig.http->push(200, replies::answer("{\"data_quality_issues\": [\"trunc", "MAX_TOKENS"));
    rig.http->push(200, replies::answer("", "MAX_TOKENS"));
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    CHECK(e.code() == ErrorCode::ScriptGeneration);
    CHECK(contains(e.what(), "output token limit"));
    CHECK(rig.posts().size() == 2);
    CHECK(contains(rig.posts()[1], "\\\"data_quality_issues\\\": [\\\"trunc"));  // the partial answer, quoted
  }
  SECTION("blocked twice") {
    Rig rig;
    rig.ready();
    rig.http->push(200, R"({"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []}})");
    rig.http->push(200, replies::answer("", "SAFETY"));
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    CHECK(e.code() == ErrorCode::ScriptGeneration);
    CHECK(contains(e.what(), "SAFETY"));
    CHECK(contains(rig.posts()[1], "blocked the request"));
  }
  SECTION("malformed JSON, then an answer") {
    Rig rig;
    rig.ready();
    rig.http->push(200, replies::answer("Sure! Here is the analysis: {oops"));
    rig.http->push(200, replies::answer(replies::analysis_json()));
    const auto analysis = rig.make().analyze(sanitized(), rig.context, rig.events);
    CHECK(analysis.estimated_complexity == proto::Complexity::medium);
    CHECK(contains(rig.posts()[1], "not valid JSON"));
    CHECK(contains(rig.posts()[1], "Here is the analysis"));
  }
  SECTION("an answer outside the schema names the field") {
    Rig rig;
    rig.ready();
    auto bad = json::parse(replies::analysis_json()).as_object();
    bad["estimated_complexity"] = "extreme";
    rig.http->push(200, replies::answer(json::serialize(bad)));
    rig.http->push(200, replies::answer(replies::analysis_json()));
    rig.make().analyze(sanitized(), rig.context, rig.events);
    CHECK(contains(rig.posts()[1], "estimated_complexity"));
  }
  SECTION("a step that is not done but has no script") {
    Rig rig;
    rig.ready();
    rig.http->push(200, replies::answer(R"({"done": false})"));
    rig.http->push(200, replies::answer(R"({"done": false, "script": null})"));
    auto& planner = rig.make();
    const auto e = expect_error(
        [&] { planner.next_script(sanitized(), proto::DataAnalysis{}, rig.context, rig.events); });
    CHECK(e.code() == ErrorCode::ScriptGeneration);
    CHECK(contains(e.what(), "no script"));
  }
}

TEST_CASE("a stop requested during a wait ends the call at once, sending nothing more", "[planner][gemini]") {
  SECTION("fake clock") {
    Rig rig;
    rig.ready();
    rig.http->push(503, replies::error(503, "UNAVAILABLE", "overloaded"));
    rig.clock->on_sleep = [&](milliseconds) { rig.stop.request_stop(); };
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    CHECK(e.code() == ErrorCode::InvalidState);
    CHECK(contains(e.what(), "cancelled"));
    CHECK(rig.http->sent.size() == 2);
    CHECK(rig.waits.size() == 1);
  }
  SECTION("the real clock: an hour's RetryInfo is cut short") {
    auto http = std::make_shared<test::ScriptedTransport>(std::make_shared<SystemClock>());
    http->push(200, replies::model());
    http->push(429, replies::error(429, "RESOURCE_EXHAUSTED", "quota", {replies::retry_info("3600s")}));
    GeminiConfig config;
    GeminiPlanner planner(config, http, [] { return std::string_view(kKey); });
    std::stop_source stop;
    PlanningContext context;
    context.input_name = "sales.csv";
    context.stop = stop.get_token();
    std::jthread canceller;
    PlannerEvents events;
    events.on_wait = [&](const WaitNotice& n) {
      CHECK(n.delay >= milliseconds(3'600'000));
      canceller = std::jthread([&] {
        std::this_thread::sleep_for(milliseconds(20));
        stop.request_stop();
      });
    };
    // Without the stop this would wait an hour (and ctest's timeout would fail it).
    const auto e = expect_error([&] { planner.analyze(sanitized(), context, events); });
    CHECK(e.code() == ErrorCode::InvalidState);
    CHECK(http->sent.size() == 2);
  }
}

TEST_CASE("the key appears only in its header: never in a URL, a body, a notice or an error",
          "[planner][gemini]") {
  // Every fault, with a server and a network that echo the key back, to see it redacted.
  const auto echo = "API key not valid: " + kKey;
  std::vector<std::function<void(Rig&)>> faults = {
      [&](Rig& r) {
        r.http->push(400,
                     replies::error(400, "INVALID_ARGUMENT", echo, {replies::error_info("API_KEY_INVALID")}));
      },
      [&](Rig& r) { r.http->push(401, replies::error(401, "UNAUTHENTICATED", echo)); },
      [&](Rig& r) { r.http->push(403, "<html><body>Forbidden for " + kKey + "</body></html>"); },
      [&](Rig& r) { r.http->push(404, replies::error(404, "NOT_FOUND", echo)); },
      [&](Rig& r) {
        r.ready();
        r.http->push(
            429, replies::error(429, "RESOURCE_EXHAUSTED", echo, {replies::quota_failure("RequestsPerDay")}));
      },
      [&](Rig& r) {
        r.ready();
        for (int i = 0; i < 4; ++i) r.http->push(429, replies::error(429, "RESOURCE_EXHAUSTED", echo));
      },
      [&](Rig& r) {
        r.ready();
        for (int i = 0; i < 4; ++i) r.http->push(503, replies::error(503, "UNAVAILABLE", echo));
      },
      [&](Rig& r) {
        for (int i = 0; i < 4; ++i) r.http->push_network_error("GET https://x/?key=" + kKey + ": refused");
      },
      [&](Rig& r) {
        r.ready();
        r.http->push(400, replies::error(400, "INVALID_ARGUMENT", echo));
      },
      [&](Rig& r) {
        r.ready();
        r.http->push(200, replies::answer("not json " + kKey));
        r.http->push(200, replies::answer("still not json " + kKey));
      },
      [&](Rig& r) {
        r.ready();
        r.config.max_context_size = 100;
      },
  };
  for (std::size_t i = 0; i < faults.size(); ++i) {
    Rig rig;
    faults[i](rig);
    auto& planner = rig.make();
    const auto e = expect_error([&] { planner.analyze(sanitized(), rig.context, rig.events); });
    INFO("fault " << i << ": " << e.what());
    CHECK(!contains(e.what(), kKey));
    CHECK(!contains(json::serialize(encode_error(e)), kKey));
    for (const auto& w : rig.waits) CHECK(!contains(w.reason, kKey));
    for (const auto& b : rig.sent_bodies) CHECK(!contains(b, kKey));
    for (const auto& s : rig.http->sent) {
      CHECK(!contains(s.request.url, kKey));
      CHECK(!contains(s.request.body, kKey));
    }
  }
}

// ---- the context builder ----

PlanningContext context_with_steps(std::size_t steps, std::size_t stream_chars) {
  PlanningContext c;
  c.input_name = "sales.csv";
  c.project_notes = "NOTES_MARK: the amount column is in cents.";
  for (std::size_t i = 1; i <= steps; ++i) {
    StepRecord s;
    s.script.script_id = "step_0" + std::to_string(i) + "_deadbeef";
    s.script.description = "step " + std::to_string(i);
    s.script.content = "print('SCRIPT_" + std::to_string(i) + "')\n";
    proto::ExecutionResult r;
    r.success = true;
    r.exit_code = 0;
    r.output_data = "STDOUT_" + std::to_string(i) + std::string(stream_chars, 'o');
    r.logs = "STDERR_" + std::to_string(i);
    r.output_files = {"/data/work/out" + std::to_string(i) + ".csv"};
    s.result = r;
    c.steps.push_back(s);
  }
  return c;
}

std::size_t rows_in(const std::string& text) {
  std::size_t n = 0;
  for (auto pos = text.find("{\"id\":"); pos != std::string::npos; pos = text.find("{\"id\":", pos + 1)) ++n;
  return n;
}

TEST_CASE("the context holds the snapshot, the steps and the notes, with personal data masked",
          "[planner][gemini][context]") {
  auto context = context_with_steps(2, 10);
  context.steps[1].decision = Decision::denied;
  context.steps[1].deny_reason = "do not drop rows";
  context.steps[1].result.reset();
  context.steps[0].result->output_data = "first row: ada@example.com";
  const auto snap = sanitized(8);
  const auto built = gemini::build_context(snap.snapshot(), context, {1'000'000});
  CHECK(built.trimmed.empty());
  for (const auto* part : {"/data/input/sales.csv", "`email` (string)", "email, 8 values masked",
                           "Records in the whole file: 1000", "taken at random", "SCRIPT_1", "SCRIPT_2",
                           "exit code 0", "/data/work/out1.csv", "denied", "do not drop rows", "NOTES_MARK",
                           "<EMAIL_1>", "first row: <EMAIL>"}) {
    INFO(part);
    CHECK(contains(built.text, part));
  }
  CHECK(rows_in(built.text) == 8);
  CHECK(!contains(built.text, "ada@example.com"));
  CHECK(!contains(built.text, "/home/someone"));
}

TEST_CASE("the context is trimmed in the documented order and never over budget",
          "[planner][gemini][context]") {
  const auto snap = sanitized(40);
  const auto context = context_with_steps(3, 3000);
  gemini::ContextLimits limits{1'000'000};
  const auto full = gemini::build_context(snap.snapshot(), context, limits);
  REQUIRE(full.trimmed.empty());

  // One character short: only the oldest step's outputs go.
  limits.budget = full.text.size() - 1;
  auto built = gemini::build_context(snap.snapshot(), context, limits);
  CHECK(built.trimmed == std::vector<std::string>{"the outputs of steps 1 to 1"});
  CHECK(!contains(built.text, "STDOUT_1"));
  CHECK(contains(built.text, "STDOUT_2"));
  CHECK(contains(built.text, "SCRIPT_1"));

  // Every budget down to nothing: within it, or ContextTooLarge, and the trimming goes in order.
  bool threw = false;
  for (std::size_t budget = full.text.size(); budget > 0; budget -= std::min<std::size_t>(budget, 97)) {
    limits.budget = budget;
    try {
      built = gemini::build_context(snap.snapshot(), context, limits);
    } catch (const RpcError& e) {
      CHECK(e.code() == ErrorCode::ContextTooLarge);
      threw = true;
      continue;
    }
    INFO("budget " << budget);
    REQUIRE_FALSE(threw);  // once the minimum does not fit, no smaller budget does
    const auto& t = built.text;
    CHECK(t.size() <= budget);
    for (int i = 1; i <= 3; ++i) {
      const auto n = std::to_string(i);
      if (!contains(t, "STDOUT_" + n)) {  // outputs go oldest first
        for (int j = 1; j < i; ++j) CHECK(!contains(t, "STDOUT_" + std::to_string(j)));
      }
      if (!contains(t, "SCRIPT_" + n)) {  // steps go after all outputs, oldest first
        for (int j = 1; j <= 3; ++j) CHECK(!contains(t, "STDOUT_" + std::to_string(j)));
        for (int j = 1; j < i; ++j) CHECK(!contains(t, "SCRIPT_" + std::to_string(j)));
      }
    }
    if (rows_in(t) < 40) CHECK(!contains(t, "SCRIPT_3"));  // rows after all steps
    CHECK(rows_in(t) >= 5);
    if (!contains(t, "NOTES_MARK")) CHECK(rows_in(t) == 5);  // notes last
  }
  CHECK(threw);
}

TEST_CASE("ContextTooLarge only when the minimum does not fit", "[planner][gemini][context]") {
  const auto snap = sanitized(40);
  const auto context = context_with_steps(3, 500);
  // The smallest budget that works holds the minimum exactly: columns, 5 rows, nothing else.
  std::size_t lo = 0, hi = 1'000'000;
  while (lo < hi) {
    const auto mid = (lo + hi) / 2;
    try {
      gemini::build_context(snap.snapshot(), context, {mid});
      hi = mid;
    } catch (const RpcError& e) {
      REQUIRE(e.code() == ErrorCode::ContextTooLarge);
      lo = mid + 1;
    }
  }
  const auto minimum = gemini::build_context(snap.snapshot(), context, {lo});
  CHECK(minimum.text.size() == lo);
  CHECK(rows_in(minimum.text) == 5);
  CHECK(!contains(minimum.text, "SCRIPT_"));
  CHECK(!contains(minimum.text, "NOTES_MARK"));
  CHECK(contains(minimum.text, "`amount` (float)"));
  const auto e = expect_error([&] { gemini::build_context(snap.snapshot(), context, {lo - 1}); });
  CHECK(e.code() == ErrorCode::ContextTooLarge);
  CHECK(contains(e.what(), "gemini.max_context_size"));
  // A snapshot with fewer rows than the minimum keeps them all.
  const auto small = sanitized(3);
  CHECK(rows_in(gemini::build_context(small.snapshot(), PlanningContext{}, {100'000}).text) == 3);
}

TEST_CASE("a planner whose budget cannot hold the minimum says ContextTooLarge and sends nothing",
          "[planner][gemini][context]") {
  Rig rig;
  rig.ready();
  // Room for the fixed text and the repair reserve, and a little more: not enough for the data.
  rig.config.max_context_size =
      gemini::prompts().system.size() + gemini::prompts().analysis.size() + 2500 + 200;
  auto& planner = rig.make();
  const auto e = expect_error([&] { planner.analyze(sanitized(40), rig.context, rig.events); });
  CHECK(e.code() == ErrorCode::ContextTooLarge);
  CHECK(rig.posts().empty());
}

// ---- the parts ----

TEST_CASE("prompts render every placeholder, and values are not expanded again", "[planner][gemini]") {
  CHECK(gemini::render("a {{x}} b {{y}}", {{"x", "{{y}}"}, {"y", "2"}}) == "a {{y}} b 2");
  CHECK_THROWS_AS(gemini::render("{{missing}}", {}), std::logic_error);
  const auto& p = gemini::prompts();
  for (const auto text : {p.system, p.analysis, p.script, p.revise_validation, p.revise_denial, p.repair}) {
    CHECK(text.size() > 50);
    const auto rendered = gemini::render(text, {{"context", "C"},
                                                {"analysis", "A"},
                                                {"input_name", "in.csv"},
                                                {"step_number", "1"},
                                                {"problems", "P"},
                                                {"script", "S"},
                                                {"reason", "R"},
                                                {"problem", "X"},
                                                {"previous_answer", "Y"}});
    CHECK(!contains(rendered, "{{"));
  }
}

TEST_CASE("Google's error bodies: RetryInfo, QuotaFailure, ErrorInfo, the array wrapper, HTML",
          "[planner][gemini]") {
  const auto body =
      replies::error(429, "RESOURCE_EXHAUSTED", "quota",
                     {replies::quota_failure("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
                      replies::retry_info("1.203608125s"), replies::error_info("RATE_LIMIT_EXCEEDED")});
  const auto e = gemini::parse_error(429, "[" + body + "]");
  CHECK(e.status == "RESOURCE_EXHAUSTED");
  CHECK(e.retry_delay == milliseconds(1204));
  CHECK(e.per_day_quota());
  CHECK(e.reasons == std::vector<std::string>{"RATE_LIMIT_EXCEEDED"});
  const auto html = gemini::parse_error(403, "<html>Forbidden</html>");
  CHECK(html.message == "<html>Forbidden</html>");
  CHECK_FALSE(html.per_day_quota());
  CHECK(gemini::parse_duration("37s") == milliseconds(37000));
  CHECK(gemini::parse_duration("0.0001s") == milliseconds(1));
  CHECK_FALSE(gemini::parse_duration("37"));
  CHECK_FALSE(gemini::parse_duration("-1s"));
  CHECK_FALSE(gemini::parse_duration("abcs"));
}

TEST_CASE("answers: thoughts are skipped, parts joined, Markdown fences tolerated", "[planner][gemini]") {
  const auto body = R"({"candidates": [{"content": {"parts": [{"text": "thinking...", "thought": true},
      {"text": "```json\n{\"done\": "}, {"text": "true}\n```"}]}, "finishReason": "STOP"}]})";
  const auto text = gemini::answer_text(body);
  CHECK(text == "```json\n{\"done\": true}\n```");
  CHECK_FALSE(gemini::decode_step(text).has_value());
  CHECK_THROWS_AS(gemini::answer_text(R"({"candidates": []})"), gemini::AnswerProblem);
  CHECK_THROWS_AS(gemini::answer_text("<html>"), gemini::AnswerProblem);
}

TEST_CASE("the request window and the backoff", "[planner][gemini]") {
  RequestWindow window(3);
  const Clock::time_point t0{};
  CHECK(window.reserve(t0) == t0);
  CHECK(window.reserve(t0) == t0);
  CHECK(window.reserve(t0 + std::chrono::seconds(10)) == t0 + std::chrono::seconds(10));
  CHECK(window.reserve(t0 + std::chrono::seconds(20)) == t0 + std::chrono::seconds(60));
  CHECK(window.reserve(t0 + std::chrono::seconds(20)) == t0 + std::chrono::seconds(60));
  CHECK(window.reserve(t0 + std::chrono::seconds(20)) == t0 + std::chrono::seconds(70));
  CHECK_THROWS(RequestWindow(0));

  const BackoffPolicy policy{milliseconds(500), milliseconds(4000)};
  CHECK(backoff_bound(policy, 0) == milliseconds(500));
  CHECK(backoff_bound(policy, 3) == milliseconds(4000));
  CHECK(backoff_bound(policy, 1000) == milliseconds(4000));
  CHECK(backoff_delay(policy, 1, 0.5, std::nullopt) == milliseconds(500));
  CHECK(backoff_delay(policy, 1, 0.5, milliseconds(9000)) == milliseconds(9000));
  CHECK(backoff_delay(policy, 2, 0.9, milliseconds(10)) == milliseconds(1800));
}

}  // namespace
}  // namespace gdp::planner
