#include "daemon/ingest/json_reader.h"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <vector>

namespace gdp::ingest {
namespace {

namespace json = boost::json;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view to_std(json::string_view s) {
  return {s.data(), s.size()};
}

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
// Building one record from SAX events.

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

// One record per parse: the parser is reset for each line or array element, and on_document_begin
// clears this. The buffers are cleared, never freed, so the steady state allocates nothing.
//
// Strings without escapes, the keys of the record's own object and number literals are views into
// the input; only text that has to be built (dotted names, strings that had escapes, arrays) is
// copied, into the arena.
class RecordBuilder {
 public:
  void set_input(std::string_view input) { input_ = input; }

  void begin() {
    arena_.clear();
    path_.clear();
    marks_.clear();
    field_count_ = 0;
    name_hashes_ = 0;
    repeated_hashes_ = 0;
    text_depth_ = 0;
    partial_ = false;
    key_ = {};
  }

  void object_begin() {
    if (text_depth_ > 0) {
      text_separator();
      arena_.push('{');
      ++text_depth_;
      return;
    }
    // The record's own object adds no prefix; a nested one puts "<its dotted name>." before its
    // members' names. An empty nested object therefore yields no field at all: there is no value
    // to show, and a column holding "{}" would be a kind of its own.
    marks_.push_back(path_.size());
    if (marks_.size() > 1) {
      path_.assign(key_);
      path_ += '.';
    }
  }

  void object_end() {
    if (text_depth_ > 0) {
      arena_.push('}');
      --text_depth_;
      return;
    }
    path_.resize(marks_.back());
    marks_.pop_back();
  }

  void array_begin() {
    if (text_depth_ > 0) {
      text_separator();
      arena_.push('[');
      ++text_depth_;
      return;
    }
    text_name_ = current_name();
    arena_.open();
    arena_.push('[');
    text_depth_ = 1;
  }

  void array_end() {
    arena_.push(']');
    if (--text_depth_ == 0) add(text_name_, arena_.piece(), ValueKind::array);
  }

  void key_part(std::string_view s) {
    if (text_depth_ > 0) {
      if (!partial_) open_text_string();
      append_escaped(arena_, s);
    } else {
      if (!partial_) open_name();
      arena_.append(s);
    }
    partial_ = true;
  }

  // The common cases (a plain key of the record's own object, an unescaped string, a number) are
  // forced inline into the parser and everything else is kept out of its way: the handler runs for
  // every token, and a call with its register saves cost as much as the work itself.
  [[gnu::always_inline]] void key(std::string_view s) {
    if (text_depth_ == 0 && !partial_ && path_.empty() && in_input(s)) [[likely]] {
      key_ = s;
    } else {
      key_slow(s);
    }
  }

  void string_part(std::string_view s) {
    if (text_depth_ > 0) {
      if (!partial_) open_text_string();
      append_escaped(arena_, s);
    } else {
      if (!partial_) arena_.open();
      arena_.append(s);
    }
    partial_ = true;
  }

  [[gnu::always_inline]] void string(std::string_view s) {
    if (text_depth_ == 0 && !partial_ && in_input(s)) [[likely]] {
      add(current_name(), s, ValueKind::string);
    } else {
      string_slow(s);
    }
  }

  // Numbers arrive as their literal text (in parts only when the input was split mid-number), so
  // `1.50`, `-0` and `1e400` come out exactly as written.
  void number_part(std::string_view s) {
    if (text_depth_ > 0) {
      if (!partial_) text_separator();
    } else if (!partial_) {
      arena_.open();
    }
    arena_.append(s);
    partial_ = true;
  }

  [[gnu::always_inline]] void number(std::string_view s) {
    if (text_depth_ == 0 && !partial_ && in_input(s)) [[likely]] {
      add(current_name(), s, ValueKind::number);
    } else {
      number_slow(s);
    }
  }

  void boolean(bool b) {
    if (text_depth_ > 0) {
      text_separator();
      arena_.append(b ? "true" : "false");
    } else {
      add(current_name(), b ? "true" : "false", ValueKind::boolean);
    }
  }

  void null() {
    if (text_depth_ > 0) {
      text_separator();
      arena_.append("null");
    } else {
      add(current_name(), {}, ValueKind::null);
    }
  }

  // The record's fields, valid until the next begin().
  std::span<const Field> finish() {
    if (repeated_hashes_ != 0) drop_duplicates();
    return {fields_.data(), field_count_};
  }

 private:
  [[gnu::noinline]] void key_slow(std::string_view s) {
    if (text_depth_ > 0) {
      if (!partial_) open_text_string();
      append_escaped(arena_, s);
      arena_.append("\":");
    } else {
      if (!partial_) open_name(s.size());
      arena_.append(s);
      key_ = arena_.piece();
    }
    partial_ = false;
  }

  [[gnu::noinline]] void string_slow(std::string_view s) {
    if (text_depth_ > 0 && !partial_ && std::none_of(s.begin(), s.end(), [](char c) {
          return needs_escape(static_cast<unsigned char>(c));
        })) {
      // The usual string inside an array: separator, quotes and bytes in one go.
      arena_.reserve(s.size() + 3);
      const char last = arena_.back();
      if (last != '[' && last != '{' && last != ':') arena_.put(',');
      arena_.put('"');
      arena_.put(s);
      arena_.put('"');
    } else if (text_depth_ > 0) {
      if (!partial_) open_text_string();
      append_escaped(arena_, s);
      arena_.push('"');
    } else {
      add(current_name(), scalar(s), ValueKind::string);
    }
    partial_ = false;
  }

  [[gnu::noinline]] void number_slow(std::string_view s) {
    if (text_depth_ > 0) {
      if (!partial_) text_separator();
      arena_.append(s);
    } else {
      add(current_name(), scalar(s), ValueKind::number);
    }
    partial_ = false;
  }

  [[gnu::always_inline]] std::string_view current_name() const {
    return marks_.empty() ? std::string_view("value") : key_;
  }

  // The parser's views are either into the input or into its own stack buffer (for text it had to
  // unescape), never straddling the two, so where a view starts says where it lies. Unsigned
  // wrap-around makes a start before the input fail the one comparison too.
  [[gnu::always_inline]] bool in_input(std::string_view s) const {
    const auto base = reinterpret_cast<std::uintptr_t>(input_.data());
    const auto at = reinterpret_cast<std::uintptr_t>(s.data());
    return at - base < input_.size();
  }

  // The value of a scalar whose last piece is `s`: in place when it came whole from the input
  // (the parser hands out views into it unless the value had escapes or was split).
  std::string_view scalar(std::string_view s) {
    if (!partial_ && in_input(s)) return s;
    if (!partial_) arena_.open();
    arena_.append(s);
    return arena_.piece();
  }

  // Starts a dotted name with room for `more` bytes after the prefix.
  void open_name(std::size_t more = 0) {
    arena_.open();
    arena_.reserve(path_.size() + more);
    arena_.put(path_);
  }

  // Duplicate names are rare, so each name sets one bit of a 64-bit mask and only a bit set twice
  // sends the record through the exact check.
  [[gnu::always_inline]] void add(std::string_view name, std::string_view value, ValueKind kind) {
    if (field_count_ == fields_.size()) [[unlikely]]
      fields_.resize(2 * field_count_ + 16);
    fields_[field_count_++] = Field{name, value, kind};
    const std::size_t h = name.empty() ? 0 : name.size() + static_cast<unsigned char>(name.back());
    const std::uint64_t bit = std::uint64_t{1} << (h & 63);
    repeated_hashes_ |= name_hashes_ & bit;
    name_hashes_ |= bit;
  }

  // Inside an array's text a value or key follows `[`, `{` or `:` directly and anything else after
  // a comma, so the last byte written says which.
  void text_separator() {
    const char last = arena_.back();
    if (last != '[' && last != '{' && last != ':') arena_.push(',');
  }
  void open_text_string() {
    text_separator();
    arena_.push('"');
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

  std::string_view input_;
  Arena arena_;
  std::string path_;                // dotted prefix of the innermost open nested object, with its '.'
  std::vector<std::size_t> marks_;  // path_ length to restore at each open object's end
  std::vector<Field> fields_;       // the first field_count_ are this record's; the rest is capacity
  std::size_t field_count_ = 0;
  std::vector<std::size_t> order_;
  std::vector<unsigned char> keep_;
  std::uint64_t name_hashes_ = 0;
  std::uint64_t repeated_hashes_ = 0;
  std::string_view key_;        // full dotted name of the member whose value comes next
  std::string_view text_name_;  // name of the array being written as text
  std::size_t text_depth_ = 0;  // open containers since the outermost array; > 0 means "writing text"
  bool partial_ = false;        // a key, string or number is arriving in pieces
};

// The SAX handler Boost.JSON's basic_parser requires. The builder lives inside it, and so inside the
// parser, which saves the handler an indirection on every token.
struct Handler {
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

  explicit Handler(std::string_view input) { b.set_input(input); }

  bool on_document_begin(json::error_code&) {
    b.begin();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    b.object_begin();
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    b.object_end();
    return true;
  }
  bool on_array_begin(json::error_code&) {
    b.array_begin();
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    b.array_end();
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    b.key_part(to_std(s));
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    b.key(to_std(s));
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    b.string_part(to_std(s));
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    b.string(to_std(s));
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    b.number_part(to_std(s));
    return true;
  }
  bool on_int64(std::int64_t, json::string_view s, json::error_code&) {
    b.number(to_std(s));
    return true;
  }
  bool on_uint64(std::uint64_t, json::string_view s, json::error_code&) {
    b.number(to_std(s));
    return true;
  }
  bool on_double(double, json::string_view s, json::error_code&) {
    b.number(to_std(s));
    return true;
  }
  bool on_bool(bool v, json::error_code&) {
    b.boolean(v);
    return true;
  }
  bool on_null(json::error_code&) {
    b.null();
    return true;
  }
  // Comments are not enabled in the parse options; these only satisfy the interface.
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  RecordBuilder b;
};

using RecordParser = json::basic_parser<Handler>;

// Checks JSON without keeping anything: for layout detection and for the members of a wrapper
// object that are not the records.
struct ValidatingHandler {
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();
  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t, json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t, json::error_code&) { return true; }
  bool on_key_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_key(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

using SkipParser = json::basic_parser<ValidatingHandler>;

json::parse_options options(std::size_t max_depth) {
  json::parse_options opt;
  opt.max_depth = max_depth;  // everything else stays strict: no comments, no trailing commas, UTF-8
  return opt;
}

// "invalid JSON: syntax error at line 3, column 14" (column in bytes, 1-based).
std::string describe(const json::error_code& ec, std::uint64_t line, std::uint64_t column) {
  std::string out = "invalid JSON: ";
  out += ec.message();
  out += " at line ";
  out += std::to_string(line);
  out += ", column ";
  out += std::to_string(column);
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON Lines.

class LineScanner {
 public:
  LineScanner(std::string_view data, RecordSink& sink, std::size_t max_depth)
      : data_(data), sink_(sink), parser_(options(max_depth), data) {}

  void scan(std::size_t begin, std::size_t end, std::uint64_t line) {
    std::size_t pos = begin;
    if (pos == 0 && data_.starts_with(kBom)) pos = kBom.size();
    while (pos < end) {
      const void* nl = std::memchr(data_.data() + pos, '\n', data_.size() - pos);
      const std::size_t line_end = nl != nullptr
                                       ? static_cast<std::size_t>(static_cast<const char*>(nl) - data_.data())
                                       : data_.size();
      std::size_t value = pos;
      while (value < line_end && is_space(data_[value])) ++value;
      if (value < line_end) scan_line(pos, value, line_end, line);
      pos = line_end + 1;
      ++line;
    }
  }

 private:
  void scan_line(std::size_t line_start, std::size_t value, std::size_t line_end, std::uint64_t line) {
    parser_.reset();
    json::error_code ec;
    const std::size_t used = parser_.write_some(false, data_.data() + value, line_end - value, ec);
    // The parser stops after the value and the whitespace following it; anything left is a second
    // value or garbage on the same line.
    if (!ec && value + used != line_end) ec = json::make_error_code(json::error::extra_data);
    if (ec) {
      sink_.malformed({line, line_start, describe(ec, line, value + used - line_start + 1)});
      return;
    }
    const RecordView record{parser_.handler().b.finish(), value, line};
    sink_.record(record);
  }

  std::string_view data_;
  RecordSink& sink_;
  RecordParser parser_;
};

// ---------------------------------------------------------------------------------------------
// Whole documents.
//
// The records array and, for a wrapper object, its members are walked here: a few lines of grammar
// for `[`, `,`, `]`, `{`, `:` and `}`, while every value (record, member key, other member) goes
// through Boost.JSON, reset per value like the JSON Lines reader. That gives each record's exact
// byte offset (the SAX events carry no positions), emits it as soon as it is complete, and keeps
// the whole-file parse as strict as one basic_parser run; structural errors found here are named
// with Boost.JSON's own messages.
class DocumentScanner {
 public:
  DocumentScanner(std::string_view data, RecordSink& sink, std::size_t max_depth)
      : data_(data), sink_(sink), max_depth_(max_depth) {}

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
    if (pos_ != data_.size()) fail(pos_, json::error::extra_data);
  }

 private:
  bool at(char c) const { return pos_ < data_.size() && data_[pos_] == c; }
  void skip_space() {
    while (pos_ < data_.size() && is_space(data_[pos_])) ++pos_;
  }

  // The parser for a value nested `depth` containers deep: its own limit is what is left of
  // max_depth. The caller has checked depth <= max_depth when it entered those containers.
  RecordParser& parser_for(std::size_t depth) {
    auto& slot = parsers_[depth];
    if (!slot) slot.emplace(options(max_depth_ - depth), data_);
    return *slot;
  }

  // Parses the value at pos_ (and the whitespace after it), emitting it as a record if asked.
  bool parse_value(std::size_t depth, bool emit) {
    const std::size_t start = pos_;
    RecordParser& parser = parser_for(depth);
    parser.reset();
    json::error_code ec;
    const std::size_t used = parser.write_some(false, data_.data() + start, data_.size() - start, ec);
    if (ec) {
      fail(start + used, ec);
      return false;
    }
    pos_ = start + used;
    if (emit) {
      const RecordView record{parser.handler().b.finish(), start, line_at(start)};
      sink_.record(record);
    }
    return true;
  }

  // Checks the member value at pos_ (at nesting 1) and steps over it and the whitespace after it.
  bool skip_value() {
    const std::size_t start = pos_;
    if (!skipper_) skipper_.emplace(options(max_depth_ - 1));
    skipper_->reset();
    json::error_code ec;
    const std::size_t used = skipper_->write_some(false, data_.data() + start, data_.size() - start, ec);
    if (ec) return fail(start + used, ec);
    pos_ = start + used;
    return true;
  }

  // pos_ is at the '[' of an array at nesting `depth` whose elements are the records.
  bool stream_array(std::size_t depth) {
    if (depth + 1 > max_depth_) return fail(pos_, json::error::too_deep);
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
  // the other members are read and dropped.
  bool stream_wrapper(const std::string& key) {
    if (max_depth_ < 1) return fail(pos_, json::error::too_deep);
    ++pos_;
    skip_space();
    if (at('}')) {
      ++pos_;
      return true;
    }
    for (;;) {
      if (!at('"')) return fail_here();
      if (!parse_value(1, false)) return false;  // the member's name, as a JSON string
      const auto name = parser_for(1).handler().b.finish();
      const bool records = name.size() == 1 && name[0].value == key;
      if (!at(':')) return fail_here();
      ++pos_;
      skip_space();
      if (records && at('[')) {
        if (!stream_array(1)) return false;
        skip_space();
      } else if (!skip_value()) {
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

  // A structural byte was expected at pos_: the input ended there, or it holds something else.
  bool fail_here() { return fail(pos_, pos_ < data_.size() ? json::error::syntax : json::error::incomplete); }
  bool fail(std::size_t where, json::error e) { return fail(where, json::make_error_code(e)); }
  bool fail(std::size_t where, const json::error_code& ec) {
    const std::uint64_t line = line_at(where);
    const std::size_t nl = where == 0 ? std::string_view::npos : data_.rfind('\n', where - 1);
    const std::uint64_t column = nl == std::string_view::npos ? where + 1 : where - nl;
    sink_.malformed({line, where, describe(ec, line, column) + "; the rest of the file was not read"});
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
  std::size_t max_depth_;
  std::optional<RecordParser> parsers_[3];  // values at depth 0, 1 and 2
  std::optional<SkipParser> skipper_;
  std::size_t pos_ = 0;
  std::size_t counted_ = 0;
  std::uint64_t line_ = 1;
};

// ---------------------------------------------------------------------------------------------
// Layout detection.

// Deep enough for any real data file; detection only needs the outer levels and must not let a
// hostile head grow the parser's stack without bound.
constexpr std::size_t kProbeDepth = 256;

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return is_space(c); });
}

bool looks_like_lines(std::string_view head, bool whole_file) {
  SkipParser parser(options(kProbeDepth));
  const auto complete_value = [&](std::string_view line) {
    parser.reset();
    json::error_code ec;
    const std::size_t used = parser.write_some(false, line.data(), line.size(), ec);
    return !ec && used == line.size();
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
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

  // A value starts at the current depth (before a container's begin moves it down).
  void value(bool is_object, bool is_array) {
    if (depth == 0) {
      top_object = is_object;
    } else if (depth == 1 && top_object) {
      ++members;
      if (is_array) {
        ++array_members;
        array_key = key;
        in_array = true;
      }
    } else if (depth == 2 && in_array && !is_object) {
      non_object_element = true;
    }
  }
  void container_end() {
    if (--depth == 1) in_array = false;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    value(true, false);
    ++depth;
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    container_end();
    return true;
  }
  bool on_array_begin(json::error_code&) {
    value(false, true);
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    container_end();
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (depth == 1) {
      if (!key_partial) key.clear();
      key.append(s.data(), s.size());
      key_partial = true;
    }
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (depth == 1) {
      if (!key_partial) key.clear();
      key.append(s.data(), s.size());
      key_partial = false;
    }
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return scalar(); }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return scalar(); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return scalar(); }
  bool on_double(double, json::string_view, json::error_code&) { return scalar(); }
  bool on_bool(bool, json::error_code&) { return scalar(); }
  bool on_null(json::error_code&) { return scalar(); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
  bool scalar() {
    value(false, false);
    return true;
  }

  std::size_t depth = 0;
  bool top_object = false;
  std::size_t members = 0;
  std::size_t array_members = 0;
  bool non_object_element = false;
  bool in_array = false;
  bool key_partial = false;
  std::string key;
  std::string array_key;
};

std::string find_records_key(std::string_view head, bool whole_file) {
  json::basic_parser<ShapeProbe> parser(options(kProbeDepth));
  json::error_code ec;
  // Errors and a cut-off head just end the watch; the scan reports any error itself.
  parser.write_some(!whole_file, head.data(), head.size(), ec);
  const ShapeProbe& p = parser.handler();
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
