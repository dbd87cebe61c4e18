// What the format readers hand to the snapshot builder: one record at a time, as views into the
// reader's buffers (valid only during the call), so a 1 GB file is never held as rows.
//
// Readers are push parsers over a byte range; the snapshot builder (snapshot.h) splits a file into
// chunks, runs one reader per chunk on its own thread with its own sink, and merges the sinks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::ingest {

// How a value arrived. CSV and text fields are `text`: their type is inferred from the characters.
// JSON values keep the kind JSON gave them; nested arrays arrive as compact JSON text (`array`).
enum class ValueKind : std::uint8_t { text, null, boolean, number, string, array };

struct Field {
  std::string_view name;   // JSON: the flattened dotted name; CSV/text: empty (position is the column)
  std::string_view value;  // UTF-8; for JSON strings the unescaped text, numbers their literal text
  ValueKind kind = ValueKind::text;
};

struct RecordView {
  std::span<const Field> fields;
  std::uint64_t offset = 0;  // byte offset in the file of the record's first byte
  std::uint64_t line = 0;    // 1-based physical line number where the record starts
};

// A record that could not be read as the format says: counted, and the first few reported.
struct Malformed {
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  std::string reason;  // e.g. "expected 7 fields, found 8", "unterminated quote", "invalid UTF-8"
  // The line the reason names, if it names one (where an unterminated quote opened), so that a
  // reader that counted lines from the start of its piece can have both moved (shift_lines).
  std::uint64_t reason_line = 0;

  static Malformed unterminated_quote(std::uint64_t line, std::uint64_t offset, std::uint64_t quote_line) {
    return {line, offset, quote_reason(quote_line), quote_line};
  }
  void shift_lines(std::uint64_t by) {
    line += by;
    if (reason_line != 0) {
      reason_line += by;
      reason = quote_reason(reason_line);
    }
  }

 private:
  static std::string quote_reason(std::uint64_t quote_line) {
    return "unterminated quote starting at line " + std::to_string(quote_line);
  }
};

// Records that all have the same fields (CSV: one per column), stored column by column. The CSV
// reader hands these over instead of one record() call per record, so that a sink can run each
// column's values through one tight loop. The values are text (ValueKind::text), valid only
// during the call, like RecordView's.
struct RecordBatch {
  std::size_t columns = 0;
  std::size_t rows = 0;
  std::size_t stride = 0;  // column c's values are values[c * stride, + rows)
  const std::string_view* values = nullptr;
  const std::uint64_t* offsets = nullptr;  // per row, as in RecordView
  const std::uint64_t* lines = nullptr;
  // Every value's first kReadAhead bytes may be read, even past its end (into the rest of the
  // file or the batch's spare room): what lets the type inference read a short value in two
  // word loads instead of a branch on its length.
  bool padded = false;
  static constexpr std::size_t kReadAhead = 16;

  std::span<const std::string_view> column(std::size_t c) const { return {values + c * stride, rows}; }
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void record(const RecordView& record) = 0;
  virtual void malformed(Malformed problem) = 0;
  // By default one record() per row, for sinks that have no use for whole columns.
  virtual void records(const RecordBatch& batch) {
    std::vector<Field> fields(batch.columns);
    for (std::size_t r = 0; r < batch.rows; ++r) {
      for (std::size_t c = 0; c < batch.columns; ++c) fields[c].value = batch.values[c * batch.stride + r];
      record({fields, batch.offsets[r], batch.lines[r]});
    }
  }
};

}  // namespace gdp::ingest
