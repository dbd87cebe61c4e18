// The JSON tokenizer under the JSON reader (json_reader.cpp): a strict RFC 8259 parser over text that
// is wholly in memory (the snapshot maps the file), which hands each token straight to a handler
// instead of building values. Holding the whole input is what makes it simple and fast: a token is
// never split, so strings without escapes and number literals are views into the input, and there
// is no state to suspend between buffers.
//
// Strict means: numbers follow the grammar exactly (no leading zeros, no '+', no bare '.', no
// NaN/Infinity) and keep their literal text, whatever their magnitude; strings must be UTF-8
// (RFC 3629: no overlongs, no encoded surrogates, nothing above U+10FFFF), hold no unescaped
// control characters, and use only the eight short escapes and \uXXXX, where a UTF-16 surrogate
// must be a high one followed by a low one; nesting beyond max_depth containers is refused; and
// whitespace is space, tab, CR and LF only. No comments, no trailing commas, no byte order mark
// (callers skip one at the start of a file).
//
// The handler receives, in document order:
//   object_begin(const char* at) / object_end(at) / array_begin(at) / array_end(at)  (at: the bracket)
//   key(std::string_view text, std::string_view raw, bool escaped)
//   string(std::string_view text, std::string_view raw, bool escaped)
//   scalar(ValueKind kind, std::string_view raw)   (number, boolean or null; raw is the literal)
// `raw` is the token's bytes in the input, quotes included for strings. `text` is the unescaped
// content: a view into `raw` when `escaped` is false, else into the tokenizer's scratch buffer,
// valid only until the next string or key.
#pragma once

#include "common/utf8.h"
#include "daemon/ingest/record.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gdp::ingest::detail {

enum class JsonError : std::uint8_t {
  syntax,
  incomplete,
  extra_data,
  too_deep,
  invalid_utf8,
  control_character,
  invalid_escape,
  unpaired_surrogate,
};

inline std::string_view message(JsonError e) {
  switch (e) {
    case JsonError::syntax:
      return "syntax error";
    case JsonError::incomplete:
      return "incomplete JSON";
    case JsonError::extra_data:
      return "extra data";
    case JsonError::too_deep:
      return "too deep";
    case JsonError::invalid_utf8:
      return "invalid UTF-8";
    case JsonError::control_character:
      return "unescaped control character in a string";
    case JsonError::invalid_escape:
      return "invalid escape";
    case JsonError::unpaired_surrogate:
      return "unpaired UTF-16 surrogate";
  }
  return "syntax error";
}

inline bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The first byte at or after p that a string scan has to stop at: '"', '\\', a control character
// and, with StopAtNonAscii, any byte >= 0x80 (which starts a UTF-8 sequence to validate). Returns
// `end` if there is none before it. Bytes up to `limit` (>= end) may be read, so the 16-byte loads
// need no tail handling until the last 15 bytes of the readable memory.
template <bool StopAtNonAscii>
[[gnu::always_inline]] inline const char* find_in_string(const char* p, const char* end, const char* limit) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (p < end && limit - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));  // NOLINT
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
    if constexpr (StopAtNonAscii) {
      // A signed compare: bytes >= 0x80 are negative, so one test finds them and control characters.
      hit = _mm_or_si128(hit, _mm_cmplt_epi8(v, _mm_set1_epi8(' ')));
    } else {
      const __m128i control_max = _mm_set1_epi8(0x1F);
      hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_min_epu8(v, control_max), v));
    }
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) {
      p += __builtin_ctz(mask);
      return p < end ? p : end;
    }
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20 || (StopAtNonAscii && c >= 0x80)) return p;
  }
  return end;
}

template <class Handler>
class Tokenizer {
 public:
  // `readable` is all the memory the tokenizer may read (the mapped file, or the head being probed);
  // every value it parses lies inside it.
  Tokenizer(std::string_view readable, std::size_t max_depth)
      : limit_(readable.data() + readable.size()), max_depth_(max_depth) {}

  Handler& handler() { return handler_; }
  std::size_t max_depth() const { return max_depth_; }

  // With `more`, the input is known to continue past the end given to parse(): a number that runs
  // into the end is then incomplete rather than finished (layout detection reads a cut-off head).
  void set_more(bool more) { more_ = more; }

  // Parses one value in [p, end), `depth` containers deep, with the whitespace around it. Returns
  // where it stopped (end, or the first byte after the value's trailing whitespace, for the caller
  // to judge), or nullptr on an error, which error() and error_at() then describe.
  const char* parse(const char* p, const char* end, std::size_t depth) {
    end_ = end;
    p = skip_space(p);
    if (p == end_) return fail(JsonError::incomplete, p);
    p = value(p, depth);
    return p == nullptr ? nullptr : skip_space(p);
  }

  // Parses exactly one value that starts at p, `depth` containers deep, with no whitespace before
  // or after it, inside [p, end). Returns the byte after the value, or nullptr on an error. For a
  // caller that has checked the grammar around the value itself (json_reader.cpp's record
  // templates), so that it pays for the value alone. Without AllowObject, an object there is a
  // syntax error (the caller expects one field from the value).
  template <bool AllowObject = true>
  [[gnu::always_inline]] const char* value_at(const char* p, const char* end, std::size_t depth) {
    end_ = end;
    if (p == end_) return fail(JsonError::incomplete, p);
    return value<AllowObject>(p, depth);
  }

  JsonError error() const { return error_; }
  const char* error_at() const { return error_at_; }

 private:
  // Compact JSON has no whitespace between tokens, and every byte above ' ' ends a run of it, so
  // one compare settles the common case.
  [[gnu::always_inline]] const char* skip_space(const char* p) const {
    if (p != end_ && static_cast<unsigned char>(*p) > ' ') [[likely]]
      return p;
    while (p != end_ && is_json_space(*p)) ++p;
    return p;
  }

  // Everything between tokens: the whitespace, then one byte that must be there.
  [[gnu::always_inline]] const char* next_token(const char* p) {
    p = skip_space(p);
    if (p == end_) return fail(JsonError::incomplete, p);
    return p;
  }

  [[gnu::noinline, gnu::cold]] std::nullptr_t fail(JsonError e, const char* at) {
    error_ = e;
    error_at_ = at;
    return nullptr;
  }

  // p is at the first byte of a value (not whitespace, not the end). Inlined into the loops of
  // object() and array(), which are the only calls left per container: a call per scalar, with
  // its register saves, would cost as much as reading the scalar.
  template <bool AllowObject = true>
  [[gnu::always_inline]] const char* value(const char* p, std::size_t depth) {
    // Strings and numbers are most values; a compare or two finds them sooner than the jump table.
    if (*p == '"') return string<false>(p);
    if (is_digit(*p)) return number(p);
    switch (*p) {
      case '"':
        return string<false>(p);
      case '{':
        if constexpr (!AllowObject) return fail(JsonError::syntax, p);
        return object(p, depth);
      case '[':
        return array(p, depth);
      case 't':
        return literal(p, "true", ValueKind::boolean);
      case 'f':
        return literal(p, "false", ValueKind::boolean);
      case 'n':
        return literal(p, "null", ValueKind::null);
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        return number(p);
      default:
        return fail(JsonError::syntax, p);
    }
  }

  [[gnu::noinline]] const char* object(const char* p, std::size_t depth) {
    if (depth >= max_depth_) return fail(JsonError::too_deep, p);
    handler_.object_begin(p);
    if ((p = next_token(p + 1)) == nullptr) return nullptr;
    if (*p == '}') {
      handler_.object_end(p);
      return p + 1;
    }
    for (;;) {
      if (*p != '"') return fail(JsonError::syntax, p);
      if ((p = string<true>(p)) == nullptr || (p = next_token(p)) == nullptr) return nullptr;
      if (*p != ':') return fail(JsonError::syntax, p);
      if ((p = next_token(p + 1)) == nullptr || (p = value(p, depth + 1)) == nullptr ||
          (p = next_token(p)) == nullptr) {
        return nullptr;
      }
      if (*p == ',') {
        if ((p = next_token(p + 1)) == nullptr) return nullptr;
      } else if (*p == '}') {
        handler_.object_end(p);
        return p + 1;
      } else {
        return fail(JsonError::syntax, p);
      }
    }
  }

  [[gnu::noinline]] const char* array(const char* p, std::size_t depth) {
    if (depth >= max_depth_) return fail(JsonError::too_deep, p);
    handler_.array_begin(p);
    if ((p = next_token(p + 1)) == nullptr) return nullptr;
    if (*p == ']') {
      handler_.array_end(p);
      return p + 1;
    }
    for (;;) {
      if ((p = value(p, depth + 1)) == nullptr || (p = next_token(p)) == nullptr) return nullptr;
      if (*p == ',') {
        if ((p = next_token(p + 1)) == nullptr) return nullptr;
      } else if (*p == ']') {
        handler_.array_end(p);
        return p + 1;
      } else {
        return fail(JsonError::syntax, p);
      }
    }
  }

  // An error is reported at the literal's first byte; input that ends inside a correct prefix of
  // it is incomplete rather than wrong. The word's length is a constant, so the compare is one load.
  template <std::size_t N>
  [[gnu::always_inline]] const char* literal(const char* p, const char (&word)[N], ValueKind kind) {
    constexpr std::size_t size = N - 1;
    const auto available = static_cast<std::size_t>(end_ - p);
    if (available >= size && std::memcmp(p, word, size) == 0) [[likely]] {
      handler_.scalar(kind, {p, size});
      return p + size;
    }
    if (available < size && std::memcmp(p, word, available) == 0) return fail(JsonError::incomplete, end_);
    return fail(JsonError::syntax, p);
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  // The first byte at or after p that is not a digit, or end_. Number literals are mostly a few
  // digits, which one 16-byte compare covers without a branch per digit.
  [[gnu::always_inline]] const char* skip_digits(const char* p) const {
#if defined(__SSE2__)
    while (limit_ - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));  // NOLINT
      // v - '0' is at most 9 exactly for the digits (an unsigned compare, done with min).
      const __m128i offset = _mm_sub_epi8(v, _mm_set1_epi8('0'));
      const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(offset, _mm_set1_epi8(9)), offset);
      const auto other = static_cast<unsigned>(_mm_movemask_epi8(digit)) ^ 0xFFFFu;
      if (other != 0) {
        p += __builtin_ctz(other);
        return p < end_ ? p : end_;
      }
      p += 16;
      if (p >= end_) return end_;
    }
#endif
    while (p < end_ && is_digit(*p)) ++p;
    return p;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; what follows is the caller's to check.
  [[gnu::always_inline]] const char* number(const char* p) {
    const char* const start = p;
    if (*p == '-' && ++p == end_) return fail(JsonError::incomplete, p);
    if (*p == '0') {
      ++p;
    } else if (is_digit(*p)) {
      p = skip_digits(p + 1);
    } else {
      return fail(JsonError::syntax, p);
    }
    if (p != end_ && *p == '.') {
      if (++p == end_) return fail(JsonError::incomplete, p);
      if (!is_digit(*p)) return fail(JsonError::syntax, p);
      p = skip_digits(p + 1);
    }
    if (p != end_ && (*p == 'e' || *p == 'E')) {
      if (++p != end_ && (*p == '+' || *p == '-')) ++p;
      if (p == end_) return fail(JsonError::incomplete, p);
      if (!is_digit(*p)) return fail(JsonError::syntax, p);
      p = skip_digits(p + 1);
    }
    if (p == end_ && more_) [[unlikely]]
      return fail(JsonError::incomplete, p);
    handler_.scalar(ValueKind::number, {start, static_cast<std::size_t>(p - start)});
    return p;
  }

  // p is at the opening quote. The common string (ASCII, no escapes) costs one or two 16-byte
  // compares; non-ASCII runs are validated in one go; escapes move to the slow path.
  template <bool IsKey>
  [[gnu::always_inline]] const char* string(const char* p) {
    const char* const open = p;
    const char* q = p + 1;
    for (;;) {
      q = find_in_string<true>(q, end_, limit_);
      if (q == end_) return fail(JsonError::incomplete, q);
      const auto c = static_cast<unsigned char>(*q);
      if (c == '"') {
        const std::string_view text(open + 1, static_cast<std::size_t>(q - open - 1));
        emit<IsKey>(text, {open, static_cast<std::size_t>(q + 1 - open)}, false);
        return q + 1;
      }
      if (c == '\\') return escaped_string<IsKey>(open, q);
      if (c < 0x20) return fail(JsonError::control_character, q);
      if ((q = utf8_run(q)) == nullptr) return nullptr;
    }
  }

  template <bool IsKey>
  [[gnu::always_inline]] void emit(std::string_view text, std::string_view raw, bool escaped) {
    if constexpr (IsKey) {
      handler_.key(text, raw, escaped);
    } else {
      handler_.string(text, raw, escaped);
    }
  }

  // Validates the UTF-8 from q (a byte >= 0x80) up to the next byte a string stops at, which no
  // sequence can contain, so a sequence cut short there is invalid. Returns that stop.
  const char* utf8_run(const char* q) {
    const char* const stop = find_in_string<false>(q, end_, limit_);
    const std::size_t bad = utf8::first_invalid({q, static_cast<std::size_t>(stop - q)});
    if (bad != std::string_view::npos) return fail(JsonError::invalid_utf8, q + bad);
    return stop;
  }

  // The rest of a string from its first backslash at q, unescaped into scratch_.
  template <bool IsKey>
  [[gnu::noinline]] const char* escaped_string(const char* open, const char* q) {
    scratch_.assign(open + 1, q);
    for (;;) {
      const auto c = static_cast<unsigned char>(*q);
      if (c == '"') {
        emit<IsKey>(scratch_, {open, static_cast<std::size_t>(q + 1 - open)}, true);
        return q + 1;
      }
      if (c == '\\') {
        if ((q = escape(q)) == nullptr) return nullptr;
      } else if (c < 0x20) {
        return fail(JsonError::control_character, q);
      } else {
        const char* const run = q;
        if ((q = utf8_run(q)) == nullptr) return nullptr;
        scratch_.append(run, q);
      }
      const char* const run = q;
      q = find_in_string<true>(q, end_, limit_);
      if (q == end_) return fail(JsonError::incomplete, q);
      scratch_.append(run, q);
    }
  }

  // The escape at q (a backslash), appended to scratch_ as UTF-8. Returns the byte after it.
  const char* escape(const char* q) {
    if (end_ - q < 2) return fail(JsonError::incomplete, end_);
    char plain;
    switch (q[1]) {
      case '"':
      case '\\':
      case '/':
        plain = q[1];
        break;
      case 'b':
        plain = '\b';
        break;
      case 'f':
        plain = '\f';
        break;
      case 'n':
        plain = '\n';
        break;
      case 'r':
        plain = '\r';
        break;
      case 't':
        plain = '\t';
        break;
      case 'u':
        return unicode_escape(q);
      default:
        return fail(JsonError::invalid_escape, q);
    }
    scratch_.push_back(plain);
    return q + 2;
  }

  // \uXXXX at q: a code point outside the surrogates, or a high surrogate followed at once by
  // \uXXXX holding a low one.
  const char* unicode_escape(const char* q) {
    std::uint32_t unit;
    if (hex4(q, unit) == nullptr) return nullptr;
    std::uint32_t code_point = unit;
    if (unit >= 0xD800 && unit <= 0xDFFF) {
      const char* const low_at = q + 6;
      if (unit >= 0xDC00) return fail(JsonError::unpaired_surrogate, q);
      if (end_ - low_at < 2) return fail(JsonError::incomplete, end_);
      if (low_at[0] != '\\' || low_at[1] != 'u') return fail(JsonError::unpaired_surrogate, q);
      std::uint32_t low;
      if (hex4(low_at, low) == nullptr) return nullptr;
      if (low < 0xDC00 || low > 0xDFFF) return fail(JsonError::unpaired_surrogate, q);
      code_point = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      q = low_at;
    }
    append_utf8(code_point);
    return q + 6;
  }

  // The four hex digits of the \u escape at q, into `unit`. Returns q, or nullptr on an error.
  const char* hex4(const char* q, std::uint32_t& unit) {
    unit = 0;
    for (const char* d = q + 2; d != q + 6; ++d) {
      if (d == end_) return fail(JsonError::incomplete, end_);
      const char c = *d;
      std::uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<std::uint32_t>(c - '0');
      } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        digit = static_cast<std::uint32_t>((c | 0x20) - 'a' + 10);
      } else {
        return fail(JsonError::invalid_escape, q);
      }
      unit = unit << 4 | digit;
    }
    return q;
  }

  void append_utf8(std::uint32_t cp) {
    const auto byte = [](std::uint32_t b) { return static_cast<char>(b); };
    if (cp < 0x80) {
      scratch_.push_back(byte(cp));
    } else if (cp < 0x800) {
      const char out[] = {byte(0xC0 | cp >> 6), byte(0x80 | (cp & 0x3F))};
      scratch_.append(out, 2);
    } else if (cp < 0x10000) {
      const char out[] = {byte(0xE0 | cp >> 12), byte(0x80 | (cp >> 6 & 0x3F)), byte(0x80 | (cp & 0x3F))};
      scratch_.append(out, 3);
    } else {
      const char out[] = {byte(0xF0 | cp >> 18), byte(0x80 | (cp >> 12 & 0x3F)),
                          byte(0x80 | (cp >> 6 & 0x3F)), byte(0x80 | (cp & 0x3F))};
      scratch_.append(out, 4);
    }
  }

  Handler handler_;
  const char* end_ = nullptr;
  const char* limit_;
  std::size_t max_depth_;
  bool more_ = false;
  JsonError error_ = JsonError::syntax;
  const char* error_at_ = nullptr;
  std::string scratch_;  // unescaped text of the last string that had escapes
};

}  // namespace gdp::ingest::detail
