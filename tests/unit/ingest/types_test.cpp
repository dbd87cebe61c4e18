// Column type inference (daemon/ingest/types.h): one test per rule users' files rely on, then
// RapidCheck properties for chunked merging, integer columns and date-format discovery.
// Lets Catch print the optional min, max and date_format of a failing check.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER

#include "daemon/ingest/types.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

using namespace gdp::ingest;
namespace json = boost::json;

namespace Catch {
template <>
struct StringMaker<ColumnType> {
  static std::string convert(ColumnType type) { return std::string(to_string(type)); }
};
}  // namespace Catch

namespace {

struct Value {
  std::string text;
  ValueKind kind = ValueKind::text;
};

ColumnStats infer(std::initializer_list<std::string_view> values, ValueKind kind = ValueKind::text) {
  ColumnInference column;
  for (const auto v : values) column.add(v, kind);
  return column.finish();
}

ColumnStats infer(const std::vector<Value>& values) {
  ColumnInference column;
  for (const auto& v : values) column.add(v.text, v.kind);
  return column.finish();
}

ColumnType type_of(std::initializer_list<std::string_view> values, ValueKind kind = ValueKind::text) {
  return infer(values, kind).type;
}

std::string describe(const ColumnStats& s) {
  std::string out = std::string(to_string(s.type)) + " count=" + std::to_string(s.count) +
                    " nulls=" + std::to_string(s.null_count) +
                    " distinct=" + std::to_string(s.distinct_estimate);
  out += " min=" + s.min.value_or("-") + " max=" + s.max.value_or("-") +
         " format=" + s.date_format.value_or("-");
  return out;
}

}  // namespace

// ---- names and null markers ---------------------------------------------------------------------

TEST_CASE("type names are the ones the snapshot shows", "[types]") {
  CHECK(to_string(ColumnType::null) == "null");
  CHECK(to_string(ColumnType::boolean) == "boolean");
  CHECK(to_string(ColumnType::integer) == "integer");
  CHECK(to_string(ColumnType::floating) == "float");
  CHECK(to_string(ColumnType::date) == "date");
  CHECK(to_string(ColumnType::datetime) == "datetime");
  CHECK(to_string(ColumnType::string) == "string");
}

TEST_CASE("null markers are the spellings files use for a missing value", "[types]") {
  for (const std::string_view marker :
       {"",        "NA",      "N/A",      "n/a", "null", "NULL",     "Null",  "None", "NaN",
        "nan",     "-NaN",    "-nan",     "-",   "#N/A", "#N/A N/A", "#NA",   "<NA>", "1.#IND",
        "-1.#IND", "1.#QNAN", "-1.#QNAN", " ",   "   ",  "\t",       " \r\n", " NA ", "\tnull"}) {
    INFO("marker '" << marker << "'");
    CHECK(is_null_marker(marker));
    // And the column treats it as a null, whichever path add() takes.
    const auto stats = infer({marker, "5", marker});
    CHECK(stats.type == ColumnType::integer);
    CHECK(stats.null_count == 2);
    CHECK(infer({"abc", marker}).null_count == 1);
  }
  for (const std::string_view value : {"0", "n", "abc", "NA NA", "--", "1", "Nan?", "nulls", "#", "x NA"}) {
    INFO("value '" << value << "'");
    CHECK_FALSE(is_null_marker(value));
  }
}

TEST_CASE("a column of only nulls is null, and nulls do not vote on the type", "[types]") {
  const auto all_null = infer({"", "NA", "null", "  "});
  CHECK(all_null.type == ColumnType::null);
  CHECK(all_null.count == 4);
  CHECK(all_null.null_count == 4);
  CHECK(all_null.distinct_estimate == 0);
  CHECK_FALSE(all_null.min);

  CHECK(ColumnInference{}.finish().type == ColumnType::null);

  const auto ints = infer({"NA", "1", "", "2", "N/A"});
  CHECK(ints.type == ColumnType::integer);
  CHECK(ints.count == 5);
  CHECK(ints.null_count == 3);
  CHECK(ints.distinct_estimate == 2);
  CHECK(ints.min == "1");
  CHECK(ints.max == "2");
}

TEST_CASE("surrounding spaces and tabs are ignored for classification and distinct counting", "[types]") {
  const auto stats = infer({" 42 ", "\t7", "7\t", "  7"});
  CHECK(stats.type == ColumnType::integer);
  CHECK(stats.min == "7");
  CHECK(stats.max == "42");
  CHECK(stats.distinct_estimate == 2);
  CHECK(type_of({" 1.5", "2.5 "}) == ColumnType::floating);
  CHECK(type_of({" 2024-01-05 "}) == ColumnType::date);
  CHECK(type_of({" true", "false "}) == ColumnType::boolean);
}

// ---- booleans -----------------------------------------------------------------------------------

TEST_CASE("booleans are true/false and yes/no in the usual cases, not 0/1 or y/n", "[types]") {
  CHECK(type_of({"true", "false"}) == ColumnType::boolean);
  CHECK(type_of({"True", "False"}) == ColumnType::boolean);
  CHECK(type_of({"TRUE", "FALSE"}) == ColumnType::boolean);
  CHECK(type_of({"yes", "no"}) == ColumnType::boolean);
  CHECK(type_of({"Yes", "No"}) == ColumnType::boolean);
  CHECK(type_of({"true", "No", "YES"}) == ColumnType::boolean);
  CHECK(type_of({"0", "1"}) == ColumnType::integer);
  CHECK(type_of({"y", "n"}) == ColumnType::string);
  CHECK(type_of({"t", "f"}) == ColumnType::string);
  CHECK(type_of({"tRuE"}) == ColumnType::string);
  CHECK(type_of({"true", "1"}) == ColumnType::string);
  const auto stats = infer({"true", "false", "true"});
  CHECK_FALSE(stats.min);
  CHECK_FALSE(stats.date_format);
  CHECK(stats.distinct_estimate == 2);
}

// ---- integers -----------------------------------------------------------------------------------

TEST_CASE("integers: optional sign then digits, min and max exact", "[types]") {
  const auto stats = infer({"+5", "-17", "0", "12"});
  CHECK(stats.type == ColumnType::integer);
  CHECK(stats.min == "-17");
  CHECK(stats.max == "12");
  CHECK(infer({"-0"}).min == "0");
  CHECK(type_of({"+5"}) == ColumnType::integer);

  const auto limits = infer({"9223372036854775807", "-9223372036854775808", "0"});
  CHECK(limits.type == ColumnType::integer);
  CHECK(limits.min == "-9223372036854775808");
  CHECK(limits.max == "9223372036854775807");
}

TEST_CASE("zero-padded integers are codes: the column stays string", "[types]") {
  CHECK(type_of({"02134", "10001", "94105"}) == ColumnType::string);  // zip codes
  CHECK(type_of({"007"}) == ColumnType::string);
  CHECK(type_of({"01234", "5"}) == ColumnType::string);
  CHECK(type_of({"-007"}) == ColumnType::string);
  CHECK(type_of({"+05"}) == ColumnType::string);
  CHECK(type_of({"00"}) == ColumnType::string);
  // A lone zero is a number, not a code.
  CHECK(type_of({"0", "10", "0"}) == ColumnType::integer);
  CHECK_FALSE(infer({"02134"}).min);
}

TEST_CASE("integers beyond 64 bits stay string", "[types]") {
  CHECK(type_of({"18446744073709551616"}) == ColumnType::string);  // 2^64
  CHECK(type_of({"18446744073709551615"}) == ColumnType::string);  // 2^64 - 1
  CHECK(type_of({"9223372036854775808"}) == ColumnType::string);   // INT64_MAX + 1
  CHECK(type_of({"-9223372036854775809"}) == ColumnType::string);  // INT64_MIN - 1
  CHECK(type_of({"1", "123456789012345678901234567890"}) == ColumnType::string);
}

TEST_CASE("thousand separators and other decorations are not numbers", "[types]") {
  CHECK(type_of({"1,234"}) == ColumnType::string);
  CHECK(type_of({"1,5"}) == ColumnType::string);
  CHECK(type_of({"1 000"}) == ColumnType::string);
  CHECK(type_of({"1_000"}) == ColumnType::string);
  CHECK(type_of({"$5"}) == ColumnType::string);
  CHECK(type_of({"5%"}) == ColumnType::string);
  CHECK(type_of({"0x1F"}) == ColumnType::string);
  CHECK(type_of({"555-1234"}) == ColumnType::string);
  CHECK(type_of({"192.168.1.1"}) == ColumnType::string);
  CHECK(type_of({"1.2.3"}) == ColumnType::string);
}

// ---- floats -------------------------------------------------------------------------------------

TEST_CASE("floats: decimals, exponents and infinities", "[types]") {
  for (const std::string_view v :
       {"1.5", "-.5", ".5", "1e3", "1E-3", "2.", "+2.5", "-1.5e+10", "inf", "-inf", "+inf", "Infinity",
        "-Infinity", "INF", "0.0", "-0.0", "3.14159265358979323846264338327950288"}) {
    INFO(v);
    CHECK(type_of({v}) == ColumnType::floating);
  }
  for (const std::string_view v :
       {".", "-.", "1e", "1e+", "e5", ".e5", "1.5.", "1..5", "--1", "+-1", "1e5.5", "infinit"}) {
    INFO(v);
    CHECK(type_of({v}) == ColumnType::string);
  }
}

TEST_CASE("a column mixing integers and floats is float, min and max by value", "[types]") {
  const auto stats = infer({"1", "2.5", "-3", "10"});
  CHECK(stats.type == ColumnType::floating);
  CHECK(stats.min == "-3");
  CHECK(stats.max == "10");

  const auto shortest = infer({"0.1", "0.30000000000000004", "1e-7"});
  CHECK(shortest.min == "1e-07");
  CHECK(shortest.max == "0.30000000000000004");

  // An integer bound keeps every digit even beyond a double's precision.
  const auto big = infer({"9007199254740993", "0.5"});
  CHECK(big.type == ColumnType::floating);
  CHECK(big.min == "0.5");
  CHECK(big.max == "9007199254740993");

  const auto infinite = infer({"-inf", "1.5", "1e400"});
  CHECK(infinite.min == "-inf");
  CHECK(infinite.max == "inf");

  const auto tiny = infer({"1e-400", "2.5"});
  CHECK(tiny.min == "0");

  // Long mantissas go through the full parser and still round correctly.
  CHECK(infer({"0.1000000000000000055511151231257827"}).max == "0.1");
  CHECK(infer({"123456789012345678901234567890.0"}).max == "1.2345678901234568e+29");
}

TEST_CASE("negative zero is ordered before positive zero whatever the arrival order", "[types]") {
  CHECK(infer({"0.0", "-0.0"}).min == "-0");
  CHECK(infer({"-0.0", "0.0"}).min == "-0");
  CHECK(infer({"-0.0", "0.0"}).max == "0");
  CHECK(infer({"0.0", "-0.0"}).max == "0");
}

// ---- dates --------------------------------------------------------------------------------------

TEST_CASE("ISO dates are never ambiguous", "[types]") {
  const auto stats = infer({"2024-01-05", "2023-12-31", "2024-02-03"});
  CHECK(stats.type == ColumnType::date);
  CHECK(stats.date_format == "%Y-%m-%d");
  CHECK(stats.min == "2023-12-31");
  CHECK(stats.max == "2024-02-03");
  CHECK(infer({"2024/01/05", "2024/02/03"}).date_format == "%Y/%m/%d");
}

TEST_CASE("each date format is found once a value settles it", "[types]") {
  struct Case {
    std::vector<std::string_view> values;
    std::string_view format, min, max;
  };
  const std::vector<Case> cases = {
      {{"03/04/2024", "25/12/2023"}, "%d/%m/%Y", "2023-12-25", "2024-04-03"},
      {{"03/04/2024", "12/25/2023"}, "%m/%d/%Y", "2023-12-25", "2024-03-04"},
      {{"03.04.2024", "25.12.2023"}, "%d.%m.%Y", "2023-12-25", "2024-04-03"},
      {{"03.04.2024"}, "%d.%m.%Y", "2024-04-03", "2024-04-03"},  // no month-first dotted format
      {{"03-04-2024", "25-12-2023"}, "%d-%m-%Y", "2023-12-25", "2024-04-03"},
      {{"03-04-2024", "12-25-2023"}, "%m-%d-%Y", "2023-12-25", "2024-03-04"},
      {{"5 Jan 2024", "17 FEB 2023", "01 dec 2023"}, "%d %b %Y", "2023-02-17", "2024-01-05"},
      {{"Jan 5 2024", "Dec 25 2023", "mar 01 2024"}, "%b %d %Y", "2023-12-25", "2024-03-01"},
      {{"2024/4/3", "2024/12/25"}, "%Y/%m/%d", "2024-04-03", "2024-12-25"},
      {{"1/2/2024", "13/2/2024"}, "%d/%m/%Y", "2024-02-01", "2024-02-13"},  // unpadded, as Excel writes
  };
  for (const auto& c : cases) {
    ColumnInference column;
    for (const auto v : c.values) column.add(v, ValueKind::text);
    const auto stats = column.finish();
    INFO(c.values.front() << " → " << describe(stats));
    CHECK(stats.type == ColumnType::date);
    CHECK(stats.date_format == c.format);
    CHECK(stats.min == c.min);
    CHECK(stats.max == c.max);
  }
}

TEST_CASE("day/month versus month/day: ambiguous until a day above 12 settles it", "[types]") {
  const auto ambiguous = infer({"03/04/2024", "05/06/2024", "12/01/2023"});
  CHECK(ambiguous.type == ColumnType::string);
  CHECK_FALSE(ambiguous.date_format);
  CHECK_FALSE(ambiguous.min);
  CHECK(type_of({"03-04-2024", "05-06-2024"}) == ColumnType::string);

  const auto day_first = infer({"03/04/2024", "05/06/2024", "13/01/2024"});
  CHECK(day_first.type == ColumnType::date);
  CHECK(day_first.date_format == "%d/%m/%Y");
  CHECK(day_first.min == "2024-01-13");
  CHECK(day_first.max == "2024-06-05");

  // The settling value can come first: min and max were kept for every candidate reading.
  const auto month_first = infer({"01/13/2024", "03/04/2024", "05/06/2024"});
  CHECK(month_first.date_format == "%m/%d/%Y");
  CHECK(month_first.min == "2024-01-13");
  CHECK(month_first.max == "2024-05-06");
}

TEST_CASE("mixed date formats are string", "[types]") {
  CHECK(type_of({"2024-01-05", "05/01/2024"}) == ColumnType::string);
  CHECK(type_of({"13/01/2024", "01/13/2024"}) == ColumnType::string);  // no format fits both
  CHECK(type_of({"2024-01-05", "2024/01/06"}) == ColumnType::string);
  CHECK(type_of({"5 Jan 2024", "Jan 5 2024"}) == ColumnType::string);
  CHECK(type_of({"13.01.2024", "13/01/2024"}) == ColumnType::string);
  CHECK(type_of({"2024-01-05", "5"}) == ColumnType::string);
  CHECK(type_of({"2024-01-05", "true"}) == ColumnType::string);
}

TEST_CASE("dates are validated for real: month range, days per month, leap years", "[types]") {
  CHECK(type_of({"2024-02-29"}) == ColumnType::date);
  CHECK(type_of({"2000-02-29"}) == ColumnType::date);
  CHECK(type_of({"2023-02-29"}) == ColumnType::string);
  CHECK(type_of({"1900-02-29"}) == ColumnType::string);
  CHECK(type_of({"2024-13-01"}) == ColumnType::string);
  CHECK(type_of({"2024-00-10"}) == ColumnType::string);
  CHECK(type_of({"2024-04-31"}) == ColumnType::string);
  CHECK(type_of({"2024-01-00"}) == ColumnType::string);
  CHECK(type_of({"31/04/2024"}) == ColumnType::string);  // neither reading exists
  CHECK(type_of({"30/02/2024"}) == ColumnType::string);
  CHECK(type_of({"32 Jan 2024"}) == ColumnType::string);
  CHECK(type_of({"Jan 32 2024"}) == ColumnType::string);
  CHECK(type_of({"5 Jam 2024"}) == ColumnType::string);
  CHECK(type_of({"5 January 2024"}) == ColumnType::string);
  CHECK(type_of({"2024-01-05x"}) == ColumnType::string);
  CHECK(type_of({"2024-001-05"}) == ColumnType::string);
  CHECK(type_of({"24-01-05"}) == ColumnType::string);
  CHECK(type_of({"123/01/2024"}) == ColumnType::string);
  CHECK(type_of({"01/01/24"}) == ColumnType::string);
  // The date of one format with the separators of another is no date.
  CHECK(type_of({"2024-01/05"}) == ColumnType::string);
  CHECK(type_of({"13/01-2024"}) == ColumnType::string);
}

// ---- datetimes ----------------------------------------------------------------------------------

TEST_CASE("ISO datetimes with T or a space", "[types]") {
  const auto t = infer({"2024-01-05T10:00:00", "2024-01-05T09:30:00", "2023-12-31T23:59:59"});
  CHECK(t.type == ColumnType::datetime);
  CHECK(t.date_format == "%Y-%m-%dT%H:%M:%S");
  CHECK(t.min == "2023-12-31T23:59:59");
  CHECK(t.max == "2024-01-05T10:00:00");

  const auto space = infer({"2024-01-05 10:00:00", "2024-01-05 09:30:00"});
  CHECK(space.type == ColumnType::datetime);
  CHECK(space.date_format == "%Y-%m-%d %H:%M:%S");
  CHECK(space.min == "2024-01-05T09:30:00");

  const auto minutes = infer({"2024-01-05T10:00"});
  CHECK(minutes.type == ColumnType::datetime);
  CHECK(minutes.date_format == "%Y-%m-%dT%H:%M");
  CHECK(minutes.max == "2024-01-05T10:00:00");

  CHECK(type_of({"2024-01-05T10:00:00", "2024-01-05 10:00:00"}) == ColumnType::string);
}

TEST_CASE("ISO datetimes with offsets are ordered by instant and reported in UTC", "[types]") {
  const auto stats =
      infer({"2024-01-05T10:00:00+02:00", "2024-01-05T09:00:00Z", "2024-01-05T03:30:00-05:00"});
  CHECK(stats.type == ColumnType::datetime);
  CHECK(stats.date_format == "%Y-%m-%dT%H:%M:%S%z");
  CHECK(stats.min == "2024-01-05T08:00:00Z");
  CHECK(stats.max == "2024-01-05T09:00:00Z");

  CHECK(infer({"2024-01-01T01:00:00+02:00"}).min == "2023-12-31T23:00:00Z");
  CHECK(infer({"2024-01-01 10:00:00+0530"}).min == "2024-01-01T04:30:00Z");
  CHECK(infer({"2024-01-01 10:00:00+00"}).min == "2024-01-01T10:00:00Z");  // PostgreSQL's text form

  const auto fraction =
      infer({"2024-01-05T10:00:00.250Z", "2024-01-05T10:00:00Z", "2024-01-05T10:00:00.0000001Z"});
  CHECK(fraction.type == ColumnType::datetime);
  CHECK(fraction.date_format == "%Y-%m-%dT%H:%M:%S.%f%z");
  CHECK(fraction.min == "2024-01-05T10:00:00Z");
  CHECK(fraction.max == "2024-01-05T10:00:00.25Z");

  // Without an offset on every value there is no UTC to claim.
  const auto mixed = infer({"2024-01-05T10:00:00", "2024-01-05T12:00:00+01:00"});
  CHECK(mixed.type == ColumnType::datetime);
  CHECK(mixed.max == "2024-01-05T11:00:00");
}

TEST_CASE("invalid times are not datetimes", "[types]") {
  for (const std::string_view v :
       {"2024-01-05T24:00:00", "2024-01-05T10:60", "2024-01-05T10:00:60", "2024-01-05T10", "2024-01-05T1:00",
        "2024-01-05T10:00:00+2", "2024-01-05T10:00:00+24:00", "2024-01-05T10:00:00.", "2024-01-05T10:00:00 Z",
        "2024-1-05T10:00", "2024/01/05T10:00", "2024-01-05T", "2024-02-30T10:00", "03/04/2024 10",
        "03/04/2024 10:5", "03.04.2024 10:00", "13/04/2024 25:00"}) {
    INFO(v);
    CHECK(type_of({v}) == ColumnType::string);
  }
}

TEST_CASE("slash datetimes follow the same day/month rule", "[types]") {
  const auto day_first = infer({"03/04/2024 10:00", "25/04/2024 09:15:30"});
  CHECK(day_first.type == ColumnType::datetime);
  CHECK(day_first.date_format == "%d/%m/%Y %H:%M:%S");
  CHECK(day_first.min == "2024-04-03T10:00:00");
  CHECK(day_first.max == "2024-04-25T09:15:30");

  const auto month_first = infer({"04/25/2024 9:15", "04/03/2024 10:00"});
  CHECK(month_first.type == ColumnType::datetime);
  CHECK(month_first.date_format == "%m/%d/%Y %H:%M");
  CHECK(month_first.min == "2024-04-03T10:00:00");

  CHECK(type_of({"03/04/2024 10:00", "05/06/2024 11:00"}) == ColumnType::string);
}

TEST_CASE("a column mixing dates and datetimes is string", "[types]") {
  CHECK(type_of({"2024-01-05", "2024-01-05T10:00:00"}) == ColumnType::string);
  CHECK(type_of({"13/01/2024", "13/01/2024 10:00"}) == ColumnType::string);
}

// ---- JSON kinds ---------------------------------------------------------------------------------

TEST_CASE("JSON numbers are integers when they fit int64, floats otherwise, never codes", "[types]") {
  CHECK(type_of({"1", "-5", "0"}, ValueKind::number) == ColumnType::integer);
  CHECK(type_of({"1", "2.5"}, ValueKind::number) == ColumnType::floating);
  CHECK(type_of({"1.0"}, ValueKind::number) == ColumnType::floating);
  CHECK(type_of({"1e3"}, ValueKind::number) == ColumnType::floating);
  const auto big = infer({"18446744073709551616", "1"}, ValueKind::number);
  CHECK(big.type == ColumnType::floating);
  CHECK(big.min == "1");
  CHECK(big.max == "18446744073709551616");  // 2^64 is a double, printed exactly
  const auto limits = infer({"9223372036854775807", "-9223372036854775808"}, ValueKind::number);
  CHECK(limits.type == ColumnType::integer);
  CHECK(limits.min == "-9223372036854775808");
}

TEST_CASE("JSON strings are inferred from their text, except that numeric ones stay strings", "[types]") {
  CHECK(type_of({"123", "456"}, ValueKind::string) == ColumnType::string);
  CHECK(type_of({"1.5"}, ValueKind::string) == ColumnType::string);
  CHECK(type_of({"inf"}, ValueKind::string) == ColumnType::string);
  const auto dates = infer({"2024-01-05", "2024-02-01"}, ValueKind::string);
  CHECK(dates.type == ColumnType::date);
  CHECK(dates.date_format == "%Y-%m-%d");
  CHECK(type_of({"2024-01-05T10:00:00Z"}, ValueKind::string) == ColumnType::datetime);
  CHECK(type_of({"true", "false"}, ValueKind::string) == ColumnType::boolean);
  const auto nulls = infer({"NA", "", "abc"}, ValueKind::string);
  CHECK(nulls.type == ColumnType::string);
  CHECK(nulls.null_count == 2);
}

TEST_CASE("JSON booleans, nulls and arrays", "[types]") {
  CHECK(type_of({"true", "false"}, ValueKind::boolean) == ColumnType::boolean);
  const auto nulls = infer({"null", "null"}, ValueKind::null);
  CHECK(nulls.type == ColumnType::null);
  CHECK(nulls.null_count == 2);
  CHECK(type_of({"[1,2]", "[]"}, ValueKind::array) == ColumnType::string);
  CHECK(infer({"[1,2]", "[]", "[1,2]"}, ValueKind::array).distinct_estimate == 2);
}

TEST_CASE("a JSON column whose values disagree in kind is string", "[types]") {
  CHECK(infer({{"1", ValueKind::number}, {"a", ValueKind::string}}).type == ColumnType::string);
  CHECK(infer({{"1", ValueKind::number}, {"2", ValueKind::string}}).type == ColumnType::string);
  CHECK(infer({{"true", ValueKind::boolean}, {"false", ValueKind::string}}).type == ColumnType::string);
  CHECK(infer({{"1", ValueKind::number}, {"[1]", ValueKind::array}}).type == ColumnType::string);
  // Nulls have no kind to disagree with.
  const auto with_null =
      infer({{"1", ValueKind::number}, {"null", ValueKind::null}, {"", ValueKind::string}});
  CHECK(with_null.type == ColumnType::integer);
  CHECK(with_null.null_count == 2);
}

// ---- distinct estimate --------------------------------------------------------------------------

TEST_CASE("distinct counts are exact up to 64 values", "[types]") {
  for (int n : {1, 2, 10, 63, 64}) {
    ColumnInference column;
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < n; ++i) column.add("v" + std::to_string(i), ValueKind::text);
    }
    CHECK(column.finish().distinct_estimate == static_cast<std::uint64_t>(n));
  }
  ColumnInference column;
  for (int i = 0; i < 65; ++i) column.add(std::to_string(i), ValueKind::text);
  CHECK(column.finish().distinct_estimate >= 65);
  CHECK(column.finish().distinct_estimate <= 70);
}

// 2^12 registers give a standard error of 1.04/64 ≈ 1.6%: 3% is the target at a million, and 5%
// (three standard errors) the bound elsewhere, including where linear counting hands over (~10k).
TEST_CASE("the HyperLogLog estimate stays within 3% at a million distinct values", "[types]") {
  for (const std::uint64_t n : {1'000ull, 10'000ull, 100'000ull, 1'000'000ull}) {
    const double bound = n == 1'000'000 ? 0.03 : 0.05;
    ColumnInference numbers;
    ColumnInference words;
    for (std::uint64_t i = 0; i < n; ++i) {
      numbers.add(std::to_string(i + 1), ValueKind::text);
      words.add("customer-" + std::to_string(i * 7919) + "@example.com", ValueKind::text);
    }
    for (const auto* column : {&numbers, &words}) {
      const auto estimate = static_cast<double>(column->finish().distinct_estimate);
      INFO("n = " << n << ", estimate = " << estimate);
      CHECK(std::abs(estimate - static_cast<double>(n)) <= bound * static_cast<double>(n));
    }
  }
}

// ---- merging ------------------------------------------------------------------------------------

TEST_CASE("merging chunks gives what one accumulator gives", "[types]") {
  ColumnInference a;
  ColumnInference b;
  ColumnInference whole;
  const std::vector<std::string> values = {"03/04/2024", "NA", "05/06/2024", "13/01/2024", ""};
  for (std::size_t i = 0; i < values.size(); ++i) {
    (i < 2 ? a : b).add(values[i], ValueKind::text);
    whole.add(values[i], ValueKind::text);
  }
  a.merge(b);
  const auto merged = a.finish();
  CHECK(describe(merged) == describe(whole.finish()));
  CHECK(merged.type == ColumnType::date);
  CHECK(merged.date_format == "%d/%m/%Y");
  CHECK(merged.null_count == 2);

  // A chunk that settled on string early still makes the whole column string.
  ColumnInference early;
  early.add("abc", ValueKind::text);
  early.add("5", ValueKind::text);
  ColumnInference ints;
  ints.add("7", ValueKind::text);
  ints.merge(early);
  CHECK(ints.finish().type == ColumnType::string);
  CHECK(ints.finish().count == 3);
  CHECK(ints.finish().distinct_estimate == 3);
}

TEST_CASE("add() reads only the bytes it is given", "[types]") {
  // Each value sits in a heap block of exactly its size, so AddressSanitizer flags any word load
  // that strays past either end.
  const std::vector<std::string> values = {"",
                                           "1",
                                           "-",
                                           "12",
                                           "1.",
                                           ".5",
                                           "123",
                                           "-1.5",
                                           "2024",
                                           "12345",
                                           "1234.5",
                                           "1234567",
                                           "12345678",
                                           "-12345678",
                                           "123456789",
                                           "1.234567",
                                           "2024-01-05",
                                           "2024-01-05T10:00:00Z",
                                           "abcdefghijklmnop",
                                           "abcdefghijklmnopq",
                                           "a somewhat longer string value that spans several words",
                                           "NA",
                                           " 42 ",
                                           "true"};
  for (const auto kind : {ValueKind::text, ValueKind::string, ValueKind::number}) {
    ColumnInference column;
    for (const auto& v : values) {
      const auto block = std::make_unique<char[]>(v.size());
      std::copy(v.begin(), v.end(), block.get());
      column.add(std::string_view(block.get(), v.size()), kind);
    }
    CHECK(column.finish().count == values.size());
  }
}

// ---- typed values -------------------------------------------------------------------------------

TEST_CASE("typed_value shows each sample value as the column's type", "[types]") {
  ColumnInference column;

  const auto ints = infer({"42", "-7"});
  const auto i = column.typed_value(" 42 ", ValueKind::text, ints);
  REQUIRE(i.is_int64());
  CHECK(i.as_int64() == 42);
  CHECK(column.typed_value("+5", ValueKind::text, ints).as_int64() == 5);
  CHECK(column.typed_value("NA", ValueKind::text, ints).is_null());
  CHECK(column.typed_value("", ValueKind::text, ints).is_null());
  CHECK(column.typed_value("-9223372036854775808", ValueKind::text, ints).as_int64() ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(column.typed_value("12", ValueKind::number, ints).as_int64() == 12);

  const auto floats = infer({"2.5", "3"});
  const auto f = column.typed_value("2.5", ValueKind::text, floats);
  REQUIRE(f.is_double());
  CHECK(f.as_double() == 2.5);
  CHECK(column.typed_value("3", ValueKind::text, floats).as_int64() == 3);  // still a JSON number
  CHECK(column.typed_value("1e3", ValueKind::number, floats).as_double() == 1000.0);
  CHECK(column.typed_value("inf", ValueKind::text, floats) == json::value("inf"));  // JSON has no infinity

  const auto bools = infer({"Yes", "no"});
  CHECK(column.typed_value("Yes", ValueKind::text, bools) == json::value(true));
  CHECK(column.typed_value("FALSE", ValueKind::text, bools) == json::value(false));
  CHECK(column.typed_value("true", ValueKind::boolean, bools) == json::value(true));
  CHECK(column.typed_value("null", ValueKind::null, bools).is_null());

  const auto dates = infer({"2024-01-05"});
  CHECK(column.typed_value("2024-01-05", ValueKind::text, dates) == json::value("2024-01-05"));
  const auto datetimes = infer({"2024-01-05T10:00:00Z"});
  CHECK(column.typed_value("2024-01-05T10:00:00Z", ValueKind::text, datetimes) ==
        json::value("2024-01-05T10:00:00Z"));

  const auto codes = infer({"007", "123"});
  CHECK(column.typed_value("007", ValueKind::text, codes) == json::value("007"));
  CHECK(column.typed_value("123", ValueKind::text, codes) == json::value("123"));
  CHECK(column.typed_value("N/A", ValueKind::text, codes).is_null());
  CHECK(column.typed_value("5", ValueKind::number, codes) == json::value("5"));
  CHECK(column.typed_value("[1,2]", ValueKind::array, codes) == json::value("[1,2]"));

  const auto nulls = infer({"NA"});
  CHECK(column.typed_value("NA", ValueKind::text, nulls).is_null());
}

// ---- properties ---------------------------------------------------------------------------------

namespace {

std::string two_digits(int v) {
  return (v < 10 ? "0" : "") + std::to_string(v);
}

int days_in_month(int y, int m) {
  constexpr std::array<int, 13> kDays = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  return kDays[static_cast<std::size_t>(m)] + (m == 2 && leap ? 1 : 0);
}

std::string iso(int y, int m, int d) {
  std::string year = std::to_string(y);
  year.insert(0, 4 - std::min<std::size_t>(4, year.size()), '0');
  return year + "-" + two_digits(m) + "-" + two_digits(d);
}

constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string format_date(std::string_view format, int y, int m, int d) {
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    switch (format[++i]) {
      case 'Y':
        out += std::to_string(y);
        break;
      case 'm':
        out += two_digits(m);
        break;
      case 'd':
        out += two_digits(d);
        break;
      case 'b':
        out += kMonthNames[static_cast<std::size_t>(m - 1)];
        break;
      default:
        break;
    }
  }
  return out;
}

// What a generated column looks like: a family of values, a variant within it, and whether the
// odd stray value (from another family, or a zero-padded code) gets in. Most columns are clean so
// that the property sees every final type, not almost always string.
struct Shape {
  int family = 0;
  int variant = 0;
  bool noisy = false;
};

Value generated_value(const Shape& shape) {
  const int roll = *rc::gen::inRange(0, 100);
  if (roll < 8) return {*rc::gen::element<std::string>("", "NA", " ", "null", "-"), ValueKind::text};
  int family = shape.family;
  if (shape.noisy && roll < 10) family = *rc::gen::inRange(0, 8);
  switch (family) {
    case 0: {  // integers, decorated the ways files decorate them
      const auto v = *rc::gen::arbitrary<std::int64_t>();
      std::string text = std::to_string(v);
      const int style = *rc::gen::inRange(0, 10);
      if (style == 0 && v >= 0) text = "+" + text;
      if (style == 1) text = " " + text + "\t";
      if (style == 2 && shape.noisy) text = "0" + text;  // a code
      return {text, ValueKind::text};
    }
    case 1: {  // floats, with integers unless the variant says otherwise
      const auto whole = *rc::gen::inRange(-1000, 1000);
      const auto frac = *rc::gen::inRange(0, 1000);
      const auto fractional =
          rc::gen::element(std::to_string(whole) + "." + std::to_string(frac), std::to_string(frac) + "e-3",
                           std::string("-0.0"), std::string("0.0"), std::string("-inf"));
      if (shape.variant == 0) return {*fractional, ValueKind::text};
      return {*rc::gen::oneOf(fractional, rc::gen::just(std::to_string(whole))), ValueKind::text};
    }
    case 2: {  // slash dates, ambiguous unless some day is above 12
      const int a = *rc::gen::inRange(1, shape.variant < 2 ? 13 : 29);
      const int b = *rc::gen::inRange(1, 13);
      const std::string y = std::to_string(*rc::gen::inRange(1990, 2030));
      const char sep = shape.variant % 2 == 0 ? '/' : '-';
      return {two_digits(a) + sep + two_digits(b) + sep + y, ValueKind::text};
    }
    case 3: {  // ISO dates or datetimes, with offsets and fractions
      const int y = *rc::gen::inRange(1, 10000);
      const int m = *rc::gen::inRange(1, 13);
      const int d = *rc::gen::inRange(1, 29);
      std::string text = iso(y, m, d);
      if (shape.variant != 0) {
        text += (shape.variant == 1 ? "T" : " ") + two_digits(*rc::gen::inRange(0, 24)) + ":" +
                two_digits(*rc::gen::inRange(0, 60));
        text += *rc::gen::element<std::string>("", ":07", ":59.5", ":00.123456789");
        if (shape.variant == 1) text += *rc::gen::element<std::string>("Z", "+02:00", "-11:30", "+14:00");
      }
      return {text, ValueKind::text};
    }
    case 4:
      return {*rc::gen::element<std::string>("true", "false", "Yes", "no"), ValueKind::text};
    case 5:  // short strings over a tiny alphabet: many repeats
      return {
          *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(0, 4), rc::gen::element('a', 'b')),
          ValueKind::text};
    case 6: {  // JSON values: numbers, strings holding dates, booleans, nulls
      const auto v = *rc::gen::inRange(-100000, 100000);
      if (*rc::gen::inRange(0, 10) == 0) return {"null", ValueKind::null};
      switch (shape.variant) {
        case 0:
          return {std::to_string(v), ValueKind::number};
        case 1:
          return {*rc::gen::element(std::to_string(v), std::to_string(v) + ".5", std::to_string(v) + "e3"),
                  ValueKind::number};
        case 2:
          return {iso(2000 + v % 20, 1 + (v & 7), 1 + (v & 15)), ValueKind::string};
        default:
          return {*rc::gen::element<std::string>("true", "false"), ValueKind::boolean};
      }
    }
    default:  // many distinct integers or words, past the exact set into the sketch
      return {(shape.variant % 2 == 0 ? "" : "w") + std::to_string(*rc::gen::inRange(0, 5000)),
              ValueKind::text};
  }
}

void require_same(const ColumnStats& a, const ColumnStats& b) {
  RC_ASSERT(a.type == b.type);
  RC_ASSERT(a.count == b.count);
  RC_ASSERT(a.null_count == b.null_count);
  RC_ASSERT(a.distinct_estimate == b.distinct_estimate);
  RC_ASSERT(a.min == b.min);
  RC_ASSERT(a.max == b.max);
  RC_ASSERT(a.date_format == b.date_format);
}

}  // namespace

TEST_CASE("inference does not depend on how a column is split into chunks or merged", "[types][property]") {
  rc::prop("any split points, any merge order", [] {
    const Shape shape{*rc::gen::inRange(0, 8), *rc::gen::inRange(0, 4), *rc::gen::inRange(0, 4) == 0};
    const auto n = *rc::gen::inRange<std::size_t>(0, 400);
    std::vector<Value> values;
    for (std::size_t i = 0; i < n; ++i) values.push_back(generated_value(shape));

    auto cuts = *rc::gen::container<std::vector<std::size_t>>(*rc::gen::inRange<std::size_t>(0, 8),
                                                              rc::gen::inRange<std::size_t>(0, n + 1));
    cuts.push_back(0);
    cuts.push_back(n);
    std::sort(cuts.begin(), cuts.end());
    std::vector<ColumnInference> chunks(cuts.size() - 1);
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
      for (std::size_t i = cuts[c]; i < cuts[c + 1]; ++i) chunks[c].add(values[i].text, values[i].kind);
    }
    while (chunks.size() > 1) {
      const auto into = *rc::gen::inRange<std::size_t>(0, chunks.size());
      auto from = *rc::gen::inRange<std::size_t>(0, chunks.size() - 1);
      if (from >= into) ++from;
      chunks[into].merge(chunks[from]);
      chunks.erase(chunks.begin() + static_cast<std::ptrdiff_t>(from));
    }
    const auto whole = infer(values);
    RC_TAG(to_string(whole.type));
    require_same(chunks.front().finish(), whole);
  });
}

namespace {

// Short numbers and ISO dates, the shapes add_text()'s typed loops take, and the near misses that
// must leave those loops for the general path.
std::string short_number_or_date() {
  switch (*rc::gen::inRange(0, 6)) {
    case 0:
      return std::to_string(*rc::gen::inRange<std::int64_t>(-99'999'999, 1'000'000'000));
    case 1: {
      const auto scale = *rc::gen::inRange<std::size_t>(0, 8);
      std::string digits = std::to_string(*rc::gen::inRange<std::int64_t>(0, 10'000'000));
      if (digits.size() < scale) digits.insert(0, scale - digits.size(), '0');
      digits.insert(digits.size() - scale, ".");
      return (*rc::gen::inRange(0, 3) == 0 ? "-" : "") + digits;
    }
    case 2:
      return *rc::gen::element<std::string>("-0", "-0.0", "0.0", "0", "-", ".", "5.", ".5", "-.5", "007",
                                            "-05", "1.2.3", "12-34", "+5", "1e3", "99999999", "123456789",
                                            " 12", "12 ", "", "NA", "null", "-nan", "0x1F", "１２");
    case 3: {
      const int y = *rc::gen::inRange(0, 10000);
      const int m = *rc::gen::inRange(0, 14);
      const int d = *rc::gen::inRange(0, 32);
      return iso(y, m, d);
    }
    case 4:
      return *rc::gen::element<std::string>("2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29",
                                            "2024-1-011", "2024/01/01", "20240-1-01", "2024-01-01T",
                                            "abcd-ef-gh");
    default:
      return *rc::gen::element<std::string>("true", "x", "Oslo", "Lima, downtown");
  }
}

}  // namespace

TEST_CASE("add_text's number loop keeps negative zero and its bounds exact per decimal count", "[types]") {
  const std::vector<std::string_view> values = {"1.5", "0.25", "-0.0", "2", "0.0", "1.125", "-0.50", "3.1"};
  for (std::size_t batch = 1; batch <= values.size(); ++batch) {
    ColumnInference column;
    for (std::size_t i = 0; i < values.size(); i += batch)
      column.add_text({values.data() + i, std::min(batch, values.size() - i)});
    const auto stats = column.finish();
    INFO("batch " << batch << ": " << describe(stats));
    CHECK(stats.type == ColumnType::floating);
    CHECK(stats.min == "-0.5");
    CHECK(stats.max == "3.1");
  }
  // The first batch goes through the cache of recent values; it misses, and the rest go through
  // the loop for numbers.
  ColumnInference zeros;
  const std::vector<std::string_view> first = {"0.5"};
  const std::vector<std::string_view> signed_zeros = {"0.0", "-0.0", "1.5"};
  zeros.add_text(first);
  zeros.add_text(signed_zeros);
  CHECK(zeros.finish().min == "-0");
  // The same four values at a time (the loop's AVX2 version), the signed zero in the second four.
  ColumnInference quads;
  const std::vector<std::string_view> quad = {"0.50", "1.25",  "2.75", "3.00",
                                              "0.25", "-0.00", "0.75", "1.00"};
  quads.add_text(first);
  quads.add_text(quad);
  CHECK(quads.finish().min == "-0");
}

namespace {

// The values through add_text() in batches of random sizes give what add() gives one at a time;
// also when they are padded, each followed in one buffer by other bytes that may be read with it.
// Padded, the cache of recent values reads its keys another way, which must give the same keys:
// a key that differed would only ever miss (the cache stores the other way's), so the misses are
// compared too.
void batches_match_one_at_a_time(const std::vector<std::string>& values) {
  std::string buffer;
  std::vector<std::size_t> starts;
  for (const auto& v : values) {
    starts.push_back(buffer.size());
    buffer += v;
    // What follows a value in a file: a delimiter, the next value, digits, a line end.
    buffer += *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(0, 20),
                                               rc::gen::element(',', '0', '7', 'a', '-', '\n', '\xE9'));
  }
  buffer.append(RecordBatch::kReadAhead, 'x');
  const std::vector<std::string_view> exact_views(values.begin(), values.end());
  std::vector<std::string_view> padded_views;
  for (std::size_t i = 0; i < values.size(); ++i) {
    padded_views.push_back(std::string_view(buffer).substr(starts[i], values[i].size()));
  }
  ColumnInference exact;
  ColumnInference padded;
  for (std::size_t i = 0; i < values.size();) {
    const auto size = std::min(values.size() - i, *rc::gen::inRange<std::size_t>(1, 300));
    exact.add_text({exact_views.data() + i, size});
    padded.add_text({padded_views.data() + i, size}, true);
    i += size;
  }
  ColumnInference single;
  for (const auto& v : values) single.add(v, ValueKind::text);
  const auto expected = single.finish();
  RC_TAG(to_string(expected.type));
  require_same(exact.finish(), expected);
  require_same(padded.finish(), expected);
  RC_ASSERT(padded.recent_misses() == exact.recent_misses());
}

}  // namespace

TEST_CASE("add_text in batches gives what add gives one value at a time", "[types][property]") {
  rc::prop("any batch sizes, columns of short numbers and dates with near misses", [] {
    const int family = *rc::gen::inRange(0, 5);
    // For family 4: a dozen categories, each repeated many times, that the cache of recent values
    // must tell apart: one word of up to 18 bytes (the cache takes up to 16), with one byte
    // changed anywhere or cut short, and nulls among them.
    const auto word = *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(1, 19),
                                                       rc::gen::element('a', 'b', 'Z', '0', '1', ' '));
    std::vector<std::string> categories;
    for (int k = 0; k < 12; ++k) {
      std::string category = word;
      switch (*rc::gen::inRange(0, 4)) {
        case 0:
          category[*rc::gen::inRange<std::size_t>(0, word.size())] = *rc::gen::element('c', '2', '\t');
          break;
        case 1:
          category.resize(*rc::gen::inRange<std::size_t>(1, word.size() + 1));
          break;
        case 2:
          category = *rc::gen::element<std::string>("", "NA", "null", " ", "true", "-0.0", "12");
          break;
        default:
          break;
      }
      categories.push_back(category);
    }
    const int stray_odds = *rc::gen::element(0, 40, 400);  // one value in this many is a stray
    const int decimals = *rc::gen::inRange(1, 5);
    // Near misses of the family's own shape; rare, as one makes a column string for good.
    const int odd_odds = *rc::gen::element(0, 100, 600);
    const auto odd = [&] { return odd_odds != 0 && *rc::gen::inRange(0, odd_odds) == 0; };
    const int negative_odds = *rc::gen::element(0, 1);  // in 4
    const auto n = *rc::gen::inRange<std::size_t>(0, 600);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < n; ++i) {
      // Mostly one family, so that a column settles and its typed loop runs, maybe with strays.
      const bool stray = stray_odds != 0 && *rc::gen::inRange(0, stray_odds) == 0;
      switch (stray ? 0 : family) {
        case 1:
          // Now and then a code with a leading zero, or a lone zero, which is an integer.
          values.push_back((odd() ? "0" : "") +
                           std::to_string(*rc::gen::inRange<std::int64_t>(0, 10'000'000)));
          break;
        case 2: {
          // Mostly the column's number of decimals, now and then another: the number loops keep
          // bounds per number of decimals, and take four values of one at a time.
          const int places = *rc::gen::inRange(0, 8) == 0 ? *rc::gen::inRange(0, 5) : decimals;
          std::string fraction;
          for (int k = 0; k < places; ++k) fraction += static_cast<char>('0' + *rc::gen::inRange(0, 10));
          // Now and then a zero, signed or not: negative zero is the smallest value of a column
          // without negatives, and no digits can keep its sign.
          const bool zero = *rc::gen::inRange(0, 30) == 0;
          if (zero) fraction = std::string(static_cast<std::size_t>(places), '0');
          const bool minus = zero ? *rc::gen::arbitrary<bool>() : *rc::gen::inRange(0, 4) < negative_odds;
          values.push_back((minus ? "-" : "") + std::to_string(zero ? 0 : *rc::gen::inRange(0, 1000)) + "." +
                           fraction);
          break;
        }
        case 3:
          // Now and then a day that may not exist: month 0 or 13, day 0, the 31st of a short
          // month, February 29th in leap and other years.
          if (odd()) {
            values.push_back(iso(*rc::gen::element(1900, 2000, 2023, 2024), *rc::gen::inRange(0, 14),
                                 *rc::gen::element(0, 1, 28, 29, 30, 31, 32)));
          } else {
            values.push_back(
                iso(*rc::gen::inRange(1990, 2030), *rc::gen::inRange(1, 13), *rc::gen::inRange(1, 29)));
          }
          break;
        case 4:
          values.push_back(categories[*rc::gen::inRange<std::size_t>(0, categories.size())]);
          break;
        default:
          values.push_back(short_number_or_date());
      }
    }
    batches_match_one_at_a_time(values);
  });
}

TEST_CASE("add_text in batches gives what add gives one value at a time, for ISO dates",
          "[types][property]") {
  rc::prop("a column of ISO dates with one that may not exist", [] {
    const auto n = *rc::gen::inRange<std::size_t>(1, 600);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < n; ++i)
      values.push_back(
          iso(*rc::gen::inRange(1990, 2030), *rc::gen::inRange(1, 13), *rc::gen::inRange(1, 29)));
    // Month 0 or 13, day 0 or 32, the 31st of a short month, February 29th in leap and other
    // years, and days that do exist at the ends of months.
    values[*rc::gen::inRange<std::size_t>(0, n)] = *rc::gen::element<std::string>(
        "2023-02-29", "1900-02-29", "2024-02-29", "2000-02-29", "2024-04-31", "2023-06-31", "2024-13-05",
        "2024-00-10", "2024-05-00", "2024-05-32", "2024-12-31", "2023-02-28", "2024-09-30", "2024-11-31");
    batches_match_one_at_a_time(values);
  });
}

TEST_CASE("generated integer columns are integer with exact min and max", "[types][property]") {
  rc::prop("integers", [] {
    const auto extremes =
        rc::gen::element(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
                         std::int64_t{0}, std::int64_t{-1});
    const auto ints = *rc::gen::nonEmpty(rc::gen::container<std::vector<std::int64_t>>(
        rc::gen::weightedOneOf<std::int64_t>({{8, rc::gen::arbitrary<std::int64_t>()}, {1, extremes}})));
    ColumnInference column;
    std::uint64_t nulls = 0;
    for (const auto v : ints) {
      std::string text = std::to_string(v);
      if (v > 0 && *rc::gen::inRange(0, 4) == 0) text = "+" + text;
      if (*rc::gen::inRange(0, 4) == 0) text = " " + text + " ";
      column.add(text, ValueKind::text);
      if (*rc::gen::inRange(0, 5) == 0) {
        column.add("", ValueKind::text);
        ++nulls;
      }
    }
    const auto stats = column.finish();
    RC_ASSERT(stats.type == ColumnType::integer);
    RC_ASSERT(stats.min == std::to_string(*std::min_element(ints.begin(), ints.end())));
    RC_ASSERT(stats.max == std::to_string(*std::max_element(ints.begin(), ints.end())));
    RC_ASSERT(stats.count == ints.size() + nulls);
    RC_ASSERT(stats.null_count == nulls);
  });
}

TEST_CASE("generated dates in one format with a day above 12 reveal that format", "[types][property]") {
  rc::prop("dates", [] {
    const auto format =
        *rc::gen::element<std::string>("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y",
                                       "%m-%d-%Y", "%d %b %Y", "%b %d %Y");
    using Date = std::tuple<int, int, int>;
    const auto date = rc::gen::mapcat(
        rc::gen::pair(rc::gen::inRange(1000, 10000), rc::gen::inRange(1, 13)),
        [](const std::pair<int, int>& ym) {
          return rc::gen::map(rc::gen::inRange(1, days_in_month(ym.first, ym.second) + 1), [ym](int d) {
            return Date{ym.first, ym.second, d};
          });
        });
    auto dates = *rc::gen::container<std::vector<Date>>(date);
    // The value that settles day-first against month-first.
    const int year = *rc::gen::inRange(1000, 10000);
    const int month = *rc::gen::inRange(1, 13);
    const int day = *rc::gen::inRange(13, days_in_month(year, month) + 1);
    const auto at = *rc::gen::inRange<std::size_t>(0, dates.size() + 1);
    dates.insert(dates.begin() + static_cast<std::ptrdiff_t>(at), Date{year, month, day});

    ColumnInference column;
    for (const auto& [y, m, d] : dates) column.add(format_date(format, y, m, d), ValueKind::text);
    const auto stats = column.finish();
    const auto [min_y, min_m, min_d] = *std::min_element(dates.begin(), dates.end());
    const auto [max_y, max_m, max_d] = *std::max_element(dates.begin(), dates.end());
    RC_ASSERT(stats.type == ColumnType::date);
    RC_ASSERT(stats.date_format == format);
    RC_ASSERT(stats.min == iso(min_y, min_m, min_d));
    RC_ASSERT(stats.max == iso(max_y, max_m, max_d));
  });
}

namespace {

// A deliberately plain reading of the number rules, to hold the tuned classifier to.
struct ReferenceNumber {
  bool integer = false;
  bool floating = false;
  std::optional<std::string> shortest;  // absent when the value overflows a double
};

ReferenceNumber reference_number(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  ReferenceNumber out;
  std::string_view body = text;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  const auto digits_end = [](std::string_view s, std::size_t i) {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i;
  };
  const std::size_t int_end = digits_end(body, 0);
  std::string plain(text.substr(text.size() - body.size()));
  if (!text.empty() && text[0] == '-') plain.insert(0, "-");
  if (int_end == body.size() && int_end > 0) {
    if (int_end > 1 && body[0] == '0') return out;  // a code
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(plain.data(), plain.data() + plain.size(), v);
    if (ec != std::errc{}) return out;  // beyond 64 bits
    out.integer = true;
    out.shortest = std::to_string(v);
    return out;
  }
  std::size_t i = int_end;
  std::size_t frac_digits = 0;
  if (i < body.size() && body[i] == '.') {
    const std::size_t frac_end = digits_end(body, i + 1);
    frac_digits = frac_end - i - 1;
    i = frac_end;
  }
  if (int_end + frac_digits == 0) return out;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    std::size_t e = i + 1;
    if (e < body.size() && (body[e] == '+' || body[e] == '-')) ++e;
    const std::size_t exp_end = digits_end(body, e);
    if (exp_end == e) return out;
    i = exp_end;
  }
  if (i != body.size()) return out;
  out.floating = true;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(plain.data(), plain.data() + plain.size(), v);
  if (ec == std::errc{}) {
    char buf[32];
    const auto [end, ec2] = std::to_chars(buf, buf + sizeof buf, v);
    out.shortest = std::string(buf, end);
  }
  return out;
}

}  // namespace

TEST_CASE("number-like text is classified as a plain reading of the rules says", "[types][property]") {
  rc::prop("integers and floats of every length, and near misses", [] {
    const auto digits = [](std::size_t max) {
      return rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(0, max + 1),
                                             rc::gen::inRange('0', ':'));
    };
    std::string text;
    if (*rc::gen::inRange(0, 3) == 0) {
      // Anything over the characters numbers are made of.
      text = *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(0, 14),
                                              rc::gen::elementOf(std::string("0123456789.-+eE")));
    } else {
      text = *rc::gen::element<std::string>("", "", "-", "+");
      text += *digits(21);
      if (*rc::gen::inRange(0, 2) == 0) text += "." + *digits(12);
      if (*rc::gen::inRange(0, 6) == 0) text += *rc::gen::element<std::string>("e", "E-", "e+") + *digits(3);
    }
    if (*rc::gen::inRange(0, 6) == 0) text = " " + text + "\t";
    ColumnInference column;
    column.add(text, ValueKind::text);
    const auto stats = column.finish();
    const auto expected = reference_number(text);
    RC_TAG(to_string(stats.type));
    if (expected.integer) {
      RC_ASSERT(stats.type == ColumnType::integer);
      RC_ASSERT(stats.min == expected.shortest);
    } else if (expected.floating) {
      RC_ASSERT(stats.type == ColumnType::floating);
      if (expected.shortest) RC_ASSERT(stats.min == expected.shortest);
    } else {
      RC_ASSERT(stats.type != ColumnType::integer);
      RC_ASSERT(stats.type != ColumnType::floating);
    }
  });
}
