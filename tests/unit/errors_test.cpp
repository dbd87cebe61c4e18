#include "common/errors.h"

#include <catch2/catch.hpp>

#include <set>

using namespace gdp;

TEST_CASE("codes, names and kinds are unique and areas are grouped", "[errors]") {
  std::set<int> codes;
  std::set<std::string_view> names, kinds;
  for (const auto& e : all_errors()) {
    CHECK(codes.insert(static_cast<int>(e.code)).second);
    CHECK(names.insert(e.name).second);
    CHECK(kinds.insert(e.kind).second);
    const int c = static_cast<int>(e.code);
    if (e.area == "jsonrpc") {
      CHECK((c <= -32000 && c >= -32768));
    } else {
      CHECK(c >= 1000);
    }
    CHECK(&error_info(e.code) != nullptr);
    CHECK(error_info(e.code).kind == e.kind);
  }
  const std::set<std::string_view> areas{"jsonrpc", "protocol", "ingest", "privacy",
                                         "sandbox", "llm",      "store",  "session"};
  for (const auto& e : all_errors()) CHECK(areas.count(e.area) == 1);
}

TEST_CASE("the seed's error names are kinds", "[errors]") {
  for (const char* seed_name :
       {"InvalidAPIKeyError", "NetworkError", "RateLimitError", "DataSanitizationError",
        "APIQuotaExceededError", "ScriptGenerationError", "ContextTooLargeError", "DockerNotAvailableError",
        "ResourceLimitError", "ImagePullError", "ScriptExecutionError", "ContainerTimeoutError",
        "ResourceExhaustionError", "PackageInstallationError", "StorageLimitError", "FileSystemError",
        "SessionNotFoundError", "TransactionError"}) {
    bool found = false;
    for (const auto& e : all_errors()) found = found || e.kind == seed_name;
    CHECK(found);
  }
}

TEST_CASE("decode keeps unknown codes and kinds from a newer daemon", "[errors]") {
  auto e = RpcError::decode(
      boost::json::parse(R"({"code":9999,"message":"new","data":{"kind":"FutureError","x":1}})"));
  CHECK(e.code() == ErrorCode::InternalError);
  CHECK(e.raw_code() == 9999);
  CHECK(e.kind() == "FutureError");
  CHECK(e.data().at("x") == 1);
  CHECK(std::string(e.what()) == "new");
  auto garbage = RpcError::decode(boost::json::value(5));
  CHECK(garbage.code() == ErrorCode::InternalError);
}
