#include "daemon/ingest/snapshot.h"

#include "common/errors.h"
#include "common/utf8.h"
#include "daemon/ingest/cpu.h"
#include "daemon/ingest/csv.h"
#include "daemon/ingest/format.h"
#include "daemon/ingest/json_reader.h"
#include "daemon/ingest/record.h"
#include "daemon/ingest/types.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gdp::ingest {
namespace {

constexpr std::size_t kHeadBytes = std::size_t{1} << 20;
constexpr std::size_t kMalformedExamples = 10;
constexpr std::size_t kMaxStrata = 10000;

// ---- the file ------------------------------------------------------------------------------------

std::string human_size(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= (std::uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / (1 << 30));
  } else if (bytes >= (1 << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1 << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

// A read-only mapping whose pages are handed back as soon as a block is done, so the daemon's
// resident memory does not grow with the file (the page cache keeps them for the next reader).
class MappedFile {
 public:
  static constexpr std::uint64_t kFolioSlack = std::uint64_t{2} << 20;  // the largest folio (PMD size)

  MappedFile(const std::string& path, const SnapshotOptions& options) {
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      // Property 2: even a path that is not there is answered with what gdp can read.
      const std::string formats = "; gdp reads " + std::string(kSupportedFormats) + " files";
      if (err == ENOENT) throw RpcError(ErrorCode::InputFile, "no such file: " + path + formats);
      if (err == EACCES) {
        throw RpcError(ErrorCode::InputFile,
                       "cannot read " + path + ": permission denied (check ls -l " + path + ")" + formats);
      }
      throw RpcError(ErrorCode::InputFile, "cannot open " + path + ": " + std::strerror(err) + formats);
    }
    struct stat st {};
    if (fstat(fd_, &st) != 0) {
      throw RpcError(ErrorCode::InputFile, "cannot inspect " + path + ": " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      throw RpcError(ErrorCode::InputFile, path + " is a directory; give one file (gdp reads " +
                                               std::string(kSupportedFormats) + " files)");
    }
    if (!S_ISREG(st.st_mode)) {
      throw RpcError(ErrorCode::UnsupportedFormat,
                     unsupported_message(path, "not a regular file (a device, socket or pipe)"));
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
    if (size_ == 0) {
      throw RpcError(ErrorCode::EmptyInput, path + " is empty (0 bytes): there is nothing to sample");
    }
    if (size_ > options.max_bytes && !options.allow_large) {
      throw RpcError(ErrorCode::FileTooLarge,
                     path + " is " + human_size(size_) + ", over the " + human_size(options.max_bytes) +
                         " limit for one snapshot; confirm to read it anyway (gdp snapshot --yes-large)",
                     {{"size_bytes", size_}, {"limit_bytes", options.max_bytes}});
    }
    void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) {
      throw RpcError(ErrorCode::InputFile, "cannot map " + path + ": " + std::strerror(errno));
    }
    data_ = static_cast<const char*>(p);
    madvise(p, size_, MADV_SEQUENTIAL);
  }
  ~MappedFile() {
    if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
    if (fd_ >= 0) close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view bytes() const { return {data_, size_}; }
  std::uint64_t size() const { return size_; }

  // Maps the pages of [begin, end) before a block is scanned: one call instead of a fault every
  // 64 KiB (2% of the mixed benchmark file). They were all mapped by the block's end anyway, so the
  // resident set is no larger; from a cold page cache it took as long as the faults (1.3-1.5 s for
  // 1 GiB either way). Without it (Linux before 5.14: EINVAL) the scan faults as before.
  void populate(std::uint64_t begin, std::uint64_t end) const {
    const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    const auto first = begin / page * page;
    if (end > first) madvise(const_cast<char*>(data_) + first, end - first, MADV_POPULATE_READ);
  }

  // Drops the pages of [begin, end) from our resident set, and those up to kFolioSlack either side:
  // a fault maps the whole large folio around the byte read (512 KiB on ext4 under Linux 6.x, even
  // with MADV_RANDOM), so reading a block's first or last bytes, or the end of its last record in
  // the next block, also maps pages of neighbouring blocks, and a neighbour released before that
  // would keep them until the end of the pass (64 MiB and more on a 1 GB file). Releasing pages a
  // neighbour is still reading only costs it a fault: the mapping is private and never written.
  void release(std::uint64_t begin, std::uint64_t end) const {
    const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    const auto first = (begin > kFolioSlack ? begin - kFolioSlack : 0) / page * page;
    const auto last = std::min(end + kFolioSlack, size_);
    if (last > first) madvise(const_cast<char*>(data_) + first, last - first, MADV_DONTNEED);
  }

 private:
  int fd_ = -1;
  const char* data_ = nullptr;
  std::uint64_t size_ = 0;
};

// ---- plain text: one record per line ------------------------------------------------------------

void scan_text(std::string_view data, std::size_t begin, std::size_t end, std::uint64_t first_line,
               Encoding encoding, RecordSink& sink) {
  std::string converted;
  Field field{};
  std::uint64_t line = first_line;
  std::size_t pos = begin;
  while (pos < end) {
    const char* nl = static_cast<const char*>(std::memchr(data.data() + pos, '\n', end - pos));
    const std::size_t stop = nl != nullptr ? static_cast<std::size_t>(nl - data.data()) : end;
    std::string_view text = data.substr(pos, stop - pos);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!text.empty()) {
      bool ok = true;
      if (encoding == Encoding::latin1) {
        converted.clear();
        utf8::append_latin1(converted, text);
        text = converted;
      } else if (!utf8::valid(text)) {
        sink.malformed({line, pos, "invalid UTF-8 on this line"});
        ok = false;
      }
      if (ok) {
        field.value = text;
        sink.record({std::span<const Field>(&field, 1), pos, line});
      }
    }
    ++line;
    pos = stop + 1;
  }
}

// The encoding of a text file: UTF-8 when the head is (a character cut by the head's end is fine),
// else Latin-1, which can decode any byte.
Encoding text_encoding(std::string_view head, bool whole_file) {
  return utf8::first_invalid(head, !whole_file) == std::string_view::npos ? Encoding::utf8 : Encoding::latin1;
}

// ---- sampling -----------------------------------------------------------------------------------

constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ULL;
constexpr std::uint64_t kMix1 = 0xBF58476D1CE4E5B9ULL;
constexpr std::uint64_t kMix2 = 0x94D049BB133111EBULL;

std::uint64_t mix(std::uint64_t x) {
  x += kGamma;
  x = (x ^ (x >> 30)) * kMix1;
  x = (x ^ (x >> 27)) * kMix2;
  return x ^ (x >> 31);
}

// The first of offsets[from, rows) whose record's priority is below `limit`, or `rows`: a full
// random sample's loop over a batch, where nearly every record only has its priority computed.
std::size_t first_below_scalar(const std::uint64_t* offsets, std::size_t from, std::size_t rows,
                               std::uint64_t seed, std::uint64_t limit) {
  for (; from < rows; ++from) {
    if (sample_priority(seed, offsets[from]) < limit) break;
  }
  return from;
}

#if defined(__x86_64__)
// The same four records at a time. AVX2 has no 64-bit multiply, so each is made of three 32-bit
// ones; still a third of the scalar loop's instructions, and exactly its priorities.
GDP_AVX2 inline __m256i multiply4(__m256i a, std::uint64_t b) {
  const __m256i low = _mm256_set1_epi64x(static_cast<std::int64_t>(b & 0xFFFFFFFFU));
  const __m256i high = _mm256_set1_epi64x(static_cast<std::int64_t>(b >> 32));
  const __m256i cross =
      _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), low), _mm256_mul_epu32(a, high));
  return _mm256_add_epi64(_mm256_mul_epu32(a, low), _mm256_slli_epi64(cross, 32));
}

GDP_AVX2 inline __m256i mix4(__m256i x) {
  x = _mm256_add_epi64(x, _mm256_set1_epi64x(static_cast<std::int64_t>(kGamma)));
  x = multiply4(_mm256_xor_si256(x, _mm256_srli_epi64(x, 30)), kMix1);
  x = multiply4(_mm256_xor_si256(x, _mm256_srli_epi64(x, 27)), kMix2);
  return _mm256_xor_si256(x, _mm256_srli_epi64(x, 31));
}

GDP_AVX2 std::size_t first_below_avx2(const std::uint64_t* offsets, std::size_t from, std::size_t rows,
                                      std::uint64_t seed, std::uint64_t limit) {
  // Unsigned order through the signed compare: both sides with the top bit flipped.
  const __m256i flip = _mm256_set1_epi64x(std::numeric_limits<std::int64_t>::min());
  const __m256i seeds = _mm256_set1_epi64x(static_cast<std::int64_t>(seed));
  const __m256i bar = _mm256_xor_si256(_mm256_set1_epi64x(static_cast<std::int64_t>(limit)), flip);
  for (; from + 4 <= rows; from += 4) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offsets + from));
    const __m256i priority = mix4(_mm256_xor_si256(seeds, mix4(x)));
    const int below =
        _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(bar, _mm256_xor_si256(priority, flip))));
    if (below != 0) return from + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(below)));
  }
  return first_below_scalar(offsets, from, rows, seed, limit);
}
#endif

using FirstBelow = std::size_t (*)(const std::uint64_t*, std::size_t, std::size_t, std::uint64_t,
                                   std::uint64_t);
const FirstBelow first_below =
#if defined(__x86_64__)
    cpu_has_avx2() ? first_below_avx2 :
#endif
                   first_below_scalar;

struct StoredField {
  std::string name;
  std::string value;
  ValueKind kind = ValueKind::text;
};

struct SampledRow {
  std::uint64_t priority = 0;
  std::uint64_t offset = 0;
  std::vector<StoredField> fields;
};

// Keeps the k rows with the smallest priority (a max-heap on priority, so the worst is on top).
// wants() runs for every row of the file, so what a row must beat is kept at hand: nothing while
// the sample fills up, then the worst priority kept, or less once cap() has said so.
class BottomK {
 public:
  explicit BottomK(std::size_t k) : k_(k), open_(k > 0), limit_(k > 0 ? kNoLimit : 0) {}
  bool wants(std::uint64_t priority) const { return open_ || priority < limit_; }
  // Whether every row is wanted; if not, a row must be below limit().
  bool open() const { return open_; }
  std::uint64_t limit() const { return limit_; }
  void add(SampledRow row) {
    rows_.push_back(std::move(row));
    std::push_heap(rows_.begin(), rows_.end(), by_priority);
    if (rows_.size() > k_) {
      std::pop_heap(rows_.begin(), rows_.end(), by_priority);
      rows_.pop_back();
    }
    if (rows_.size() == k_) {
      open_ = false;
      limit_ = std::min(limit_, rows_.front().priority);
    }
  }
  // Rows at or above `bar` are not wanted even before the sample is full: the caller knows k rows
  // elsewhere in the file that all beat it, so such a row can never be among the k best.
  void cap(std::uint64_t bar) {
    open_ = false;
    limit_ = std::min(limit_, bar);
  }
  // The worst priority kept, once the sample is full.
  std::optional<std::uint64_t> full_bar() const {
    if (k_ == 0 || rows_.size() < k_) return std::nullopt;
    return rows_.front().priority;
  }
  std::vector<SampledRow> take() {
    open_ = k_ > 0;
    limit_ = k_ > 0 ? kNoLimit : 0;
    return std::exchange(rows_, {});
  }

 private:
  static constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();
  static bool by_priority(const SampledRow& a, const SampledRow& b) { return a.priority < b.priority; }
  std::size_t k_;
  bool open_;            // every row is wanted: filling up, no cap
  std::uint64_t limit_;  // otherwise a row must be below this
  std::vector<SampledRow> rows_;
};

struct Stratum {
  std::uint64_t count = 0;
  BottomK sample;
};

// ---- one thread's view of the pass ----------------------------------------------------------------

// String equality without a call to memcmp: field names are short, and a JSON record compares
// every one of its names this way. Overlapping loads cover every length without a byte loop.
template <class Word>
Word load(const char* p) {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline bool same_bytes(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if (load<std::uint64_t>(p + i) != load<std::uint64_t>(q + i)) return false;
    }
    return load<std::uint64_t>(p + n - 8) == load<std::uint64_t>(q + n - 8);
  }
  if (n >= 4) {
    return load<std::uint32_t>(p) == load<std::uint32_t>(q) &&
           load<std::uint32_t>(p + n - 4) == load<std::uint32_t>(q + n - 4);
  }
  return n == 0 || (p[0] == q[0] && p[n / 2] == q[n / 2] && p[n - 1] == q[n - 1]);
}

struct Column {
  std::string name;
  std::uint64_t first_offset = 0;
  ColumnInference inference;
};

class ChunkSink : public RecordSink {
 public:
  ChunkSink(const SnapshotOptions& options, std::uint64_t seed, const std::vector<std::string>& fixed_columns,
            std::optional<std::size_t> stratum_column)
      : sample_(options.sample_size),
        options_(options),
        seed_(seed),
        positional_(!fixed_columns.empty()),
        stratum_column_(stratum_column) {
    for (const auto& name : fixed_columns) columns_.push_back({name, 0, {}});
  }

  void record(const RecordView& r) override {
    ++records_;
    if (positional_) {
      for (std::size_t i = 0; i < r.fields.size() && i < columns_.size(); ++i) {
        columns_[i].inference.add(r.fields[i].value, r.fields[i].kind);
      }
    } else {
      for (std::size_t i = 0; i < r.fields.size(); ++i) {
        column_at(i, r.fields[i].name, r.offset).inference.add(r.fields[i].value, r.fields[i].kind);
      }
    }
    sample(r.offset, [&r]() -> const RecordView& { return r; });
  }

  // Positional only (CSV): each column's values go through its inference in one call.
  void records(const RecordBatch& batch) override {
    records_ += batch.rows;
    for (std::size_t c = 0; c < batch.columns && c < columns_.size(); ++c) {
      columns_[c].inference.add_text(batch.column(c), batch.padded);
    }
    // The row is put together as a RecordView only when the sample wants it.
    const auto view = [&](std::size_t r) -> const RecordView& {
      row_fields_.resize(batch.columns);
      for (std::size_t c = 0; c < batch.columns; ++c) {
        row_fields_[c].value = batch.values[c * batch.stride + r];
      }
      row_ = RecordView{row_fields_, batch.offsets[r], batch.lines[r]};
      return row_;
    };
    if (options_.method == proto::ExtractionMethod::random) {
      // The common case, without sample()'s choice per row: once the sample is full (or capped),
      // the rows it cannot want are skipped four at a time.
      for (std::size_t r = 0; r < batch.rows; ++r) {
        if (!sample_.open()) {
          r = first_below(batch.offsets, r, batch.rows, seed_, sample_.limit());
          if (r == batch.rows) break;
        }
        const auto priority = sample_priority(seed_, batch.offsets[r]);
        if (sample_.wants(priority)) sample_.add(store(view(r), priority));
      }
      return;
    }
    for (std::size_t r = 0; r < batch.rows; ++r) {
      sample(batch.offsets[r], [&]() -> const RecordView& { return view(r); });
    }
  }

  void malformed(Malformed problem) override {
    ++malformed_;
    if (examples_.size() < kMalformedExamples) examples_.push_back(std::move(problem));
  }

  // For a block that counted its lines from 1: where they really start.
  void shift_lines(std::uint64_t by) {
    for (auto& m : examples_) m.shift_lines(by);
  }

  // Folds a finished block's sink into this one. Every part merges independently of order (the
  // final merge below does the same), so the snapshot is the same; but a thread then holds one
  // sink's columns and sample rows instead of one per block: 128 blocks of a 60-column file kept
  // ~100 MiB of them.
  void absorb(ChunkSink& other) {
    records_ += other.records_;
    malformed_ += other.malformed_;
    for (auto& m : other.examples_) examples_.push_back(std::move(m));
    std::sort(examples_.begin(), examples_.end(),
              [](const auto& a, const auto& b) { return a.line < b.line; });
    if (examples_.size() > kMalformedExamples) examples_.resize(kMalformedExamples);
    for (std::size_t i = 0; i < other.columns_.size(); ++i) {
      Column& from = other.columns_[i];
      if (!positional_ && index_.count(from.name) == 0) {
        index_.emplace(from.name, columns_.size());
        columns_.push_back(std::move(from));
        continue;
      }
      Column& into = columns_[positional_ ? i : index_.at(from.name)];
      into.inference.merge(from.inference);
      into.first_offset = std::min(into.first_offset, from.first_offset);
    }
    keep_best(sample_, other.sample_);
    for (auto& [key, stratum] : other.strata_) {
      auto& into = strata_.try_emplace(key, Stratum{0, BottomK(options_.sample_size)}).first->second;
      into.count += stratum.count;
      keep_best(into.sample, stratum.sample);
    }
  }

  // Public for the merge below: one sink per thread, merged once all threads are done.
  std::uint64_t records_ = 0;
  std::uint64_t malformed_ = 0;
  std::vector<Malformed> examples_;
  std::vector<Column> columns_;
  BottomK sample_;
  std::unordered_map<std::string, Stratum> strata_;

 private:
  // `view()` gives the record at `offset`; it is called only if the record is stored or needed
  // for its stratum.
  template <class View>
  void sample(std::uint64_t offset, View&& view) {
    switch (options_.method) {
      case proto::ExtractionMethod::first_n:
        if (sample_.wants(offset)) sample_.add(store(view(), offset));
        break;
      case proto::ExtractionMethod::random: {
        const auto priority = sample_priority(seed_, offset);
        if (sample_.wants(priority)) sample_.add(store(view(), priority));
        break;
      }
      case proto::ExtractionMethod::stratified:
        add_stratified(view());
        break;
    }
  }

  // Records mostly name the same fields in the same order, so the i-th field is usually in the
  // column the i-th field of the previous record was: one compare instead of a hash lookup.
  Column& column_at(std::size_t i, std::string_view name, std::uint64_t offset) {
    if (i < recent_.size() && same_bytes(columns_[recent_[i]].name, name)) return columns_[recent_[i]];
    if (i >= recent_.size()) recent_.resize(i + 1);
    recent_[i] = column_for(name, offset);
    return columns_[recent_[i]];
  }

  std::size_t column_for(std::string_view name, std::uint64_t offset) {
    auto it = index_.find(std::string(name));
    if (it != index_.end()) return it->second;
    index_.emplace(std::string(name), columns_.size());
    columns_.push_back({std::string(name), offset, {}});
    return columns_.size() - 1;
  }

  static void keep_best(BottomK& into, BottomK& from) {
    for (auto& row : from.take()) {
      if (into.wants(row.priority)) into.add(std::move(row));
    }
  }

  SampledRow store(const RecordView& r, std::uint64_t priority) const {
    SampledRow row{priority, r.offset, {}};
    row.fields.reserve(r.fields.size());
    for (const auto& f : r.fields) row.fields.push_back({std::string(f.name), std::string(f.value), f.kind});
    return row;
  }

  void add_stratified(const RecordView& r) {
    std::string_view key;
    bool found = false;
    if (positional_) {
      if (*stratum_column_ < r.fields.size()) {
        key = r.fields[*stratum_column_].value;
        found = true;
      }
    } else {
      for (const auto& f : r.fields) {
        if (f.name == *options_.stratify_by) {
          key = f.value;
          found = true;
        }
      }
    }
    if (!found) key = {};
    auto it = strata_.find(std::string(key));
    if (it == strata_.end()) {
      if (strata_.size() >= kMaxStrata) {
        throw RpcError(ErrorCode::InvalidParams,
                       "column \"" + *options_.stratify_by + "\" has more than " +
                           std::to_string(kMaxStrata) +
                           " distinct values; stratify by a column with fewer groups");
      }
      it = strata_.emplace(std::string(key), Stratum{0, BottomK(options_.sample_size)}).first;
    }
    ++it->second.count;
    const auto priority = sample_priority(seed_, r.offset);
    if (it->second.sample.wants(priority)) it->second.sample.add(store(r, priority));
  }

  const SnapshotOptions& options_;
  std::uint64_t seed_;
  bool positional_;
  std::optional<std::size_t> stratum_column_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<Field> row_fields_;  // records(): the row being sampled
  RecordView row_;
  std::vector<std::size_t> recent_;  // the column of each field of the previous record
};

// ---- the plan: blocks with known record starts and line numbers -----------------------------------

struct Block {
  std::size_t begin = 0;  // a record start
  std::size_t end = 0;    // the next block's begin (or the end of the data)
  std::uint64_t first_line = 1;
};

template <class Fn>
void run_parallel(unsigned threads, std::size_t jobs, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&](unsigned id) {
    try {
      for (std::size_t j; (j = next.fetch_add(1)) < jobs;) fn(id, j);
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next.store(jobs);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

std::size_t line_start_after(std::string_view data, std::size_t pos) {
  if (pos == 0 || data[pos - 1] == '\n') return pos;
  const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
  return nl == nullptr ? data.size()
                       : static_cast<std::size_t>(static_cast<const char*>(nl) - data.data()) + 1;
}

// Splits data[begin, size) of a line format (text, JSON Lines: every newline ends a record) into
// blocks that start at record boundaries, with their first line numbers from a pass counting the
// newlines. CSV has plan_csv_blocks().
std::vector<Block> plan_line_blocks(const MappedFile& file, std::size_t begin, const SnapshotOptions& options,
                                    unsigned threads) {
  const auto data = file.bytes();
  const std::size_t size = data.size();
  std::vector<std::size_t> nominal;
  for (std::size_t p = begin; p < size; p += options.block_bytes) nominal.push_back(p);
  std::vector<StructureCounts> counts(nominal.size());
  run_parallel(threads, nominal.size(), [&](unsigned, std::size_t i) {
    const std::size_t end = i + 1 < nominal.size() ? nominal[i + 1] : size;
    counts[i] = count_structure(data.substr(nominal[i], end - nominal[i]));
    file.release(nominal[i], end);
  });
  std::vector<Block> blocks;
  std::uint64_t newlines = 0;
  for (std::size_t i = 0; i < nominal.size(); ++i) {
    std::size_t start = begin;
    std::uint64_t line = 1 + newlines;
    if (i > 0) {
      start = line_start_after(data, nominal[i]);
      // Lines between the nominal cut and the record start belong to the previous block.
      if (start > nominal[i]) line += count_structure(data.substr(nominal[i], start - nominal[i])).newlines;
      // Those few bytes mapped a folio or two (see release()); nothing is scanned yet, so they go now
      // rather than all 128 of them staying until their blocks are scanned.
      file.release(nominal[i], start);
    }
    newlines += counts[i].newlines;
    if (!blocks.empty() && start <= blocks.back().begin) continue;  // a record longer than a block
    if (!blocks.empty()) blocks.back().end = start;
    if (start >= size) break;
    blocks.push_back({start, size, line});
  }
  // Finding the record starts touched the data at every cut, and the kernel maps a whole large
  // folio (up to megabytes) around each touched page: with 128 cuts that held ~64 MiB resident
  // until the scan reached each block. Hand them all back before the scan.
  file.release(begin, size);
  return blocks;
}

// CSV: no pass over the data before the scan. Each cut's quote parity is guessed from the quotes
// after it (guess_in_quotes), and a wrong guess costs a rescan of one block in the repair after
// the pass, as a stray quote always did; a pass counting every quote of a 1 GB file cost ~7% of
// the snapshot. Blocks count lines from 1, and the repair makes them absolute.
std::vector<Block> plan_csv_blocks(const MappedFile& file, const CsvDialect& dialect,
                                   const SnapshotOptions& options) {
  constexpr std::size_t kGuessWindow = std::size_t{64} << 10;
  const auto data = file.bytes();
  const std::size_t size = data.size();
  const auto begin = static_cast<std::size_t>(dialect.data_offset);
  std::vector<Block> blocks;
  for (std::size_t cut = begin; cut < size; cut += options.block_bytes) {
    std::size_t start = begin;
    if (cut > begin) {
      const bool inside = guess_in_quotes(data, cut, dialect.delimiter, kGuessWindow).value_or(false);
      start = next_record_start(data, cut, inside);
      file.release(cut, start);  // as in plan_line_blocks()
    }
    if (!blocks.empty() && start <= blocks.back().begin) continue;  // a record longer than a block
    if (!blocks.empty()) blocks.back().end = start;
    if (start >= size) break;
    blocks.push_back({start, size, 1});
  }
  file.release(begin, size);
  return blocks;
}

// ---- putting it together --------------------------------------------------------------------------

// Largest-remainder allocation of k sample slots over strata, at least one each when k allows.
std::vector<std::size_t> allocate(const std::vector<std::uint64_t>& counts, std::size_t k) {
  const std::uint64_t total = std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
  std::vector<std::size_t> alloc(counts.size(), 0);
  if (total <= k) {
    for (std::size_t i = 0; i < counts.size(); ++i) alloc[i] = static_cast<std::size_t>(counts[i]);
    return alloc;
  }
  const bool everyone = counts.size() <= k;
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t used = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double quota = static_cast<double>(k) * static_cast<double>(counts[i]) / static_cast<double>(total);
    alloc[i] = std::max<std::size_t>(everyone ? 1 : 0, static_cast<std::size_t>(quota));
    alloc[i] = std::min<std::size_t>(alloc[i], static_cast<std::size_t>(counts[i]));
    used += alloc[i];
    remainders.emplace_back(quota - static_cast<double>(alloc[i]), i);
  }
  // Ties broken by stratum order, which the caller makes deterministic.
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t r = 0; used < k; r = (r + 1) % remainders.size()) {
    const auto i = remainders[r].second;
    if (alloc[i] < counts[i]) {
      ++alloc[i];
      ++used;
    }
  }
  while (used > k) {  // the "at least one" floor overshot: take from the largest allocations
    auto it = std::max_element(alloc.begin(), alloc.end());
    --*it;
    --used;
  }
  return alloc;
}

}  // namespace

std::uint64_t sample_priority(std::uint64_t seed, std::uint64_t offset) {
  return mix(seed ^ mix(offset));
}

proto::DataSnapshot build_snapshot(const std::string& path, const SnapshotOptions& options) {
  if (options.method == proto::ExtractionMethod::stratified && !options.stratify_by) {
    throw RpcError(ErrorCode::InvalidParams, "stratified sampling needs a column: add --by COLUMN",
                   {{"field", "stratify_by"}});
  }
  if (options.sample_size == 0) {
    throw RpcError(ErrorCode::InvalidParams, "sample size must be at least 1", {{"field", "sample_size"}});
  }
  MappedFile file(path, options);
  const auto data = file.bytes();
  const bool whole = data.size() <= kHeadBytes;
  const auto head = data.substr(0, kHeadBytes);
  const auto guess = detect_format(path, head, whole);
  if (guess.format == proto::FileFormat::unknown) {
    throw RpcError(ErrorCode::UnsupportedFormat, unsupported_message(path, guess.found),
                   {{"found", guess.found}});
  }
  const unsigned threads =
      options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  const std::uint64_t seed = options.seed ? static_cast<std::uint64_t>(*options.seed)
                                          : std::random_device{}() & ((std::uint64_t{1} << 53) - 1);

  proto::DataSnapshot snap;
  snap.file_format = guess.format;
  snap.extraction_method = options.method;
  snap.seed = static_cast<std::int64_t>(seed);
  snap.stratify_by = options.stratify_by;
  snap.source.path = path;
  snap.source.size_bytes = static_cast<std::int64_t>(data.size());
  snap.source.encoding = "utf-8";

  std::vector<std::string> fixed_columns;
  std::optional<std::size_t> stratum_column;
  std::vector<Block> blocks;
  // Scans one block; returns where it really stopped (see the repair after the pass).
  std::function<ScanStop(const Block&, RecordSink&)> scan;
  CsvDialect dialect;
  JsonShape shape;

  switch (guess.format) {
    case proto::FileFormat::csv: {
      dialect = detect_csv_dialect(head, whole);
      fixed_columns = dialect.header;
      blocks = plan_csv_blocks(file, dialect, options);
      scan = [&](const Block& b, RecordSink& sink) {
        return scan_csv(data, b.begin, b.end, b.first_line, dialect, sink);
      };
      snap.source.encoding = dialect.encoding == Encoding::latin1 ? "latin-1" : "utf-8";
      const std::string delim =
          dialect.delimiter == '\t' ? "tab" : std::string("'") + dialect.delimiter + "'";
      snap.source.details = delim + "-delimited, " + (dialect.has_header ? "header row" : "no header row");
      break;
    }
    case proto::FileFormat::text: {
      const auto encoding = text_encoding(head, whole);
      const std::size_t start = head.starts_with("\xEF\xBB\xBF") ? 3 : 0;
      fixed_columns = {"line"};
      blocks = plan_line_blocks(file, start, options, threads);
      scan = [&, encoding](const Block& b, RecordSink& sink) {
        scan_text(data, b.begin, b.end, b.first_line, encoding, sink);
        return ScanStop{b.end, 0};
      };
      snap.source.encoding = encoding == Encoding::latin1 ? "latin-1" : "utf-8";
      snap.source.details = "one record per line";
      break;
    }
    case proto::FileFormat::json:
    case proto::FileFormat::unknown: {
      // Boost.JSON (rightly) refuses a byte order mark, so the sniffer and the line planner skip it.
      const std::size_t bom = data.starts_with("\xEF\xBB\xBF") ? 3 : 0;
      shape = detect_json_shape(head.substr(bom), whole);
      if (shape.layout == JsonLayout::lines) {
        blocks = plan_line_blocks(file, bom, options, threads);
        scan = [&](const Block& b, RecordSink& sink) {
          scan_json_lines(data, b.begin, b.end, b.first_line, sink);
          return ScanStop{b.end, 0};
        };
        snap.source.details = "JSON Lines";
      } else {
        blocks = {Block{0, data.size(), 1}};
        scan = [&](const Block& b, RecordSink& sink) {
          scan_json_document(data, shape, sink);  // it skips a BOM itself, keeping offsets exact
          return ScanStop{b.end, 0};
        };
        snap.source.details =
            shape.records_key.empty() ? "JSON document" : "JSON records in \"" + shape.records_key + "\"";
      }
      break;
    }
  }

  if (options.stratify_by && !fixed_columns.empty()) {
    const auto it = std::find(fixed_columns.begin(), fixed_columns.end(), *options.stratify_by);
    if (it == fixed_columns.end()) {
      std::string names;
      for (const auto& c : fixed_columns) names += (names.empty() ? "" : ", ") + c;
      throw RpcError(ErrorCode::InvalidParams,
                     "no column \"" + *options.stratify_by + "\" to stratify by; the columns are: " + names,
                     {{"field", "stratify_by"}});
    }
    stratum_column = static_cast<std::size_t>(it - fixed_columns.begin());
  }

  // ---- the pass -----------------------------------------------------------------------------------
  // One sink per block, folded away as soon as it may be, so that the column accumulators held do
  // not grow with the number of blocks (128 blocks of a 1,000-column CSV held ~900 MiB of them).
  // Blocks of other formats always stop where the next begins, so their sinks are folded into one
  // per thread as soon as they are done. A CSV block may have to be scanned again (below), so its
  // sink is folded only once every block before it is, in file order.
  //
  // The random sample is the k smallest priorities of the whole file, so once the sinks folded so
  // far hold k rows, a row that does not beat the worst of them cannot be in it. Each new block's
  // sample starts with that bar: without it, each of the 128 blocks of a 1 GB file filled its own
  // sample of 100 rows and replaced several hundred of them, copying every field each time.
  std::atomic<std::uint64_t> sample_bar{std::numeric_limits<std::uint64_t>::max()};
  const auto publish_bar = [&](const ChunkSink& folded_sink) {
    const auto bar = folded_sink.sample_.full_bar();
    if (!bar) return;
    auto now = sample_bar.load(std::memory_order_relaxed);
    while (*bar < now && !sample_bar.compare_exchange_weak(now, *bar, std::memory_order_relaxed)) {
    }
  };
  auto new_sink = [&] {
    auto sink = std::make_unique<ChunkSink>(options, seed, fixed_columns, stratum_column);
    const auto bar = sample_bar.load(std::memory_order_relaxed);
    if (bar != std::numeric_limits<std::uint64_t>::max()) sink->sample_.cap(bar);
    return sink;
  };
  std::vector<std::unique_ptr<ChunkSink>> sinks(blocks.size());
  std::vector<std::unique_ptr<ChunkSink>> folded(threads);
  const bool rescannable = guess.format == proto::FileFormat::csv;
  std::vector<ScanStop> stops(blocks.size());
  std::mutex in_order_mutex;
  std::vector<char> scanned(blocks.size(), 0);
  std::size_t next_in_order = 0;
  std::uint64_t first_line = dialect.data_line;
  std::unique_ptr<ChunkSink> in_order;  // the CSV blocks folded so far
  // A CSV block's start comes from a guess of the quote parity at its cut, right for RFC 4180
  // data, and a stray quote in an unquoted field (5'11") can throw it off too; then the block may
  // start inside a record, and the previous block did not stop where this one began: this block
  // is scanned again from where the previous one really stopped. CSV blocks count lines from 1
  // (plan_csv_blocks); each stop's line count gives the next block's first line. Runs under
  // in_order_mutex, for the blocks scanned so far that follow the ones already folded.
  const auto fold_in_order = [&] {
    for (; next_in_order < blocks.size() && scanned[next_in_order] != 0; ++next_in_order) {
      const std::size_t i = next_in_order;
      if (i > 0 && stops[i - 1].offset != blocks[i].begin) {
        sinks[i] = new_sink();
        if (stops[i - 1].offset >= blocks[i].end) {
          stops[i] = ScanStop{stops[i - 1].offset, 1};  // the previous block's last record swallowed this one
        } else {
          stops[i] = scan(Block{stops[i - 1].offset, blocks[i].end, 1}, *sinks[i]);
          file.release(stops[i - 1].offset, blocks[i].end);
        }
      }
      sinks[i]->shift_lines(first_line - 1);
      first_line += stops[i].line - 1;
      if (in_order) {
        in_order->absorb(*sinks[i]);
        sinks[i].reset();
      } else {
        in_order = std::move(sinks[i]);
      }
      publish_bar(*in_order);
    }
  };
  run_parallel(threads, blocks.size(), [&](unsigned id, std::size_t i) {
    sinks[i] = new_sink();
    file.populate(blocks[i].begin, blocks[i].end);
    stops[i] = scan(blocks[i], *sinks[i]);
    file.release(blocks[i].begin, blocks[i].end);
    if (rescannable) {
      const std::lock_guard lock(in_order_mutex);
      scanned[i] = 1;
      fold_in_order();
      return;
    }
    if (folded[id]) {
      folded[id]->absorb(*sinks[i]);
      sinks[i].reset();
    } else {
      folded[id] = std::move(sinks[i]);
    }
    publish_bar(*folded[id]);
  });
  sinks.push_back(std::move(in_order));
  for (auto& sink : folded) sinks.push_back(std::move(sink));

  // ---- merge ----------------------------------------------------------------------------------------
  std::uint64_t records = 0, malformed = 0;
  std::vector<Malformed> examples;
  std::vector<Column> columns;
  std::unordered_map<std::string, std::size_t> column_index;
  std::vector<SampledRow> candidates;
  std::map<std::string, Stratum> strata;  // ordered: allocation ties break the same way every run
  for (auto& sink : sinks) {
    if (!sink) continue;  // folded into its thread's
    records += sink->records_;
    malformed += sink->malformed_;
    examples.insert(examples.end(), sink->examples_.begin(), sink->examples_.end());
    for (auto& c : sink->columns_) {
      auto [it, fresh] = column_index.emplace(c.name, columns.size());
      if (fresh) {
        columns.push_back(std::move(c));
      } else {
        columns[it->second].inference.merge(c.inference);
        columns[it->second].first_offset = std::min(columns[it->second].first_offset, c.first_offset);
      }
    }
    for (auto& row : sink->sample_.take()) candidates.push_back(std::move(row));
    for (auto& [key, stratum] : sink->strata_) {
      auto& into = strata.try_emplace(key, Stratum{0, BottomK(options.sample_size)}).first->second;
      into.count += stratum.count;
      for (auto& row : stratum.sample.take()) {
        if (into.sample.wants(row.priority)) into.sample.add(std::move(row));
      }
    }
  }
  std::sort(examples.begin(), examples.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
  if (examples.size() > kMalformedExamples) examples.resize(kMalformedExamples);
  if (fixed_columns.empty()) {
    std::stable_sort(columns.begin(), columns.end(),
                     [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
  }

  // A JSON document with a syntax error has no knowable structure after the error, so the file is
  // refused whole; in JSON Lines a bad line is one malformed record like a bad CSV row.
  const bool json_document = guess.format == proto::FileFormat::json && shape.layout == JsonLayout::document;
  if (records == 0 || (json_document && malformed > 0)) {
    if (malformed > 0 && guess.format == proto::FileFormat::json) {
      throw RpcError(ErrorCode::UnsupportedFormat, path + " is not valid JSON (line " +
                                                       std::to_string(examples.front().line) + ": " +
                                                       examples.front().reason + "). gdp reads " +
                                                       std::string(kSupportedFormats) + " files");
    }
    if (malformed > 0) {
      throw RpcError(ErrorCode::EmptyInput, path + " has no readable records: all " +
                                                std::to_string(malformed) + " are malformed (line " +
                                                std::to_string(examples.front().line) + ": " +
                                                examples.front().reason + ")");
    }
    if (guess.format == proto::FileFormat::csv && dialect.has_header) {
      std::string names;
      for (const auto& c : dialect.header) names += (names.empty() ? "" : ", ") + c;
      throw RpcError(ErrorCode::EmptyInput, path + " has a header row (" + names + ") but no data rows");
    }
    throw RpcError(ErrorCode::EmptyInput, path + " contains no records (only blank lines or an empty list)");
  }
  if (options.stratify_by && fixed_columns.empty() && column_index.count(*options.stratify_by) == 0) {
    throw RpcError(ErrorCode::InvalidParams,
                   "no field \"" + *options.stratify_by + "\" in any record to stratify by",
                   {{"field", "stratify_by"}});
  }

  // ---- the sample ---------------------------------------------------------------------------------
  std::vector<SampledRow> chosen;
  if (options.method == proto::ExtractionMethod::stratified) {
    std::vector<std::uint64_t> counts;
    counts.reserve(strata.size());
    for (const auto& [key, s] : strata) counts.push_back(s.count);
    const auto alloc = allocate(counts, options.sample_size);
    std::size_t i = 0;
    for (auto& [key, s] : strata) {
      auto rows = s.sample.take();
      std::sort(rows.begin(), rows.end(),
                [](const auto& a, const auto& b) { return a.priority < b.priority; });
      rows.resize(std::min(rows.size(), alloc[i++]));
      for (auto& r : rows) chosen.push_back(std::move(r));
    }
  } else {
    std::sort(candidates.begin(), candidates.end(),
              [](const auto& a, const auto& b) { return a.priority < b.priority; });
    if (candidates.size() > options.sample_size) candidates.resize(options.sample_size);
    chosen = std::move(candidates);
  }
  std::sort(chosen.begin(), chosen.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });

  // ---- schema and rows ----------------------------------------------------------------------------
  std::vector<ColumnStats> stats;
  for (const auto& c : columns) {
    stats.push_back(c.inference.finish());
    const auto& s = stats.back();
    proto::ColumnProfile profile;
    profile.name = c.name;
    profile.type = std::string(to_string(s.type));
    profile.null_count = static_cast<std::int64_t>(s.null_count);
    profile.distinct_estimate = static_cast<std::int64_t>(s.distinct_estimate);
    profile.min = s.min;
    profile.max = s.max;
    profile.date_format = s.date_format;
    snap.schema[c.name] = profile.type;
    snap.columns.push_back(std::move(profile));
  }
  for (const auto& row : chosen) {
    boost::json::object obj;
    if (!fixed_columns.empty()) {
      for (std::size_t i = 0; i < columns.size(); ++i) {
        obj[columns[i].name] = i < row.fields.size() ? columns[i].inference.typed_value(
                                                           row.fields[i].value, row.fields[i].kind, stats[i])
                                                     : boost::json::value(nullptr);
      }
    } else {
      for (std::size_t i = 0; i < columns.size(); ++i) {
        boost::json::value v = nullptr;
        for (const auto& f : row.fields) {
          if (f.name == columns[i].name) v = columns[i].inference.typed_value(f.value, f.kind, stats[i]);
        }
        obj[columns[i].name] = std::move(v);
      }
    }
    snap.rows.push_back(std::move(obj));
  }
  snap.total_rows = static_cast<std::int64_t>(records);
  snap.sample_size = static_cast<std::int64_t>(snap.rows.size());
  snap.malformed_records = static_cast<std::int64_t>(malformed);
  for (const auto& m : examples) {
    snap.malformed_examples.push_back({static_cast<std::int64_t>(m.line), m.reason});
  }
  return snap;
}

}  // namespace gdp::ingest
