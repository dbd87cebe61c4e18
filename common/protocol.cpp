#include "common/protocol.h"

#include "common/wire.h"

namespace gdp::wire::detail {

const char* json_kind(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "an integer";
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "an unknown value";
}

void mismatch(std::string_view path, std::string_view expected, const boost::json::value& got) {
  throw TypeError(std::string(path), "expected " + std::string(expected) + ", got " + json_kind(got));
}

}  // namespace gdp::wire::detail
