// Column type inference for the snapshot: one ColumnInference per column per reader thread sees
// every value of the file (not just the 100 sampled rows) and decides the column's type, counts,
// distinct estimate, min/max and date format; the snapshot builder merges the per-thread
// accumulators and then renders the sampled values with typed_value().
//
// add() runs for every field of the file (tens of millions per snapshot), so it allocates nothing,
// decides plain numbers of up to eight characters and ISO dates from a single 8-byte word, parses
// other dates only when the bytes look date-like, and stops classifying once a column can only be a
// string. A repeat of a recent short value costs a lookup instead of a classification and a hash.
// CSV columns arrive a batch at a time (add_text), where a column that has settled on integers,
// plain numbers or ISO dates goes through a loop made for that shape alone. An accumulator is
// about 6.7 KB, most of it the 4 KB HyperLogLog sketch and the 1.3 KB table of recent values.
#pragma once

#include "daemon/ingest/record.h"

#include <boost/json/value.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gdp::ingest {

namespace detail {
struct ParsedValue;  // one value's classification; types.cpp
struct Quick;        // the same, for the shapes decided without the general scanner
}  // namespace detail

enum class ColumnType { null, boolean, integer, floating, date, datetime, string };

// "null", "boolean", "integer", "float", "date", "datetime", "string".
std::string_view to_string(ColumnType type);

struct ColumnStats {
  ColumnType type = ColumnType::null;
  std::uint64_t count = 0;  // values seen, nulls included
  std::uint64_t null_count = 0;
  std::uint64_t distinct_estimate = 0;  // over non-null values; exact up to 64 distinct values
  // Numbers: shortest round-trip text. Dates: YYYY-MM-DD. Datetimes: YYYY-MM-DDTHH:MM:SS, with the
  // fraction when it is not zero, ordered by instant (a value without an offset counts as UTC) and
  // shown in UTC with a trailing Z when every value carried an offset. Absent for other types.
  std::optional<std::string> min, max;
  // strftime-style ("%d/%m/%Y", "%Y-%m-%dT%H:%M:%S%z"), for date and datetime columns only. For
  // datetimes, :%S, .%f and %z appear when any value had seconds, a fraction or an offset.
  std::optional<std::string> date_format;
};

// True for the spellings files use for a missing value: "", whitespace only, NA, N/A, n/a, null,
// NULL, Null, None, NaN, nan, -NaN, -nan, -, #N/A, #N/A N/A, #NA, <NA>, 1.#IND, 1.#QNAN (and with a
// leading '-'). Surrounding spaces and tabs are ignored.
bool is_null_marker(std::string_view text);

// Accumulates one column's evidence. Use one per column per thread and merge() the chunks: finish()
// depends only on the multiset of values added, not on how they were split or the merge order.
class ColumnInference {
 public:
  static constexpr int kDateFormats = 9;
  static constexpr int kDateTimeFormats = 4;

  void add(std::string_view value, ValueKind kind);
  // The same as add(value, ValueKind::text) for each value, faster. With `padded`, the first
  // RecordBatch::kReadAhead bytes of every value may be read even past its end.
  void add_text(std::span<const std::string_view> values, bool padded = false);
  void merge(const ColumnInference& other);
  ColumnStats finish() const;
  // Lookups in the cache of recent values (below) that missed: what its keys and slots are tuned
  // by. A diagnostic, not part of the result; merge() ignores it.
  std::uint64_t recent_misses() const { return recent_.misses; }

  // The JSON the snapshot shows for one sampled value once the column's type is known: integer and
  // float → number (integer literals stay exact int64), boolean → true/false, null markers → null,
  // date/datetime/string → the value's text as it arrived. A value that does not fit the type (or a
  // non-finite float, which JSON cannot carry) is shown as its text.
  boost::json::value typed_value(std::string_view value, ValueKind kind, const ColumnStats& stats) const;

 private:
  // A HyperLogLog sketch (2^12 one-byte registers) that also keeps the exact set of hashes while
  // there are at most 64, so small cardinalities are reported exactly.
  class Distinct {
   public:
    void add(std::uint64_t hash);
    void merge(const Distinct& other);
    std::uint64_t estimate() const;

   private:
    static constexpr int kPrecision = 12;
    static constexpr std::size_t kRegisters = std::size_t{1} << kPrecision;
    static constexpr std::size_t kExactLimit = 64;
    static constexpr std::size_t kExactSlots = 128;  // open addressing at most half full

    void insert_exact(std::uint64_t hash);

    std::array<std::uint8_t, kRegisters> registers_{};
    std::array<std::uint64_t, kExactSlots> exact_{};  // 0 marks an empty slot
    std::uint32_t exact_size_ = 0;
    bool exact_overflow_ = false;
  };

  template <class T, std::size_t N>
  static constexpr std::array<T, N> filled(T value) {
    std::array<T, N> out{};
    out.fill(value);
    return out;
  }

  // Values that repeat (categories, flags, small counts) are common. Adding a value again changes
  // nothing but the counts: every other piece of state is a max, a min, an OR, an AND or a set over
  // the distinct values. So a column remembers the short values it saw last, and a repeat costs a
  // lookup instead of a classification and a hash. Not part of the result: merge() ignores it.
  class Recent {
   public:
    static constexpr std::size_t kMaxLength = 16;  // longer values are not remembered
    struct Key {
      std::uint64_t low = 0, high = 0;  // the bytes, zero-padded
      std::uint32_t length = 0;         // the length, with the ValueKind above it (<< 8)
    };
    static Key key(std::string_view value,
                   ValueKind kind = ValueKind::text);  // value.size() in 1..kMaxLength
    // The same key for a text value whose first kMaxLength bytes may be read.
    static Key padded_key(std::string_view value);
    std::size_t slot(const Key& key) const;
    // 0: not remembered; 1: remembered, not null; 2: remembered, null.
    int find(const Key& key, std::size_t slot) const;
    void remember(const Key& key, std::size_t slot, bool null);

    // Batches left before add_text() tries the cache again, after one where it rarely hit; and the
    // same for add(), counted in values, with the lookups and hits of its current round.
    std::uint32_t skip = 0;
    std::uint32_t value_skip = 0;
    std::uint32_t round_lookups = 0;
    std::uint32_t round_hits = 0;
    std::uint64_t misses = 0;

   private:
    // One way, so two values that share a slot push each other out (a miss costs ~230
    // instructions). At 64 slots a column of a dozen categories nearly always had such a pair,
    // one lookup in 27 missed on the benchmark's mixed file, and the misses took a tenth of the
    // time; 128 slots (2.5 KiB) cut that to one in 97. Two ways cost more per hit than they saved,
    // and 256 slots no more than 128.
    static constexpr std::size_t kSlots = 128;
    static constexpr std::uint32_t kEmpty = 0xFF;  // a length no key has
    static constexpr std::uint32_t kNull = 0x10000;
    std::array<std::uint64_t, kSlots> low_{};
    std::array<std::uint64_t, kSlots> high_{};
    std::array<std::uint32_t, kSlots> meta_ = filled<std::uint32_t, kSlots>(kEmpty);  // Key::length | kNull
  };

  // add_text()'s loops, by the shape of the column so far; each returns the index of the first
  // value it did not take.
  enum class Shape { integers, numbers, iso_dates, other };
  Shape shape() const;
  std::size_t add_integers(std::span<const std::string_view> values, std::size_t i);
  std::size_t add_integers_scalar(std::span<const std::string_view> values, std::size_t i);
  std::size_t add_integers_avx2(std::span<const std::string_view> values, std::size_t i);
  std::size_t add_numbers(std::span<const std::string_view> values, std::size_t i);
  std::size_t add_numbers_scalar(std::span<const std::string_view> values, std::size_t i);
  std::size_t add_numbers_avx2(std::span<const std::string_view> values, std::size_t i);
  void take_float_bounds(std::int64_t low, std::int64_t high, std::size_t scale);
  std::size_t add_iso_dates(std::span<const std::string_view> values, std::size_t i);
  std::size_t add_iso_dates_scalar(std::span<const std::string_view> values, std::size_t i);
  std::size_t add_iso_dates_avx2(std::span<const std::string_view> values, std::size_t i);
  template <bool kPadded>
  std::size_t add_recent(std::span<const std::string_view> values);
  void add_missed(std::string_view value, ValueKind kind, std::size_t slot);
  void count_null();
  void end_lookup();                                       // add()'s round of cache lookups
  void add_value(std::string_view value, ValueKind kind);  // add(), but for the count and the cache
  void take_quick(std::string_view value, const detail::Quick& quick, ValueKind kind);
  void add_text_value(std::string_view value);               // add() for text, but for the count
  void add_string_value(std::string_view value);             // the same, once settled on string
  void add_general(std::string_view value, ValueKind kind);  // what add()'s fast path does not decide
  void vote(const detail::ParsedValue& value, ValueKind kind);
  void update_settled();

  std::uint64_t count_ = 0;
  std::uint64_t null_count_ = 0;
  // Once the column can only be a string, add() just counts nulls and feeds the sketch. The state
  // it stops maintaining (kinds, votes, min/max) cannot change a string result.
  bool settled_string_ = false;
  std::uint8_t kinds_ = 0;  // bit per ValueKind among non-null values
  std::uint8_t votes_ = 0;  // bit per ColumnType among non-null values
  // Formats every date (datetime) value satisfied so far: AND-ed, so merge order does not matter.
  std::uint16_t date_formats_ = (1u << kDateFormats) - 1;
  std::uint8_t datetime_formats_ = (1u << kDateTimeFormats) - 1;
  std::uint8_t datetime_parts_seen_ = 0;     // seconds / fraction / offset present in some value
  std::uint8_t datetime_parts_missing_ = 0;  // ... absent from some value
  std::int64_t int_min_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t int_max_ = std::numeric_limits<std::int64_t>::min();
  double float_min_ = std::numeric_limits<double>::infinity();
  double float_max_ = -std::numeric_limits<double>::infinity();
  // Per candidate format, because until the end we do not know which reading of "03/04/2024" holds.
  // Dates as year << 9 | month << 5 | day (ordered like the calendar); datetimes as microseconds
  // since the epoch, UTC.
  static constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  std::array<std::int64_t, kDateFormats> date_min_ = filled<std::int64_t, kDateFormats>(kNone);
  std::array<std::int64_t, kDateFormats> date_max_ = filled<std::int64_t, kDateFormats>(-kNone);
  std::array<std::int64_t, kDateTimeFormats> datetime_min_ = filled<std::int64_t, kDateTimeFormats>(kNone);
  std::array<std::int64_t, kDateTimeFormats> datetime_max_ = filled<std::int64_t, kDateTimeFormats>(-kNone);
  Distinct distinct_;
  Recent recent_;
  // The number loops' float bounds, as the digit keys per number of decimals (0 to 7) already in
  // float_min_ and float_max_: not part of the result, merge() ignores them.
  static constexpr std::size_t kScales = 8;
  std::array<std::int64_t, kScales> folded_low_ = filled<std::int64_t, kScales>(kNone);
  std::array<std::int64_t, kScales> folded_high_ = filled<std::int64_t, kScales>(-kNone);
};

}  // namespace gdp::ingest
