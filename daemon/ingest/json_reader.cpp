#include "daemon/ingest/json_reader.h"

#include "daemon/ingest/json_tokenizer.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gdp::ingest {
namespace {

using detail::is_json_space;
using detail::JsonError;
using detail::Tokenizer;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Newlines in p[0, n): the document reader counts them between records, so on a 1 GB file this sees
// every byte once. Eight bytes at a time: each '\n' byte becomes 0x01 in a per-byte counter that
// is summed before any byte of it can overflow.
std::uint64_t count_newlines(const char* p, std::size_t n) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kLow7 = kOnes * 0x7F;
  constexpr std::uint64_t kNewlines = kOnes * '\n';
  std::uint64_t total = 0;
  while (n >= 8) {
    std::uint64_t lanes = 0;
    for (int round = 0; round < 255 && n >= 8; ++round, p += 8, n -= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      const std::uint64_t x = word ^ kNewlines;  // a zero byte where there was a '\n'
      lanes += (~(((x & kLow7) + kLow7) | x | kLow7)) >> 7;
    }
    // Sum the byte lanes in 16-bit lanes: eight bytes of up to 255 each overflow a byte.
    const std::uint64_t pairs = (lanes & 0x00FF00FF00FF00FFULL) + ((lanes >> 8) & 0x00FF00FF00FF00FFULL);
    total += (pairs * 0x0001000100010001ULL) >> 48;
  }
  for (; n > 0; --n, ++p) total += *p == '\n';
  return total;
}

// ---------------------------------------------------------------------------------------------
// Building one record from the tokenizer's events.

// Text built for a record: names of nested fields, strings that had escapes, arrays' JSON text.
// Views into it must stay valid until the record is finished while it keeps growing, so it is a
// list of blocks that never move; only the piece being built moves, to a bigger block, when it
// outgrows the current one. Blocks are kept from record to record.
class Arena {
 public:
  void clear() {
    used_ = 0;
    start_ = 0;
    if (!blocks_.empty()) use(0);
  }
  // Starts a piece; piece() is everything appended since.
  void open() { start_ = used_; }
  std::string_view piece() const { return {cur_ + start_, used_ - start_}; }
  char back() const { return cur_[used_ - 1]; }

  void push(char c) {
    if (used_ == capacity_) grow(1);
    cur_[used_++] = c;
  }
  void append(std::string_view s) {
    reserve(s.size());
    put(s);
  }
  // Room for n more bytes of the current piece, so that several put()s need one check.
  void reserve(std::size_t n) {
    if (n > capacity_ - used_) grow(n);
  }
  void put(char c) { cur_[used_++] = c; }
  void put(std::string_view s) {
    copy(cur_ + used_, s.data(), s.size());
    used_ += s.size();
  }

 private:
  static constexpr std::size_t kBlockSize = 16 * 1024;

  // Most pieces are a few bytes (a key, a short string), where a call to memcpy costs more than the
  // copy; fixed-size copies of possibly overlapping halves compile to plain moves.
  static void copy(char* to, const char* from, std::size_t n) {
    if (n >= 8 && n <= 16) {
      std::memcpy(to, from, 8);
      std::memcpy(to + n - 8, from + n - 8, 8);
    } else if (n >= 4 && n < 8) {
      std::memcpy(to, from, 4);
      std::memcpy(to + n - 4, from + n - 4, 4);
    } else if (n < 4) {
      for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
    } else {
      std::memcpy(to, from, n);
    }
  }

  void use(std::size_t index) {
    block_ = index;
    cur_ = blocks_[index].data.get();
    capacity_ = blocks_[index].size;
  }

  void grow(std::size_t extra) {
    const std::size_t piece_size = used_ - start_;
    const std::size_t need = piece_size + extra;
    const char* old_piece = cur_ == nullptr ? nullptr : cur_ + start_;
    const std::size_t next = cur_ == nullptr ? 0 : block_ + 1;
    if (next == blocks_.size() || blocks_[next].size < need) {
      const std::size_t size = std::max(kBlockSize, 2 * need);
      blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(next),
                     Block{std::make_unique<char[]>(size), size});
    }
    use(next);
    if (piece_size > 0) std::memcpy(cur_, old_piece, piece_size);
    start_ = 0;
    used_ = piece_size;
  }

  struct Block {
    std::unique_ptr<char[]> data;
    std::size_t size;
  };
  std::vector<Block> blocks_;
  std::size_t block_ = 0;
  char* cur_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
  std::size_t start_ = 0;
};

// JSON string escaping for the text of arrays: only what JSON requires, so UTF-8 stays as it is.
bool needs_escape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

void append_escaped(Arena& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* p = s.data();
  const char* const end = p + s.size();
  for (;;) {
    const char* run = p;
    while (p != end && !needs_escape(static_cast<unsigned char>(*p))) ++p;
    out.append({run, static_cast<std::size_t>(p - run)});
    if (p == end) return;
    const auto c = static_cast<unsigned char>(*p++);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append({escape, sizeof escape});
      }
    }
  }
}

// One record per parse: begin() before each line or array element. The buffers are cleared, never
// freed, so the steady state allocates nothing.
//
// Strings without escapes, the keys of the record's own object, number literals and arrays already
// written compactly are views into the input; only text that has to be built (dotted names, strings
// that had escapes, arrays that had whitespace or escapes) is copied, into the arena.
class RecordBuilder {
 public:
  void begin() {
    arena_.clear();
    path_.clear();
    marks_.clear();
    field_count_ = 0;
    name_hashes_ = 0;
    repeated_ = false;
    known_names_ = false;
    text_depth_ = 0;
    key_ = {};
  }

  // Starts a record whose names come from a template (RecordTemplate below) instead of keys: the
  // caller names each value with name() before the tokenizer reads it. The template's names are
  // distinct and at most `fields` values follow, so add() neither checks for repeats nor grows.
  void begin_known(std::size_t fields) {
    begin();
    known_names_ = true;
    if (fields_.size() < fields) {
      fields_.resize(fields);
      places_.resize(fields);
    }
    marks_.push_back(0);  // inside the record's object: values are named by key_, not "value"
  }
  void name(std::string_view name) { key_ = name; }
  // A value the caller has read itself.
  void known(std::string_view name, std::string_view value, ValueKind kind) { put(name, value, kind); }

  // Where each field's value lies in the input, and how many containers deep, for learning a
  // template from the record just finished. Valid only for a record without repeated names,
  // whose fields are then in the order of their values.
  struct Place {
    const char* begin;
    const char* end;
    std::size_t depth;
  };
  bool has_places() const { return !repeated_ && !known_names_; }
  std::span<const Place> places() const { return {places_.data(), field_count_}; }

  // The record's fields, valid until the next begin().
  std::span<const Field> finish() {
    if (repeated_) drop_duplicates();
    return {fields_.data(), field_count_};
  }

  // ---- the tokenizer's events (json_tokenizer.h) ----

  void object_begin(const char* at) {
    if (text_depth_ > 0) return text_open(at);
    // The record's own object adds no prefix; a nested one puts "<its dotted name>." before its
    // members' names. An empty nested object therefore yields no field at all: there is no value
    // to show, and a column holding "{}" would be a kind of its own.
    marks_.push_back(path_.size());
    if (marks_.size() > 1) {
      path_.assign(key_);
      path_ += '.';
    }
  }

  void object_end(const char* at) {
    if (text_depth_ > 0) return text_close(at);
    path_.resize(marks_.back());
    marks_.pop_back();
  }

  void array_begin(const char* at) {
    if (text_depth_ > 0) return text_open(at);
    text_name_ = current_name();
    text_start_ = at;
    prev_end_ = at + 1;
    after_ = After::open;
    rewritten_ = false;
    text_depth_ = 1;
  }

  void array_end(const char* at) { text_close(at); }

  [[gnu::always_inline]] void key(std::string_view text, std::string_view raw, bool escaped) {
    if (text_depth_ > 0) {
      text_token(raw, escaped, text);
      after_ = After::key;
    } else if (path_.empty() && !escaped) [[likely]] {
      key_ = text;
    } else {
      arena_.open();
      arena_.reserve(path_.size() + text.size());
      arena_.put(path_);
      arena_.put(text);
      key_ = arena_.piece();
    }
  }

  [[gnu::always_inline]] void string(std::string_view text, std::string_view raw, bool escaped) {
    if (text_depth_ > 0) {
      text_token(raw, escaped, text);
      after_ = After::value;
    } else if (!escaped) [[likely]] {
      add(current_name(), text, ValueKind::string, raw);
    } else {
      arena_.open();
      arena_.append(text);
      add(current_name(), arena_.piece(), ValueKind::string, raw);
    }
  }

  // Numbers keep their literal text, so `1.50`, `-0` and `1e400` come out exactly as written.
  [[gnu::always_inline]] void scalar(ValueKind kind, std::string_view raw) {
    if (text_depth_ > 0) {
      text_token(raw, false, {});
      after_ = After::value;
    } else {
      add(current_name(), kind == ValueKind::null ? std::string_view() : raw, kind, raw);
    }
  }

 private:
  [[gnu::always_inline]] std::string_view current_name() const {
    return marks_.empty() ? std::string_view("value") : key_;
  }

  // Duplicate names are rare, so each name sets one bit of a 64-bit mask and only a name whose bit
  // is set already is compared with the names before it; only a real repeat sends the record
  // through drop_duplicates(). The bit mixes the length and the first and last bytes, so the
  // names of one record seldom share one (and a file's records mostly share their names).
  //
  // `raw` is the value's bytes in the input, kept for learning a template.
  [[gnu::always_inline]] void add(std::string_view name, std::string_view value, ValueKind kind,
                                  std::string_view raw) {
    if (known_names_) [[likely]] {
      put(name, value, kind);
      return;
    }
    if (field_count_ == fields_.size()) [[unlikely]] {
      fields_.resize(2 * field_count_ + 16);
      places_.resize(fields_.size());
    }
    const std::uint64_t bit = name.empty() ? 1 : std::uint64_t{1} << (name_hash(name) & 63);
    if ((name_hashes_ & bit) != 0) [[unlikely]]
      check_repeat(name);
    name_hashes_ |= bit;
    places_[field_count_] = Place{raw.data(), raw.data() + raw.size(), marks_.size()};
    put(name, value, kind);
  }

  // Member by member: GCC builds `Field{...}` on the stack with 8-byte stores and copies it with
  // 16-byte loads, which cannot take their data from those stores and wait for them to retire.
  [[gnu::always_inline]] void put(std::string_view name, std::string_view value, ValueKind kind) {
    Field& f = fields_[field_count_++];
    f.name = name;
    f.value = value;
    f.kind = kind;
  }

  static std::size_t name_hash(std::string_view name) {
    const auto first = static_cast<unsigned char>(name.front());
    const auto last = static_cast<unsigned char>(name.back());
    return (name.size() * 0x9E3779B1u + first * 0x85EBCA77u + last * 0xC2B2AE3Du) >> 26;
  }

  [[gnu::noinline]] void check_repeat(std::string_view name) {
    for (std::size_t i = 0; i < field_count_; ++i) {
      if (fields_[i].name == name) repeated_ = true;
    }
  }

  // ---- an array's text ----
  //
  // The text of an array is its compact JSON: no whitespace between tokens, and strings escaped
  // only where JSON requires. Most arrays in data files are written that way already, so the text
  // is the input's bytes as long as each token starts right where a compact writer would put it
  // and needs no rewriting. From the first difference on it is built in the arena, still copying
  // the unchanged stretches between differences in one piece.

  enum class After : std::uint8_t { open, key, value };  // the previous token

  void text_open(const char* at) {
    text_token({at, 1}, false, {});
    after_ = After::open;
    ++text_depth_;
  }

  void text_close(const char* at) {
    text_token({at, 1}, false, {}, true);
    after_ = After::value;
    if (--text_depth_ > 0) return;
    std::string_view text(text_start_, static_cast<std::size_t>(at + 1 - text_start_));
    if (rewritten_) {
      arena_.append({run_, static_cast<std::size_t>(at + 1 - run_)});
      text = arena_.piece();
    }
    add(text_name_, text, ValueKind::array, {text_start_, static_cast<std::size_t>(at + 1 - text_start_)});
  }

  // Compactly, a token follows the one before directly after `[`, `{` and before a closing bracket,
  // and after the one separator byte (`:` after a key, else `,`) otherwise; a gap of that length
  // can only hold the separator, since the tokenizer has checked the grammar.
  [[gnu::always_inline]] void text_token(std::string_view raw, bool escaped, std::string_view text,
                                         bool closes = false) {
    const std::size_t gap = closes || after_ == After::open ? 0 : 1;
    if (static_cast<std::size_t>(raw.data() - prev_end_) != gap || escaped) [[unlikely]]
      rewrite(raw, gap, escaped, text);
    prev_end_ = raw.data() + raw.size();
  }

  [[gnu::noinline]] void rewrite(std::string_view raw, std::size_t gap, bool escaped, std::string_view text) {
    if (!rewritten_) {
      arena_.open();
      run_ = text_start_;
      rewritten_ = true;
    }
    arena_.append({run_, static_cast<std::size_t>(prev_end_ - run_)});
    if (gap == 1) arena_.push(after_ == After::key ? ':' : ',');
    run_ = raw.data();
    if (escaped) {
      arena_.push('"');
      append_escaped(arena_, text);
      arena_.push('"');
      run_ += raw.size();
    }
  }

  // Duplicate names (a key repeated in one object, or a dotted key such as "a.b" meeting the
  // flattened {"a":{"b":..}}) are resolved per flattened name: the last value wins and keeps the
  // place of the first, as most JSON readers do for a repeated key. A repeated object key therefore
  // merges the fields of both objects.
  void drop_duplicates() {
    const std::size_t n = field_count_;
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    std::sort(order_.begin(), order_.end(), [this](std::size_t a, std::size_t b) {
      const int c = fields_[a].name.compare(fields_[b].name);
      return c != 0 ? c < 0 : a < b;
    });
    keep_.assign(n, 1);
    bool any = false;
    for (std::size_t g = 0; g < n;) {
      std::size_t h = g + 1;
      while (h < n && fields_[order_[h]].name == fields_[order_[g]].name) ++h;
      if (h - g > 1) {
        any = true;
        const Field& last = fields_[order_[h - 1]];
        fields_[order_[g]].value = last.value;
        fields_[order_[g]].kind = last.kind;
        for (std::size_t k = g + 1; k < h; ++k) keep_[order_[k]] = 0;
      }
      g = h;
    }
    if (!any) return;
    std::size_t out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (keep_[i]) fields_[out++] = fields_[i];
    }
    field_count_ = out;
  }

  Arena arena_;
  std::string path_;                // dotted prefix of the innermost open nested object, with its '.'
  std::vector<std::size_t> marks_;  // path_ length to restore at each open object's end
  std::vector<Field> fields_;       // the first field_count_ are this record's; the rest is capacity
  std::vector<Place> places_;       // with fields_, unless known_names_
  std::size_t field_count_ = 0;
  std::vector<std::size_t> order_;
  std::vector<unsigned char> keep_;
  std::uint64_t name_hashes_ = 0;
  bool repeated_ = false;             // some name occurs twice
  bool known_names_ = false;          // begin_known(): the names come from a template
  std::string_view key_;              // full dotted name of the member whose value comes next
  std::string_view text_name_;        // name of the array being written as text
  std::size_t text_depth_ = 0;        // open containers since the outermost array; > 0 means "writing text"
  const char* text_start_ = nullptr;  // the outermost array's '['
  const char* prev_end_ = nullptr;    // just past the array's previous token
  const char* run_ = nullptr;         // once rewritten: where the input not yet copied starts
  After after_ = After::open;
  bool rewritten_ = false;  // the text differs from the input's bytes and is built in the arena
};

// Checks JSON without keeping anything: for layout detection and for the members of a wrapper
// object that are not the records.
struct Validator {
  void object_begin(const char*) {}
  void object_end(const char*) {}
  void array_begin(const char*) {}
  void array_end(const char*) {}
  void key(std::string_view, std::string_view, bool) {}
  void string(std::string_view, std::string_view, bool) {}
  void scalar(ValueKind, std::string_view) {}
};

using RecordTokenizer = Tokenizer<RecordBuilder>;
using ValidatingTokenizer = Tokenizer<Validator>;

// "invalid JSON: syntax error at line 3, column 14" (column in bytes, 1-based).
std::string describe(JsonError e, std::uint64_t line, std::uint64_t column) {
  std::string out = "invalid JSON: ";
  out += detail::message(e);
  out += " at line ";
  out += std::to_string(line);
  out += ", column ";
  out += std::to_string(column);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Record templates.
//
// The records of a JSON Lines file nearly always have the same keys in the same order, written the
// same way, so everything between one record's values (braces, keys, colons, commas, whitespace) is
// usually byte for byte what it was in the record before. A template holds those bytes, the
// literals, and the flattened name of each value between them, learned from a record the tokenizer
// read in full. Reading the next record against it compares each literal as bytes and has the
// tokenizer read only the values, which skips scanning the keys, building dotted names and checking
// names for repeats.
//
// That gives exactly the fields a full read gives: each literal was accepted by the full parse in
// the grammar state that the same literals before it lead to; a value's extent does not depend on
// what follows it; and a record that differs anywhere (other keys or spacing, an object where the
// template has another value, an invalid value) fails the match and is read in full, which also
// reports any error with its exact position.
class RecordTemplate {
 public:
  bool empty() const { return slots_.empty(); }

  // Learns from the record in [begin, end), a top-level object that `builder` has just read in
  // full, without repeated names (builder.has_places()).
  void learn(const char* begin, const char* end, const RecordBuilder& builder,
             std::span<const Field> fields) {
    bytes_.clear();
    text_.clear();
    slots_.clear();
    const auto places = builder.places();
    const char* at = begin;
    for (std::size_t i = 0; i < places.size(); ++i) {
      Slot& slot = add_slot(at, places[i].begin);
      slot.depth = places[i].depth;
      text_ += fields[i].name;
      // An array's text is kept with its bytes: arrays of tags or codes often repeat from record
      // to record, and an array's bytes decide its text.
      if (fields[i].kind == ValueKind::array) {
        slot.array = add_bytes(places[i].begin, places[i].end);
        text_ += fields[i].value;
      }
      at = places[i].end;
    }
    add_slot(at, end);
    values_ = places.size();
    // The views are made only now that their buffer has stopped growing.
    std::size_t offset = 0;
    const auto view = [&](std::size_t size) {
      offset += size;
      return std::string_view(text_.data() + offset - size, size);
    };
    for (std::size_t i = 0; i < values_; ++i) {
      slots_[i].name = view(fields[i].name.size());
      if (fields[i].kind == ValueKind::array) slots_[i].array_text = view(fields[i].value.size());
    }
    const char* bytes = bytes_.data();
    const auto place = [&](Bytes& b) {
      b.data = bytes;
      bytes += b.size + kPad;
    };
    for (Slot& slot : slots_) {
      place(slot.literal);
      if (slot.array.data != nullptr) place(slot.array);
    }
  }

  // Reads the record in [p, end) against the template into tokenizer.handler(). False if the
  // record does not match; the builder then holds a partial record, to be begun again. `end` is
  // the end of the input or a '\n' (which no template holds), and bytes up to `limit` may be read.
  bool read(const char* p, const char* end, const char* limit, RecordTokenizer& tokenizer) const {
    // Nearly always, 32 bytes can be read from anywhere in the record, which spares the compares
    // a check each.
    return limit - end >= 32 ? read<true>(p, end, tokenizer) : read<false>(p, end, tokenizer);
  }

 private:
  // Bytes to compare, followed by kPad bytes of padding.
  struct Bytes {
    const char* data = nullptr;
    std::size_t size = 0;
    std::uint32_t mask = 0;  // for size < 32: the low `size` bits
  };
  struct Slot {
    Bytes literal;      // the bytes before the value
    std::size_t depth;  // containers around the value, as the tokenizer counts them
    std::string_view name;
    Bytes array;  // if the value was an array: its bytes
    std::string_view array_text;
  };
  static constexpr std::size_t kPad = 32;

  template <bool Roomy>
  bool read(const char* p, const char* end, RecordTokenizer& tokenizer) const {
    RecordBuilder& builder = tokenizer.handler();
    builder.begin_known(values_);
    const Slot* slot = slots_.data();
    for (const Slot* const last = slot + values_; slot != last; ++slot) {
      if (!matches<Roomy>(slot->literal, p, end)) return false;
      p += slot->literal.size;
      // The same bytes are the same array, as deep as before, with the same text.
      if (slot->array.data != nullptr && matches<Roomy>(slot->array, p, end)) {
        builder.known(slot->name, slot->array_text, ValueKind::array);
        p += slot->array.size;
        continue;
      }
      builder.name(slot->name);
      // An object would add fields of its own, where the template has one.
      if ((p = tokenizer.value_at<false>(p, end, slot->depth)) == nullptr) return false;
    }
    return matches<Roomy>(slot->literal, p, end) && p + slot->literal.size == end;
  }

  // Whether p holds `bytes`, inside [p, end). Most are `,"key":`, under 32 bytes, where a compare
  // or two beats a call to memcmp; they may run past `end`, where the input has a '\n' that no
  // template holds.
  template <bool Roomy>
  [[gnu::always_inline]] static bool matches(const Bytes& bytes, const char* p, const char* end) {
#if defined(__SSE2__)
    if constexpr (Roomy) {
      if (bytes.size < 32) [[likely]] {
        std::uint32_t differ = differ16(p, bytes.data);
        if (bytes.size > 16) differ |= differ16(p + 16, bytes.data + 16) << 16;
        return (differ & bytes.mask) == 0;
      }
    }
#endif
    return static_cast<std::size_t>(end - p) >= bytes.size && std::memcmp(p, bytes.data, bytes.size) == 0;
  }

#if defined(__SSE2__)
  static std::uint32_t differ16(const char* a, const char* b) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));  // NOLINT
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));  // NOLINT
    return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))) ^ 0xFFFFu;
  }
#endif

  // Appends [from, to) to bytes_; `data` points into the input until learn() is done.
  Bytes add_bytes(const char* from, const char* to) {
    const auto size = static_cast<std::size_t>(to - from);
    const Bytes bytes{from, size, size < 32 ? (std::uint32_t{1} << size) - 1 : 0};
    bytes_.append(from, size);
    bytes_.append(kPad, '\0');
    return bytes;
  }
  Slot& add_slot(const char* from, const char* to) {
    return slots_.emplace_back(Slot{add_bytes(from, to), 0, {}, {}, {}});
  }

  std::string bytes_;        // literals and arrays, each padded
  std::string text_;         // names and arrays' text
  std::vector<Slot> slots_;  // one per value, then one for the literal after the last value
  std::size_t values_ = 0;
};

// ---------------------------------------------------------------------------------------------
// JSON Lines.

class LineScanner {
 public:
  LineScanner(std::string_view data, RecordSink& sink, std::size_t max_depth)
      : data_(data), sink_(sink), tokenizer_(data, max_depth) {}

  void scan(std::size_t begin, std::size_t end, std::uint64_t line) {
    std::size_t pos = begin;
    if (pos == 0 && data_.starts_with(kBom)) pos = kBom.size();
    while (pos < end) {
      const void* nl = std::memchr(data_.data() + pos, '\n', data_.size() - pos);
      const std::size_t line_end = nl != nullptr
                                       ? static_cast<std::size_t>(static_cast<const char*>(nl) - data_.data())
                                       : data_.size();
      std::size_t value = pos;
      while (value < line_end && is_json_space(data_[value])) ++value;
      if (value < line_end) scan_line(pos, value, line_end, line);
      pos = line_end + 1;
      ++line;
    }
  }

 private:
  void scan_line(std::size_t line_start, std::size_t value, std::size_t line_end, std::uint64_t line) {
    const char* const base = data_.data();
    const bool try_templates = skip_ == 0 && !templates_[recent_].empty();
    if (skip_ > 0) --skip_;
    if (try_templates) {
      // The template that matched last first; the other one holds the shape before.
      const char* const limit = base + data_.size();
      bool hit = templates_[recent_].read(base + value, base + line_end, limit, tokenizer_);
      if (!hit && !templates_[1 - recent_].empty()) {
        hit = templates_[1 - recent_].read(base + value, base + line_end, limit, tokenizer_);
        if (hit) recent_ = 1 - recent_;
      }
      if (hit) {
        penalty_ = 0;
        const RecordView record{tokenizer_.handler().finish(), value, line};
        sink_.record(record);
        return;
      }
      // Files whose records have many shapes would pay for failed matches and a relearning on
      // every record; trying less often after each miss in a row bounds that.
      penalty_ = std::min<std::size_t>(std::max<std::size_t>(1, 2 * penalty_), kMaxPenalty);
      skip_ = penalty_ - 1;
    }
    tokenizer_.handler().begin();
    const char* const stop = tokenizer_.parse(base + value, base + line_end, 0);
    if (stop == nullptr) {
      const auto column = static_cast<std::uint64_t>(tokenizer_.error_at() - base) - line_start + 1;
      sink_.malformed({line, line_start, describe(tokenizer_.error(), line, column)});
      return;
    }
    // The tokenizer stops after the value and the whitespace following it; anything left is a
    // second value or garbage on the same line.
    if (stop != base + line_end) {
      const auto column = static_cast<std::uint64_t>(stop - base) - line_start + 1;
      sink_.malformed({line, line_start, describe(JsonError::extra_data, line, column)});
      return;
    }
    const RecordView record{tokenizer_.handler().finish(), value, line};
    sink_.record(record);
    // Learned from the record before the next try only, in place of the template used less lately.
    if (skip_ == 0 && base[value] == '{' && tokenizer_.handler().has_places()) {
      recent_ = 1 - recent_;
      templates_[recent_].learn(base + value, base + line_end, tokenizer_.handler(), record.fields);
    }
  }

  static constexpr std::size_t kMaxPenalty = 64;

  std::string_view data_;
  RecordSink& sink_;
  RecordTokenizer tokenizer_;
  // Two, so that files whose records take turns between two shapes (or have an odd one now and
  // then) still read nearly all records against a template.
  RecordTemplate templates_[2];
  std::size_t recent_ = 0;   // the template that matched or was learned last
  std::size_t penalty_ = 0;  // records read in full before the next try, doubled by each miss in a row
  std::size_t skip_ = 0;     // records still to read in full before the next try
};

// ---------------------------------------------------------------------------------------------
// Whole documents.
//
// The records array and, for a wrapper object, its members are walked here: a few lines of grammar
// for `[`, `,`, `]`, `{`, `:` and `}`, while every value (record, member key, other member) goes
// through the tokenizer, one value at a time like the JSON Lines reader. That gives each record's
// exact byte offset, emits it as soon as it is complete, and keeps the whole-file parse as strict
// as one parse of the document.
class DocumentScanner {
 public:
  DocumentScanner(std::string_view data, RecordSink& sink, std::size_t max_depth)
      : data_(data), sink_(sink), records_(data, max_depth), skipper_(data, max_depth) {}

  void scan(const JsonShape& shape) {
    if (data_.starts_with(kBom)) pos_ = kBom.size();
    skip_space();
    bool ok;
    if (at('[')) {
      ok = stream_array(0);
    } else if (at('{') && !shape.records_key.empty()) {
      ok = stream_wrapper(shape.records_key);
    } else {
      ok = parse_value(0, true);
    }
    if (!ok) return;
    skip_space();
    if (pos_ != data_.size()) fail(pos_, JsonError::extra_data);
  }

 private:
  bool at(char c) const { return pos_ < data_.size() && data_[pos_] == c; }
  void skip_space() {
    while (pos_ < data_.size() && is_json_space(data_[pos_])) ++pos_;
  }

  // Runs `tokenizer` on the value at pos_ (`depth` containers deep) and steps over it and the
  // whitespace after it.
  template <class T>
  bool step(T& tokenizer, std::size_t depth) {
    const char* const base = data_.data();
    const char* const stop = tokenizer.parse(base + pos_, base + data_.size(), depth);
    if (stop == nullptr)
      return fail(static_cast<std::size_t>(tokenizer.error_at() - base), tokenizer.error());
    pos_ = static_cast<std::size_t>(stop - base);
    return true;
  }

  // Parses the value at pos_, emitting it as a record if asked.
  bool parse_value(std::size_t depth, bool emit) {
    const std::size_t start = pos_;
    records_.handler().begin();
    if (!step(records_, depth)) return false;
    if (emit) {
      const RecordView record{records_.handler().finish(), start, line_at(start)};
      sink_.record(record);
    }
    return true;
  }

  // pos_ is at the '[' of an array at nesting `depth` whose elements are the records.
  bool stream_array(std::size_t depth) {
    if (depth + 1 > max_depth()) return fail(pos_, JsonError::too_deep);
    ++pos_;
    skip_space();
    if (at(']')) {
      ++pos_;
      return true;
    }
    for (;;) {
      if (!parse_value(depth + 1, true)) return false;
      if (at(',')) {
        ++pos_;
        skip_space();
      } else if (at(']')) {
        ++pos_;
        return true;
      } else {
        return fail_here();
      }
    }
  }

  // pos_ is at the '{' of the top-level object; the array member named `key` holds the records and
  // the other members are checked and dropped.
  bool stream_wrapper(const std::string& key) {
    if (max_depth() < 1) return fail(pos_, JsonError::too_deep);
    ++pos_;
    skip_space();
    if (at('}')) {
      ++pos_;
      return true;
    }
    for (;;) {
      if (!at('"')) return fail_here();
      if (!parse_value(1, false)) return false;  // the member's name, as a JSON string
      const auto name = records_.handler().finish();
      const bool records = name.size() == 1 && name[0].value == key;
      if (!at(':')) return fail_here();
      ++pos_;
      skip_space();
      if (records && at('[')) {
        if (!stream_array(1)) return false;
        skip_space();
      } else if (!step(skipper_, 1)) {
        return false;
      }
      if (at(',')) {
        ++pos_;
        skip_space();
      } else if (at('}')) {
        ++pos_;
        return true;
      } else {
        return fail_here();
      }
    }
  }

  std::size_t max_depth() { return records_.max_depth(); }

  // A structural byte was expected at pos_: the input ended there, or it holds something else.
  bool fail_here() { return fail(pos_, pos_ < data_.size() ? JsonError::syntax : JsonError::incomplete); }
  bool fail(std::size_t where, JsonError e) {
    const std::uint64_t line = line_at(where);
    const std::size_t nl = where == 0 ? std::string_view::npos : data_.rfind('\n', where - 1);
    const std::uint64_t column = nl == std::string_view::npos ? where + 1 : where - nl;
    sink_.malformed({line, where, describe(e, line, column) + "; the rest of the file was not read"});
    return false;
  }

  // Line numbers only move forward, so the newlines are counted once, between calls.
  std::uint64_t line_at(std::size_t where) {
    line_ += count_newlines(data_.data() + counted_, where - counted_);
    counted_ = where;
    return line_;
  }

  std::string_view data_;
  RecordSink& sink_;
  RecordTokenizer records_;
  ValidatingTokenizer skipper_;
  std::size_t pos_ = 0;
  std::size_t counted_ = 0;
  std::uint64_t line_ = 1;
};

// ---------------------------------------------------------------------------------------------
// Layout detection.

// Deep enough for any real data file; detection only needs the outer levels and must not let a
// hostile head nest the tokenizer without bound.
constexpr std::size_t kProbeDepth = 256;

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return is_json_space(c); });
}

bool looks_like_lines(std::string_view head, bool whole_file) {
  ValidatingTokenizer tokenizer(head, kProbeDepth);
  const auto complete_value = [&](std::string_view line) {
    const char* const end = line.data() + line.size();
    return tokenizer.parse(line.data(), end, 0) == end;
  };
  bool first = true;
  for (std::size_t pos = 0; pos < head.size();) {
    const std::size_t nl = head.find('\n', pos);
    if (nl == std::string_view::npos && !whole_file) break;  // cut off by the end of the head
    const std::size_t line_end = nl == std::string_view::npos ? head.size() : nl;
    const std::string_view line = head.substr(pos, line_end - pos);
    pos = line_end + 1;
    if (blank(line)) continue;
    // Later bad lines are tolerated (they are reported as malformed lines), but the first one
    // decides: a document spread over lines never starts with a complete value.
    if (!complete_value(line)) {
      if (first) return false;
      continue;
    }
    if (!first) return true;
    first = false;
  }
  return false;
}

// Watches the top two levels of a document for the {"...": [records], other scalars} shape.
struct ShapeProbe {
  // A value starts at the current depth (before a container's begin moves it down).
  void value(bool is_object, bool is_array) {
    if (depth == 0) {
      top_object = is_object;
    } else if (depth == 1 && top_object) {
      ++members;
      if (is_array) {
        ++array_members;
        array_key = key_text;
        in_array = true;
      }
    } else if (depth == 2 && in_array && !is_object) {
      non_object_element = true;
    }
  }
  void container_end() {
    if (--depth == 1) in_array = false;
  }

  void object_begin(const char*) {
    value(true, false);
    ++depth;
  }
  void object_end(const char*) { container_end(); }
  void array_begin(const char*) {
    value(false, true);
    ++depth;
  }
  void array_end(const char*) { container_end(); }
  void key(std::string_view text, std::string_view, bool) {
    if (depth == 1) key_text.assign(text);
  }
  void string(std::string_view, std::string_view, bool) { value(false, false); }
  void scalar(ValueKind, std::string_view) { value(false, false); }

  std::size_t depth = 0;
  bool top_object = false;
  std::size_t members = 0;
  std::size_t array_members = 0;
  bool non_object_element = false;
  bool in_array = false;
  std::string key_text;
  std::string array_key;
};

std::string find_records_key(std::string_view head, bool whole_file) {
  Tokenizer<ShapeProbe> tokenizer(head, kProbeDepth);
  tokenizer.set_more(!whole_file);
  // Errors and a cut-off head just end the watch; the scan reports any error itself.
  (void)tokenizer.parse(head.data(), head.data() + head.size(), 0);
  const ShapeProbe& p = tokenizer.handler();
  if (!p.top_object || p.array_members != 1) return {};
  // One array of records beside other members, objects included, is a wrapper
  // ({"meta": {...}, "data": [...]}): the data a user means is the array, whatever the file's size.
  // Beside other members, an array of scalars is more likely a field of one record ("tags").
  if (p.members > 1 && p.non_object_element) return {};
  return p.array_key;
}

}  // namespace

JsonShape detect_json_shape(std::string_view head, bool whole_file) {
  try {
    if (head.starts_with(kBom)) head.remove_prefix(kBom.size());
    JsonShape shape;
    if (looks_like_lines(head, whole_file)) {
      shape.layout = JsonLayout::lines;
    } else {
      shape.records_key = find_records_key(head, whole_file);
    }
    return shape;
  } catch (...) {
    // Only allocation can fail here; a plain document is the reading that loses nothing.
    return {};
  }
}

void scan_json_lines(std::string_view data, std::size_t begin, std::size_t end, std::uint64_t first_line,
                     RecordSink& sink, std::size_t max_depth) {
  LineScanner scanner(data, sink, max_depth);
  scanner.scan(begin, std::min(end, data.size()), first_line);
}

void scan_json_document(std::string_view data, const JsonShape& shape, RecordSink& sink,
                        std::size_t max_depth) {
  DocumentScanner scanner(data, sink, max_depth);
  scanner.scan(shape);
}

}  // namespace gdp::ingest
