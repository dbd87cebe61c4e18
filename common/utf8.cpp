#include "common/utf8.h"

#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gdp::utf8 {
namespace {

// What a lead byte announces (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF):
// the sequence length (0: not a lead byte) and the allowed range of the second byte.
struct Lead {
  std::size_t length = 0;
  std::uint8_t lo = 0x80, hi = 0xBF;
};

Lead lead(std::uint8_t b0) {
  if (b0 >= 0xC2 && b0 <= 0xDF) return {2};
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    return {3, static_cast<std::uint8_t>(b0 == 0xE0 ? 0xA0 : 0x80),
            static_cast<std::uint8_t>(b0 == 0xED ? 0x9F : 0xBF)};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    return {4, static_cast<std::uint8_t>(b0 == 0xF0 ? 0x90 : 0x80),
            static_cast<std::uint8_t>(b0 == 0xF4 ? 0x8F : 0xBF)};
  }
  return {};
}

// Whether the `count - 1` bytes after the lead byte at `i` continue its sequence correctly.
bool continues(const Lead& l, std::string_view s, std::size_t i, std::size_t count) {
  for (std::size_t k = 1; k < count; ++k) {
    const auto b = static_cast<std::uint8_t>(s[i + k]);
    if (k == 1 ? (b < l.lo || b > l.hi) : (b < 0x80 || b > 0xBF)) return false;
  }
  return true;
}

// Length of the valid UTF-8 sequence starting at `i`, or 0 if it is invalid.
std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<std::uint8_t>(s[i]);
  if (b0 < 0x80) return 1;
  const auto l = lead(b0);
  if (l.length == 0 || i + l.length > s.size() || !continues(l, s, i, l.length)) return 0;
  return l.length;
}

// Whether `tail`, shorter than the sequence its first byte announces, could begin a valid one.
bool valid_prefix(std::string_view tail) {
  const auto l = lead(static_cast<std::uint8_t>(tail[0]));
  return l.length > tail.size() && continues(l, tail, 0, tail.size());
}

}  // namespace

std::size_t first_invalid(std::string_view text, bool allow_truncated_end) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
#if defined(__SSE2__)
    while (n - i >= 16) {
      const auto block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));  // NOLINT
      const auto high = static_cast<unsigned>(_mm_movemask_epi8(block));
      if (high != 0) {
        i += static_cast<std::size_t>(__builtin_ctz(high));
        break;
      }
      i += 16;
    }
#endif
    if (i >= n) break;
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const auto len = sequence_length(text, i);
    if (len == 0) {
      // A sequence that would be valid but for the end of the text.
      if (allow_truncated_end && n - i < 4 && valid_prefix(text.substr(i))) return std::string_view::npos;
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

bool valid(std::string_view text) {
  return first_invalid(text) == std::string_view::npos;
}

void append_latin1(std::string& out, std::string_view latin1) {
  for (const char c : latin1) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xC0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
}

std::string repair(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto n = sequence_length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

void repair_in_place(boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::string:
      if (!valid(value.get_string())) value = repair(value.get_string());
      break;
    case boost::json::kind::array:
      for (auto& e : value.get_array()) repair_in_place(e);
      break;
    case boost::json::kind::object: {
      auto& obj = value.get_object();
      bool bad_key = false;
      for (auto& kv : obj) {
        repair_in_place(kv.value());
        bad_key = bad_key || !valid(kv.key());
      }
      if (bad_key) {
        boost::json::object fixed;
        for (auto& kv : obj) fixed[repair(kv.key())] = std::move(kv.value());
        value = std::move(fixed);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace gdp::utf8
