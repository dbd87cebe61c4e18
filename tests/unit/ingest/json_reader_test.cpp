// The JSON reader: layout detection, flattening, the three document shapes, JSON Lines, errors,
// the JSONTestSuite corpus, and a property tying the layouts together.
#include "daemon/ingest/json_reader.h"

#include "common/utf8.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

// The CMake target defines this; the hand build from the repository root relies on the fallback.
#ifndef GDP_TEST_DATA
#define GDP_TEST_DATA "tests/data"
#endif

using namespace gdp::ingest;

namespace {

struct OwnedField {
  std::string name;
  std::string value;
  ValueKind kind = ValueKind::text;
  bool operator==(const OwnedField&) const = default;
};

struct OwnedRecord {
  std::vector<OwnedField> fields;
  std::uint64_t offset = 0;
  std::uint64_t line = 0;
  bool operator==(const OwnedRecord&) const = default;
};

// Copies everything out, since the views die with the call.
struct CollectSink : RecordSink {
  std::vector<OwnedRecord> records;
  std::vector<Malformed> malformed_entries;

  void record(const RecordView& record) override {
    OwnedRecord r{{}, record.offset, record.line};
    for (const Field& f : record.fields)
      r.fields.push_back({std::string(f.name), std::string(f.value), f.kind});
    records.push_back(std::move(r));
  }
  void malformed(Malformed problem) override { malformed_entries.push_back(std::move(problem)); }
};

CollectSink scan_doc(std::string_view text, std::size_t max_depth = 64) {
  CollectSink sink;
  scan_json_document(text, detect_json_shape(text, true), sink, max_depth);
  return sink;
}

CollectSink scan_lines(std::string_view text, std::size_t max_depth = 64) {
  CollectSink sink;
  scan_json_lines(text, 0, text.size(), 1, sink, max_depth);
  return sink;
}

OwnedField field(std::string name, std::string value, ValueKind kind) {
  return {std::move(name), std::move(value), kind};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Layout detection

TEST_CASE("detection tells JSON Lines from documents", "[json][detect]") {
  CHECK(detect_json_shape("{\"a\":1}\n{\"a\":2}\n", true).layout == JsonLayout::lines);
  CHECK(detect_json_shape("{\"a\":1}\r\n\r\n[1,2]\r\n\"x\"", true).layout == JsonLayout::lines);
  // One line is a document either way; reading it as one keeps a top-level array's elements apart.
  CHECK(detect_json_shape("[{\"a\":1},{\"a\":2}]\n", true).layout == JsonLayout::document);
  CHECK(detect_json_shape("{\"a\":1}\n\n\n", true).layout == JsonLayout::document);
  // Pretty-printed documents never start with a complete line.
  CHECK(detect_json_shape("[\n  {\"a\": 1},\n  {\"a\": 2}\n]\n", true).layout == JsonLayout::document);
  CHECK(detect_json_shape("{\n\"a\": 1\n}\n", true).layout == JsonLayout::document);
  // A bad first line means it is not JSON Lines; a later bad line is only a malformed line.
  CHECK(detect_json_shape("nope\n{\"a\":1}\n{\"a\":2}\n", true).layout == JsonLayout::document);
  CHECK(detect_json_shape("{\"a\":1}\nnope\n{\"a\":2}\n", true).layout == JsonLayout::lines);
  CHECK(detect_json_shape("", true).layout == JsonLayout::document);
  CHECK(detect_json_shape("\xEF\xBB\xBF{\"a\":1}\n{\"a\":2}\n", true).layout == JsonLayout::lines);
}

TEST_CASE("detection ignores a line cut off by the end of a partial head", "[json][detect]") {
  // Only one complete line: the second could be anything.
  CHECK(detect_json_shape("{\"a\":1}\n{\"a\":", false).layout == JsonLayout::document);
  CHECK(detect_json_shape("{\"a\":1}\n{\"a\":2}", false).layout == JsonLayout::document);
  CHECK(detect_json_shape("{\"a\":1}\n{\"a\":2}\n{\"a\"", false).layout == JsonLayout::lines);
  CHECK(detect_json_shape("{\"a\":1}\n{\"a\":2}", true).layout == JsonLayout::lines);
}

TEST_CASE("detection finds the array of records inside a wrapper object", "[json][detect]") {
  CHECK(detect_json_shape(R"({"meta":1,"rows":[{"x":1}]})", true).records_key == "rows");
  CHECK(detect_json_shape(R"({"rows":[{"x":1}],"total":1,"next":null})", true).records_key == "rows");
  CHECK(detect_json_shape(R"({"data":[]})", true).records_key == "data");
  CHECK(detect_json_shape(R"({"data":[1,2,3]})", true).records_key == "data");
  CHECK(detect_json_shape(R"({"d\u0061ta":[{"x":1}]})", true).records_key == "data");
  // A cut-off head still shows the shape.
  CHECK(detect_json_shape(R"({"count":2,"items":[{"x":1},{"x")", false).records_key == "items");

  // A single record that happens to hold one array is not a wrapper.
  CHECK(detect_json_shape(R"({"id":1,"tags":["a","b"]})", true).records_key.empty());
  CHECK(detect_json_shape(R"({"a":[{"x":1}],"b":[{"x":2}]})", true).records_key.empty());
  // One array of records beside metadata, objects included, is a wrapper, small or large.
  CHECK(detect_json_shape(R"({"meta":{"n":1},"rows":[{"x":1}]})", true).records_key == "rows");
  CHECK(detect_json_shape(R"({"meta":{"n":1},"rows":[{"x":1},{"x")", false).records_key == "rows");
  CHECK(detect_json_shape(R"({"meta":{"n":1},"tags":["a","b"],"x":)", false).records_key.empty());
  CHECK(detect_json_shape(R"({"a":1})", true).records_key.empty());
  CHECK(detect_json_shape(R"([{"rows":[{"x":1}]}])", true).records_key.empty());
  CHECK(detect_json_shape(R"("rows")", true).records_key.empty());
}

TEST_CASE("detection never throws, whatever the bytes", "[json][detect]") {
  const std::string junk[] = {std::string("\0\0\0", 3), "\xFF\xFE", std::string(5000, '['),
                              "{\"a\":", "\n\n\n"};
  for (const auto& j : junk) {
    CHECK_NOTHROW(detect_json_shape(j, true));
    CHECK_NOTHROW(detect_json_shape(j, false));
  }
}

// ---------------------------------------------------------------------------------------------
// Flattening

TEST_CASE("objects are flattened to dotted names in document order", "[json][flatten]") {
  const auto sink = scan_doc(R"({"id":7,"addr":{"city":"Oslo","geo":{"lat":59.9,"lon":10.7}},"ok":true})");
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].fields == std::vector<OwnedField>{
                                      field("id", "7", ValueKind::number),
                                      field("addr.city", "Oslo", ValueKind::string),
                                      field("addr.geo.lat", "59.9", ValueKind::number),
                                      field("addr.geo.lon", "10.7", ValueKind::number),
                                      field("ok", "true", ValueKind::boolean),
                                  });
}

TEST_CASE("arrays are kept as compact JSON text", "[json][flatten]") {
  const auto sink = scan_doc(
      "{\"tags\": [ 1 , \"x\" ,\n {\"k\" : [ true, null ], \"q\\\"\": \"a\\u0001\\n\"}, [], {} ], \"e\": "
      "[]}");
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].fields ==
        std::vector<OwnedField>{
            field("tags", R"([1,"x",{"k":[true,null],"q\"":"a\u0001\n"},[],{}])", ValueKind::array),
            field("e", "[]", ValueKind::array),
        });
}

TEST_CASE("numbers keep their literal text", "[json][flatten]") {
  const auto sink = scan_doc(
      R"({"a":1.50,"b":-0,"c":1e400,"d":-12.5E+3,"e":123456789012345678901234567890,"f":0.000,"g":[1.0,2e-2]})");
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].fields == std::vector<OwnedField>{
                                      field("a", "1.50", ValueKind::number),
                                      field("b", "-0", ValueKind::number),
                                      field("c", "1e400", ValueKind::number),
                                      field("d", "-12.5E+3", ValueKind::number),
                                      field("e", "123456789012345678901234567890", ValueKind::number),
                                      field("f", "0.000", ValueKind::number),
                                      field("g", "[1.0,2e-2]", ValueKind::array),
                                  });
}

TEST_CASE("null and booleans have their own kinds", "[json][flatten]") {
  const auto sink = scan_doc(R"({"n":null,"t":true,"f":false})");
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].fields == std::vector<OwnedField>{
                                      field("n", "", ValueKind::null),
                                      field("t", "true", ValueKind::boolean),
                                      field("f", "false", ValueKind::boolean),
                                  });
}

TEST_CASE("strings are unescaped to UTF-8, surrogate pairs included", "[json][flatten]") {
  const auto sink = scan_doc(
      R"({"e":"caf\u00e9","s":"\ud83d\ude00","raw":"naïve ☃ 𝄞","esc":"\"\\\/\b\f\n\r\t","nul":"a\u0000b","k\u00e9y":1})");
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].fields == std::vector<OwnedField>{
                                      field("e", "caf\xC3\xA9", ValueKind::string),
                                      field("s", "\xF0\x9F\x98\x80", ValueKind::string),
                                      field("raw", "naïve ☃ 𝄞", ValueKind::string),
                                      field("esc", "\"\\/\b\f\n\r\t", ValueKind::string),
                                      field("nul", std::string("a\0b", 3), ValueKind::string),
                                      field("k\xC3\xA9y", "1", ValueKind::number),
                                  });
}

TEST_CASE("long strings and escapes are read whole", "[json][flatten]") {
  // Boost.JSON hands escaped strings over in pieces (its buffer is 4 KiB).
  std::string long_value;
  std::string text = "{\"";
  for (int i = 0; i < 3000; ++i) {
    text += "k\\n";
    long_value += "k\n";
  }
  text += "\":\"";
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    text += "\\u00e9x";
    expected += "\xC3\xA9x";
  }
  text += "\",\"n\":{\"" + std::string(10000, 'z') + "\":[\"" + std::string(9000, '\\') + "\"]}}";
  const auto sink = scan_doc(text);
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 1);
  REQUIRE(sink.records[0].fields.size() == 2);
  CHECK(sink.records[0].fields[0].name == long_value);
  CHECK(sink.records[0].fields[0].value == expected);
  CHECK(sink.records[0].fields[1].name == "n." + std::string(10000, 'z'));
  CHECK(sink.records[0].fields[1].value == "[\"" + std::string(9000, '\\') + "\"]");
}

TEST_CASE("an empty nested object gives no field", "[json][flatten]") {
  const auto sink = scan_doc(R"({"a":{},"b":{"c":{}},"d":1})");
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].fields == std::vector<OwnedField>{field("d", "1", ValueKind::number)});
  // An empty record is still a record.
  const auto empty = scan_doc("[{}, {}]");
  REQUIRE(empty.records.size() == 2);
  CHECK(empty.records[0].fields.empty());
}

TEST_CASE("a repeated name keeps the last value, in the place of the first", "[json][flatten]") {
  const auto sink = scan_doc(R"({"a":1,"b":2,"a":"x","c":{"d":1},"c":{"d":2,"e":3},"c.d":4})");
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].fields == std::vector<OwnedField>{
                                      field("a", "x", ValueKind::string),
                                      field("b", "2", ValueKind::number),
                                      field("c.d", "4", ValueKind::number),
                                      field("c.e", "3", ValueKind::number),
                                  });
  // Past the pairwise check's reach too.
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  big += "\"k3\":\"last\"}";
  const auto many = scan_doc(big);
  REQUIRE(many.records.size() == 1);
  REQUIRE(many.records[0].fields.size() == 40);
  CHECK(many.records[0].fields[3] == field("k3", "last", ValueKind::string));
  CHECK(many.records[0].fields[39] == field("k39", "39", ValueKind::number));
}

TEST_CASE("a record that is not an object has one field named value", "[json][flatten]") {
  const auto sink = scan_doc(R"([1, "s", null, true, [1,{"a":2}], {"a":1}])");
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 6);
  CHECK(sink.records[0].fields == std::vector<OwnedField>{field("value", "1", ValueKind::number)});
  CHECK(sink.records[1].fields == std::vector<OwnedField>{field("value", "s", ValueKind::string)});
  CHECK(sink.records[2].fields == std::vector<OwnedField>{field("value", "", ValueKind::null)});
  CHECK(sink.records[3].fields == std::vector<OwnedField>{field("value", "true", ValueKind::boolean)});
  CHECK(sink.records[4].fields ==
        std::vector<OwnedField>{field("value", R"([1,{"a":2}])", ValueKind::array)});
  CHECK(sink.records[5].fields == std::vector<OwnedField>{field("a", "1", ValueKind::number)});
}

// ---------------------------------------------------------------------------------------------
// Document layouts

TEST_CASE("a top-level array gives one record per element, with offsets and lines", "[json][document]") {
  const std::string text = "[\n  {\"a\": 1},\n  {\"a\": 2}, {\"a\": 3}\n]\n";
  const auto sink = scan_doc(text);
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 3);
  CHECK(sink.records[0].offset == text.find("{\"a\": 1}"));
  CHECK(sink.records[0].line == 2);
  CHECK(sink.records[1].offset == text.find("{\"a\": 2}"));
  CHECK(sink.records[1].line == 3);
  CHECK(sink.records[2].offset == text.find("{\"a\": 3}"));
  CHECK(sink.records[2].line == 3);
  CHECK(sink.records[2].fields == std::vector<OwnedField>{field("a", "3", ValueKind::number)});
  CHECK(scan_doc("[]").records.empty());
  CHECK(scan_doc(" [ ] ").malformed_entries.empty());
}

TEST_CASE("a wrapper object gives its array's elements", "[json][document]") {
  const std::string text =
      "{\"meta\": 1,\n \"note\": {\"x\": [1]},\n \"rows\": [{\"x\": 1},\n {\"x\": 2}], \"end\": true}";
  CollectSink sink;
  scan_json_document(text, JsonShape{JsonLayout::document, "rows"}, sink);
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 2);
  CHECK(sink.records[0].fields == std::vector<OwnedField>{field("x", "1", ValueKind::number)});
  CHECK(sink.records[1].line == 4);
  CHECK(sink.records[1].offset == text.find("{\"x\": 2}"));

  const auto detected = scan_doc(R"({"meta":1,"rows":[{"a":1},{"a":2}]})");
  REQUIRE(detected.malformed_entries.empty());
  REQUIRE(detected.records.size() == 2);
  CHECK(detected.records[1].fields == std::vector<OwnedField>{field("a", "2", ValueKind::number)});

  // Members that are not the records are checked and skipped, whatever they hold.
  CollectSink skipped;
  scan_json_document(R"({"a":{"b":[1,{"c":2}]},"rows":[{"x":1}],"z":[[]]})",
                     JsonShape{JsonLayout::document, "rows"}, skipped);
  CHECK(skipped.malformed_entries.empty());
  REQUIRE(skipped.records.size() == 1);
  CHECK(skipped.records[0].fields == std::vector<OwnedField>{field("x", "1", ValueKind::number)});
  CollectSink bad_member;
  scan_json_document("{\"a\":{\"b\":tru},\"rows\":[{\"x\":1}]}", JsonShape{JsonLayout::document, "rows"},
                     bad_member);
  CHECK(bad_member.records.empty());
  CHECK(bad_member.malformed_entries.size() == 1);

  // A records key the object does not hold gives nothing, but the object must still be valid.
  CollectSink other;
  scan_json_document(R"({"a":1,"b":[1]})", JsonShape{JsonLayout::document, "rows"}, other);
  CHECK(other.records.empty());
  CHECK(other.malformed_entries.empty());
  CollectSink broken;
  scan_json_document(R"({"a":1,"rows":[{"x":1}],})", JsonShape{JsonLayout::document, "rows"}, broken);
  CHECK(broken.records.size() == 1);
  CHECK(broken.malformed_entries.size() == 1);
}

TEST_CASE("any other top-level value is one record", "[json][document]") {
  const auto object = scan_doc("\n\n  {\"a\": [1, 2], \"b\": {\"c\": null}}  \n");
  REQUIRE(object.malformed_entries.empty());
  REQUIRE(object.records.size() == 1);
  CHECK(object.records[0].offset == 4);
  CHECK(object.records[0].line == 3);
  CHECK(object.records[0].fields ==
        std::vector<OwnedField>{field("a", "[1,2]", ValueKind::array), field("b.c", "", ValueKind::null)});
  const auto scalar = scan_doc(" 42 ");
  REQUIRE(scalar.records.size() == 1);
  CHECK(scalar.records[0].fields == std::vector<OwnedField>{field("value", "42", ValueKind::number)});
  const auto bom = scan_doc("\xEF\xBB\xBF{\"a\":1}");
  REQUIRE(bom.records.size() == 1);
  CHECK(bom.records[0].offset == 3);
}

TEST_CASE("a truncated document emits what came before and one malformed entry", "[json][document]") {
  const std::string text = "[\n{\"a\": 1},\n{\"a\": 2},\n{\"a\": 3, \"b\": [1, 2";
  const auto sink = scan_doc(text);
  REQUIRE(sink.records.size() == 2);
  REQUIRE(sink.malformed_entries.size() == 1);
  const Malformed& m = sink.malformed_entries[0];
  CHECK(m.line == 4);
  CHECK(m.offset == text.size());
  CHECK(m.reason.find("invalid JSON: incomplete JSON at line 4, column 20") == 0);
  CHECK(m.reason.find("rest of the file was not read") != std::string::npos);

  // A syntax error stops the scan even though valid records follow it.
  const std::string bad = "[{\"a\":1},\n{\"a\":2},\n{\"a\":3,,},\n{\"a\":4}]";
  const auto stopped = scan_doc(bad);
  CHECK(stopped.records.size() == 2);
  REQUIRE(stopped.malformed_entries.size() == 1);
  CHECK(stopped.malformed_entries[0].line == 3);
  CHECK(stopped.malformed_entries[0].reason.find("syntax error at line 3, column 8") != std::string::npos);
}

TEST_CASE("trailing garbage, invalid UTF-8 and missing separators are errors", "[json][document]") {
  for (const std::string text :
       {"[{\"a\":1}] x", "{\"a\":1} {\"b\":2}", "[1 2]", "[1,]", "[,1]", "[\"\xFF\"]", "{\"a\":\"\xC3\x28\"}",
        "[1}", "", "   ", "\xEF\xBB\xBF", "[{\"a\":1}]]"}) {
    INFO(text);
    const auto sink = scan_doc(text);
    CHECK(sink.malformed_entries.size() == 1);
  }
  const auto garbage = scan_doc("[{\"a\":1}]\n\nnope");
  CHECK(garbage.records.size() == 1);
  REQUIRE(garbage.malformed_entries.size() == 1);
  CHECK(garbage.malformed_entries[0].line == 3);
  CHECK(garbage.malformed_entries[0].reason.find("extra data at line 3, column 1") != std::string::npos);
}

TEST_CASE("nesting deeper than max_depth is an error", "[json][document]") {
  const auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK(scan_doc(nested(4), 4).malformed_entries.empty());
  const auto deep = scan_doc(nested(5), 4);
  REQUIRE(deep.malformed_entries.size() == 1);
  CHECK(deep.malformed_entries[0].reason.find("too deep") != std::string::npos);
  CHECK(scan_doc(R"({"a":{"b":{"c":{}}}})", 4).malformed_entries.empty());
  CHECK(scan_doc(R"({"a":{"b":{"c":{"d":{}}}}})", 4).malformed_entries.size() == 1);
  // The same cap counts the wrapper's levels.
  CollectSink wrapped;
  scan_json_document(R"({"rows":[{"a":{}}]})", JsonShape{JsonLayout::document, "rows"}, wrapped, 4);
  CHECK(wrapped.malformed_entries.empty());
  CollectSink too_deep;
  scan_json_document(R"({"rows":[{"a":{}}]})", JsonShape{JsonLayout::document, "rows"}, too_deep, 3);
  CHECK(too_deep.malformed_entries.size() == 1);
  CHECK(scan_doc("[1]", 0).malformed_entries.size() == 1);
  CHECK(scan_doc("1", 0).malformed_entries.empty());
  // The default cap is 64.
  CHECK(scan_doc(nested(64)).malformed_entries.empty());
  CHECK(scan_doc(nested(65)).malformed_entries.size() == 1);
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

TEST_CASE("JSON Lines: one record per non-blank line", "[json][lines]") {
  const std::string text = "{\"a\":1}\n\n   \n  {\"a\":{\"b\":2}}\r\n[1, 2]\n\"s\"";
  const auto sink = scan_lines(text);
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 4);
  CHECK(sink.records[0].line == 1);
  CHECK(sink.records[0].offset == 0);
  CHECK(sink.records[1].line == 4);
  CHECK(sink.records[1].offset == text.find("{\"a\":{"));
  CHECK(sink.records[1].fields == std::vector<OwnedField>{field("a.b", "2", ValueKind::number)});
  CHECK(sink.records[2].fields == std::vector<OwnedField>{field("value", "[1,2]", ValueKind::array)});
  CHECK(sink.records[3].line == 6);
  CHECK(sink.records[3].fields == std::vector<OwnedField>{field("value", "s", ValueKind::string)});
}

TEST_CASE("JSON Lines: a bad line is reported and the others are still read", "[json][lines]") {
  const std::string text = "{\"a\":1}\n{\"a\":2}\n{\"a\": tru}\n{\"a\":4} {\"a\":5}\n{\"a\":6}\n";
  const auto sink = scan_lines(text);
  REQUIRE(sink.records.size() == 3);
  CHECK(sink.records[2].line == 5);
  CHECK(sink.records[2].fields == std::vector<OwnedField>{field("a", "6", ValueKind::number)});
  REQUIRE(sink.malformed_entries.size() == 2);
  CHECK(sink.malformed_entries[0].line == 3);
  CHECK(sink.malformed_entries[0].offset == text.find("{\"a\": tru"));
  CHECK(sink.malformed_entries[0].reason == "invalid JSON: syntax error at line 3, column 7");
  CHECK(sink.malformed_entries[1].line == 4);
  CHECK(sink.malformed_entries[1].reason == "invalid JSON: extra data at line 4, column 9");
  // Each line is a document of its own: one spread over two lines is two bad lines.
  CHECK(scan_lines("{\"a\":\n1}\n").malformed_entries.size() == 2);
  CHECK(scan_lines("[\"\xFF\"]\n").malformed_entries.size() == 1);
}

TEST_CASE("JSON Lines: the caller's ranges and line numbers are honoured", "[json][lines]") {
  const std::string text = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}";
  const std::size_t third = text.find("{\"a\":3}");
  CollectSink first, second;
  scan_json_lines(text, 0, third, 1, first);
  scan_json_lines(text, third, text.size(), 3, second);
  REQUIRE(first.records.size() == 2);
  REQUIRE(second.records.size() == 2);
  CHECK(second.records[0].line == 3);
  CHECK(second.records[0].offset == third);
  CHECK(second.records[1].fields == std::vector<OwnedField>{field("a", "4", ValueKind::number)});
  // A line that starts before `end` is read whole.
  CollectSink straddle;
  scan_json_lines(text, 0, 3, 1, straddle);
  CHECK(straddle.records.size() == 1);
  CHECK(straddle.malformed_entries.empty());
}

TEST_CASE("JSON Lines: nesting deeper than max_depth is a malformed line", "[json][lines]") {
  const auto sink = scan_lines("[[[1]]]\n[[[[1]]]]\n[1]\n", 3);
  CHECK(sink.records.size() == 2);
  REQUIRE(sink.malformed_entries.size() == 1);
  CHECK(sink.malformed_entries[0].line == 2);
  CHECK(sink.malformed_entries[0].reason.find("too deep") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// JSONTestSuite (https://github.com/nst/JSONTestSuite, MIT): y_ must be accepted, n_ rejected,
// i_ may go either way but must not crash.
//
// Every file there is one JSON text, so the suite is scanned in the layout detect_json_shape picks
// and the test also requires that to be the document layout: detection must not turn an invalid
// document into "valid JSON Lines" (none of the multi-line n_ files starts with a complete line).

TEST_CASE("JSONTestSuite: accepted, rejected and implementation-defined files", "[json][suite]") {
  const std::filesystem::path dir = std::filesystem::path(GDP_TEST_DATA) / "jsontestsuite" / "test_parsing";
  REQUIRE(std::filesystem::is_directory(dir));
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const std::string text = read_file(entry.path());
    INFO(name);
    ++seen;
    const JsonShape shape = detect_json_shape(text, true);
    CHECK(shape.layout == JsonLayout::document);
    // Detection on a partial head must not crash either.
    (void)detect_json_shape(std::string_view(text).substr(0, text.size() / 2), false);
    CollectSink sink;
    scan_json_document(text, shape, sink);
    for (const auto& record : sink.records) {
      for (const auto& f : record.fields) {
        CHECK(gdp::utf8::valid(f.name));
        CHECK(gdp::utf8::valid(f.value));
      }
    }
    // Scanned as lines too, only for crashes.
    CollectSink lines;
    scan_json_lines(text, 0, text.size(), 1, lines);
    if (name.starts_with("y_")) {
      CHECK(sink.malformed_entries.empty());
    } else if (name.starts_with("n_")) {
      REQUIRE(sink.malformed_entries.size() == 1);
      CHECK(sink.malformed_entries[0].reason.starts_with("invalid JSON: "));
    }
  }
  CHECK(seen == 318);
}

// ---------------------------------------------------------------------------------------------
// Property: the layouts agree

namespace {

// A generated JSON value and what it should flatten to. Keys never hold '.', and are unique within
// an object, so the expected names cannot collide.
struct Value {
  enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
  std::string text;  // number literal, string content, "true"/"false"
  std::vector<std::string> keys;
  std::vector<Value> items;  // array elements or member values
};

std::string draw_text(bool key) {
  static const std::vector<std::string> pieces = {"a",
                                                  "b",
                                                  "Z",
                                                  "0",
                                                  " ",
                                                  "\"",
                                                  "\\",
                                                  "/",
                                                  "\n",
                                                  "\t",
                                                  std::string(1, '\0'),
                                                  "\x1F",
                                                  "\xC3\xA9",
                                                  "\xE2\x82\xAC",
                                                  "\xF0\x9D\x84\x9E",
                                                  "\xF0\x9F\x98\x80",
                                                  "key",
                                                  "\x7F"};
  const auto count = *rc::gen::inRange<std::size_t>(key ? 1 : 0, 6);
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += pieces[*rc::gen::inRange<std::size_t>(0, pieces.size())];
  return out;
}

std::string draw_number() {
  std::string out = *rc::gen::arbitrary<bool>() ? "-" : "";
  const auto digits = [](std::size_t min, std::size_t max) {
    std::string d;
    const auto n = *rc::gen::inRange<std::size_t>(min, max + 1);
    for (std::size_t i = 0; i < n; ++i) d += static_cast<char>('0' + *rc::gen::inRange(0, 10));
    return d;
  };
  out += *rc::gen::arbitrary<bool>()
             ? "0"
             : std::string(1, static_cast<char>('1' + *rc::gen::inRange(0, 9))) + digits(0, 20);
  if (*rc::gen::arbitrary<bool>()) out += "." + digits(1, 4);
  if (*rc::gen::arbitrary<bool>()) {
    out += *rc::gen::element(std::string("e"), std::string("E"), std::string("e+"), std::string("E-"));
    out += digits(1, 3);
  }
  return out;
}

Value draw_value(int depth, bool object_only = false) {
  Value v;
  const int choice = object_only ? 5 : *rc::gen::inRange(0, depth > 0 ? 6 : 4);
  switch (choice) {
    case 0:
      v.kind = *rc::gen::arbitrary<bool>() ? Value::Kind::null : Value::Kind::boolean;
      v.text = *rc::gen::arbitrary<bool>() ? "true" : "false";
      break;
    case 1:
    case 2:
      v.kind = Value::Kind::number;
      v.text = draw_number();
      break;
    case 3:
      v.kind = Value::Kind::string;
      v.text = draw_text(false);
      break;
    case 4: {
      v.kind = Value::Kind::array;
      const auto n = *rc::gen::inRange(0, 4);
      for (int i = 0; i < n; ++i) v.items.push_back(draw_value(depth - 1));
      break;
    }
    default: {
      v.kind = Value::Kind::object;
      const auto n = *rc::gen::inRange(0, 5);
      for (int i = 0; i < n; ++i) {
        const std::string key = draw_text(true);
        if (std::find(v.keys.begin(), v.keys.end(), key) != v.keys.end()) continue;
        v.keys.push_back(key);
        v.items.push_back(draw_value(std::max(depth - 1, 0)));
      }
    }
  }
  return v;
}

// Writes JSON with random (but valid) whitespace and escapes; `newlines` allows '\n' as whitespace.
// A `compact` writer adds no whitespace and escapes only what must be, so that records with the same
// keys differ only in their values, as in most JSON Lines files.
class Writer {
 public:
  Writer(std::uint32_t seed, bool newlines, bool compact = false)
      : state_(seed | 1), newlines_(newlines), compact_(compact) {}

  void value(const Value& v, std::string& out) {
    space(out);
    switch (v.kind) {
      case Value::Kind::null:
        out += "null";
        break;
      case Value::Kind::boolean:
      case Value::Kind::number:
        out += v.text;
        break;
      case Value::Kind::string:
        string(v.text, out);
        break;
      case Value::Kind::array:
        out += '[';
        for (std::size_t i = 0; i < v.items.size(); ++i) {
          if (i > 0) out += ',';
          value(v.items[i], out);
        }
        space(out);
        out += ']';
        break;
      case Value::Kind::object:
        out += '{';
        for (std::size_t i = 0; i < v.items.size(); ++i) {
          if (i > 0) out += ',';
          space(out);
          string(v.keys[i], out);
          space(out);
          out += ':';
          value(v.items[i], out);
        }
        space(out);
        out += '}';
        break;
    }
    space(out);
  }

 private:
  std::uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  void space(std::string& out) {
    if (compact_) return;
    static const char* const kSpaces[] = {"", "", "", " ", "\t", "\r", "  ", "\n", "\n  "};
    out += kSpaces[next() % (newlines_ ? 9 : 7)];
  }
  void hex4(std::uint32_t u, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdefABCDEF";
    for (int shift = 12; shift >= 0; shift -= 4) {
      const auto nibble = (u >> shift) & 0xF;
      out += nibble >= 10 && next() % 2 ? kHex[nibble + 6] : kHex[nibble];
    }
  }
  void string(const std::string& s, std::string& out) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      std::uint32_t cp = c;
      if (len > 1) cp &= 0xFFu >> (len + 1);
      for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      const bool must = cp < 0x20 || cp == '"' || cp == '\\';
      if (!must && (compact_ || next() % 3 != 0)) {
        out.append(s, i, len);
      } else if (cp == '"' || cp == '\\' || (cp == '/' && next() % 2)) {
        out += '\\';
        out += static_cast<char>(cp);
      } else if (cp == '\n' && next() % 2) {
        out += "\\n";
      } else if (cp == '\t' && next() % 2) {
        out += "\\t";
      } else if (cp >= 0x10000) {
        const std::uint32_t v = cp - 0x10000;
        out += "\\u";
        hex4(0xD800 + (v >> 10), out);
        out += "\\u";
        hex4(0xDC00 + (v & 0x3FF), out);
      } else {
        out += "\\u";
        hex4(cp, out);
      }
      i += len;
    }
    out += '"';
  }

  std::uint32_t state_;
  bool newlines_;
  bool compact_;
};

// The reader's text for an array: compact, numbers as written, strings escaped only where JSON
// requires (short escapes where JSON has them, \u00xx for other control characters).
void compact(const Value& v, std::string& out) {
  switch (v.kind) {
    case Value::Kind::null:
      out += "null";
      break;
    case Value::Kind::boolean:
    case Value::Kind::number:
      out += v.text;
      break;
    case Value::Kind::string: {
      out += '"';
      for (const char ch : v.text) {
        const auto c = static_cast<unsigned char>(ch);
        static constexpr char kHex[] = "0123456789abcdef";
        switch (c) {
          case '"':
            out += "\\\"";
            break;
          case '\\':
            out += "\\\\";
            break;
          case '\b':
            out += "\\b";
            break;
          case '\f':
            out += "\\f";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          case '\t':
            out += "\\t";
            break;
          default:
            if (c < 0x20) {
              out += "\\u00";
              out += kHex[c >> 4];
              out += kHex[c & 0xF];
            } else {
              out += ch;
            }
        }
      }
      out += '"';
      break;
    }
    case Value::Kind::array:
      out += '[';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out += ',';
        compact(v.items[i], out);
      }
      out += ']';
      break;
    case Value::Kind::object:
      out += '{';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out += ',';
        compact(Value{Value::Kind::string, v.keys[i], {}, {}}, out);
        out += ':';
        compact(v.items[i], out);
      }
      out += '}';
      break;
  }
}

std::string compact(const Value& v) {
  std::string out;
  compact(v, out);
  return out;
}

void flatten(const Value& v, const std::string& prefix, std::vector<OwnedField>& out) {
  for (std::size_t i = 0; i < v.items.size(); ++i) {
    const Value& item = v.items[i];
    const std::string name = prefix + v.keys[i];
    switch (item.kind) {
      case Value::Kind::object:
        flatten(item, name + ".", out);
        break;
      case Value::Kind::array:
        out.push_back({name, compact(item), ValueKind::array});
        break;
      case Value::Kind::null:
        out.push_back({name, "", ValueKind::null});
        break;
      case Value::Kind::boolean:
        out.push_back({name, item.text, ValueKind::boolean});
        break;
      case Value::Kind::number:
        out.push_back({name, item.text, ValueKind::number});
        break;
      case Value::Kind::string:
        out.push_back({name, item.text, ValueKind::string});
        break;
    }
  }
}

// Each line read by a scan of its own, so that no record is read against what the scanner learned
// from the records before it: what reading them all in one scan must give.
CollectSink scan_lines_alone(std::string_view text, std::size_t max_depth = 64) {
  CollectSink sink;
  std::uint64_t line = 1;
  for (std::size_t pos = 0; pos < text.size(); ++line) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    scan_json_lines(text, pos, next, line, sink, max_depth);
    pos = next;
  }
  return sink;
}

bool same_malformed(const std::vector<Malformed>& a, const std::vector<Malformed>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Malformed& x, const Malformed& y) {
    return x.line == y.line && x.offset == y.offset && x.reason == y.reason;
  });
}

// New scalars in the places of the old ones (now and then an object instead), keeping the keys.
void redraw_scalars(Value& v) {
  if (v.kind == Value::Kind::object || v.kind == Value::Kind::array) {
    for (Value& item : v.items) redraw_scalars(item);
  } else if (*rc::gen::inRange(0, 8) == 0) {
    v = draw_value(1, true);
  } else if (*rc::gen::arbitrary<bool>()) {
    v = draw_value(0);
  }
}

void require_records(const CollectSink& sink, const std::vector<std::vector<OwnedField>>& expected) {
  RC_ASSERT(sink.malformed_entries.empty());
  RC_ASSERT(sink.records.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) RC_ASSERT(sink.records[i].fields == expected[i]);
}

}  // namespace

TEST_CASE("array, JSON Lines and wrapper documents give the same records", "[json][property]") {
  rc::prop("the three layouts agree, and JSON Lines split anywhere", [] {
    const auto count = *rc::gen::inRange(0, 8);
    std::vector<Value> records;
    std::vector<std::vector<OwnedField>> expected;
    for (int i = 0; i < count; ++i) {
      records.push_back(draw_value(3, true));
      expected.emplace_back();
      flatten(records.back(), "", expected.back());
    }
    Writer doc_writer(*rc::gen::arbitrary<std::uint32_t>(), true);
    Writer line_writer(*rc::gen::arbitrary<std::uint32_t>(), false);

    std::string array = "[";
    std::string lines;
    std::vector<std::size_t> line_starts;
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (i > 0) array += ',';
      doc_writer.value(records[i], array);
      if (*rc::gen::arbitrary<bool>()) lines += "\n";  // a blank line
      line_starts.push_back(lines.size());
      line_writer.value(records[i], lines);
      lines += *rc::gen::arbitrary<bool>() ? "\r\n" : "\n";
    }
    array += "]";
    const std::string wrapper = "{\"version\": 2, \"data\":" + array + ", \"more\": null}";

    const JsonShape array_shape = detect_json_shape(array, true);
    RC_ASSERT(array_shape.layout == JsonLayout::document);
    RC_ASSERT(array_shape.records_key.empty());
    CollectSink from_array;
    scan_json_document(array, array_shape, from_array);
    require_records(from_array, expected);

    const JsonShape wrapper_shape = detect_json_shape(wrapper, true);
    RC_ASSERT(wrapper_shape.layout == JsonLayout::document);
    RC_ASSERT(wrapper_shape.records_key == "data");
    CollectSink from_wrapper;
    scan_json_document(wrapper, wrapper_shape, from_wrapper);
    require_records(from_wrapper, expected);

    if (records.size() >= 2) RC_ASSERT(detect_json_shape(lines, true).layout == JsonLayout::lines);
    const CollectSink from_lines = scan_lines(lines);
    require_records(from_lines, expected);

    // Split at a line boundary (a record's start, or the end), as the snapshot builder does.
    line_starts.push_back(lines.size());
    const std::size_t cut = line_starts[*rc::gen::inRange<std::size_t>(0, line_starts.size())];
    const auto first_line = 1 + static_cast<std::uint64_t>(std::count(
                                    lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(cut), '\n'));
    CollectSink split;
    scan_json_lines(lines, 0, cut, 1, split);
    scan_json_lines(lines, cut, lines.size(), first_line, split);
    RC_ASSERT(split.records == from_lines.records);
    RC_ASSERT(split.malformed_entries.empty());
  });
}

TEST_CASE("JSON Lines whose records share their keys read as each line alone", "[json][property][lines]") {
  rc::prop("one scan gives what a scan per line gives", [] {
    std::vector<Value> shapes;
    const auto shape_count = *rc::gen::inRange(1, 4);
    for (int i = 0; i < shape_count; ++i) shapes.push_back(draw_value(3, true));
    Writer compact(*rc::gen::arbitrary<std::uint32_t>(), false, true);
    Writer spaced(*rc::gen::arbitrary<std::uint32_t>(), false);
    std::string lines;
    std::vector<std::vector<OwnedField>> expected;
    bool broken = false;
    const auto count = *rc::gen::inRange(1, 16);
    for (int i = 0; i < count; ++i) {
      Value record = shapes[*rc::gen::inRange<std::size_t>(0, shapes.size())];
      redraw_scalars(record);
      std::string line;
      (*rc::gen::inRange(0, 4) == 0 ? spaced : compact).value(record, line);
      if (*rc::gen::inRange(0, 6) == 0) {
        // Cut short, or with a byte no JSON text holds there: a malformed line.
        const auto at = *rc::gen::inRange<std::size_t>(0, line.size());
        line = *rc::gen::arbitrary<bool>() ? line.substr(0, at) : line.insert(at, "\xFF");
        broken = true;
      } else {
        expected.emplace_back();
        flatten(record, "", expected.back());
      }
      lines += line;
      lines += *rc::gen::inRange(0, 4) == 0 ? "\r\n" : "\n";
    }
    if (*rc::gen::arbitrary<bool>()) lines.pop_back();  // no newline at the end

    const CollectSink together = scan_lines(lines);
    const CollectSink alone = scan_lines_alone(lines);
    RC_ASSERT(together.records == alone.records);
    RC_ASSERT(same_malformed(together.malformed_entries, alone.malformed_entries));
    // A cut line may still be valid (cut in its trailing whitespace) or blank.
    if (!broken) {
      RC_ASSERT(together.records.size() == expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) RC_ASSERT(together.records[i].fields == expected[i]);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Records read against the template learned from the record before (json_reader.cpp): every way a
// record can differ from the one before must give what reading it alone gives.

namespace {

void require_same_as_alone(const std::string& text, std::size_t max_depth = 64) {
  const CollectSink together = scan_lines(text, max_depth);
  const CollectSink alone = scan_lines_alone(text, max_depth);
  CHECK(together.records == alone.records);
  CHECK(same_malformed(together.malformed_entries, alone.malformed_entries));
}

}  // namespace

TEST_CASE("JSON Lines: keys that change between records", "[json][lines][template]") {
  const std::string text =
      "{\"a\":1,\"b\":\"x\"}\n"
      "{\"a\":2,\"b\":\"y\"}\n"
      "{\"a\":3,\"c\":\"z\"}\n"                // another key
      "{\"a\":4,\"b\":{\"c\":5}}\n"            // an object where the one before had a string
      "{\"a\":6,\"b\":{\"c\":7,\"d\":8}}\n"    // the same prefix, then more
      "{\"a\":9,\"b\":{\"c\":10},\"d\":11}\n"  // the same keys so far, at another depth
      "{\"a\":12}\n"                           // fewer
      "{\"a\": 13}\n"                          // other spacing
      "{\"a\":14,\"b\":\"w\"}\n";
  const auto sink = scan_lines(text);
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 9);
  using F = std::vector<OwnedField>;
  const auto num = [](std::string name, std::string value) { return field(name, value, ValueKind::number); };
  const auto str = [](std::string name, std::string value) { return field(name, value, ValueKind::string); };
  CHECK(sink.records[1].fields == F{num("a", "2"), str("b", "y")});
  CHECK(sink.records[2].fields == F{num("a", "3"), str("c", "z")});
  CHECK(sink.records[3].fields == F{num("a", "4"), num("b.c", "5")});
  CHECK(sink.records[4].fields == F{num("a", "6"), num("b.c", "7"), num("b.d", "8")});
  CHECK(sink.records[5].fields == F{num("a", "9"), num("b.c", "10"), num("d", "11")});
  CHECK(sink.records[6].fields == F{num("a", "12")});
  CHECK(sink.records[7].fields == F{num("a", "13")});
  CHECK(sink.records[8].fields == F{num("a", "14"), str("b", "w")});
  CHECK(sink.records[8].offset == text.find("{\"a\":14"));
  CHECK(sink.records[8].line == 9);
  require_same_as_alone(text);
}

TEST_CASE("JSON Lines: nested names, repeats and scalars after a template", "[json][lines][template]") {
  const std::string text =
      "{\"id\":1,\"addr\":{\"city\":\"Lagos\",\"zip\":\"06005\"},\"e\":{}}\n"
      "{\"id\":2,\"addr\":{\"city\":\"Lima\",\"zip\":\"04861\"},\"e\":{}}\n"
      "{\"a\":1,\"a\":2}\n"
      "{\"a\":3,\"a\":4}\n"
      "{\"a\\u0062\":true,\"c\":null}\n"
      "{\"a\\u0062\":false,\"c\":null}\n"
      "5\n\"s\"\n[1]\n{\"value\":[2]}\n";
  const auto sink = scan_lines(text);
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 10);
  using F = std::vector<OwnedField>;
  CHECK(sink.records[1].fields == F{field("id", "2", ValueKind::number),
                                    field("addr.city", "Lima", ValueKind::string),
                                    field("addr.zip", "04861", ValueKind::string)});
  CHECK(sink.records[3].fields == F{field("a", "4", ValueKind::number)});
  CHECK(sink.records[5].fields ==
        F{field("ab", "false", ValueKind::boolean), field("c", "", ValueKind::null)});
  CHECK(sink.records[6].fields == F{field("value", "5", ValueKind::number)});
  CHECK(sink.records[9].fields == F{field("value", "[2]", ValueKind::array)});
  require_same_as_alone(text);
}

TEST_CASE("JSON Lines: values that end where a template's would not", "[json][lines][template]") {
  require_same_as_alone("{\"a\":1}\n{\"a\":12}\n{\"a\":1.5e3}\n{\"a\":-}\n{\"a\":1x}\n{\"a\":01}\n{\"a\":1}");
  require_same_as_alone("{\"a\":true}\n{\"a\":trux}\n{\"a\":tru}\n{\"a\":\"x\"}\n{\"a\":\"x}\n{\"a\":\"x\"");
  require_same_as_alone(
      "{\"t\":[1,2]}\n{\"t\":[1, 2]}\n{\"t\":[1,2]\n{\"t\":[1,2]]}\n{\"t\":[\"\\u00e9\"]}\n");
  // Differing from the template only in the last byte before a value, or in the last of all.
  require_same_as_alone(
      "{\"a\":1}\n{\"a\",1}\n{\"a\":1}\n{\"a\":1]\n{\"a\":1}\n{\"a\":1}}\n{\"a\":1}\n{\"a\":1");
  require_same_as_alone(
      "{\"a\":[1],\"b\":{\"c\":1}}\n{\"a\":[1],\"b\":{\"c\":1]}\n{\"a\":[1],\"b\",{\"c\":1}}\n");
  require_same_as_alone(
      "{\"long key of more than sixteen bytes\":1}\n{\"long key of more than sixteen bytez\":1}\n");
  require_same_as_alone("{\"a\":1}  \n{\"a\":2}  \n{\"a\":3} \n{\"a\":4}\r\n{\"a\":5}\r\n{\"a\":6} x\n");
  // Nesting is counted from the template's depth: the deeper array is refused.
  require_same_as_alone("{\"a\":[1]}\n{\"a\":[[1]]}\n{\"a\":[[[1]]]}\n{\"a\":[2]}\n", 3);
}

TEST_CASE("JSON Lines: strings read against a template", "[json][lines][template]") {
  const auto lines_with = [](const std::vector<std::string>& values) {
    std::string text = "{\"k\":\"first\",\"n\":0}\n";
    for (const auto& v : values) text += "{\"k\":\"" + v + "\",\"n\":1}\n";
    return text;
  };
  SECTION("escapes and invalid bytes are judged as when read alone") {
    const std::string text =
        lines_with({"a\\nb", "\\u00e9\\ud83d\\ude00", "\\x", "\\ud800", "a\xC3\xA9", "\xC3", "\xED\xA0\x80",
                    "\xFF", std::string("a\x01", 2), std::string("\x1F", 1), "\x7F"});
    require_same_as_alone(text);
    const auto sink = scan_lines(text);
    REQUIRE(sink.records.size() == 5);
    CHECK(sink.records[1].fields[0] == field("k", "a\nb", ValueKind::string));
    CHECK(sink.records[2].fields[0] == field("k", "\xC3\xA9\xF0\x9F\x98\x80", ValueKind::string));
    CHECK(sink.records[3].fields[0] == field("k", "a\xC3\xA9", ValueKind::string));
    REQUIRE(sink.malformed_entries.size() == 7);
    CHECK(sink.malformed_entries[0].reason == "invalid JSON: invalid escape at line 4, column 7");
    CHECK(sink.malformed_entries[2].reason == "invalid JSON: invalid UTF-8 at line 7, column 7");
    CHECK(sink.malformed_entries[4].reason == "invalid JSON: invalid UTF-8 at line 9, column 7");
    CHECK(sink.malformed_entries[5].reason ==
          "invalid JSON: unescaped control character in a string at line 10, column 8");
  }
  SECTION("strings that end at or around a 16, 32 or 64-byte boundary, and at the end of the input") {
    std::vector<std::string> values;
    for (const std::size_t n : {13u, 14u, 15u, 16u, 17u, 30u, 31u, 32u, 33u, 62u, 63u, 64u, 65u}) {
      values.push_back(std::string(n, 'x'));
      values.push_back(std::string(n - 1, 'x') + "\\\"");      // an escape as the last thing
      values.push_back(std::string(n - 2, 'x') + "\\\"y");     // one byte after it
      values.push_back(std::string(n - 2, 'x') + "\xC3\xA9");  // two-byte UTF-8 at the end
      values.push_back(std::string(n - 1, 'x') + "\xC3");      // cut short by the quote
    }
    std::string text = lines_with(values);
    require_same_as_alone(text);
    const auto sink = scan_lines(text);
    CHECK(sink.malformed_entries.size() == 13);
    for (const auto& r : sink.records)
      CHECK(gdp::utf8::first_invalid(r.fields[0].value) == std::string::npos);
    // The last record ending at the very end of the input, where no 16 bytes can be read ahead.
    for (const auto& v : values) {
      const std::string tail = "{\"k\":\"x\",\"n\":1}\n{\"k\":\"" + v + "\",\"n\":1}";
      const std::string head_only = "{\"k\":\"x\",\"n\":1}\n{\"k\":\"" + v + "\"";
      require_same_as_alone(tail);
      require_same_as_alone(head_only);
    }
  }
}

TEST_CASE("JSON Lines: arrays that repeat from record to record", "[json][lines][template]") {
  const std::string text =
      "{\"t\":[\"a\",\"b\"],\"u\":1}\n"
      "{\"t\":[\"a\",\"b\"],\"u\":2}\n"
      "{\"t\":[\"a\",\"c\"],\"u\":3}\n"
      "{\"t\":[\"a\",\"b\"] ,\"u\":4}\n"
      "{\"t\":[\"a\" ,\"b\"],\"u\":5}\n"
      "{\"t\":[\"a\",\"b\"]]}\n"
      "{\"t\":[],\"u\":6}\n"
      "{\"t\":\"[]\",\"u\":7}\n"
      "{\"t\":[\"\\u0061\"],\"u\":8}\n"
      "{\"t\":[\"\\u0061\"],\"u\":9}\n"
      "{\"t\":[[{\"x\":1}]],\"u\":10}\n"
      "{\"t\":[[{\"x\":1}]],\"u\":11}\n";
  const auto sink = scan_lines(text);
  REQUIRE(sink.records.size() == 11);
  REQUIRE(sink.malformed_entries.size() == 1);
  CHECK(sink.malformed_entries[0].line == 6);
  const auto t = [&](std::size_t i) { return sink.records[i].fields.at(0); };
  CHECK(t(1) == field("t", "[\"a\",\"b\"]", ValueKind::array));
  CHECK(t(2) == field("t", "[\"a\",\"c\"]", ValueKind::array));
  CHECK(t(3) == field("t", "[\"a\",\"b\"]", ValueKind::array));
  CHECK(t(4) == field("t", "[\"a\",\"b\"]", ValueKind::array));
  CHECK(t(5) == field("t", "[]", ValueKind::array));
  CHECK(t(6) == field("t", "[]", ValueKind::string));
  CHECK(t(8) == field("t", "[\"a\"]", ValueKind::array));
  CHECK(t(10) == field("t", "[[{\"x\":1}]]", ValueKind::array));
  CHECK(sink.records[10].fields.at(1) == field("u", "11", ValueKind::number));
  require_same_as_alone(text);
  // Nesting is still counted when an array's bytes repeat.
  require_same_as_alone("{\"a\":[[1]]}\n{\"a\":[[1]]}\n", 2);
}

TEST_CASE("JSON Lines: records that take turns between shapes", "[json][lines][template]") {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 5) {
      case 0:
      case 2:
        text += "{\"a\":" + n + ",\"b\":{\"c\":\"" + n + "\"}}\n";
        break;
      case 1:
      case 3:
        text += "{\"a\":" + n + ",\"b.c\":" + n + "}\n";
        break;
      default:
        text += i % 10 == 4 ? "{\"a\":" + n + "}\n" : "{\"a\":" + n + ",\"b\":{\"c\":" + n + "},\"b.c\":0}\n";
    }
  }
  const auto sink = scan_lines(text);
  REQUIRE(sink.malformed_entries.empty());
  REQUIRE(sink.records.size() == 40);
  for (std::size_t i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    std::vector<OwnedField> expected{field("a", n, ValueKind::number)};
    if (i % 5 == 0 || i % 5 == 2) expected.push_back(field("b.c", n, ValueKind::string));
    if (i % 5 == 1 || i % 5 == 3) expected.push_back(field("b.c", n, ValueKind::number));
    if (i % 10 == 9) expected.push_back(field("b.c", "0", ValueKind::number));  // the last of a repeat
    CHECK(sink.records[i].fields == expected);
  }
  require_same_as_alone(text);
}
