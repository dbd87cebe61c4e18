#include "daemon/ingest/csv.h"

#include "common/utf8.h"
#include "daemon/ingest/cpu.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <unordered_set>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gdp::ingest {
namespace {

// The scanner looks at the data 64 bytes at a time: one bit per byte in a few masks, so finding
// the end of a field is a count-trailing-zeros instead of a loop over its bytes.
constexpr std::size_t kBlock = 64;
constexpr std::uint64_t kAllBits = ~std::uint64_t{0};
constexpr std::size_t kNpos = std::string_view::npos;
constexpr std::size_t kPrefetchAhead = 1024;

// Bits [lo, hi), for lo <= hi <= 64.
constexpr std::uint64_t bit_range(std::size_t lo, std::size_t hi) {
  const std::uint64_t below_hi = hi >= 64 ? kAllBits : (std::uint64_t{1} << hi) - 1;
  const std::uint64_t from_lo = lo >= 64 ? 0 : kAllBits << lo;
  return below_hi & from_lo;
}

inline std::size_t lowest_bit(std::uint64_t m) {
  return static_cast<std::size_t>(std::countr_zero(m));
}
// Baseline x86-64 has no POPCNT (std::popcount becomes a library call), and the masks counted here
// (newlines inside one quoted field, quotes in a block) mostly have no bit or one set.
inline std::uint64_t ones(std::uint64_t m) {
  std::uint64_t n = 0;
  for (; m != 0; m &= m - 1) ++n;
  return n;
}

// Bit i of the result is the XOR of bits 0..i of m: with m the quotes, whether byte i is inside
// quotes. Spelled out, as the compiler keeps a loop over the shifts.
inline std::uint64_t prefix_xor(std::uint64_t m) {
  m ^= m << 1;
  m ^= m << 2;
  m ^= m << 4;
  m ^= m << 8;
  m ^= m << 16;
  m ^= m << 32;
  return m;
}

#if defined(__SSE2__)
inline std::uint64_t movemask(__m128i v) {
  return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(v)));
}
inline __m128i load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
#endif

// Bits of the 64 readable bytes at p that are a quote, a newline or `delim`; `quote` and
// `newline` get those alone, `high` the bytes >= 0x80 (zero in the common all-ASCII block, for
// one test). Every block of a CSV file goes through this, so where the CPU has AVX2 it compares
// 32 bytes at a time (special_bits_avx2); the build itself targets baseline x86-64.
std::uint64_t special_bits_baseline(const char* p, char delim, std::uint64_t& high, std::uint64_t& quote,
                                    std::uint64_t& newline) {
#if defined(__SSE2__)
  const __m128i vq = _mm_set1_epi8('"');
  const __m128i vn = _mm_set1_epi8('\n');
  const __m128i vd = _mm_set1_epi8(delim);
  const __m128i v0 = load16(p), v1 = load16(p + 16), v2 = load16(p + 32), v3 = load16(p + 48);
  const auto bits = [](__m128i a, __m128i b, __m128i c, __m128i d) {
    return movemask(a) | movemask(b) << 16 | movemask(c) << 32 | movemask(d) << 48;
  };
  const __m128i q0 = _mm_cmpeq_epi8(v0, vq), q1 = _mm_cmpeq_epi8(v1, vq), q2 = _mm_cmpeq_epi8(v2, vq),
                q3 = _mm_cmpeq_epi8(v3, vq);
  const __m128i n0 = _mm_cmpeq_epi8(v0, vn), n1 = _mm_cmpeq_epi8(v1, vn), n2 = _mm_cmpeq_epi8(v2, vn),
                n3 = _mm_cmpeq_epi8(v3, vn);
  quote = bits(q0, q1, q2, q3);
  newline = bits(n0, n1, n2, n3);
  const std::uint64_t delims =
      bits(_mm_cmpeq_epi8(v0, vd), _mm_cmpeq_epi8(v1, vd), _mm_cmpeq_epi8(v2, vd), _mm_cmpeq_epi8(v3, vd));
  high = 0;
  if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(v0, v1), _mm_or_si128(v2, v3))) != 0) {
    high = bits(v0, v1, v2, v3);
  }
  return quote | newline | delims;
#else
  std::uint64_t special = 0;
  high = quote = newline = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (p[i] == '"') quote |= bit;
    if (p[i] == '\n') newline |= bit;
    if (p[i] == '"' || p[i] == '\n' || p[i] == delim) special |= bit;
    if (static_cast<unsigned char>(p[i]) >= 0x80) high |= bit;
  }
  return special;
#endif
}

#if defined(__x86_64__)
GDP_AVX2 std::uint64_t mask32x2(__m256i a, __m256i b) {
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(a)) |
         std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(b))} << 32;
}

GDP_AVX2 inline std::uint64_t special_bits_avx2(const char* p, char delim, std::uint64_t& high,
                                                std::uint64_t& quote, std::uint64_t& newline) {
  const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  const __m256i vq = _mm256_set1_epi8('"');
  const __m256i vn = _mm256_set1_epi8('\n');
  const __m256i vd = _mm256_set1_epi8(delim);
  quote = mask32x2(_mm256_cmpeq_epi8(v0, vq), _mm256_cmpeq_epi8(v1, vq));
  newline = mask32x2(_mm256_cmpeq_epi8(v0, vn), _mm256_cmpeq_epi8(v1, vn));
  const std::uint64_t delims = mask32x2(_mm256_cmpeq_epi8(v0, vd), _mm256_cmpeq_epi8(v1, vd));
  high = 0;
  if (_mm256_movemask_epi8(_mm256_or_si256(v0, v1)) != 0) high = mask32x2(v0, v1);
  return quote | newline | delims;
}
#endif

using SpecialBits = std::uint64_t (*)(const char*, char, std::uint64_t&, std::uint64_t&, std::uint64_t&);

#if defined(__x86_64__)
// special_bits_avx2() for the tokenizer's own blocks, through the pointer below; the bulk path's
// lister has it inline.
GDP_AVX2 std::uint64_t special_bits_avx2_call(const char* p, char delim, std::uint64_t& high,
                                              std::uint64_t& quote, std::uint64_t& newline) {
  return special_bits_avx2(p, delim, high, quote, newline);
}
#endif

const SpecialBits special_bits =
#if defined(__x86_64__)
    cpu_has_avx2() ? special_bits_avx2_call :
#endif
                   special_bits_baseline;

// ---- the bulk path's lists (see Tokenizer::run_bulk) ----------------------------------------------

// Blocks the bulk path classifies before it reads the records in them.
constexpr std::size_t kBulkBlocks = 8;
// Entries a list may be written past its count: the fast lister stores whole rounds.
constexpr std::size_t kListSlack = 16;

// Where a group of blocks was listed: `next` is the first block not listed, `ends` and `newlines`
// the counts so far.
struct BulkLists {
  std::size_t next = 0;
  std::size_t ends = 0;
  std::size_t newlines = 0;
};

// Appends base + the index of each set bit of `bits` to out[count...].
inline void list_bits(std::uint64_t bits, std::size_t base, std::size_t* out, std::size_t& count) {
  for (; bits != 0; bits &= bits - 1) out[count++] = base + lowest_bit(bits);
}

#if defined(__x86_64__)
// The same, storing a round of kListSlack entries whatever the count (the number of bits in a
// block varies from block to block, and a loop that stops at the last one mispredicts its exit
// once per block), then the rest. TZCNT of no bits is 64, where the portable count of trailing
// zeros is undefined (and GCC tests for zero with a branch per entry), so an entry of the round
// is four instructions.
GDP_AVX2 inline void list_bits_avx2(std::uint64_t bits, std::size_t base, std::size_t* out,
                                    std::size_t& count) {
  const auto total = static_cast<std::size_t>(_mm_popcnt_u64(bits));
  std::size_t* at = out + count;
#pragma GCC unroll 16
  for (std::size_t k = 0; k < kListSlack; ++k) {
    at[k] = base + static_cast<std::size_t>(_tzcnt_u64(bits));
    bits = _blsr_u64(bits);
  }
  for (std::size_t k = kListSlack; k < total; ++k) {
    at[k] = base + static_cast<std::size_t>(_tzcnt_u64(bits));
    bits = _blsr_u64(bits);
  }
  count += total;
}
#endif

// Lists the delimiters and newlines of up to kBulkBlocks whole blocks from lists.next, the first of
// them from bit `from` on; false when it stopped before a block it cannot take (a quote, a byte
// >= 0x80, fewer than 64 bytes left).
template <bool kFast>
[[gnu::always_inline]] inline bool list_group_body(const char* d, std::size_t size, char delim,
                                                   std::uint64_t from, BulkLists& lists, std::size_t* ends,
                                                   std::size_t* newlines) {
  std::size_t next = lists.next, n = lists.ends, m = lists.newlines;
  bool whole = true;
  for (std::size_t b = 0; b < kBulkBlocks; ++b, next += kBlock, from = kAllBits) {
    if (size - next < kBlock) {
      whole = false;
      break;
    }
#if defined(__SSE2__)
    if (size - next > kPrefetchAhead) {
      _mm_prefetch(d + next + kPrefetchAhead, _MM_HINT_T0);  // see load_block()
    }
#endif
    std::uint64_t high = 0, quote = 0, newline = 0;
    std::uint64_t special = 0;
#if defined(__x86_64__)
    if constexpr (kFast) {
      special = special_bits_avx2(d + next, delim, high, quote, newline) & from;
    } else {
      special = special_bits_baseline(d + next, delim, high, quote, newline) & from;
    }
#else
    special = special_bits_baseline(d + next, delim, high, quote, newline) & from;
#endif
    if (((quote | high) & from) != 0) {
      whole = false;
      break;
    }
#if defined(__x86_64__)
    if constexpr (kFast) {
      list_bits_avx2(special, next, ends, n);
    } else {
      list_bits(special, next, ends, n);
    }
#else
    list_bits(special, next, ends, n);
#endif
    list_bits(newline & from, next, newlines, m);  // one or two: a round would be mostly waste
  }
  lists = {next, n, m};
  return whole;
}

using ListGroup = bool (*)(const char*, std::size_t, char, std::uint64_t, BulkLists&, std::size_t*,
                           std::size_t*);

bool list_group_baseline(const char* d, std::size_t size, char delim, std::uint64_t from, BulkLists& lists,
                         std::size_t* ends, std::size_t* newlines) {
  return list_group_body<false>(d, size, delim, from, lists, ends, newlines);
}

#if defined(__x86_64__)
GDP_AVX2 bool list_group_avx2(const char* d, std::size_t size, char delim, std::uint64_t from,
                              BulkLists& lists, std::size_t* ends, std::size_t* newlines) {
  return list_group_body<true>(d, size, delim, from, lists, ends, newlines);
}
#endif

const ListGroup list_group =
#if defined(__x86_64__)
    cpu_has_avx2() ? list_group_avx2 :
#endif
                   list_group_baseline;

// Bits of the 64 readable bytes at p that are a quote; `newline` gets the newlines.
inline std::uint64_t quote_bits(const char* p, std::uint64_t& newline) {
#if defined(__SSE2__)
  const __m128i vq = _mm_set1_epi8('"');
  const __m128i vn = _mm_set1_epi8('\n');
  const __m128i v0 = load16(p), v1 = load16(p + 16), v2 = load16(p + 32), v3 = load16(p + 48);
  const auto eq = [](__m128i v, __m128i c) { return movemask(_mm_cmpeq_epi8(v, c)); };
  const std::uint64_t quote = eq(v0, vq) | eq(v1, vq) << 16 | eq(v2, vq) << 32 | eq(v3, vq) << 48;
  newline = eq(v0, vn) | eq(v1, vn) << 16 | eq(v2, vn) << 32 | eq(v3, vn) << 48;
  return quote;
#else
  std::uint64_t quote = 0;
  newline = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    if (p[i] == '"') quote |= std::uint64_t{1} << i;
    if (p[i] == '\n') newline |= std::uint64_t{1} << i;
  }
  return quote;
#endif
}

// 64 readable bytes holding data[block, block + 64): the data itself, or for the last partial block
// a zero-padded copy in `tail` (so no load reads past the data). `valid` masks the real bytes.
inline const char* block_bytes(const char* data, std::size_t size, std::size_t block, char* tail,
                               std::uint64_t& valid) {
  const std::size_t left = size - block;
  if (left >= kBlock) {
    valid = kAllBits;
    return data + block;
  }
  std::memset(tail, 0, kBlock);
  std::memcpy(tail, data + block, left);
  valid = bit_range(0, left);
  return tail;
}

// The bytes of a record's rebuilt fields (doubled quotes collapsed, pieces joined). Unlike a
// std::string it is never zero-filled, and room at its end can be written before it is counted:
// push_unescaped() stores whole words and keeps only the bytes it means.
class Scratch {
 public:
  std::size_t size() const { return size_; }
  const char* data() const { return buf_.get(); }
  void clear() { size_ = 0; }
  char* room(std::size_t n) {
    if (size_ + n > capacity_) grow(size_ + n);
    return buf_.get() + size_;
  }
  void commit(std::size_t n) { size_ += n; }
  void append(const char* p, std::size_t n) {
    if (n == 0) return;
    std::memcpy(room(n), p, n);
    size_ += n;
  }

 private:
  void grow(std::size_t need) {
    const std::size_t capacity = std::max({need, 2 * capacity_, std::size_t{256}});
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ != 0) std::memcpy(bigger.get(), buf_.get(), size_);
    buf_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> buf_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

struct RawRecord {
  std::size_t start = 0;
  std::size_t end = 0;  // the '\n' that ends the record, or the data's size
  std::uint64_t line = 0;
  std::uint64_t quote_line = 0;  // where the quote that never closed was opened
  bool newline_terminated = false;
  bool unterminated = false;
  bool has_high = false;
  bool rebuilt = false;  // some field lives in the tokenizer's scratch buffer, not in the data
};

// Splits data into records and fields, moving forward one 64-byte block at a time; each block is
// classified once. Fields are views into the data except those that had to be rebuilt (doubled
// quotes, text after a closing quote), which live in a scratch buffer reused from record to
// record, like the field array: no allocation per record once warmed up. The values go to the
// tokenizer's own array, or to wherever set_output() says (a column-major batch).
class Tokenizer {
 public:
  Tokenizer(std::string_view data, std::size_t begin, std::uint64_t line, char delim, std::size_t max_fields)
      : d_(data.data()),
        size_(data.size()),
        delim_(delim),
        block_(begin),
        pos_(begin),
        line_(line),
        max_fields_(max_fields) {
    load_block();
    rem_ = special_;
    set_own_output();
  }

  // From the next record on, field i is stored at out[i * stride], up to `stored` of them; more are
  // counted but not stored.
  void set_output(std::string_view* out, std::size_t stride, std::size_t stored) {
    out_ = out;
    stride_ = stride;
    stored_ = stored;
    own_output_ = false;
  }
  void set_own_output() {
    out_ = fields_.data();
    stride_ = 1;
    stored_ = fields_.size();
    own_output_ = true;
  }

  // Reads the records that start before `limit`, skipping blank lines, and calls
  // f(record, fields, field_count) for each until f returns false. `fields` holds at most
  // max_fields of them (none with set_output()); field_count is the true count.
  template <class F>
  void run(std::size_t limit, F&& f) {
    for (;;) {
      std::size_t pos = pos_;
      for (;;) {  // blank lines
        if (pos >= limit || pos >= size_) return;
        std::size_t p = pos;
        while (p < size_ && d_[p] == '\r') ++p;
        if (p == size_) {
          pos_ = size_;
          return;
        }
        if (d_[p] != '\n') break;
        pos = pos_ = p + 1;
        ++line_;
      }
      const std::size_t rel = pos - block_;  // forget the specials before the record
      rem_ = rel < kBlock ? rem_ & (kAllBits << rel) : 0;
      rec_.start = pos;
      rec_.line = line_;
      rec_.unterminated = false;
      const std::size_t t = read_record(pos);
      rec_.end = t;
      rec_.newline_terminated = t < size_;
      rec_.has_high = has_high(rec_.start, t);
      rec_.rebuilt = !pending_.empty();
      if (t < size_) {
        ++line_;
        pos_ = t + 1;
      } else {
        pos_ = size_;
      }
      const std::size_t own = own_output_ ? std::min(n_, fields_.size()) : 0;
      if (!f(static_cast<const RawRecord&>(rec_), std::span<std::string_view>(fields_.data(), own), n_)) {
        return;
      }
    }
  }

  // The batch path: like run() with an `f` that never stops, but a record with `batch.columns()`
  // fields, its quotes closed and no byte >= 0x80 (nearly all) is committed to `batch` here,
  // without the RawRecord and f's checks; f gets the others.
  template <class Batch, class F>
  void run_batched(std::size_t limit, Batch& batch, std::uint64_t base_offset, F&& f) {
    const std::size_t columns = batch.columns();
    set_output(batch.row(), batch.stride(), columns);
    const auto one = [&](const RawRecord& rec, std::span<std::string_view> fields, std::size_t count) {
      f(rec, fields, count);
      return false;
    };
    for (;;) {
      std::size_t p = pos_;
      if (p >= limit || p >= size_) return;
      // Plain text ahead: the bulk path takes what it can.
      if (columns >= 2 && p - block_ < kBlock && ((quote_ | high_) >> (p - block_)) == 0) {
        run_bulk(limit, batch, base_offset);
        p = pos_;
        if (p >= limit || p >= size_) return;
      }
      out_ = batch.row();  // the row after the last commit
      // Maybe a blank line: run() knows.
      if (d_[p] == '\n' || d_[p] == '\r') {
        run(limit, one);
        continue;
      }
      const std::uint64_t line = line_;
      const std::size_t rel = p - block_;  // as in run()
      rem_ = rel < kBlock ? rem_ & (kAllBits << rel) : 0;
      rec_.unterminated = false;
      const std::size_t t = read_record(p);
      if (t < size_) {
        ++line_;
        pos_ = t + 1;
      } else {
        pos_ = size_;
      }
      if (n_ == columns && !rec_.unterminated && !has_high(p, t)) {
        if (pending_.empty()) {
          batch.commit(base_offset + p, line, false);
        } else {
          batch.commit_rebuilt(base_offset + p, line, pending_);
        }
        continue;
      }
      rec_.start = p;
      rec_.line = line;
      rec_.end = t;
      rec_.newline_terminated = t < size_;
      rec_.has_high = has_high(p, t);
      rec_.rebuilt = !pending_.empty();
      f(static_cast<const RawRecord&>(rec_), std::span<std::string_view>(), n_);
    }
  }

  std::size_t pos() const { return pos_; }
  std::uint64_t line() const { return line_; }

 private:
  // The bulk path of run_batched(), for the records of a file that need none of the per-field
  // decisions: from pos_ on, whole blocks without a quote or a byte >= 0x80 are classified a few
  // at a time and their delimiters and newlines listed; a record is then exactly `columns` field
  // ends of which only the last is a newline, so one comparison with the next newline checks it,
  // and its fields go to the batch as views between the ends. It stops, with the tokenizer at the
  // record start it reached, before a block it cannot take (a quote, a high byte, the data's last
  // partial block), a record that is not exactly that (a blank line, a wrong field count), or the
  // limit; run_batched() reads that record the general way and comes back.
  // Out of line: inlined into run_batched(), its loop shares registers with the general reader's
  // and spills more; the mixed benchmark file took 4-5% longer (0.585 s against 0.559 s).
  template <class Batch>
  [[gnu::noinline]] void run_bulk(std::size_t limit, Batch& batch, std::uint64_t base_offset) {
    const std::size_t columns = batch.columns();
    const std::size_t stride = batch.stride();
    const char* const d = d_;
    const std::size_t room = columns + kBulkBlocks * kBlock + kListSlack;
    if (bulk_ends_.size() < room) bulk_ends_.resize(room);
    std::size_t* const ends = bulk_ends_.data();              // field ends (delimiters and newlines) in order
    std::size_t newlines[kBulkBlocks * kBlock + kListSlack];  // the newlines among them
    std::size_t p = pos_;                                     // the next record's start
    std::uint64_t line = line_;
    BulkLists lists{block_, 0, 0};  // ends[0] is the next record's first
    std::uint64_t from = kAllBits << (p - block_);
    bool more = true;
    while (more && p < limit) {
      lists.newlines = 0;
      more = list_group(d, size_, delim_, from, lists, ends, newlines);
      from = kAllBits;
      const std::size_t n = lists.ends;
      const std::size_t m = lists.newlines;
      std::size_t k = 0;  // the next record's first end
      // The batch's arrays are written here directly, its row count kept in a local: stored
      // through the views, the batch's members would be reloaded for every record.
      auto rows = batch.rows_for_bulk();
      for (std::size_t r = 0; r < m; ++r) {
        const std::size_t last = newlines[r];
        if (p >= limit || k + columns > n || ends[k + columns - 1] != last) {
          more = false;
          break;
        }
        std::string_view* slot = rows.values + rows.count;
        std::size_t s = p;
        for (std::size_t j = 0; j + 1 < columns; ++j, slot += stride) {
          const std::size_t e = ends[k + j];
          *slot = std::string_view(d + s, e - s);
          s = e + 1;
        }
        const std::size_t e = last > s && d[last - 1] == '\r' ? last - 1 : last;
        *slot = std::string_view(d + s, e - s);
        rows.offsets[rows.count] = base_offset + p;
        rows.lines[rows.count] = line;
        if (++rows.count == rows.capacity) rows = batch.commit_bulk(rows.count);
        ++line;
        p = last + 1;
        k += columns;
      }
      batch.commit_bulk(rows.count);
      // The ends of the record still open move to the front; `columns` of them without a newline
      // are too many fields.
      if (more && n - k >= columns) more = false;
      if (more) {
        std::copy(ends + k, ends + n, ends);
        lists.ends = n - k;
      }
    }
    pos_ = p;
    line_ = line;
    if (p - block_ >= kBlock) {
      // The blocks passed hold no high byte at or after the first record read here.
      if (high_ != 0) passed_high_end_ = block_ + kBlock - static_cast<std::size_t>(std::countl_zero(high_));
      block_ += (p - block_) / kBlock * kBlock;
      fast_block_ = kNpos;
      load_block();
    }
    rem_ = special_;
  }

  struct Pending {
    std::size_t index;
    std::size_t offset;
    std::size_t length;
  };

  // Reads the fields of the record that starts at p into the output and n_; returns the position of
  // the newline that ends it, or size_. rem_ holds the specials of the current block from p on.
  std::size_t read_record(std::size_t p) {
    // Without a quote in sight the quote-by-quote reader is as fast, and skips the prefix XOR.
    const std::size_t rel = p - block_;
    if (rel < kBlock && (quote_ >> rel) == 0) return read_record_slow(p);
    const std::size_t t = read_record_fast(p);
    return t != kNpos ? t : read_record_slow(p);
  }

  // The fast path for records whose quotes are all plain RFC 4180 quoting: every quote opens a field
  // (right after a delimiter or line start) or closes it (right before a delimiter, a newline or
  // the end of the data), or is one of a doubled pair. Then a quote toggles the quoted state and
  // the prefix XOR of the quote bits gives the quoted bytes of a whole block at once, so the
  // delimiters and newlines outside quotes are exactly the field ends, taken one set bit at a time.
  // Anything else (a quote inside an unquoted field, text after a closing quote, a CR after one, a
  // quote left open) is noticed from the masks before any field past it is read, and the record is
  // read again by read_record_slow(). Returns kNpos for that, with the tokenizer as it was.
  // Rebuilt fields live in scratch_, which may have moved while the record grew: their views are
  // placed once the record is complete.
  void place_pending(std::string_view* out, std::size_t stride) {
    for (const auto& pf : pending_) {
      out[pf.index * stride] = std::string_view(scratch_.data() + pf.offset, pf.length);
    }
  }

  [[gnu::noinline]] std::size_t read_record_fast(std::size_t p) {
    const std::size_t start_block = block_;
    const std::size_t start_passed_high = passed_high_end_;
    if (p - block_ >= kBlock) advance_to(p);
    if (fast_block_ != block_) classify(p - block_, 0, std::uint64_t{1} << (p - block_));
    scratch_.clear();
    pending_.clear();
    // As in read_record_slow(), the state lives in locals: a field stored through `slot` could be
    // any std::uint64_t member as far as the compiler knows.
    const char* const d = d_;
    const std::size_t size = size_;
    std::size_t block = block_;
    const std::size_t stride = stride_;
    std::size_t stored = stored_;
    std::string_view* slot = out_;  // where field n goes
    // This block's masks; field ends before p are blank lines or records already read.
    std::uint64_t ends = f_ends_ & (kAllBits << (p - block));
    std::uint64_t newline = newline_;
    std::size_t bad = f_bad_;
    std::uint64_t doubled = f_doubled_;
    std::uint64_t inner_newlines = f_inner_newlines_;
    std::uint64_t lines = 0;      // newlines inside quotes so far
    bool doubled_before = false;  // the field has a doubled quote in an earlier block
    std::size_t n = 0;
    std::size_t s = p;  // the current field's first byte
    std::size_t t = 0;  // the byte that ends it
    for (;;) {
      bool last = false;
      if (ends != 0) {
        const std::size_t r = lowest_bit(ends);
        ends &= ends - 1;
        if (r > bad) return undo_fast(start_block, start_passed_high);
        t = block + r;
        last = ((newline >> r) & 1) != 0;
        if ((doubled | inner_newlines) != 0) {
          // Doubled quotes and quoted newlines before t are this field's (or this record's).
          const std::uint64_t before = bit_range(0, r);
          doubled_before = doubled_before || (doubled & before) != 0;
          doubled &= ~before;
          if (last) {
            lines += ones(inner_newlines & before);
            inner_newlines &= ~before;
          }
        }
      } else {
        // The field goes on past this block (unless the data ends in it).
        if (bad < kBlock) return undo_fast(start_block, start_passed_high);
        doubled_before = doubled_before || doubled != 0;
        if (inner_newlines != 0) lines += ones(inner_newlines);
        if (size - block > kBlock) {
          const std::uint64_t in_quotes = f_quotes_out_;
          const std::uint64_t prev_ok = f_prev_ok_out_;
          advance_to(block + kBlock);
          block = block_;
          classify(0, in_quotes, prev_ok);
          ends = f_ends_;
          newline = newline_;
          bad = f_bad_;
          doubled = f_doubled_;
          inner_newlines = f_inner_newlines_;
          continue;
        }
        if (f_quotes_out_ != 0) return undo_fast(start_block, start_passed_high);  // never closed
        t = size;
        last = true;
        doubled = inner_newlines = 0;
      }
      std::size_t b = s;
      std::size_t e = t;
      if (s < t && d[s] == '"') {
        b = s + 1;
        e = t - 1;  // the closing quote (a CR after it took the slow path)
        if (doubled_before) {
          n_ = n;
          push_unescaped(b, e);
          n = n_;
          stored = stored_;
          slot = out_ + n * stride;
          doubled_before = false;
          if (last) break;
          s = t + 1;
          continue;
        }
      } else if (last && e > s && d[e - 1] == '\r') {
        --e;  // the CR of a CRLF (or of the data's end) is not data
      }
      if (n < stored) {
        *slot = std::string_view(d + b, e - b);
        slot += stride;
      } else {
        grow(std::string_view(d + b, e - b), n);
        stored = stored_;
        slot = out_ + (n + 1) * stride;
      }
      ++n;
      if (last) break;
      s = t + 1;
    }
    block_ = block;
    rem_ = special_;
    n_ = n;
    line_ += lines;
    f_ends_ = ends;
    f_doubled_ = doubled;
    f_inner_newlines_ = inner_newlines;
    place_pending(out_, stride);
    return t;
  }

  [[gnu::noinline]] std::size_t read_record_slow(std::size_t p) {
    fast_block_ = kNpos;
    scratch_.clear();
    pending_.clear();
    // The hot loop keeps its state in locals. Every field stored is a pointer and a size, and
    // through those the compiler would otherwise assume the members changed and reload them.
    const char* const d = d_;
    const std::size_t size = size_;
    const char delim = delim_;
    std::size_t block = block_;
    std::uint64_t rem = rem_;
    std::string_view* out = out_;
    const std::size_t stride = stride_;
    std::size_t stored = stored_;
    std::string_view* slot = out;  // where field n goes
    std::size_t n = 0;
    std::size_t t = 0;  // the byte that ends the current field
    for (;;) {
      if (p < size && d[p] == '"') {
        block_ = block;
        n_ = n;
        t = quoted(p);
        n = n_;
        block = block_;
        rem = specials_after(t);
        out = out_;
        stored = stored_;
        slot = out + n * stride;
        if (t < size && d[t] == delim) {
          p = t + 1;
          continue;
        }
        break;
      }
      std::size_t from = p;  // rem has no bits before `from`
      char c = '\n';         // the byte at t
      for (;;) {
        if (rem != 0) {
          t = block + lowest_bit(rem);
          rem &= rem - 1;
          c = d[t];
          if (c != '"') break;
          from = t + 1;  // a quote inside an unquoted field is an ordinary character
          continue;
        }
        if (size - block <= kBlock) {
          t = size;
          break;
        }
        from = std::max(from, block + kBlock);
        block_ = block;
        advance_to(from);
        block = block_;
        rem = special_ & (kAllBits << (from - block));
      }
      // c is the delimiter only if the field ends at one (at the end of the data it is a newline
      // or a quote passed over).
      const bool more = c == delim;
      // The CR of a CRLF is not data.
      std::size_t e = t;
      if (!more && t > p && d[t - 1] == '\r') --e;
      if (n < stored) {
        *slot = std::string_view(d + p, e - p);
        slot += stride;
      } else {
        grow(std::string_view(d + p, e - p), n);
        out = out_;
        stored = stored_;
        slot = out + (n + 1) * stride;
      }
      ++n;
      if (!more) break;
      p = t + 1;
    }
    block_ = block;
    rem_ = rem;
    n_ = n;
    place_pending(out, stride);
    return t;
  }

  void load_block() {
    if (block_ >= size_) {
      special_ = high_ = quote_ = newline_ = 0;
      return;
    }
    alignas(16) char tail[kBlock];
    std::uint64_t valid = 0;
    const char* bytes = block_bytes(d_, size_, block_, tail, valid);
#if defined(__SSE2__)
    // The work between two blocks hides the hardware prefetcher's lead; ask for data further on.
    if (size_ - block_ > kPrefetchAhead) _mm_prefetch(d_ + block_ + kPrefetchAhead, _MM_HINT_T0);
#endif
    special_ = special_bits(bytes, delim_, high_, quote_, newline_) & valid;
    high_ &= valid;
    quote_ &= valid;
    newline_ &= valid;
  }

  // Moves to the block holding p (p < size_, and not before the current block).
  [[gnu::noinline]] void advance_to(std::size_t p) {
    while (p - block_ >= kBlock) {
      if (high_ != 0) passed_high_end_ = block_ + kBlock - static_cast<std::size_t>(std::countl_zero(high_));
      block_ += kBlock;
      load_block();
    }
  }

  // The specials of the current block after position t (where t is in it, or is size_).
  std::uint64_t specials_after(std::size_t t) const {
    if (t >= size_) return 0;
    const std::size_t rel = t - block_ + 1;
    return rel < kBlock ? special_ & (kAllBits << rel) : 0;
  }

  // The first quote, newline or delimiter at or after p; size_ if none.
  std::size_t next_special(std::size_t p) {
    while (p < size_) {
      if (p - block_ >= kBlock) advance_to(p);
      const std::uint64_t m = special_ >> (p - block_);
      if (m != 0) return p + lowest_bit(m);
      p = block_ + kBlock;
    }
    return size_;
  }

  // The first quote at or after p (size_ if none), counting the newlines passed on the way.
  std::size_t next_quote(std::size_t p) {
    while (p < size_) {
      if (p - block_ >= kBlock) advance_to(p);
      const std::size_t rel = p - block_;
      const std::uint64_t q = quote_ >> rel;
      const std::uint64_t nl = newline_ >> rel;
      if (q != 0) {
        const std::size_t at = lowest_bit(q);
        line_ += ones(nl & bit_range(0, at));
        return p + at;
      }
      line_ += ones(nl);
      p = block_ + kBlock;
    }
    return size_;
  }

  // Whether data[from, to) holds a byte >= 0x80, for the record just read: `to` is not past the
  // current block, and no earlier record reached `from`.
  bool has_high(std::size_t from, std::size_t to) const {
    if (passed_high_end_ > from) return true;
    if (high_ == 0 || to <= block_) return false;
    const std::size_t lo = from > block_ ? from - block_ : 0;
    const std::size_t hi = std::min(to - block_, kBlock);
    return lo < hi && (high_ & bit_range(lo, hi)) != 0;
  }

  // Field n does not fit the output: the own array grows up to max_fields_, a set output does not.
  [[gnu::noinline]] void grow(std::string_view value, std::size_t n) {
    if (!own_output_ || n >= max_fields_) return;
    fields_.push_back(value);
    out_ = fields_.data();
    stored_ = fields_.size();
  }

  void push(std::size_t b, std::size_t e) {
    if (n_ < stored_) {
      out_[n_ * stride_] = std::string_view(d_ + b, e - b);
    } else {
      grow(std::string_view(d_ + b, e - b), n_);
    }
    ++n_;
  }

  // A rebuilt field, scratch_[offset, end): its view is made once the record is read, because the
  // scratch buffer may still grow until then.
  void push_rebuilt(std::size_t offset) {
    if (n_ < stored_ || (own_output_ && n_ < max_fields_)) {
      pending_.push_back({n_, offset, scratch_.size() - offset});
    }
    push(0, 0);
  }

  // Collapses the doubled quotes of data[b, e) (every quote there is the first of a pair: keep it,
  // skip the second) into scratch_. Eight bytes at a time: a byte loop that steps over the second
  // quote of each pair carries its position through a load and a compare per byte, and the field
  // of every row of a file (say ""hi"") paid that. Each word is stored whole, then only the bytes
  // up to and including its first quote are kept.
  void push_unescaped(std::size_t b, std::size_t e) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull;
    constexpr std::uint64_t kQuotes = kOnes * '"';
    const std::size_t offset = scratch_.size();
    char* const first = scratch_.room(e - b + 8);  // room for the last whole-word store
    char* w = first;
    const char* src = d_ + b;
    const char* const end = d_ + e;
    const char* const readable = d_ + size_;
    while (src < end) {
      const auto left = static_cast<std::size_t>(end - src);
      if (readable - src < 8) {  // the last bytes of the data: one at a time
        const char c = *src;
        *w++ = c;
        src += c == '"' ? 2 : 1;
        continue;
      }
      std::uint64_t x;
      std::memcpy(&x, src, 8);
      std::memcpy(w, &x, 8);
      // The lowest zero byte of x ^ quotes is found exactly (borrows only run upwards from it).
      const std::uint64_t y = x ^ kQuotes;
      std::uint64_t quotes = (y - kOnes) & ~y & (kOnes << 7);
      if (left < 8) quotes &= (std::uint64_t{1} << (8 * left)) - 1;
      if (quotes == 0) {
        const std::size_t step = std::min<std::size_t>(8, left);
        src += step;
        w += step;
        continue;
      }
      const std::size_t k = lowest_bit(quotes) / 8;  // the first quote of a pair
      src += k + 2;
      w += k + 1;
    }
    scratch_.commit(static_cast<std::size_t>(w - first));
    push_rebuilt(offset);
  }

  // Gives up on the fast path for this record: back to the block it started in.
  std::size_t undo_fast(std::size_t start_block, std::size_t start_passed_high) {
    fast_block_ = kNpos;
    if (block_ != start_block) {
      block_ = start_block;
      load_block();
    }
    passed_high_end_ = start_passed_high;
    return kNpos;
  }

  // The fast path's masks of the current block from byte `from` on, given whether the byte before
  // it is inside quotes (`in_quotes`, all ones or zero) and whether a quote may open at `from`
  // (`prev_ok`: bit 0 for a block start, or bit `from` at a record start).
  void classify(std::size_t from, std::uint64_t in_quotes, std::uint64_t prev_ok) {
    const std::uint64_t keep = kAllBits << from;
    const std::uint64_t q = quote_ & keep;
    const std::uint64_t inside = prefix_xor(q) ^ in_quotes;  // bit i: inside quotes after byte i
    const std::uint64_t ends = special_ & ~quote_ & keep & ~inside;
    const std::uint64_t open = q & inside;
    const std::uint64_t close = q & ~inside;
    // The byte after the block: a closing quote may come right before it if it ends a field (a
    // delimiter or newline outside quotes, as after a closing quote), is a quote, or is past the end.
    bool next_ok = true;
    bool next_quote = false;
    if (size_ - block_ > kBlock) {
      const char c = d_[block_ + kBlock];
      next_quote = c == '"';
      next_ok = next_quote || c == delim_ || c == '\n';
    }
    const std::size_t left = size_ - block_;
    const std::uint64_t past_end = left < kBlock ? kAllBits << left : 0;
    const std::uint64_t close_ok =
        (ends >> 1) | (q >> 1) | (past_end >> 1) | (static_cast<std::uint64_t>(next_ok) << 63);
    const std::uint64_t open_ok = (ends << 1) | (close << 1) | prev_ok;
    const std::uint64_t bad = (open & ~open_ok) | (close & ~close_ok);
    f_bad_ = bad != 0 ? lowest_bit(bad) : kBlock;
    f_ends_ = ends;
    f_doubled_ = close & ((q >> 1) | (static_cast<std::uint64_t>(next_quote) << 63));
    f_inner_newlines_ = newline_ & inside & keep;
    f_quotes_out_ = (inside >> 63) != 0 ? kAllBits : 0;
    f_prev_ok_out_ = (ends | close) >> 63;
    fast_block_ = block_;
  }

  // A field starting with a quote. Most are quoted text (with doubled quotes) right before the
  // delimiter, a line end or the end of the data: read here from the quote masks. quoted_field()
  // reads the lenient rest, starting over from the opening quote. Returns as quoted_field() does.
  std::size_t quoted(std::size_t open) {
    const std::size_t start_block = block_;
    const std::uint64_t start_line = line_;
    bool doubled = false;
    std::size_t q = open;
    for (;;) {
      q = next_quote(q + 1);
      if (q >= size_) break;
      if (q + 1 < size_ && d_[q + 1] == '"') {
        doubled = true;
        ++q;
        continue;
      }
      std::size_t t = q + 1;
      if (t < size_ && d_[t] == '\r' && (t + 1 == size_ || d_[t + 1] == '\n')) ++t;
      if (t < size_ && d_[t] != delim_ && d_[t] != '\n') break;
      if (doubled) {
        push_unescaped(open + 1, q);
      } else {
        push(open + 1, q);
      }
      return t;
    }
    line_ = start_line;
    if (block_ != start_block) {
      block_ = start_block;
      load_block();
    }
    return quoted_field(open);
  }

  // A field starting with a quote: quoted text with doubled quotes, then (leniently) any text up to
  // the delimiter, where a further quote opens another quoted part. So every quote toggles the
  // quoted state, which keeps quote parity a reliable guide to record starts. Returns the position
  // of the delimiter or newline that ends the field, or size_.
  [[gnu::noinline]] std::size_t quoted_field(std::size_t open) {
    const char* const d = d_;
    const std::size_t size = size_;
    const std::uint64_t open_line = line_;
    std::size_t seg = open + 1;  // start of the quoted text not yet stored
    std::size_t search = seg;
    bool copying = false;
    std::size_t offset = 0;
    for (;;) {
      const std::size_t q = next_quote(search);
      if (q >= size) {
        rec_.unterminated = true;
        rec_.quote_line = open_line;
        push(seg, size);
        return size;
      }
      if (q + 1 < size && d[q + 1] == '"') {
        if (!copying) offset = scratch_.size();
        copying = true;
        scratch_.append(d + seg, q + 1 - seg);
        seg = search = q + 2;
        continue;
      }
      const std::size_t after = q + 1;
      const std::size_t t = next_special(after);
      const bool reopens = t < size && d[t] == '"';
      std::size_t tail_end = t;
      if (!reopens && t > after && d[t - 1] == '\r' && (t == size || d[t] == '\n')) --tail_end;
      if (!copying && !reopens && tail_end == after) {
        push(seg, q);
        return t;
      }
      if (!copying) offset = scratch_.size();
      copying = true;
      scratch_.append(d + seg, q - seg);
      scratch_.append(d + after, tail_end - after);
      if (!reopens) {
        push_rebuilt(offset);
        return t;
      }
      seg = search = t + 1;
    }
  }

  const char* d_;
  std::size_t size_;
  char delim_;
  std::size_t block_;          // start of the current block
  std::uint64_t special_ = 0;  // its quotes, newlines and delimiters
  std::uint64_t high_ = 0;     // its bytes >= 0x80
  std::uint64_t quote_ = 0;    // its quotes and newlines
  std::uint64_t newline_ = 0;
  std::uint64_t rem_ = 0;            // the specials of the block not yet passed by the reader
  std::size_t passed_high_end_ = 0;  // one past the last byte >= 0x80 in the blocks already left
  // The fast path's view of block fast_block_ (read_record_fast()), kept from record to record.
  std::size_t fast_block_ = kNpos;
  std::uint64_t f_ends_ = 0;            // delimiters and newlines outside quotes not yet read
  std::size_t f_bad_ = kBlock;          // the first quote that is not plain quoting, or kBlock
  std::uint64_t f_doubled_ = 0;         // first quotes of doubled pairs not yet passed
  std::uint64_t f_inner_newlines_ = 0;  // newlines inside quotes not yet counted
  std::uint64_t f_quotes_out_ = 0;      // all ones if the block ends inside quotes
  std::uint64_t f_prev_ok_out_ = 0;     // 1 if a quote may open the next block
  std::size_t pos_;
  std::uint64_t line_;
  std::size_t max_fields_;  // a line of a million commas must not become a million stored fields
  std::size_t n_ = 0;       // fields in the record
  RawRecord rec_;
  std::vector<std::string_view> fields_;
  std::string_view* out_ = nullptr;  // where read_record() stores field i: out_[i * stride_]
  std::size_t stride_ = 1;
  std::size_t stored_ = 0;
  bool own_output_ = true;
  Scratch scratch_;
  std::vector<Pending> pending_;
  std::vector<std::size_t> bulk_ends_;  // run_bulk()'s list of field ends
};

// ---- batches ------------------------------------------------------------------------------

// Values per batch: enough rows for each column's loop to run long and to spread what every batch
// costs (a call per column, the cache's probe, the loops' set-up and last values), few enough that
// the batch (64 KiB of views) stays in the L2 cache next to the columns' sketches. On the mixed
// benchmark file 4096 took 4% off 1024; more gained nothing clear.
constexpr std::size_t kBatchValues = 4096;
constexpr std::size_t kArenaBytes = std::size_t{64} << 10;

// Collects a scan's well-formed records column by column and hands them to the sink in batches.
// The tokenizer writes each record straight into the next free row; commit() keeps it. Fields
// that live in buffers the next record reuses (rebuilt quoted fields, Latin-1 converted to UTF-8)
// are copied into an arena, which is never grown while the batch refers to it.
class Batcher {
 public:
  Batcher(std::string_view data, std::size_t columns, RecordSink& sink)
      : data_(data),
        columns_(columns),
        capacity_(std::max<std::size_t>(1, kBatchValues / columns)),
        sink_(sink),
        values_(columns * capacity_),
        offsets_(capacity_),
        lines_(capacity_) {
    arena_.reserve(kArenaBytes);
  }

  // The free row: column c's value goes to row()[c * stride()].
  std::string_view* row() { return values_.data() + rows_; }
  std::size_t stride() const { return capacity_; }
  std::size_t columns() const { return columns_; }
  std::string_view& value(std::size_t c) { return row()[c * capacity_]; }

  // Keeps the free row; with `foreign`, some of its values may lie outside the data.
  void commit(std::uint64_t offset, std::uint64_t line, bool foreign) {
    if (foreign) keep_foreign();
    offsets_[rows_] = offset;
    lines_[rows_] = line;
    if (++rows_ == capacity_) flush();
  }

  // The bulk path's way in: the arrays and the row count, for plain rows written straight into
  // them (all in the data, nothing foreign); commit_bulk() takes the new count, flushes a full
  // batch, and gives the arrays back for more.
  struct BulkRows {
    std::string_view* values;
    std::uint64_t* offsets;
    std::uint64_t* lines;
    std::size_t count;
    std::size_t capacity;
  };
  BulkRows rows_for_bulk() { return {values_.data(), offsets_.data(), lines_.data(), rows_, capacity_}; }
  BulkRows commit_bulk(std::size_t count) {
    rows_ = count;
    if (rows_ == capacity_) flush();
    return rows_for_bulk();
  }

  // commit(offset, line, true) for a row where only the columns `rebuilt` names (items with an
  // `index`, the tokenizer's pending fields) may lie outside the data: only those are looked at.
  template <class Rebuilt>
  void commit_rebuilt(std::uint64_t offset, std::uint64_t line, const Rebuilt& rebuilt) {
    std::size_t need = 0;
    for (const auto& r : rebuilt) need += value(r.index).size();
    if (!arena_fits(need)) {
      commit(offset, line, true);  // the general way, which makes room
      return;
    }
    for (const auto& r : rebuilt) {
      std::string_view& v = value(r.index);
      const std::size_t at = arena_.size();
      arena_.append(v);
      v = std::string_view(arena_.data() + at, v.size());
    }
    commit(offset, line, false);
  }

  void flush() {
    if (rows_ == 0) return;
    sink_.records({columns_, rows_, capacity_, values_.data(), offsets_.data(), lines_.data(), padded()});
    rows_ = 0;
    arena_.clear();
  }

 private:
  // The arena keeps RecordBatch::kReadAhead bytes spare after its last value, so that every value
  // in it may be read that far.
  bool arena_fits(std::size_t need) const {
    return arena_.size() + need + RecordBatch::kReadAhead <= arena_.capacity();
  }

  // Whether every value of the batch may be read kReadAhead bytes from its start. The arena's may;
  // those in the data are in file order, so the last one decides: only the batch at the end of
  // the data can fail.
  bool padded() const {
    for (std::size_t r = rows_; r-- > 0;) {
      for (std::size_t c = columns_; c-- > 0;) {
        const std::string_view v = values_[c * capacity_ + r];
        if (in_data(v)) {
          return static_cast<std::size_t>(v.data() - data_.data()) + RecordBatch::kReadAhead <= data_.size();
        }
      }
    }
    return true;
  }

  bool in_data(std::string_view v) const {
    return reinterpret_cast<std::uintptr_t>(v.data()) - reinterpret_cast<std::uintptr_t>(data_.data()) <
           data_.size();
  }

  void keep_foreign() {
    std::size_t need = 0;
    for (std::size_t c = 0; c < columns_; ++c) need += in_data(value(c)) ? 0 : value(c).size();
    if (!arena_fits(need)) {
      // The rows before this one go now, and this one moves to the front of the emptied batch.
      moving_.resize(columns_);
      for (std::size_t c = 0; c < columns_; ++c) moving_[c] = value(c);
      flush();
      for (std::size_t c = 0; c < columns_; ++c) value(c) = moving_[c];
      arena_.reserve(need + RecordBatch::kReadAhead);  // the arena is empty and unreferenced now
    }
    for (std::size_t c = 0; c < columns_; ++c) {
      std::string_view& v = value(c);
      if (in_data(v)) continue;
      const std::size_t at = arena_.size();
      arena_.append(v);
      v = std::string_view(arena_.data() + at, v.size());
    }
  }

  std::string_view data_;
  std::size_t columns_;
  std::size_t capacity_;  // rows per batch
  RecordSink& sink_;
  std::vector<std::string_view> values_;
  std::vector<std::uint64_t> offsets_;
  std::vector<std::uint64_t> lines_;
  std::string arena_;
  std::vector<std::string_view> moving_;
  std::size_t rows_ = 0;
};

// ---- encodings ------------------------------------------------------------------------------

bool has_high_byte(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

std::string to_utf8(std::string_view raw, Encoding encoding) {
  if (encoding == Encoding::latin1) {
    std::string out;
    utf8::append_latin1(out, raw);
    return out;
  }
  return utf8::repair(raw);
}

// ---- detection ------------------------------------------------------------------------------

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::array<char, 4> kDelimiters = {',', '\t', ';', '|'};  // also the tie-break order
constexpr std::size_t kSampleRecords = 200;
constexpr std::size_t kDetectMaxFields = std::size_t{1} << 16;
constexpr std::size_t kScanMinFieldCap = std::size_t{1} << 16;

// Calls f(fields, field_count) for each of the first records of `text` that is complete (a record
// cut off by the end of the head, or whose quote never closes, says nothing reliable).
template <class F>
void for_each_sample(Tokenizer& tok, std::string_view text, bool whole_file, F&& f) {
  std::size_t k = 0;
  tok.run(text.size(), [&](const RawRecord& rec, std::span<std::string_view> fields, std::size_t count) {
    if (rec.unterminated || (!rec.newline_terminated && !whole_file)) return false;
    f(fields, count);
    return ++k < kSampleRecords;
  });
}

struct DelimiterScore {
  char delimiter = ',';
  std::size_t records = 0;   // complete records sampled
  std::size_t agreeing = 0;  // how many have the most common non-zero delimiter count
};

DelimiterScore score_delimiter(std::string_view text, bool whole_file, char delim) {
  std::vector<std::size_t> counts;
  Tokenizer tok(text, 0, 1, delim, kDetectMaxFields);
  for_each_sample(tok, text, whole_file,
                  [&](std::span<std::string_view>, std::size_t count) { counts.push_back(count - 1); });
  DelimiterScore score{delim, counts.size(), 0};
  std::sort(counts.begin(), counts.end());
  for (std::size_t i = 0; i < counts.size();) {
    std::size_t j = i;
    while (j < counts.size() && counts[j] == counts[i]) ++j;
    if (counts[i] != 0) score.agreeing = std::max(score.agreeing, j - i);
    i = j;
  }
  return score;
}

DelimiterScore best_delimiter(std::string_view text, bool whole_file) {
  DelimiterScore best;
  for (const char d : kDelimiters) {
    const auto s = score_delimiter(text, whole_file, d);
    if (s.agreeing > best.agreeing) best = s;
  }
  return best;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::size_t skip_digits(std::string_view s, std::size_t& i) {
  const std::size_t from = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  return i - from;
}

bool looks_number(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = skip_digits(s, i);
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {  // a decimal comma is common in ;-files
    ++i;
    digits += skip_digits(s, i);
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (skip_digits(s, i) == 0) return false;
  }
  if (i < s.size() && s[i] == '%') ++i;
  return i == s.size();
}

// HH:MM, HH:MM:SS, with fractions and a zone (Z, +HH, +HH:MM, +HHMM).
bool looks_time(std::string_view s) {
  std::size_t i = 0;
  const std::size_t h = skip_digits(s, i);
  if (h < 1 || h > 2 || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (skip_digits(s, i) != 2) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (skip_digits(s, i) != 2) return false;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      if (skip_digits(s, i) == 0) return false;
    }
  }
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
    if (skip_digits(s, i) < 2) return false;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (skip_digits(s, i) != 2) return false;
    }
  }
  return i == s.size();
}

// 2024-01-31, 2024/1/31, 31.01.2024, 1/31/24, each optionally with a time; or a time alone.
bool looks_date(std::string_view s) {
  std::size_t i = 0;
  const std::size_t a = skip_digits(s, i);
  if (a == 0 || i >= s.size()) return false;
  if (s[i] == ':') return looks_time(s);
  const char sep = s[i];
  if (sep != '-' && sep != '/' && sep != '.') return false;
  ++i;
  const std::size_t b = skip_digits(s, i);
  if (i >= s.size() || s[i] != sep) return false;
  ++i;
  const std::size_t c = skip_digits(s, i);
  const bool ymd = a == 4 && b >= 1 && b <= 2 && c >= 1 && c <= 2;
  const bool dmy = a >= 1 && a <= 2 && b >= 1 && b <= 2 && (c == 2 || c == 4);
  if (!ymd && !dmy) return false;
  if (i == s.size()) return true;
  if (s[i] != 'T' && s[i] != ' ') return false;
  return looks_time(s.substr(i + 1));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) {
             return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

bool looks_boolean(std::string_view s) {
  return equals_ignoring_case(s, "true") || equals_ignoring_case(s, "false") ||
         equals_ignoring_case(s, "yes") || equals_ignoring_case(s, "no");
}

enum class Shape { empty, typed, text };  // typed: a number, a date or a boolean

Shape shape_of(std::string_view value) {
  const auto v = trim(value);
  if (v.empty()) return Shape::empty;
  if (looks_number(v) || looks_date(v) || looks_boolean(v)) return Shape::typed;
  return Shape::text;
}

std::vector<std::string> header_names(const std::vector<std::string>& raw, Encoding encoding) {
  std::vector<std::string> names;
  std::unordered_set<std::string> used;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const std::string utf8_name = to_utf8(raw[i], encoding);
    std::string name(trim(utf8_name));
    if (name.empty()) name = "column_" + std::to_string(i + 1);
    std::string unique = name;
    for (std::size_t k = 2; used.contains(unique); ++k) unique = name + "_" + std::to_string(k);
    used.insert(unique);
    names.push_back(std::move(unique));
  }
  return names;
}

std::vector<std::string> generic_names(std::size_t columns) {
  std::vector<std::string> names;
  names.reserve(columns);
  for (std::size_t i = 1; i <= columns; ++i) names.push_back("column_" + std::to_string(i));
  return names;
}

std::string_view after_bom(std::string_view head) {
  return head.starts_with(kBom) ? head.substr(kBom.size()) : head;
}

std::string plural_fields(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " field" : " fields");
}

}  // namespace

CsvDialect detect_csv_dialect(std::string_view head, bool whole_file) {
  CsvDialect dialect;
  dialect.bom = head.starts_with(kBom);
  const std::size_t skip = dialect.bom ? kBom.size() : 0;
  const std::string_view text = head.substr(skip);
  dialect.data_offset = skip;
  if (!dialect.bom && utf8::first_invalid(text, !whole_file) != kNpos) dialect.encoding = Encoding::latin1;

  const auto best = best_delimiter(text, whole_file);
  dialect.delimiter = best.agreeing > 0 ? best.delimiter : ',';

  Tokenizer tok(text, 0, 1, dialect.delimiter, kDetectMaxFields);
  bool any = false;
  bool complete = false;
  std::size_t columns = 0;
  std::vector<std::string> first;
  tok.run(text.size(), [&](const RawRecord& rec, std::span<std::string_view> fields, std::size_t count) {
    any = true;
    complete = !rec.unterminated && (rec.newline_terminated || whole_file);
    columns = count;
    for (const auto& f : fields) first.emplace_back(f);
    return false;
  });
  if (!any) {
    dialect.has_header = false;  // nothing but blank lines, if anything
    return dialect;
  }
  const std::size_t after_first = tok.pos();
  const std::uint64_t line_after_first = tok.line();

  // The first record may be a header only if it reads like one on its own...
  bool header = complete && first.size() == columns;
  std::unordered_set<std::string_view> seen;
  for (const auto& v : first) {
    header = header && !v.empty() && seen.insert(v).second && shape_of(v) != Shape::typed;
  }

  // ...and the records after it do not contradict that: some column changes character below it
  // (numbers, dates, booleans or blanks under a text name), or every column is text anyway.
  if (header) {
    std::vector<bool> all_untext(columns, true);  // every later value empty or typed
    std::vector<bool> all_text(columns, true);    // every later non-empty value text
    std::size_t later = 0;
    for_each_sample(tok, text, whole_file, [&](std::span<std::string_view> fields, std::size_t) {
      ++later;
      for (std::size_t c = 0; c < columns && c < fields.size(); ++c) {
        const auto shape = shape_of(fields[c]);
        if (shape == Shape::text) all_untext[c] = false;
        if (shape == Shape::typed) all_text[c] = false;
      }
    });
    const bool some_column_differs =
        std::find(all_untext.begin(), all_untext.end(), true) != all_untext.end();
    const bool every_column_text = std::find(all_text.begin(), all_text.end(), false) == all_text.end();
    header = later == 0 || some_column_differs || every_column_text;
  }

  dialect.has_header = header;
  if (header) {
    dialect.header = header_names(first, dialect.encoding);
    dialect.data_offset = skip + after_first;
    dialect.data_line = line_after_first;
  } else {
    dialect.header = generic_names(columns);
  }
  return dialect;
}

bool looks_delimited(std::string_view head, bool whole_file) {
  const auto best = best_delimiter(after_bom(head), whole_file);
  return best.records >= 2 && best.agreeing * 4 >= best.records * 3;
}

ScanStop scan_csv(std::string_view data, std::size_t begin, std::size_t end, std::uint64_t first_line,
                  const CsvDialect& dialect, RecordSink& sink, std::uint64_t base_offset) {
  begin = std::min(begin, data.size());
  end = std::min(end, data.size());
  std::size_t expected = dialect.header.size();
  Tokenizer tok(data, begin, first_line, dialect.delimiter, std::max(expected, kScanMinFieldCap));
  const bool latin1 = dialect.encoding == Encoding::latin1;
  std::string converted;  // Latin-1 fields as UTF-8, reused across records
  std::vector<std::pair<std::size_t, std::size_t>> converted_at;
  std::optional<Batcher> batch;  // made once the field count is known
  // The tokenizer writes every record into the batch's free row (it stays free if the record is
  // malformed). Until the field count is known, it writes into its own array.
  const auto start_batch = [&] {
    batch.emplace(data, expected, sink);
    tok.set_output(batch->row(), batch->stride(), batch->columns());
  };
  if (expected != 0) start_batch();
  // Records that come before a malformed one reach the sink before it, as in the file.
  const auto malformed = [&](Malformed problem) {
    if (batch) batch->flush();
    sink.malformed(std::move(problem));
  };
  const auto read = [&](const RawRecord& rec, std::span<std::string_view> fields, std::size_t count) {
    const auto offset = base_offset + rec.start;
    if (rec.unterminated) {
      malformed(Malformed::unterminated_quote(rec.line, offset, rec.quote_line));
      return;
    }
    if (rec.has_high && !latin1) {
      const auto bad = utf8::first_invalid(data.substr(rec.start, rec.end - rec.start));
      if (bad != kNpos) {
        malformed({rec.line, offset, "invalid UTF-8 at byte offset " + std::to_string(offset + bad)});
        return;
      }
    }
    if (expected == 0) expected = count;
    if (count != expected) {
      malformed(
          {rec.line, offset, "expected " + plural_fields(expected) + ", found " + std::to_string(count)});
      return;
    }
    if (!batch) {
      start_batch();
      for (std::size_t c = 0; c < count; ++c) batch->value(c) = fields[c];
    }
    bool foreign = rec.rebuilt;
    if (rec.has_high && latin1) {
      converted.clear();
      converted_at.clear();
      for (std::size_t c = 0; c < expected; ++c) {
        const std::string_view v = batch->value(c);
        if (!has_high_byte(v)) {
          converted_at.emplace_back(kNpos, 0);
          continue;
        }
        const std::size_t at = converted.size();
        utf8::append_latin1(converted, v);
        converted_at.emplace_back(at, converted.size() - at);
      }
      for (std::size_t c = 0; c < expected; ++c) {
        const auto [at, length] = converted_at[c];
        if (at != kNpos) batch->value(c) = std::string_view(converted.data() + at, length);
      }
      foreign = true;
    }
    batch->commit(offset, rec.line, foreign);
  };
  const auto read_any = [&](const RawRecord& rec, std::span<std::string_view> fields, std::size_t count) {
    read(rec, fields, count);
    if (batch) tok.set_output(batch->row(), batch->stride(), batch->columns());  // a flush moves it
  };
  // Until the field count is known, record by record; then the batch path.
  if (!batch) {
    tok.run(end, [&](const RawRecord& rec, std::span<std::string_view> fields, std::size_t count) {
      read_any(rec, fields, count);
      return !batch;
    });
  }
  if (batch) {
    tok.run_batched(end, *batch, base_offset, read_any);
    batch->flush();
  }
  return {tok.pos(), tok.line()};
}

StructureCounts count_structure(std::string_view bytes) {
  StructureCounts counts;
  const char* p = bytes.data();
  const std::size_t n = bytes.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  // Per-byte counters in two vectors, emptied into 64-bit sums before any byte can overflow.
  const __m128i vq = _mm_set1_epi8('"');
  const __m128i vn = _mm_set1_epi8('\n');
  const __m128i zero = _mm_setzero_si128();
  while (n - i >= 16) {
    __m128i aq = zero, an = zero;
    const std::size_t rounds = std::min<std::size_t>((n - i) / 16, 255);
    for (std::size_t r = 0; r < rounds; ++r, i += 16) {
      const __m128i v = load16(p + i);
      aq = _mm_sub_epi8(aq, _mm_cmpeq_epi8(v, vq));
      an = _mm_sub_epi8(an, _mm_cmpeq_epi8(v, vn));
    }
    alignas(16) std::uint64_t sums[2];
    _mm_store_si128(reinterpret_cast<__m128i*>(sums), _mm_sad_epu8(aq, zero));
    counts.quotes += sums[0] + sums[1];
    _mm_store_si128(reinterpret_cast<__m128i*>(sums), _mm_sad_epu8(an, zero));
    counts.newlines += sums[0] + sums[1];
  }
#endif
  for (; i < n; ++i) {
    counts.quotes += p[i] == '"' ? 1 : 0;
    counts.newlines += p[i] == '\n' ? 1 : 0;
  }
  return counts;
}

std::optional<bool> guess_in_quotes(std::string_view data, std::size_t pos, char delimiter,
                                    std::size_t window) {
  const std::size_t size = data.size();
  if (pos >= size) return std::nullopt;
  const std::size_t stop = pos + std::min(window, size - pos);
  bool odd = false;  // quotes passed since pos
  for (std::size_t q = pos; q < stop; ++q) {
    const void* found = std::memchr(data.data() + q, '"', stop - q);
    if (found == nullptr) break;
    q = static_cast<std::size_t>(static_cast<const char*>(found) - data.data());
    const char prev = q > 0 ? data[q - 1] : '\n';
    const char next = q + 1 < size ? data[q + 1] : '\n';
    const bool may_close = next == delimiter || next == '\n' || next == '\r' || next == '"';
    const bool may_open = prev == delimiter || prev == '\n' || prev == '"';
    if (may_close != may_open) return may_close != odd;  // may_close: odd parity before this quote
    odd = !odd;
  }
  return std::nullopt;
}

std::size_t next_record_start(std::string_view data, std::size_t pos, bool in_quotes) {
  const std::size_t size = data.size();
  if (pos >= size) return size;
  if (!in_quotes && (pos == 0 || data[pos - 1] == '\n')) return pos;
  for (std::size_t block = pos; block < size; block += kBlock) {
    alignas(16) char tail[kBlock];
    std::uint64_t valid = 0;
    std::uint64_t newline = 0;
    const std::uint64_t quote =
        quote_bits(block_bytes(data.data(), size, block, tail, valid), newline) & valid;
    newline &= valid;
    // Bit i of `inside` is the quote parity up to and including byte i (a prefix XOR), flipped
    // when the block starts inside quotes; a newline outside quotes ends a record.
    std::uint64_t inside = prefix_xor(quote);
    if (in_quotes) inside = ~inside;
    const std::uint64_t ends = newline & ~inside;
    if (ends != 0) return block + lowest_bit(ends) + 1;
    in_quotes = in_quotes != ((ones(quote) & 1) != 0);
  }
  return size;
}

}  // namespace gdp::ingest
