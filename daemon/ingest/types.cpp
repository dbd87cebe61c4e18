#include "daemon/ingest/types.h"

#include "daemon/ingest/cpu.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <system_error>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gdp::ingest {

namespace detail {
struct ParsedValue {
  ColumnType type = ColumnType::string;
  std::int64_t integer = 0;
  double floating = 0;
  std::uint16_t formats = 0;  // date or datetime formats the value satisfies
  std::uint8_t parts = 0;     // datetime: which optional parts it had
  // A slash date has two readings; [0] is year-first, day-first or month-name, [1] month-first.
  // date_key() for dates, microseconds since the epoch (UTC) for datetimes.
  std::array<std::int64_t, 2> readings{};
};

// The shapes that make up most of a data file, decided without the general scanner: ISO dates,
// and [sign]digits[.digits] with few enough digits that the value is exact. Anything else returns
// ColumnType::null and goes to classify_text(); where both decide, they agree.
struct Quick {
  ColumnType type = ColumnType::null;
  std::int64_t integer = 0;  // the integer, or the date_key() of an ISO date
  double floating = 0;
};
}  // namespace detail

namespace {

using detail::ParsedValue;
using detail::Quick;

// ---- formats ------------------------------------------------------------------------------------

enum DateFormat : unsigned {
  kYmdDash,
  kYmdSlash,
  kDmySlash,
  kMdySlash,
  kDmyDot,
  kDmyDash,
  kMdyDash,
  kDMonY,
  kMonDY
};
constexpr std::array<std::string_view, ColumnInference::kDateFormats> kDateFormatText = {
    "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y",
    "%d-%m-%Y", "%m-%d-%Y", "%d %b %Y", "%b %d %Y"};
constexpr std::array<std::size_t, ColumnInference::kDateFormats> kDateReading = {0, 0, 0, 1, 0, 0, 1, 0, 0};

enum DateTimeFormat : unsigned { kIsoT, kIsoSpace, kDmyTime, kMdyTime };
constexpr std::array<std::string_view, ColumnInference::kDateTimeFormats> kDateTimeFormatText = {
    "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"};
constexpr std::array<std::size_t, ColumnInference::kDateTimeFormats> kDateTimeReading = {0, 0, 0, 1};

enum DateTimePart : std::uint8_t { kSeconds = 1, kFraction = 2, kOffset = 4, kAllParts = 7 };

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

constexpr std::uint8_t type_bit(ColumnType type) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(type));
}
constexpr std::uint8_t kind_bit(ValueKind kind) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(kind));
}

// ---- bytes --------------------------------------------------------------------------------------

constexpr bool is_digit(char c) {
  return static_cast<unsigned>(static_cast<unsigned char>(c)) - 48u < 10u;
}
constexpr unsigned digit_value(char c) {
  return static_cast<unsigned>(static_cast<unsigned char>(c)) - 48u;
}
constexpr bool is_alpha(char c) {
  return (static_cast<unsigned>(static_cast<unsigned char>(c)) | 0x20u) - 97u < 26u;
}
constexpr bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
constexpr bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
constexpr char lower(char c) {
  return static_cast<char>(static_cast<unsigned char>(c) | 0x20u);
}

[[gnu::always_inline]] inline std::string_view trim(std::string_view s) {
  std::size_t begin = 0;
  std::size_t end = s.size();
  while (begin < end && is_blank(s[begin])) ++begin;
  while (end > begin && is_blank(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

// Case-insensitive, for words whose case users vary freely (inf, Infinity, JAN).
bool equals_folded(std::string_view text, std::string_view lower_word) {
  if (text.size() != lower_word.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (lower(text[i]) != lower_word[i]) return false;
  }
  return true;
}

bool null_marker_slow(std::string_view t) {
  // Cells holding only a line break or a form feed are as empty as a blank one.
  if (is_space(t[0])) return std::all_of(t.begin(), t.end(), is_space);
  switch (t.size()) {
    case 1:
      return t == "-";
    case 2:
      return t == "NA";
    case 3:
      return t == "N/A" || t == "n/a" || t == "NaN" || t == "nan" || t == "#NA";
    case 4:
      return t == "null" || t == "NULL" || t == "Null" || t == "None" || t == "-NaN" || t == "-nan" ||
             t == "#N/A" || t == "<NA>";
    case 6:
      return t == "1.#IND";
    case 7:
      return t == "-1.#IND" || t == "1.#QNAN";
    case 8:
      return t == "-1.#QNAN" || t == "#N/A N/A";
    default:
      return false;
  }
}

// `t` is trimmed. The first-byte filter keeps this cheap on string columns, where it runs for every
// value.
[[gnu::always_inline]] inline bool null_marker_trimmed(std::string_view t) {
  if (t.empty()) return true;
  const char c = t[0];
  if (static_cast<unsigned char>(c) > ' ' && c != 'N' && c != 'n' && c != '-' && c != '#' && c != '<' &&
      c != '1') {
    return false;
  }
  return null_marker_slow(t);
}

// 1 for true, 0 for false, -1 for anything else. 0/1 and y/n are deliberately not booleans: they
// are far more often counts and codes.
int boolean_value(std::string_view t) {
  switch (t.size()) {
    case 2:
      return t == "no" || t == "No" || t == "NO" ? 0 : -1;
    case 3:
      return t == "yes" || t == "Yes" || t == "YES" ? 1 : -1;
    case 4:
      return t == "true" || t == "True" || t == "TRUE" ? 1 : -1;
    case 5:
      return t == "false" || t == "False" || t == "FALSE" ? 0 : -1;
    default:
      return -1;
  }
}

bool is_infinity_word(std::string_view t) {
  return equals_folded(t, "inf") || equals_folded(t, "infinity");
}

// ---- hashing ------------------------------------------------------------------------------------

// A folded multiply: the 128-bit product of two words, its halves xor-ed. Every input bit reaches
// the high half, which is what the sketch reads (register index, then leading zeros), and two
// rounds cost fewer instructions than the equivalent multiply-xorshift chain.
__extension__ typedef unsigned __int128 Uint128;

constexpr std::uint64_t kSeed = 0x243F6A8885A308D3ull;
constexpr std::uint64_t kMul1 = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t kMul2 = 0xD6E8FEB86659FD93ull;
constexpr std::uint64_t kMul3 = 0x94D049BB133111EBull;

inline std::uint64_t load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint64_t load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) {
  const Uint128 product = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

// The n (1-8) bytes at p as the low bytes of a word, without reading past them.
inline std::uint64_t load_short(const char* p, std::size_t n) {
  if (n >= 4) return load32(p) | load32(p + n - 4) << (8 * (n - 4));
  return std::uint64_t{static_cast<unsigned char>(p[0])} |
         std::uint64_t{static_cast<unsigned char>(p[n / 2])} << (8 * (n / 2)) |
         std::uint64_t{static_cast<unsigned char>(p[n - 1])} << (8 * (n - 1));
}

// A value of up to 16 bytes as two little-endian words, zero-padded: what the hash and the cache
// of recent values (types.h) read. The typed loops below have these words in hand already.
struct Words {
  std::uint64_t low = 0, high = 0;
};
[[gnu::always_inline]] inline Words short_words(const char* p, std::size_t n) {
  if (n >= 8) return {load64(p), n > 8 ? load64(p + n - 8) >> (8 * (16 - n)) : 0};
  return {n != 0 ? load_short(p, n) : 0, 0};
}

// One folded multiply of two words that both vary with the bytes (the rotation feeds `low` into
// the second; with `high` zero, as for every short value, a product of `low` and a constant ran
// 3-4% off on the numbers 1..n). The length goes in through the seed, so that zero padding cannot
// make two lengths collide. Measured over the numbers and over e-mail-like words, 1,000 to a
// million of each: the sketch's error stays at its 1.6% standard error.
[[gnu::always_inline]] inline std::uint64_t hash_words(std::uint64_t low, std::uint64_t high,
                                                       std::uint64_t seed, std::size_t n) {
  seed ^= static_cast<std::uint64_t>(n) * kMul2;
  return fold_multiply(low ^ kMul1 ^ seed, high ^ std::rotl(low, 32) ^ kMul3);
}
[[gnu::always_inline]] inline std::uint64_t hash_short(Words w, std::size_t n) {
  return hash_words(w.low, w.high, kSeed, n);
}

[[gnu::always_inline]] inline std::uint64_t hash_bytes(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n <= 16) [[likely]] {
    return hash_short(short_words(p, n), n);
  }
  std::uint64_t seed = kSeed;
  const char* last = p + n - 16;
  for (; p < last; p += 16) seed = fold_multiply(load64(p) ^ kMul1, load64(p + 8) ^ seed);
  return hash_words(load64(last), load64(last + 8), seed, n);
}

// ---- numbers ------------------------------------------------------------------------------------

struct NumberScan {
  const char* digits = nullptr;  // first byte after the sign
  const char* stop = nullptr;    // first byte that is not part of the number
  std::uint64_t mantissa = 0;    // the first 19 significant digits
  std::int64_t exponent = 0;     // value = mantissa * 10^exponent, give or take dropped digits
  int significant = 0;
  int int_digits = 0;
  int frac_digits = 0;
  bool negative = false;
  bool truncated = false;  // a nonzero digit after the 19th significant one was dropped
  bool point = false;
  bool has_exponent = false;

  bool complete(const char* end) const { return stop == end && int_digits + frac_digits > 0; }
  bool is_integer_literal() const { return !point && !has_exponent; }
};

// 19 decimal digits always fit in 64 bits, so the accumulation needs no overflow check.
inline void take_digit(NumberScan& s, unsigned d, bool fraction) {
  if (s.significant < 19) {
    s.mantissa = s.mantissa * 10 + d;
    s.significant += s.mantissa != 0;
    s.exponent -= fraction;
  } else {
    s.exponent += !fraction;
    s.truncated |= d != 0;
  }
}

// One pass: [sign] digits [. digits] [e [sign] digits]. Stops at the first byte that does not fit.
NumberScan scan_number(const char* p, const char* end) {
  NumberScan s;
  if (p != end && (*p == '+' || *p == '-')) {
    s.negative = *p == '-';
    ++p;
  }
  s.digits = p;
  const char* q = p;
  while (q != end && is_digit(*q)) take_digit(s, digit_value(*q++), false);
  s.int_digits = static_cast<int>(q - p);
  if (q != end && *q == '.') {
    const char* f = q + 1;
    const char* r = f;
    while (r != end && is_digit(*r)) take_digit(s, digit_value(*r++), true);
    s.frac_digits = static_cast<int>(r - f);
    if (s.int_digits + s.frac_digits > 0) {
      s.point = true;
      q = r;
    }
  }
  if (s.int_digits + s.frac_digits > 0 && q != end && (*q == 'e' || *q == 'E')) {
    const char* e = q + 1;
    bool negative_exponent = false;
    if (e != end && (*e == '+' || *e == '-')) {
      negative_exponent = *e == '-';
      ++e;
    }
    const char* exponent_digits = e;
    std::int64_t value = 0;
    while (e != end && is_digit(*e)) {
      // Far beyond any double's range; capping keeps the sum from overflowing.
      if (value < 100'000) value = value * 10 + digit_value(*e);
      ++e;
    }
    if (e != exponent_digits) {
      s.has_exponent = true;
      s.exponent += negative_exponent ? -value : value;
      q = e;
    }
  }
  s.stop = q;
  return s;
}

constexpr std::array<double, 23> kPowersOfTen = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

double float_value(const NumberScan& s) {
  double v = 0;
  if (s.mantissa == 0) {
    v = 0;
  } else if (!s.truncated && s.mantissa <= (std::uint64_t{1} << 53) && s.exponent >= -22 &&
             s.exponent <= 22) {
    // Both operands are exact doubles and IEEE rounds one operation correctly, so this matches a
    // full parse; it covers nearly every float found in data files.
    v = static_cast<double>(s.mantissa);
    v = s.exponent < 0 ? v / kPowersOfTen[static_cast<std::size_t>(-s.exponent)]
                       : v * kPowersOfTen[static_cast<std::size_t>(s.exponent)];
  } else {
    const auto [ptr, ec] = std::from_chars(s.digits, s.stop, v);
    if (ec == std::errc::result_out_of_range) {
      v = s.exponent + s.significant > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    }
  }
  return s.negative ? -v : v;
}

// Fills `out` from a complete numeric literal. From text, zero-padded and beyond-64-bit integers are
// codes (zip codes, account numbers); a JSON number is always a number.
void classify_number(const NumberScan& s, bool json, ParsedValue& out) {
  if (s.is_integer_literal()) {
    const bool padded = s.int_digits > 1 && *s.digits == '0';
    const std::uint64_t limit = std::uint64_t{1} << 63;  // |INT64_MIN|; INT64_MAX is one less
    const bool fits = s.exponent == 0 && s.mantissa <= (s.negative ? limit : limit - 1);
    if (fits && !(padded && !json)) {
      out.type = ColumnType::integer;
      // Two's-complement wrap is defined in C++20 and is exactly what INT64_MIN needs.
      out.integer = static_cast<std::int64_t>(s.negative ? 0 - s.mantissa : s.mantissa);
      return;
    }
    if (!json) {
      out.type = ColumnType::string;
      return;
    }
  }
  out.type = ColumnType::floating;
  out.floating = float_value(s);
}

// ---- dates --------------------------------------------------------------------------------------

constexpr bool is_leap(int y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr std::array<int, 13> kDaysInMonth = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

[[gnu::always_inline]] constexpr bool valid_date(int y, int m, int d) {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= kDaysInMonth[static_cast<std::size_t>(m)] + (m == 2 && is_leap(y));
}

// Orders dates like the calendar does without the cost of a day count on the hot path; only the
// bounds are converted back, at finish().
constexpr std::int64_t date_key(int y, int m, int d) {
  return (std::int64_t{y} << 9) | (m << 5) | d;
}

std::int64_t days_from_civil(int y, int m, int d) {
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

// Reads between `min` and `max` digits and fails if a further digit follows, so "2024" can never be
// read as a two-digit day.
bool read_digits(const char*& p, const char* end, int min, int max, int& value, int* count = nullptr) {
  int n = 0;
  int v = 0;
  while (p != end && is_digit(*p) && n < max) {
    v = v * 10 + static_cast<int>(digit_value(*p++));
    ++n;
  }
  if (n < min || (p != end && is_digit(*p))) return false;
  value = v;
  if (count) *count = n;
  return true;
}

// Exactly two digits, whatever follows: for the hours of a "+0530" offset.
bool read_two_digits(const char*& p, const char* end, int& value) {
  if (end - p < 2 || !is_digit(p[0]) || !is_digit(p[1])) return false;
  value = static_cast<int>(digit_value(p[0]) * 10 + digit_value(p[1]));
  p += 2;
  return true;
}

bool expect(const char*& p, const char* end, char c) {
  if (p == end || *p != c) return false;
  ++p;
  return true;
}

int month_from_abbreviation(const char*& p, const char* end) {
  constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                        "jul", "aug", "sep", "oct", "nov", "dec"};
  if (end - p < 3) return 0;
  const std::string_view word(p, 3);
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (equals_folded(word, kMonths[i])) {
      p += 3;
      return static_cast<int>(i) + 1;
    }
  }
  return 0;
}

// HH:MM[:SS[.fraction]][Z|±HH[[:]MM]] to the end, as microseconds since midnight UTC.
bool parse_iso_time(const char* p, const char* end, std::int64_t& micros, std::uint8_t& parts) {
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t fraction = 0;
  if (!read_digits(p, end, 2, 2, hour) || !expect(p, end, ':') || !read_digits(p, end, 2, 2, minute)) {
    return false;
  }
  if (p != end && *p == ':') {
    ++p;
    if (!read_digits(p, end, 2, 2, second)) return false;
    parts |= kSeconds;
    if (p != end && *p == '.') {
      ++p;
      const char* begin = p;
      std::int64_t scale = 100'000;
      for (; p != end && is_digit(*p); ++p) {
        fraction += digit_value(*p) * scale;  // digits beyond microseconds are dropped
        scale /= 10;
      }
      if (p == begin) return false;
      parts |= kFraction;
    }
  }
  int offset_minutes = 0;
  if (p != end) {
    if (*p == 'Z') {
      ++p;
    } else if (*p == '+' || *p == '-') {
      const int sign = *p++ == '-' ? -1 : 1;
      int oh = 0;
      int om = 0;
      if (!read_two_digits(p, end, oh)) return false;
      if (p != end) {
        if (*p == ':') ++p;
        if (!read_digits(p, end, 2, 2, om)) return false;
      }
      if (oh > 23 || om > 59) return false;
      offset_minutes = sign * (oh * 60 + om);
    } else {
      return false;
    }
    parts |= kOffset;
  }
  if (p != end || hour > 23 || minute > 59 || second > 59) return false;
  micros = ((hour * 60 + minute - offset_minutes) * 60 + second) * kMicrosPerSecond + fraction;
  return true;
}

// %Y-%m-%d, %Y/%m/%d, and the ISO datetimes. `p` starts with four digits and a '-' or '/'.
void parse_year_first(const char* p, const char* end, ParsedValue& out) {
  int y = 0;
  int m = 0;
  int d = 0;
  int month_digits = 0;
  int day_digits = 0;
  read_digits(p, end, 4, 4, y);
  const char sep = *p++;
  if (!read_digits(p, end, 1, 2, m, &month_digits) || !expect(p, end, sep) ||
      !read_digits(p, end, 1, 2, d, &day_digits) || !valid_date(y, m, d)) {
    return;
  }
  if (p == end) {
    out.type = ColumnType::date;
    out.formats = static_cast<std::uint16_t>(1u << (sep == '-' ? kYmdDash : kYmdSlash));
    out.readings[0] = date_key(y, m, d);
    return;
  }
  if (sep != '-' || month_digits != 2 || day_digits != 2 || (*p != 'T' && *p != ' ')) return;
  const DateTimeFormat format = *p == 'T' ? kIsoT : kIsoSpace;
  std::int64_t micros = 0;
  if (!parse_iso_time(p + 1, end, micros, out.parts)) return;
  out.type = ColumnType::datetime;
  out.formats = static_cast<std::uint16_t>(1u << format);
  out.readings[0] = days_from_civil(y, m, d) * kMicrosPerDay + micros;
}

// %d/%m/%Y, %m/%d/%Y, %d.%m.%Y, %d-%m-%Y, %m-%d-%Y and the slash forms with H:M[:S]. Both readings
// are kept; the column's AND of formats decides between them.
void parse_day_or_month_first(const char* p, const char* end, ParsedValue& out) {
  int a = 0;
  int b = 0;
  int y = 0;
  read_digits(p, end, 1, 2, a);
  const char sep = *p++;
  if (!read_digits(p, end, 1, 2, b) || !expect(p, end, sep) || !read_digits(p, end, 4, 4, y)) return;
  const bool day_first = valid_date(y, b, a);
  const bool month_first = sep != '.' && valid_date(y, a, b);
  if (!day_first && !month_first) return;
  std::int64_t time = 0;
  if (p != end) {
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (sep != '/' || !expect(p, end, ' ') || !read_digits(p, end, 1, 2, hour) || !expect(p, end, ':') ||
        !read_digits(p, end, 2, 2, minute)) {
      return;
    }
    if (p != end) {
      if (!expect(p, end, ':') || !read_digits(p, end, 2, 2, second)) return;
      out.parts |= kSeconds;
    }
    if (p != end || hour > 23 || minute > 59 || second > 59) return;
    time = ((hour * 60 + minute) * 60 + second) * kMicrosPerSecond;
    out.type = ColumnType::datetime;
    out.formats =
        static_cast<std::uint16_t>((day_first ? 1u << kDmyTime : 0u) | (month_first ? 1u << kMdyTime : 0u));
  } else {
    const unsigned day_first_format = sep == '/' ? kDmySlash : sep == '.' ? kDmyDot : kDmyDash;
    const unsigned month_first_format = sep == '/' ? kMdySlash : kMdyDash;
    out.type = ColumnType::date;
    out.formats = static_cast<std::uint16_t>((day_first ? 1u << day_first_format : 0u) |
                                             (month_first ? 1u << month_first_format : 0u));
  }
  const bool date = out.type == ColumnType::date;
  if (day_first) out.readings[0] = date ? date_key(y, b, a) : days_from_civil(y, b, a) * kMicrosPerDay + time;
  if (month_first) {
    out.readings[1] = date ? date_key(y, a, b) : days_from_civil(y, a, b) * kMicrosPerDay + time;
  }
}

// %d %b %Y ("5 Jan 2024").
void parse_day_month_name(const char* p, const char* end, ParsedValue& out) {
  int d = 0;
  int y = 0;
  read_digits(p, end, 1, 2, d);
  if (!expect(p, end, ' ')) return;
  const int m = month_from_abbreviation(p, end);
  if (m == 0 || !expect(p, end, ' ') || !read_digits(p, end, 4, 4, y) || p != end || !valid_date(y, m, d)) {
    return;
  }
  out.type = ColumnType::date;
  out.formats = 1u << kDMonY;
  out.readings[0] = date_key(y, m, d);
}

// %b %d %Y ("Jan 5 2024").
void parse_month_name_day(const char* p, const char* end, ParsedValue& out) {
  int d = 0;
  int y = 0;
  const int m = month_from_abbreviation(p, end);
  if (m == 0 || !expect(p, end, ' ') || !read_digits(p, end, 1, 2, d) || !expect(p, end, ' ') ||
      !read_digits(p, end, 4, 4, y) || p != end || !valid_date(y, m, d)) {
    return;
  }
  out.type = ColumnType::date;
  out.formats = 1u << kMonDY;
  out.readings[0] = date_key(y, m, d);
}

// ---- classification -----------------------------------------------------------------------------

// Eight ASCII bytes at a time, as a word loaded little-endian (first character in the low byte).
constexpr std::uint64_t kZeros = 0x3030303030303030ull;
constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

// True if every byte of `x` (a word of characters xor '0') is a digit value 0-9. A byte above 0x89
// carries into its neighbour, but it has its own high bit set, so the word is refused either way.
constexpr bool all_digit_values(std::uint64_t x) {
  return ((x + 0x7676767676767676ull) | x) & kHighBits ? false : true;
}

// The value of eight digit values (most significant in the low byte): pairs, then fours, then all.
constexpr std::uint64_t eight_digits(std::uint64_t x) {
  x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFull;
  x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFull;
  return (x * 10000 + (x >> 32)) & 0xFFFFFFFFull;
}

// An order key for n (1-8) digit values (most significant in the low byte): the same digits read
// big-endian and right-aligned. Digit strings compare as numbers in base 256 just as in base 10,
// so keys order as the values do, and the typed loops keep min and max as keys: a byte swap
// where the value would take three multiplies in a chain. key_value() gives the value back.
constexpr std::int64_t digit_key(std::uint64_t x, std::size_t n) {
  return static_cast<std::int64_t>(__builtin_bswap64(x) >> (64 - 8 * n));
}
constexpr std::int64_t key_value(std::int64_t key) {
  return static_cast<std::int64_t>(eight_digits(__builtin_bswap64(static_cast<std::uint64_t>(key))));
}
// A signed key's value: a negative key is a negated magnitude key.
constexpr std::int64_t signed_key_value(std::int64_t key) {
  return key < 0 ? -key_value(-key) : key_value(key);
}

// The last two bytes of a 10-byte value, as the low bytes of a word (read without passing its end).
[[gnu::always_inline]] inline std::uint64_t iso_date_tail(const char* p) {
  return load32(p + 6) >> 16;
}

enum class IsoDate { valid, invalid, other };  // invalid: the shape of one, but no such day

// YYYY-MM-DD from the 10 bytes of a value, as its first eight bytes and the last two (little-endian
// words). Sets `key` to the date_key() of a valid date.
[[gnu::always_inline]] inline IsoDate iso_date(std::uint64_t first, std::uint64_t tail, std::int64_t& key) {
  // "YYYY-MM-" as one word: the dashes must match exactly, everything else be a digit.
  const std::uint64_t x = first ^ 0x2D30302D30303030ull;
  const std::uint64_t day = tail ^ 0x3030;
  if ((x & 0xFF0000FF00000000ull) != 0 || !all_digit_values(x) || !all_digit_values(day)) {
    return IsoDate::other;
  }
  const auto digit = [x](int i) { return static_cast<int>((x >> (8 * i)) & 0xFF); };
  const int y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const int m = digit(5) * 10 + digit(6);
  const int d = static_cast<int>((day & 0xFF) * 10 + (day >> 8));
  if (!valid_date(y, m, d)) return IsoDate::invalid;
  key = date_key(y, m, d);
  return IsoDate::valid;
}

[[gnu::always_inline]] inline Quick quick_classify(std::string_view t) {
  Quick out;
  const char* p = t.data();
  const char* end = p + t.size();
  if (t.size() == 10) {
    switch (iso_date(load64(p), iso_date_tail(p), out.integer)) {
      case IsoDate::valid:
        out.type = ColumnType::date;
        return out;
      case IsoDate::invalid:
        return out;
      case IsoDate::other:
        break;
    }
  }
  const bool negative = *p == '-';
  p += negative || *p == '+';
  const auto n = static_cast<std::size_t>(end - p);
  if (n >= 1 && n <= 8) {
    // Most numbers in data files are short: all their characters in one word, no loop.
    const std::uint64_t mask = ~std::uint64_t{0} >> (64 - 8 * n);
    const std::uint64_t x = (load_short(p, n) ^ kZeros) & mask;
    if (all_digit_values(x)) {
      if (n > 1 && *p == '0') return out;  // a code: the general path says string
      const std::uint64_t value = eight_digits(x << (64 - 8 * n));
      out.type = ColumnType::integer;
      out.integer = static_cast<std::int64_t>(negative ? 0 - value : value);
      return out;
    }
    // A decimal point ('.' ^ '0' == 0x1E) becomes a zero byte; the lowest zero byte is found exactly.
    const std::uint64_t dots = x ^ (0x1E1E1E1E1E1E1E1Eull & mask);
    const std::uint64_t zero_bytes = (dots - 0x0101010101010101ull) & ~dots & kHighBits & mask;
    if (zero_bytes != 0 && n > 1) {
      const auto point = static_cast<std::size_t>(std::countr_zero(zero_bytes)) / 8;
      const std::uint64_t below = (std::uint64_t{1} << (8 * point)) - 1;
      // The digits with the point taken out: integer part, then fraction, in n - 1 bytes.
      const std::uint64_t merged = (x & below) | ((x >> 8) & ~below);
      if (all_digit_values(merged)) {
        const std::uint64_t mantissa = eight_digits(merged << (64 - 8 * (n - 1)));
        const double v = static_cast<double>(mantissa) / kPowersOfTen[n - 1 - point];
        out.type = ColumnType::floating;
        out.floating = negative ? -v : v;
        return out;
      }
    }
  }
  const char* digits = p;
  std::uint64_t mantissa = 0;  // may wrap past 19 digits; such values are refused below
  while (p != end && is_digit(*p)) mantissa = mantissa * 10 + digit_value(*p++);
  const auto int_digits = p - digits;
  if (p == end) {
    // Codes, and 19 digits (which may not fit), are left to the general path.
    if (int_digits == 0 || int_digits > 18 || (int_digits > 1 && *digits == '0')) return out;
    out.type = ColumnType::integer;
    out.integer = static_cast<std::int64_t>(negative ? 0 - mantissa : mantissa);
    return out;
  }
  if (*p != '.') return out;
  const char* fraction = ++p;
  while (p != end && is_digit(*p)) mantissa = mantissa * 10 + digit_value(*p++);
  const auto frac_digits = p - fraction;
  if (p != end || int_digits + frac_digits == 0 || int_digits + frac_digits > 19 ||
      mantissa > (std::uint64_t{1} << 53) || frac_digits > 22) {
    return out;
  }
  // Exact operands, one correctly rounded division: the same double a full parse gives.
  const double v = static_cast<double>(mantissa) / kPowersOfTen[static_cast<std::size_t>(frac_digits)];
  out.type = ColumnType::floating;
  out.floating = negative ? -v : v;
  return out;
}

// `t` is trimmed and not empty. Anything not recognised is a string; the caller then checks whether
// it is a null marker, which keeps that check off the path of numbers and dates.
ParsedValue classify_text(std::string_view t, bool numbers_allowed) {
  ParsedValue out;
  const char* p = t.data();
  const char* end = p + t.size();
  const char c = *p;
  if (is_digit(c) || c == '+' || c == '-' || c == '.') {
    const NumberScan s = scan_number(p, end);
    if (s.complete(end)) {
      if (numbers_allowed) classify_number(s, false, out);
      return out;
    }
    if (is_digit(c)) {
      // Dates only when the leading digits are followed by a date separator.
      const auto n = static_cast<std::size_t>(s.int_digits);
      if (n < t.size()) {
        const char sep = t[n];
        if (n == 4 && (sep == '-' || sep == '/')) {
          parse_year_first(p, end, out);
        } else if (n <= 2 && (sep == '/' || sep == '-' || sep == '.')) {
          parse_day_or_month_first(p, end, out);
        } else if (n <= 2 && sep == ' ') {
          parse_day_month_name(p, end, out);
        }
      }
    } else if (c != '.' && numbers_allowed && is_infinity_word(t.substr(1))) {
      out.type = ColumnType::floating;
      out.floating =
          c == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    }
    return out;
  }
  if (is_alpha(c)) {
    if (boolean_value(t) >= 0) {
      out.type = ColumnType::boolean;
    } else if (is_infinity_word(t)) {
      if (numbers_allowed) {
        out.type = ColumnType::floating;
        out.floating = std::numeric_limits<double>::infinity();
      }
    } else if (t.size() >= 10 && t[3] == ' ') {
      parse_month_name_day(p, end, out);
    }
  }
  return out;
}

ParsedValue classify_json_number(std::string_view t) {
  ParsedValue out;
  const NumberScan s = scan_number(t.data(), t.data() + t.size());
  if (s.complete(t.data() + t.size())) classify_number(s, true, out);
  return out;
}

// ---- rendering ----------------------------------------------------------------------------------

void append_padded(std::string& out, std::int64_t value, int width) {
  char buf[24];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value < 0 ? -value : value);
  if (value < 0) out += '-';
  for (auto n = ptr - buf; n < width; ++n) out += '0';
  out.append(buf, ptr);
}

std::string iso_date(std::int64_t year, std::int64_t month, std::int64_t day) {
  std::string out;
  append_padded(out, year, 4);
  out += '-';
  append_padded(out, month, 2);
  out += '-';
  append_padded(out, day, 2);
  return out;
}

std::string iso_date_from_key(std::int64_t key) {
  return iso_date(key >> 9, (key >> 5) & 15, key & 31);
}

std::string iso_datetime(std::int64_t micros, bool utc) {
  std::int64_t days = micros / kMicrosPerDay;
  std::int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  std::string out = iso_date(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                             static_cast<unsigned>(ymd.day()));
  const std::int64_t seconds = rest / kMicrosPerSecond;
  std::int64_t fraction = rest % kMicrosPerSecond;
  out += 'T';
  append_padded(out, seconds / 3600, 2);
  out += ':';
  append_padded(out, seconds / 60 % 60, 2);
  out += ':';
  append_padded(out, seconds % 60, 2);
  if (fraction != 0) {
    int width = 6;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --width;
    }
    out += '.';
    append_padded(out, fraction, width);
  }
  if (utc) out += 'Z';
  return out;
}

template <class T>
std::string shortest(T value) {
  char buf[32];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, ptr);
}

// Orders -0 before +0 so that which zero is the minimum cannot depend on the order values arrived.
bool float_less(double a, double b) {
  return a < b || (a == b && std::signbit(a) && !std::signbit(b));
}

bool settled_string(std::uint8_t votes, std::uint8_t kinds, std::uint16_t date_formats,
                    std::uint8_t datetime_formats) {
  if (votes & type_bit(ColumnType::string)) return true;
  if (std::popcount(kinds) > 1) return true;  // e.g. JSON numbers and strings in one column
  const int groups = ((votes & type_bit(ColumnType::boolean)) != 0) +
                     ((votes & (type_bit(ColumnType::integer) | type_bit(ColumnType::floating))) != 0) +
                     ((votes & type_bit(ColumnType::date)) != 0) +
                     ((votes & type_bit(ColumnType::datetime)) != 0);
  if (groups > 1) return true;
  if ((votes & type_bit(ColumnType::date)) && date_formats == 0) return true;
  if ((votes & type_bit(ColumnType::datetime)) && datetime_formats == 0) return true;
  return false;
}

}  // namespace

// ---- public -------------------------------------------------------------------------------------

std::string_view to_string(ColumnType type) {
  switch (type) {
    case ColumnType::null:
      return "null";
    case ColumnType::boolean:
      return "boolean";
    case ColumnType::integer:
      return "integer";
    case ColumnType::floating:
      return "float";
    case ColumnType::date:
      return "date";
    case ColumnType::datetime:
      return "datetime";
    case ColumnType::string:
      return "string";
  }
  return "string";
}

bool is_null_marker(std::string_view text) {
  return null_marker_trimmed(trim(text));
}

[[gnu::always_inline]] inline void ColumnInference::Distinct::add(std::uint64_t hash) {
  const auto index = static_cast<std::size_t>(hash >> (64 - kPrecision));
  // The guard bit caps the rank at 64 - kPrecision + 1 when the remaining bits are all zero.
  const std::uint64_t rest = (hash << kPrecision) | (std::uint64_t{1} << (kPrecision - 1));
  const auto rank = static_cast<std::uint8_t>(std::countl_zero(rest) + 1);
  if (rank > registers_[index]) registers_[index] = rank;
  if (!exact_overflow_) insert_exact(hash);
}

void ColumnInference::Distinct::insert_exact(std::uint64_t hash) {
  const std::uint64_t key = hash != 0 ? hash : 1;  // 0 marks an empty slot
  std::size_t slot = static_cast<std::size_t>(key) & (kExactSlots - 1);
  while (exact_[slot] != 0) {
    if (exact_[slot] == key) return;
    slot = (slot + 1) & (kExactSlots - 1);
  }
  if (exact_size_ == kExactLimit) {
    exact_overflow_ = true;
    return;
  }
  exact_[slot] = key;
  ++exact_size_;
}

void ColumnInference::Distinct::merge(const Distinct& other) {
  for (std::size_t i = 0; i < kRegisters; ++i) registers_[i] = std::max(registers_[i], other.registers_[i]);
  if (exact_overflow_) return;
  if (other.exact_overflow_) {
    exact_overflow_ = true;
    return;
  }
  for (const std::uint64_t key : other.exact_) {
    if (key != 0) insert_exact(key);
    if (exact_overflow_) return;
  }
}

namespace {

// The two series of Ertl's improved HyperLogLog estimator ("New cardinality estimation algorithms
// for HyperLogLog sketches", 2017), summed until they stop changing.
double ertl_sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  for (double previous = -1.0; z != previous;) {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  }
  return z;
}

double ertl_tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  for (double previous = -1.0; z != previous;) {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  }
  return z / 3.0;
}

}  // namespace

// Ertl's improved estimator: unlike the raw HyperLogLog estimate with a switch to linear counting,
// it has no biased stretch where one hands over to the other (the raw estimate ran ~4% high
// around 10,000 values with 4,096 registers).
std::uint64_t ColumnInference::Distinct::estimate() const {
  if (!exact_overflow_) return exact_size_;
  constexpr int kMaxRank = 64 - kPrecision + 1;  // the guard bit's rank; see add()
  std::array<double, kMaxRank + 1> histogram{};
  for (const std::uint8_t r : registers_) histogram[r] += 1.0;
  constexpr auto m = static_cast<double>(kRegisters);
  double z = m * ertl_tau(1.0 - histogram[kMaxRank] / m);
  for (int k = kMaxRank - 1; k >= 1; --k) z = 0.5 * (z + histogram[static_cast<std::size_t>(k)]);
  z += m * ertl_sigma(histogram[0] / m);
  const double estimate = m * m / (2.0 * std::log(2.0) * z);
  // The exact set overflowed, so there are more than kExactLimit values whatever the sketch says.
  return std::max<std::uint64_t>(static_cast<std::uint64_t>(std::llround(estimate)), kExactLimit + 1);
}

// Blanks around a value do not count. One comparison per end rules them out; the rare control
// byte just takes the slow trim. Returns false for a blank value.
[[gnu::always_inline]] inline bool trim_text(std::string_view& t) {
  if (t.empty() || static_cast<unsigned char>(t.front()) <= ' ' ||
      static_cast<unsigned char>(t.back()) <= ' ') [[unlikely]] {
    t = trim(t);
    return !t.empty();
  }
  return true;
}

// One value at a time (JSON, plain text, rows of varying width). The cache of recent values is
// tried as add_text() tries it, in rounds of kRound lookups, and left alone for a while after a
// round that mostly missed. Only a hit stays in this function; the rest is out of line, so that
// the hit path needs no registers saved.
void ColumnInference::add(std::string_view value, ValueKind kind) {
  ++count_;
  if (value.size() - 1 >= Recent::kMaxLength || recent_.value_skip > 0) {
    recent_.value_skip -= recent_.value_skip > 0;
    add_value(value, kind);
    return;
  }
  const Recent::Key key = Recent::key(value, kind);
  const std::size_t slot = recent_.slot(key);
  const int seen = recent_.find(key, slot);
  if (seen == 0) {
    add_missed(value, kind, slot);
  } else {
    null_count_ += seen == 2;
    ++recent_.round_hits;
  }
  end_lookup();
}

void ColumnInference::end_lookup() {
  constexpr std::uint32_t kRound = 64;
  constexpr std::uint32_t kSkipValues = 4096;
  if (++recent_.round_lookups == kRound) {
    if (recent_.round_hits * 4 < kRound) recent_.value_skip = kSkipValues;
    recent_.round_lookups = recent_.round_hits = 0;
  }
}

// JSON numbers and ISO dates in JSON strings have the same fast path as CSV text. A JSON number
// cannot be a code (JSON has no leading zeros) nor a date, so quick_classify() reads it as
// classify_json_number() does wherever it decides.
// Out of line: add()'s cache-hit path stays small enough to need no saved registers.
[[gnu::noinline]] void ColumnInference::add_value(std::string_view value, ValueKind kind) {
  if (kind == ValueKind::text) {
    add_text_value(value);
    return;
  }
  if (!settled_string_) {
    if (kind == ValueKind::number) {
      const Quick q = quick_classify(value);
      if (q.type == ColumnType::integer || q.type == ColumnType::floating) {
        take_quick(value, q, kind);
        return;
      }
    } else if (kind == ValueKind::string && value.size() == 10) {
      const Quick q = quick_classify(value);
      if (q.type == ColumnType::date) {
        take_quick(value, q, kind);
        return;
      }
    }
  }
  add_general(value, kind);
}

// The key's bytes are read without touching anything past the value. The kind goes in with the
// length: "1" as a JSON number and "1" as a JSON string are different values of a column.
[[gnu::always_inline]] inline ColumnInference::Recent::Key ColumnInference::Recent::key(
    std::string_view value, ValueKind kind) {
  const Words w = short_words(value.data(), value.size());
  return {w.low, w.high, static_cast<std::uint32_t>(value.size()) | static_cast<std::uint32_t>(kind) << 8};
}

// A value that may be read past its end: two loads, each masked to the value's bytes by a table
// entry, where key() branches on the length (mispredicted whenever a column's lengths vary). It
// must give key()'s key, which is what a miss remembers; a key that differed would only ever miss.
[[gnu::always_inline]] inline ColumnInference::Recent::Key ColumnInference::Recent::padded_key(
    std::string_view value) {
  static_assert(kMaxLength == RecordBatch::kReadAhead);
  static constexpr auto kKeep = [] {
    std::array<Words, kMaxLength + 1> keep{};
    for (std::size_t n = 0; n <= kMaxLength; ++n) {
      for (std::size_t b = 0; b < n; ++b) {
        (b < 8 ? keep[n].low : keep[n].high) |= std::uint64_t{0xFF} << (8 * (b % 8));
      }
    }
    return keep;
  }();
  const char* p = value.data();
  const Words& keep = kKeep[value.size()];
  return {load64(p) & keep.low, load64(p + 8) & keep.high, static_cast<std::uint32_t>(value.size())};
}

// One product of the other. Two products side by side would halve the latency, but on the
// benchmark's mixed file they put more of a column's categories into one slot: the misses' share
// of the profile went from 0.3% to 3.7%, and the file took 10% longer.
[[gnu::always_inline]] inline std::size_t ColumnInference::Recent::slot(const Key& key) const {
  constexpr int kSlotBits = std::countr_zero(kSlots);
  return static_cast<std::size_t>((key.low + (key.high ^ key.length) * kMul2) * kMul1 >> (64 - kSlotBits));
}

// One branch for the three compares: a hit is the common case, and a miss costs far more anyway.
[[gnu::always_inline]] inline int ColumnInference::Recent::find(const Key& key, std::size_t slot) const {
  const std::uint64_t differ =
      (low_[slot] ^ key.low) | (high_[slot] ^ key.high) | ((meta_[slot] & ~kNull) ^ key.length);
  if (differ != 0) return 0;
  return meta_[slot] & kNull ? 2 : 1;
}

[[gnu::always_inline]] inline void ColumnInference::Recent::remember(const Key& key, std::size_t slot,
                                                                     bool null) {
  low_[slot] = key.low;
  high_[slot] = key.high;
  meta_[slot] = key.length | (null ? kNull : 0);
}

// A column's values one after another, in one of two ways:
// - Repeats are common (categories, flags, small counts), and a repeat of a recent short value
//   changes nothing but the counts, so while most values of a column are repeats, add_recent()
//   looks each up before anything else. It gives up after a probe that mostly misses, for a while.
// - Otherwise most columns settle within their first values on one shape, and while a column holds
//   only integers, only plain numbers, or only ISO dates, a loop made for that shape takes the
//   values: it tests each against the shape in a few word operations and updates only the state
//   that shape touches. The first value that does not fit (or fits but would change the column's
//   state otherwise: an integer in a float column not seen with integers) goes through
//   add_text_value(), which may change the shape, and the loop for the new shape goes on. Strings,
//   booleans and mixtures go through add_text_value() one by one.
void ColumnInference::add_text(std::span<const std::string_view> values, bool padded) {
  count_ += values.size();
  std::size_t i = 0;
  if (recent_.skip == 0) {
    i = padded ? add_recent<true>(values) : add_recent<false>(values);
  } else {
    --recent_.skip;
  }
  while (i < values.size()) {
    switch (shape()) {
      case Shape::integers:
        i = add_integers(values, i);
        break;
      case Shape::numbers:
        i = add_numbers(values, i);
        break;
      case Shape::iso_dates:
        i = add_iso_dates(values, i);
        break;
      case Shape::other:
        for (; i < values.size() && !settled_string_; ++i) add_text_value(values[i]);
        for (; i < values.size(); ++i) add_string_value(values[i]);
        return;
    }
    if (i < values.size()) add_text_value(values[i++]);
  }
}

ColumnInference::Shape ColumnInference::shape() const {
  constexpr auto kInteger = type_bit(ColumnType::integer);
  constexpr auto kFloat = type_bit(ColumnType::floating);
  if (settled_string_ || kinds_ != kind_bit(ValueKind::text)) return Shape::other;
  if (votes_ == kInteger) return Shape::integers;
  if ((votes_ & ~(kInteger | kFloat)) == 0 && (votes_ & kFloat) != 0) return Shape::numbers;
  if (votes_ == type_bit(ColumnType::date) && date_formats_ == 1u << kYmdDash) return Shape::iso_dates;
  return Shape::other;
}

namespace {

// The number loops' frame: `take(raw, n)` sees each value of 1 to 8 bytes, loaded as a word, until
// it returns false; empty values are counted in `nulls`; the loop stops at anything longer.
// Returns where it stopped.
template <class Take>
[[gnu::always_inline]] inline std::size_t for_short_values(std::span<const std::string_view> values,
                                                           std::size_t i, std::uint64_t& nulls, Take&& take) {
  for (; i < values.size(); ++i) {
    const std::size_t n = values[i].size();
    if (n - 1 >= 8) {
      if (n != 0) break;
      ++nulls;
      continue;
    }
    if (!take(load_short(values[i].data(), n), n)) break;
  }
  return i;
}

}  // namespace

std::size_t ColumnInference::add_integers(std::span<const std::string_view> values, std::size_t i) {
#if defined(__x86_64__)
  if (cpu_has_avx2()) return add_integers_avx2(values, i);
#endif
  return add_integers_scalar(values, i);
}

// Unsigned integers of 1 to 8 digits without a leading zero; empty values are nulls.
std::size_t ColumnInference::add_integers_scalar(std::span<const std::string_view> values, std::size_t i) {
  std::int64_t low = kNone, high = -kNone;  // as digit_key()s
  std::uint64_t nulls = 0;
  i = for_short_values(values, i, nulls, [&](std::uint64_t raw, std::size_t n) {
    const std::uint64_t x = (raw ^ kZeros) & (~std::uint64_t{0} >> (64 - 8 * n));
    if (!all_digit_values(x) || (n > 1 && (x & 0xFF) == 0)) return false;
    const std::int64_t key = digit_key(x, n);
    low = std::min(low, key);
    high = std::max(high, key);
    distinct_.add(hash_words(raw, 0, kSeed, n));
    return true;
  });
  if (low != kNone) {
    int_min_ = std::min(int_min_, key_value(low));
    int_max_ = std::max(int_max_, key_value(high));
  }
  null_count_ += nulls;
  return i;
}

// [-]digits[.digits] of up to 8 characters, in a column that has seen only numbers: the same
// reading quick_classify() gives, with the word already loaded for the hash. A float's bounds are
// kept as its digits per number of decimals, where integers compare exactly, and become doubles
// (one correctly rounded division each, as quick_classify() does per value) when the loop ends.
std::size_t ColumnInference::add_numbers(std::span<const std::string_view> values, std::size_t i) {
#if defined(__x86_64__)
  if (cpu_has_avx2()) return add_numbers_avx2(values, i);
#endif
  return add_numbers_scalar(values, i);
}

// Folds the bounds of one scale, as signed digit_key()s, into the float bounds.
// The loops call this for every batch, and nearly always with bounds already folded in: the keys
// folded so far per scale say so without the two divisions.
void ColumnInference::take_float_bounds(std::int64_t low, std::int64_t high, std::size_t scale) {
  // Exact operands, one correctly rounded division: the same double a full parse gives.
  if (low < folded_low_[scale]) {
    folded_low_[scale] = low;
    const double min = static_cast<double>(signed_key_value(low)) / kPowersOfTen[scale];
    if (float_less(min, float_min_)) float_min_ = min;
  }
  if (high > folded_high_[scale]) {
    folded_high_[scale] = high;
    const double max = static_cast<double>(signed_key_value(high)) / kPowersOfTen[scale];
    if (float_less(float_max_, max)) float_max_ = max;
  }
}

std::size_t ColumnInference::add_numbers_scalar(std::span<const std::string_view> values, std::size_t i) {
  const bool integers = (votes_ & type_bit(ColumnType::integer)) != 0;
  const bool floats = (votes_ & type_bit(ColumnType::floating)) != 0;
  // Bounds as signed digit_key()s: per scale for floats, and for integers. The bounds of the
  // scale the last value had stay in registers: that is nearly always the next value's.
  std::array<std::int64_t, kScales> low = filled<std::int64_t, kScales>(kNone);
  std::array<std::int64_t, kScales> high = filled<std::int64_t, kScales>(-kNone);
  std::size_t scale_now = 0;
  std::int64_t low_now = kNone, high_now = -kNone;
  std::int64_t int_low = kNone, int_high = -kNone;
  std::uint64_t nulls = 0;
  i = for_short_values(values, i, nulls, [&](std::uint64_t raw, std::size_t n) {
    const std::size_t sign = (raw & 0xFF) == '-';
    const std::size_t m = n - sign;  // characters after the sign
    if (m == 0) return false;
    const std::uint64_t mask = ~std::uint64_t{0} >> (64 - 8 * m);
    const std::uint64_t x = ((raw >> (8 * sign)) ^ kZeros) & mask;
    if (all_digit_values(x)) {
      if (!integers || (m > 1 && (x & 0xFF) == 0)) return false;
      const std::int64_t magnitude = digit_key(x, m);
      const std::int64_t key = sign != 0 ? -magnitude : magnitude;
      int_low = std::min(int_low, key);
      int_high = std::max(int_high, key);
    } else {
      // A decimal point ('.' ^ '0' == 0x1E) becomes a zero byte; the lowest zero byte is found exactly.
      const std::uint64_t dots = x ^ (0x1E1E1E1E1E1E1E1Eull & mask);
      const std::uint64_t zero_bytes = (dots - 0x0101010101010101ull) & ~dots & kHighBits & mask;
      if (!floats || zero_bytes == 0 || m == 1) return false;
      const auto point = static_cast<std::size_t>(std::countr_zero(zero_bytes)) / 8;
      const std::uint64_t below = (std::uint64_t{1} << (8 * point)) - 1;
      const std::uint64_t merged = (x & below) | ((x >> 8) & ~below);
      if (!all_digit_values(merged)) return false;
      const std::int64_t digits = digit_key(merged, m - 1);
      if (digits == 0 && sign != 0) return false;  // -0.0, whose sign the digits cannot keep
      const std::size_t scale = m - 1 - point;
      const std::int64_t key = sign != 0 ? -digits : digits;
      if (scale != scale_now) [[unlikely]] {
        low[scale_now] = low_now;
        high[scale_now] = high_now;
        scale_now = scale;
        low_now = low[scale];
        high_now = high[scale];
      }
      low_now = std::min(low_now, key);
      high_now = std::max(high_now, key);
    }
    distinct_.add(hash_words(raw, 0, kSeed, n));
    return true;
  });
  low[scale_now] = low_now;
  high[scale_now] = high_now;
  null_count_ += nulls;
  if (int_low != kNone) {
    int_min_ = std::min(int_min_, signed_key_value(int_low));
    int_max_ = std::max(int_max_, signed_key_value(int_high));
  }
  for (std::size_t scale = 0; scale < kScales; ++scale) {
    if (low[scale] != kNone) take_float_bounds(low[scale], high[scale], scale);
  }
  return i;
}

#if defined(__x86_64__)
namespace {

[[gnu::always_inline]] GDP_AVX2 inline __m256i splat(std::uint64_t v) {
  return _mm256_set1_epi64x(static_cast<long long>(v));
}
[[gnu::always_inline]] GDP_AVX2 inline __m256i lanes(std::uint64_t a, std::uint64_t b, std::uint64_t c,
                                                     std::uint64_t d) {
  return _mm256_set_epi64x(static_cast<long long>(d), static_cast<long long>(c), static_cast<long long>(b),
                           static_cast<long long>(a));
}
// Per 64-bit lane, its bytes in reverse order: a byte swap.
[[gnu::always_inline]] GDP_AVX2 inline __m256i byte_swap(__m256i x) {
  return _mm256_shuffle_epi8(x, _mm256_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
                                                 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8));
}
[[gnu::always_inline]] GDP_AVX2 inline __m256i times_ten64(__m256i v) {
  return _mm256_add_epi64(_mm256_slli_epi64(v, 3), _mm256_slli_epi64(v, 1));
}
// Folds four keys into the lane-wise bounds.
[[gnu::always_inline]] GDP_AVX2 inline void fold_bounds(__m256i key, __m256i& low, __m256i& high) {
  low = _mm256_blendv_epi8(low, key, _mm256_cmpgt_epi64(low, key));
  high = _mm256_blendv_epi8(high, key, _mm256_cmpgt_epi64(key, high));
}
// The smallest of `low`'s lanes and the largest of `high`'s.
GDP_AVX2 std::pair<std::int64_t, std::int64_t> bounds_of(__m256i low, __m256i high) {
  alignas(32) std::array<std::int64_t, 4> lows{}, highs{};
  _mm256_store_si256(reinterpret_cast<__m256i*>(lows.data()), low);
  _mm256_store_si256(reinterpret_cast<__m256i*>(highs.data()), high);
  return {*std::min_element(lows.begin(), lows.end()), *std::max_element(highs.begin(), highs.end())};
}
// All ones in the lanes whose every byte is a digit value: all_digit_values() per lane.
[[gnu::always_inline]] GDP_AVX2 inline __m256i digits_only(__m256i x) {
  const __m256i carried = _mm256_or_si256(_mm256_add_epi64(x, splat(0x7676767676767676ull)), x);
  return _mm256_cmpeq_epi64(_mm256_and_si256(carried, splat(kHighBits)), _mm256_setzero_si256());
}

}  // namespace

// The frame of the AVX2 loops below: the values four at a time, the last one to three made four
// with the last value again (a value seen twice adds nothing to bounds or sketch). `group(v)` takes
// four values, or returns false without a change; then `scalar(values, from)` decides exactly
// those four as it would without AVX2, and the loop ends where that stops. Returns where it stopped.
template <class Group, class Scalar>
[[gnu::always_inline]] inline std::size_t in_fours(std::span<const std::string_view> values, std::size_t i,
                                                   Group&& group, Scalar&& scalar) {
  std::array<std::string_view, 4> last{};
  for (; i < values.size(); i += 4) {
    const std::size_t end = std::min(i + 4, values.size());
    const std::string_view* v = values.data() + i;
    if (end - i < 4) {
      for (std::size_t k = 0; k < 4; ++k) last[k] = values[std::min(i + k, end - 1)];
      v = last.data();
    }
    if (group(v)) continue;
    const std::size_t at = scalar(values.first(end), i);
    if (at < end) return at;
  }
  return values.size();
}

// add_numbers_scalar() four values at a time, on CPUs with AVX2: four floats of up to 8 characters
// with the same number of decimals are tested, turned into digit keys and folded into the bounds
// in the vector unit, and only the sketch is updated one value at a time. A group with anything
// else in it (an integer, a null, another scale, a value that is not a number) goes through
// add_numbers_scalar(), which decides it exactly as without AVX2.
GDP_AVX2 std::size_t ColumnInference::add_numbers_avx2(std::span<const std::string_view> values,
                                                       std::size_t i) {
  constexpr std::size_t kNoScale = 8;
  std::size_t scale = kNoScale;  // the decimals of the values in low/high
  __m256i low = splat(static_cast<std::uint64_t>(kNone));
  __m256i high = splat(static_cast<std::uint64_t>(-kNone));
  const bool floats = (votes_ & type_bit(ColumnType::floating)) != 0;
  const auto group = [&](const std::string_view* v) GDP_AVX2 {
    const std::size_t n0 = v[0].size(), n1 = v[1].size(), n2 = v[2].size(), n3 = v[3].size();
    if (!floats || ((n0 - 1) | (n1 - 1) | (n2 - 1) | (n3 - 1)) >= 8) return false;
    const std::uint64_t r0 = load_short(v[0].data(), n0), r1 = load_short(v[1].data(), n1),
                        r2 = load_short(v[2].data(), n2), r3 = load_short(v[3].data(), n3);
    const __m256i zero = _mm256_setzero_si256();
    const __m256i raw = lanes(r0, r1, r2, r3);
    const __m256i n = lanes(n0, n1, n2, n3);
    // The same steps as add_numbers_scalar()'s, a lane per value.
    const __m256i sign = _mm256_cmpeq_epi64(_mm256_and_si256(raw, splat(0xFF)), splat('-'));
    const __m256i m = _mm256_add_epi64(n, sign);  // characters after the sign
    const __m256i mask =
        _mm256_srlv_epi64(splat(~std::uint64_t{0}), _mm256_sub_epi64(splat(64), _mm256_slli_epi64(m, 3)));
    const __m256i x = _mm256_and_si256(
        _mm256_xor_si256(_mm256_srlv_epi64(raw, _mm256_and_si256(sign, splat(8))), splat(kZeros)), mask);
    const __m256i dots = _mm256_xor_si256(x, _mm256_and_si256(splat(0x1E1E1E1E1E1E1E1Eull), mask));
    const __m256i zero_bytes =
        _mm256_and_si256(_mm256_andnot_si256(dots, _mm256_sub_epi64(dots, splat(0x0101010101010101ull))),
                         _mm256_and_si256(splat(kHighBits), mask));
    const __m256i point = _mm256_and_si256(zero_bytes, _mm256_sub_epi64(zero, zero_bytes));  // its high bit
    const __m256i below = _mm256_sub_epi64(_mm256_srli_epi64(point, 7), splat(1));
    const __m256i merged =
        _mm256_or_si256(_mm256_and_si256(x, below), _mm256_andnot_si256(below, _mm256_srli_epi64(x, 8)));
    const __m256i digits =
        _mm256_srlv_epi64(byte_swap(merged), _mm256_sub_epi64(splat(72), _mm256_slli_epi64(m, 3)));
    if (scale == kNoScale) {
      const auto first_point = static_cast<std::uint64_t>(_mm256_extract_epi64(point, 0));
      const auto first_m = static_cast<std::size_t>(n0 - ((r0 & 0xFF) == '-'));
      if (first_point != 0) scale = first_m - 1 - static_cast<std::size_t>(std::countr_zero(first_point)) / 8;
    }
    // The point where `scale` decimals put it. A lane with m - 1 < scale (or any lane while the
    // scale is unknown) gets a shift that leaves nothing, and fails on point != 0.
    const __m256i want_point = _mm256_sllv_epi64(
        splat(1), _mm256_add_epi64(_mm256_slli_epi64(_mm256_sub_epi64(m, splat(1 + scale)), 3), splat(7)));
    __m256i good = _mm256_andnot_si256(digits_only(x), digits_only(merged));  // a float, not an integer
    good = _mm256_and_si256(good, _mm256_cmpeq_epi64(point, want_point));
    good = _mm256_andnot_si256(_mm256_cmpeq_epi64(point, zero), good);
    good = _mm256_and_si256(good, _mm256_cmpgt_epi64(m, splat(1)));
    good = _mm256_andnot_si256(_mm256_and_si256(sign, _mm256_cmpeq_epi64(digits, zero)), good);  // -0.0
    if (_mm256_movemask_epi8(good) != -1) return false;
    fold_bounds(_mm256_sub_epi64(_mm256_xor_si256(digits, sign), sign), low, high);
    distinct_.add(hash_words(r0, 0, kSeed, n0));
    distinct_.add(hash_words(r1, 0, kSeed, n1));
    distinct_.add(hash_words(r2, 0, kSeed, n2));
    distinct_.add(hash_words(r3, 0, kSeed, n3));
    return true;
  };
  i = in_fours(values, i, group, [&](auto part, std::size_t from) { return add_numbers_scalar(part, from); });
  if (scale != kNoScale) {
    const auto [min, max] = bounds_of(low, high);
    if (min != kNone) take_float_bounds(min, max, scale);
  }
  return i;
}

// add_integers_scalar() four values at a time, as add_numbers_avx2() does.
GDP_AVX2 std::size_t ColumnInference::add_integers_avx2(std::span<const std::string_view> values,
                                                        std::size_t i) {
  __m256i low = splat(static_cast<std::uint64_t>(kNone));
  __m256i high = splat(static_cast<std::uint64_t>(-kNone));
  const auto group = [&](const std::string_view* v) GDP_AVX2 {
    const std::size_t n0 = v[0].size(), n1 = v[1].size(), n2 = v[2].size(), n3 = v[3].size();
    if (((n0 - 1) | (n1 - 1) | (n2 - 1) | (n3 - 1)) >= 8) return false;
    const std::uint64_t r0 = load_short(v[0].data(), n0), r1 = load_short(v[1].data(), n1),
                        r2 = load_short(v[2].data(), n2), r3 = load_short(v[3].data(), n3);
    const __m256i n8 = _mm256_slli_epi64(lanes(n0, n1, n2, n3), 3);
    const __m256i mask = _mm256_srlv_epi64(splat(~std::uint64_t{0}), _mm256_sub_epi64(splat(64), n8));
    const __m256i x = _mm256_and_si256(_mm256_xor_si256(lanes(r0, r1, r2, r3), splat(kZeros)), mask);
    // A leading zero makes a code, unless it is the only digit.
    const __m256i leading_zero =
        _mm256_andnot_si256(_mm256_cmpeq_epi64(n8, splat(8)),
                            _mm256_cmpeq_epi64(_mm256_and_si256(x, splat(0xFF)), _mm256_setzero_si256()));
    if (_mm256_movemask_epi8(_mm256_andnot_si256(leading_zero, digits_only(x))) != -1) return false;
    fold_bounds(_mm256_srlv_epi64(byte_swap(x), _mm256_sub_epi64(splat(64), n8)), low, high);
    distinct_.add(hash_words(r0, 0, kSeed, n0));
    distinct_.add(hash_words(r1, 0, kSeed, n1));
    distinct_.add(hash_words(r2, 0, kSeed, n2));
    distinct_.add(hash_words(r3, 0, kSeed, n3));
    return true;
  };
  i = in_fours(values, i, group,
               [&](auto part, std::size_t from) { return add_integers_scalar(part, from); });
  if (const auto [min, max] = bounds_of(low, high); min != kNone) {
    int_min_ = std::min(int_min_, key_value(min));
    int_max_ = std::max(int_max_, key_value(max));
  }
  return i;
}

// add_iso_dates_scalar() four values at a time. With the dashes at their places, "YYYY-MM-" as a
// word xor "0000-00-" is the digit values with zero bytes for the dashes, so the word byte-swapped
// with the day in its low byte orders as the dates do: the loop keeps min and max of that, and
// makes date_key()s of the two at the end. February 29th goes to the scalar loop, which knows
// leap years.
GDP_AVX2 std::size_t ColumnInference::add_iso_dates_avx2(std::span<const std::string_view> values,
                                                         std::size_t i) {
  constexpr std::uint64_t kDashes = 0x2D30302D30303030ull;
  __m256i low = splat(static_cast<std::uint64_t>(kNone));
  __m256i high = splat(static_cast<std::uint64_t>(-kNone));
  const auto group = [&](const std::string_view* v) GDP_AVX2 {
    if (v[0].size() != 10 || v[1].size() != 10 || v[2].size() != 10 || v[3].size() != 10) return false;
    const std::uint64_t f0 = load64(v[0].data()), f1 = load64(v[1].data()), f2 = load64(v[2].data()),
                        f3 = load64(v[3].data());
    const std::uint64_t t0 = iso_date_tail(v[0].data()), t1 = iso_date_tail(v[1].data()),
                        t2 = iso_date_tail(v[2].data()), t3 = iso_date_tail(v[3].data());
    const __m256i zero = _mm256_setzero_si256();
    const __m256i byte = splat(0xFF);
    const __m256i x = _mm256_xor_si256(lanes(f0, f1, f2, f3), splat(kDashes));
    const __m256i day_digits = _mm256_xor_si256(lanes(t0, t1, t2, t3), splat(0x3030));
    __m256i good = _mm256_cmpeq_epi64(_mm256_and_si256(x, splat(0xFF0000FF00000000ull)), zero);
    good = _mm256_and_si256(good, _mm256_and_si256(digits_only(x), digits_only(day_digits)));
    const __m256i month = _mm256_add_epi64(times_ten64(_mm256_and_si256(_mm256_srli_epi64(x, 40), byte)),
                                           _mm256_and_si256(_mm256_srli_epi64(x, 48), byte));
    const __m256i day =
        _mm256_add_epi64(times_ten64(_mm256_and_si256(day_digits, byte)), _mm256_srli_epi64(day_digits, 8));
    // Days in the month: 30 + (m + m / 8) % 2 but for February, 28 here (the 29th is the scalar loop's).
    const __m256i odd = _mm256_and_si256(_mm256_add_epi64(month, _mm256_srli_epi64(month, 3)), splat(1));
    const __m256i days =
        _mm256_blendv_epi8(_mm256_add_epi64(splat(30), odd), splat(28), _mm256_cmpeq_epi64(month, splat(2)));
    good = _mm256_and_si256(good, _mm256_cmpgt_epi64(month, zero));
    good = _mm256_and_si256(good, _mm256_cmpgt_epi64(splat(13), month));
    good = _mm256_and_si256(good, _mm256_cmpgt_epi64(day, zero));
    good = _mm256_andnot_si256(_mm256_cmpgt_epi64(day, days), good);
    if (_mm256_movemask_epi8(good) != -1) return false;
    fold_bounds(_mm256_or_si256(byte_swap(x), day), low, high);
    distinct_.add(hash_words(f0, t0, kSeed, 10));
    distinct_.add(hash_words(f1, t1, kSeed, 10));
    distinct_.add(hash_words(f2, t2, kSeed, 10));
    distinct_.add(hash_words(f3, t3, kSeed, 10));
    return true;
  };
  i = in_fours(values, i, group,
               [&](auto part, std::size_t from) { return add_iso_dates_scalar(part, from); });
  if (const auto [min, max] = bounds_of(low, high); min != kNone) {
    // Back from the swapped word: the year's digits in bytes 7-4, the month's in 2-1, the day in 0.
    const auto date_of = [](std::int64_t key) {
      const auto k = static_cast<std::uint64_t>(key);
      const auto digit = [k](int byte) { return static_cast<int>((k >> (8 * byte)) & 0xFF); };
      return date_key(digit(7) * 1000 + digit(6) * 100 + digit(5) * 10 + digit(4), digit(2) * 10 + digit(1),
                      digit(0));
    };
    date_min_[kYmdDash] = std::min(date_min_[kYmdDash], date_of(min));
    date_max_[kYmdDash] = std::max(date_max_[kYmdDash], date_of(max));
  }
  return i;
}
#endif

std::size_t ColumnInference::add_iso_dates(std::span<const std::string_view> values, std::size_t i) {
#if defined(__x86_64__)
  if (cpu_has_avx2()) return add_iso_dates_avx2(values, i);
#endif
  return add_iso_dates_scalar(values, i);
}

// YYYY-MM-DD in a column whose every date so far was one.
std::size_t ColumnInference::add_iso_dates_scalar(std::span<const std::string_view> values, std::size_t i) {
  std::int64_t low = date_min_[kYmdDash];
  std::int64_t high = date_max_[kYmdDash];
  std::uint64_t nulls = 0;
  for (; i < values.size(); ++i) {
    const std::size_t n = values[i].size();
    if (n != 10) {
      if (n != 0) break;
      ++nulls;
      continue;
    }
    const char* p = values[i].data();
    const std::uint64_t first = load64(p);
    const std::uint64_t tail = iso_date_tail(p);
    std::int64_t key = 0;
    if (iso_date(first, tail, key) != IsoDate::valid) break;
    low = std::min(low, key);
    high = std::max(high, key);
    distinct_.add(hash_words(first, tail, kSeed, n));
  }
  date_min_[kYmdDash] = low;
  date_max_[kYmdDash] = high;
  null_count_ += nulls;
  return i;
}

// Kept out of the lookup loops, so that their few registers are not spilled around the whole of
// the classification that a hit does not need. The key is made again here rather than passed:
// passed by reference, it would be stored to memory for every lookup, hit or not.
[[gnu::noinline]] void ColumnInference::add_missed(std::string_view value, ValueKind kind, std::size_t slot) {
  ++recent_.misses;
  const std::uint64_t nulls = null_count_;
  add_value(value, kind);
  recent_.remember(Recent::key(value, kind), slot, null_count_ != nulls);
}

[[gnu::noinline]] void ColumnInference::count_null() {
  ++null_count_;
}

// Returns where it stopped: at the end, or after a probe of the first values that mostly missed.
// A hit touches no memory but the cache: the counts it needs are derived from the rare paths'
// (values that were not hits, and hits on a remembered null), which keeps the hit loop free of
// read-modify-write chains through the stack.
template <bool kPadded>
std::size_t ColumnInference::add_recent(std::span<const std::string_view> values) {
  constexpr std::size_t kProbe = 32;
  constexpr std::uint32_t kSkipBatches = 16;
  std::size_t others = 0;  // values that were not hits
  const auto one = [&](std::string_view v) {
    if (v.size() - 1 >= Recent::kMaxLength) {  // empty (a null, at once) or long
      add_value(v, ValueKind::text);
      ++others;
      return;
    }
    const Recent::Key key = kPadded ? Recent::padded_key(v) : Recent::key(v);
    const std::size_t slot = recent_.slot(key);
    if (const int seen = recent_.find(key, slot); seen != 0) {
      if (seen == 2) [[unlikely]] {
        count_null();  // a call, so that the compiler keeps the branch
      }
      return;
    }
    add_missed(v, ValueKind::text, slot);
    ++others;
  };
  const std::size_t probe = std::min(kProbe, values.size());
  std::size_t i = 0;
  for (; i < probe; ++i) one(values[i]);
  // A column of mostly distinct values (ids, amounts, timestamps) gains nothing from the lookups.
  if (i < kProbe || (kProbe - others) * 4 >= kProbe) {
    for (; i < values.size(); ++i) one(values[i]);
  }
  if ((i - others) * 4 < i) recent_.skip = kSkipBatches;
  return i;
}

// The settled column: nulls are counted, everything else only feeds the sketch.
[[gnu::always_inline]] inline void ColumnInference::add_string_value(std::string_view t) {
  if (!trim_text(t) || null_marker_trimmed(t)) {
    ++null_count_;
    return;
  }
  distinct_.add(hash_bytes(t));
}

// The fast path: CSV text that is a plain number, an ISO date, or a value in a column already
// settled on string. It updates the state directly; everything else goes to add_general().
[[gnu::always_inline]] inline void ColumnInference::add_text_value(std::string_view value) {
  std::string_view t = value;
  if (!trim_text(t)) {
    ++null_count_;
    return;
  }
  if (settled_string_) {
    add_string_value(t);
    return;
  }
  const Quick q = quick_classify(t);
  if (q.type == ColumnType::null) {
    add_general(t, ValueKind::text);
    return;
  }
  take_quick(t, q, ValueKind::text);
}

// What a value quick_classify() decided changes: a vote, the bounds, the sketch.
[[gnu::always_inline]] inline void ColumnInference::take_quick(std::string_view t, const Quick& q,
                                                               ValueKind kind) {
  distinct_.add(hash_bytes(t));
  const std::uint8_t kind_seen = kind_bit(kind);
  const std::uint8_t bit = type_bit(q.type);
  bool changed = (votes_ & bit) == 0 || (kinds_ & kind_seen) == 0;
  votes_ |= bit;
  kinds_ |= kind_seen;
  switch (q.type) {
    case ColumnType::integer:
      int_min_ = std::min(int_min_, q.integer);
      int_max_ = std::max(int_max_, q.integer);
      break;
    case ColumnType::floating:
      if (float_less(q.floating, float_min_)) float_min_ = q.floating;
      if (float_less(float_max_, q.floating)) float_max_ = q.floating;
      break;
    default:  // an ISO date
      changed |= (date_formats_ & (1u << kYmdDash)) != date_formats_;
      date_formats_ &= 1u << kYmdDash;
      date_min_[kYmdDash] = std::min(date_min_[kYmdDash], q.integer);
      date_max_[kYmdDash] = std::max(date_max_[kYmdDash], q.integer);
      break;
  }
  if (changed) update_settled();
}

void ColumnInference::add_general(std::string_view value, ValueKind kind) {
  if (kind == ValueKind::null) {
    ++null_count_;
    return;
  }
  const std::string_view t = trim(value);
  const bool textual = kind == ValueKind::text || kind == ValueKind::string;
  if (settled_string_) {
    if (textual && null_marker_trimmed(t)) {
      ++null_count_;
      return;
    }
    distinct_.add(hash_bytes(t));
    return;
  }
  ParsedValue parsed;
  switch (kind) {
    case ValueKind::text:
    case ValueKind::string:
      if (t.empty()) {
        ++null_count_;
        return;
      }
      // A JSON string that looks numeric stays a string: its producer chose to quote it.
      parsed = classify_text(t, kind == ValueKind::text);
      if (parsed.type == ColumnType::string && null_marker_trimmed(t)) {
        ++null_count_;
        return;
      }
      break;
    case ValueKind::boolean:
      parsed.type = ColumnType::boolean;
      break;
    case ValueKind::number:
      parsed = classify_json_number(t);
      break;
    case ValueKind::null:
    case ValueKind::array:
      break;
  }
  distinct_.add(hash_bytes(t));
  vote(parsed, kind);
}

void ColumnInference::vote(const ParsedValue& v, ValueKind kind) {
  // The settled-string test runs only when the evidence changes shape, not for every value.
  bool changed = false;
  if (const auto kinds = static_cast<std::uint8_t>(kinds_ | kind_bit(kind)); kinds != kinds_) {
    kinds_ = kinds;
    changed = true;
  }
  if (const auto votes = static_cast<std::uint8_t>(votes_ | type_bit(v.type)); votes != votes_) {
    votes_ = votes;
    changed = true;
  }
  switch (v.type) {
    case ColumnType::integer:
      int_min_ = std::min(int_min_, v.integer);
      int_max_ = std::max(int_max_, v.integer);
      break;
    case ColumnType::floating:
      if (float_less(v.floating, float_min_)) float_min_ = v.floating;
      if (float_less(float_max_, v.floating)) float_max_ = v.floating;
      break;
    case ColumnType::date:
      changed |= (date_formats_ & v.formats) != date_formats_;
      date_formats_ &= v.formats;
      for (unsigned rest = v.formats; rest != 0; rest &= rest - 1) {
        const auto f = static_cast<std::size_t>(std::countr_zero(rest));
        const std::int64_t key = v.readings[kDateReading[f]];
        date_min_[f] = std::min(date_min_[f], key);
        date_max_[f] = std::max(date_max_[f], key);
      }
      break;
    case ColumnType::datetime:
      changed |= (datetime_formats_ & v.formats) != datetime_formats_;
      datetime_formats_ &= static_cast<std::uint8_t>(v.formats);
      datetime_parts_seen_ |= v.parts;
      datetime_parts_missing_ |= static_cast<std::uint8_t>(~v.parts & kAllParts);
      for (unsigned rest = v.formats; rest != 0; rest &= rest - 1) {
        const auto f = static_cast<std::size_t>(std::countr_zero(rest));
        const std::int64_t micros = v.readings[kDateTimeReading[f]];
        datetime_min_[f] = std::min(datetime_min_[f], micros);
        datetime_max_[f] = std::max(datetime_max_[f], micros);
      }
      break;
    case ColumnType::null:
    case ColumnType::boolean:
    case ColumnType::string:
      break;
  }
  if (changed) update_settled();
}

void ColumnInference::update_settled() {
  settled_string_ = settled_string(votes_, kinds_, date_formats_, datetime_formats_);
}

void ColumnInference::merge(const ColumnInference& other) {
  count_ += other.count_;
  null_count_ += other.null_count_;
  kinds_ |= other.kinds_;
  votes_ |= other.votes_;
  date_formats_ &= other.date_formats_;
  datetime_formats_ &= other.datetime_formats_;
  datetime_parts_seen_ |= other.datetime_parts_seen_;
  datetime_parts_missing_ |= other.datetime_parts_missing_;
  int_min_ = std::min(int_min_, other.int_min_);
  int_max_ = std::max(int_max_, other.int_max_);
  if (float_less(other.float_min_, float_min_)) float_min_ = other.float_min_;
  if (float_less(float_max_, other.float_max_)) float_max_ = other.float_max_;
  for (std::size_t f = 0; f < date_min_.size(); ++f) {
    date_min_[f] = std::min(date_min_[f], other.date_min_[f]);
    date_max_[f] = std::max(date_max_[f], other.date_max_[f]);
  }
  for (std::size_t f = 0; f < datetime_min_.size(); ++f) {
    datetime_min_[f] = std::min(datetime_min_[f], other.datetime_min_[f]);
    datetime_max_[f] = std::max(datetime_max_[f], other.datetime_max_[f]);
  }
  distinct_.merge(other.distinct_);
  // Either side may have settled on string before seeing the evidence the other holds.
  settled_string_ = settled_string_ || other.settled_string_;
  if (!settled_string_) update_settled();
}

ColumnStats ColumnInference::finish() const {
  ColumnStats stats;
  stats.count = count_;
  stats.null_count = null_count_;
  stats.distinct_estimate = distinct_.estimate();
  if (votes_ == 0) return stats;
  stats.type = ColumnType::string;
  if (settled_string_) return stats;

  const std::uint8_t integer = type_bit(ColumnType::integer);
  const std::uint8_t floating = type_bit(ColumnType::floating);
  if (votes_ == type_bit(ColumnType::boolean)) {
    stats.type = ColumnType::boolean;
  } else if (votes_ == integer) {
    stats.type = ColumnType::integer;
    stats.min = shortest(int_min_);
    stats.max = shortest(int_max_);
  } else if ((votes_ & ~(integer | floating)) == 0) {
    stats.type = ColumnType::floating;
    const bool have_int = votes_ & integer;
    // long double holds every int64 and every double exactly, so the comparison is exact and an
    // integer bound is reported with all its digits.
    const auto as_long = [](auto v) { return static_cast<long double>(v); };
    stats.min =
        have_int && as_long(int_min_) <= as_long(float_min_) ? shortest(int_min_) : shortest(float_min_);
    stats.max =
        have_int && as_long(int_max_) >= as_long(float_max_) ? shortest(int_max_) : shortest(float_max_);
  } else if (votes_ == type_bit(ColumnType::date)) {
    if (std::popcount(date_formats_) == 1) {
      const auto f = static_cast<std::size_t>(std::countr_zero(date_formats_));
      stats.type = ColumnType::date;
      stats.date_format = std::string(kDateFormatText[f]);
      stats.min = iso_date_from_key(date_min_[f]);
      stats.max = iso_date_from_key(date_max_[f]);
    }
  } else if (votes_ == type_bit(ColumnType::datetime)) {
    if (std::popcount(datetime_formats_) == 1) {
      const auto f = static_cast<std::size_t>(std::countr_zero(datetime_formats_));
      stats.type = ColumnType::datetime;
      std::string format(kDateTimeFormatText[f]);
      if (datetime_parts_seen_ & kSeconds) format += ":%S";
      if (datetime_parts_seen_ & kFraction) format += ".%f";
      if (datetime_parts_seen_ & kOffset) format += "%z";
      stats.date_format = std::move(format);
      const bool utc = !(datetime_parts_missing_ & kOffset);
      stats.min = iso_datetime(datetime_min_[f], utc);
      stats.max = iso_datetime(datetime_max_[f], utc);
    }
  }
  return stats;
}

boost::json::value ColumnInference::typed_value(std::string_view value, ValueKind kind,
                                                const ColumnStats& stats) const {
  if (kind == ValueKind::null) return nullptr;
  const std::string_view t = trim(value);
  if ((kind == ValueKind::text || kind == ValueKind::string) && null_marker_trimmed(t)) return nullptr;
  switch (stats.type) {
    case ColumnType::boolean:
      if (const int b = boolean_value(t); b >= 0) return b == 1;
      break;
    case ColumnType::integer:
    case ColumnType::floating: {
      // Only text and JSON numbers: a numeric-looking JSON string never made the column numeric.
      if (kind != ValueKind::text && kind != ValueKind::number) break;
      ParsedValue parsed;
      if (kind == ValueKind::number) {
        parsed = classify_json_number(t);
      } else if (!t.empty()) {
        parsed = classify_text(t, true);
      }
      if (parsed.type == ColumnType::integer) return parsed.integer;
      if (parsed.type == ColumnType::floating && stats.type == ColumnType::floating &&
          std::isfinite(parsed.floating)) {
        return parsed.floating;
      }
      break;
    }
    case ColumnType::null:
    case ColumnType::date:
    case ColumnType::datetime:
    case ColumnType::string:
      break;
  }
  return boost::json::string(boost::json::string_view(value.data(), value.size()));
}

}  // namespace gdp::ingest
