// Keeps the C++ types and proto-schema/ in step: every golden example round-trips through its C++
// type unchanged, every method, event and model in the index exists in C++ and the other way
// round, and the error table in the index is exactly the C++ enum. The schema side (examples and
// real daemon replies validated against protocol.schema.json) is tests/contract/check_schema.py.
#include "common/errors.h"
#include "common/jsonrpc.h"
#include "common/protocol.h"
#include "common/wire.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace json = boost::json;
using namespace gdp;

namespace {

const std::filesystem::path kSchemaDir = GDP_SCHEMA_DIR;

json::value load(const std::filesystem::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

template <class T>
void round_trip(const json::value& v) {
  const auto typed = wire::from_json<T>(v);
  CHECK(wire::to_json(typed) == v);
}

// Calls f.template operator()<Entry>() for the tuple entry named `name`; returns false if none.
template <class Tuple, class F>
bool with_entry(std::string_view name, F&& f) {
  return std::apply(
      [&](auto... entries) {
        return (
            (decltype(entries)::name == name ? (f.template operator()<decltype(entries)>(), true) : false) ||
            ...);
      },
      Tuple{});
}

template <class Tuple>
std::set<std::string> names() {
  return std::apply([](auto... e) { return std::set<std::string>{std::string(decltype(e)::name)...}; },
                    Tuple{});
}

std::set<std::string> keys(const json::object& o) {
  std::set<std::string> out;
  for (const auto& kv : o) out.emplace(kv.key());
  return out;
}

}  // namespace

TEST_CASE("index lists exactly the C++ methods, events and models", "[contract]") {
  const auto index = load(kSchemaDir / "index.json").as_object();
  CHECK(index.at("protocol_version") == proto::kProtocolVersion);
  CHECK(keys(index.at("methods").as_object()) == names<proto::AllMethods>());
  CHECK(keys(index.at("events").as_object()) == names<proto::AllEvents>());
  std::set<std::string> models;
  for (const auto& m : index.at("models").as_array()) models.emplace(m.as_string());
  CHECK(models == names<proto::AllModels>());
}

TEST_CASE("index error table is exactly the C++ enum, in order", "[contract]") {
  const auto index = load(kSchemaDir / "index.json").as_object();
  const auto& rows = index.at("errors").as_array();
  const auto errors = all_errors();
  REQUIRE(rows.size() == errors.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO("row " << i);
    CHECK(rows[i].at("code") == static_cast<int>(errors[i].code));
    CHECK(rows[i].at("name").as_string() == errors[i].name);
    CHECK(rows[i].at("kind").as_string() == errors[i].kind);
    CHECK(rows[i].at("area").as_string() == errors[i].area);
  }
}

TEST_CASE("every golden example round-trips through the C++ types", "[contract]") {
  const auto index = load(kSchemaDir / "index.json").as_object();
  int checked = 0;
  for (const auto& entry_value : index.at("examples").as_array()) {
    const auto& entry = entry_value.as_object();
    const std::string file(entry.at("file").as_string());
    INFO(file);
    const auto doc = load(kSchemaDir / file);

    if (const auto* model = entry.if_contains("model")) {
      REQUIRE(with_entry<proto::AllModels>(model->as_string(),
                                           [&]<class M>() { round_trip<typename M::Type>(doc); }));
      ++checked;
      continue;
    }
    // A message: it must parse as JSON-RPC, then its params or result must round-trip.
    auto parsed = rpc::parse_message(json::serialize(doc));
    REQUIRE(parsed.message);
    const std::string kind(entry.at("message").as_string());
    if (kind == "request") {
      REQUIRE(with_entry<proto::AllMethods>(entry.at("method").as_string(), [&]<class M>() {
        round_trip<typename M::Params>(parsed.message->params);
      }));
    } else if (kind == "response") {
      REQUIRE(with_entry<proto::AllMethods>(entry.at("method").as_string(), [&]<class M>() {
        round_trip<typename M::Result>(parsed.message->result);
      }));
    } else if (kind == "event") {
      REQUIRE(parsed.message->kind == rpc::Message::Kind::notification);
      REQUIRE(with_entry<proto::AllEvents>(entry.at("event").as_string(), [&]<class E>() {
        round_trip<typename E::Params>(parsed.message->params);
      }));
    } else if (kind == "error") {
      REQUIRE(parsed.message->error);
      // Decoding and re-encoding the error gives the same object: the one encoder is lossless.
      CHECK(json::value(encode_error(*parsed.message->error)) == doc.at("error"));
      CHECK(error_code_from_int(doc.at("error").at("code").as_int64()).has_value());
    } else {
      FAIL("unknown example kind " << kind);
    }
    ++checked;
  }
  CHECK(checked == static_cast<int>(index.at("examples").as_array().size()));
  CHECK(checked >= 24);
}
