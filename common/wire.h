// Conversions between wire structs and JSON, written once for every struct.
//
// A wire struct is a plain aggregate followed by BOOST_DESCRIBE_STRUCT naming its fields; enums use
// BOOST_DESCRIBE_ENUM and travel as their enumerator names. The rules, which proto-schema/
// protocol.md states for the wire:
//  - writers emit every field, an empty std::optional as null;
//  - readers require every non-optional field, accept null or absence for optional ones, and
//    ignore unknown fields (tolerant reader), so adding an optional field is compatible;
//  - a type mismatch names the field's path, e.g. "client.pid: expected an integer, got a string".
#pragma once

#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <boost/mp11.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace gdp::wire {

// Thrown by from_json; `path` is the dotted path of the offending field ("" for the root).
class TypeError : public std::runtime_error {
 public:
  TypeError(std::string path, const std::string& what)
      : std::runtime_error(path.empty() ? what : path + ": " + what), path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T>
struct is_string_map<std::map<std::string, T>> : std::true_type {};

inline std::string join(std::string_view path, std::string_view field) {
  if (path.empty()) return std::string(field);
  std::string out(path);
  out += '.';
  out += field;
  return out;
}
const char* json_kind(const boost::json::value& v);
[[noreturn]] void mismatch(std::string_view path, std::string_view expected, const boost::json::value& got);
}  // namespace detail

template <class T>
boost::json::value to_json(const T& v);
template <class T>
T from_json(const boost::json::value& v, std::string_view path = {});

template <class T>
boost::json::value to_json(const T& v) {
  namespace json = boost::json;
  if constexpr (std::is_same_v<T, bool>) {
    return v;
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<std::int64_t>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(v);
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, json::value> ||
                       std::is_same_v<T, json::object>) {
    return json::value(v);
  } else if constexpr (detail::is_optional<T>::value) {
    return v ? to_json(*v) : json::value(nullptr);
  } else if constexpr (detail::is_vector<T>::value) {
    json::array out;
    out.reserve(v.size());
    for (const auto& e : v) out.push_back(to_json(e));
    return out;
  } else if constexpr (detail::is_string_map<T>::value) {
    json::object out;
    for (const auto& [k, e] : v) out[k] = to_json(e);
    return out;
  } else if constexpr (std::is_enum_v<T>) {
    const char* name = boost::describe::enum_to_string(v, nullptr);
    return name != nullptr ? json::value(name) : json::value(nullptr);
  } else {
    json::object out;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto member) { out[member.name] = to_json(v.*member.pointer); });
    return out;
  }
}

template <class T>
T from_json(const boost::json::value& v, std::string_view path) {
  namespace json = boost::json;
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_bool()) detail::mismatch(path, "a boolean", v);
    return v.get_bool();
  } else if constexpr (std::is_integral_v<T>) {
    if (v.is_int64()) {
      const auto i = v.get_int64();
      if (i >= std::numeric_limits<T>::min() && i <= std::numeric_limits<T>::max()) return static_cast<T>(i);
    } else if (v.is_uint64()) {
      const auto u = v.get_uint64();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(u);
    } else {
      detail::mismatch(path, "an integer", v);
    }
    throw TypeError(std::string(path), "integer out of range");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.is_double()) return static_cast<T>(v.get_double());
    if (v.is_int64()) return static_cast<T>(v.get_int64());
    if (v.is_uint64()) return static_cast<T>(v.get_uint64());
    detail::mismatch(path, "a number", v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) detail::mismatch(path, "a string", v);
    return std::string(v.get_string());
  } else if constexpr (std::is_same_v<T, json::value>) {
    return v;
  } else if constexpr (std::is_same_v<T, json::object>) {
    if (!v.is_object()) detail::mismatch(path, "an object", v);
    return v.get_object();
  } else if constexpr (detail::is_optional<T>::value) {
    if (v.is_null()) return std::nullopt;
    return from_json<typename T::value_type>(v, path);
  } else if constexpr (detail::is_vector<T>::value) {
    if (!v.is_array()) detail::mismatch(path, "an array", v);
    T out;
    out.reserve(v.get_array().size());
    std::size_t i = 0;
    for (const auto& e : v.get_array()) {
      out.push_back(
          from_json<typename T::value_type>(e, std::string(path) + "[" + std::to_string(i++) + "]"));
    }
    return out;
  } else if constexpr (detail::is_string_map<T>::value) {
    if (!v.is_object()) detail::mismatch(path, "an object", v);
    T out;
    for (const auto& [k, e] : v.get_object()) {
      out.emplace(std::string(k), from_json<typename T::mapped_type>(e, detail::join(path, k)));
    }
    return out;
  } else if constexpr (std::is_enum_v<T>) {
    if (!v.is_string()) detail::mismatch(path, "a string", v);
    T out{};
    if (boost::describe::enum_from_string(std::string(v.get_string()).c_str(), out)) return out;
    std::string allowed;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto e) {
      if (!allowed.empty()) allowed += ", ";
      allowed += e.name;
    });
    throw TypeError(std::string(path),
                    "unknown value \"" + std::string(v.get_string()) + "\"; expected one of: " + allowed);
  } else {
    if (!v.is_object()) detail::mismatch(path, "an object", v);
    const auto& obj = v.get_object();
    T out{};
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto member) {
          using M = std::remove_cvref_t<decltype(out.*member.pointer)>;
          const auto* field = obj.if_contains(member.name);
          if (field == nullptr) {
            if constexpr (detail::is_optional<M>::value) return;
            throw TypeError(detail::join(path, member.name), "missing required field");
          }
          out.*member.pointer = from_json<M>(*field, detail::join(path, member.name));
        });
    return out;
  }
}

}  // namespace gdp::wire
