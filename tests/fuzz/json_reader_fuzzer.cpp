// libFuzzer target for the JSON reader: any bytes go through layout detection, the document scan
// and the JSON Lines scan. Beyond "no crash, no sanitizer report", every invariant the snapshot
// builder relies on is checked and a violation abort()s: fields are valid UTF-8 with a value fitting
// their kind, positions lie inside the input, a document gets at most one malformed entry and is
// rejected exactly when Boost.JSON's DOM parser rejects it (see oracle()), and JSON Lines gives the same
// records however the input is split at a line start.
#include "common/utf8.h"
#include "daemon/ingest/json_reader.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace gdp::ingest;

void check(bool ok) {
  if (!ok) std::abort();
}

bool kind_fits(const Field& f) {
  switch (f.kind) {
    case ValueKind::null:
      return f.value.empty();
    case ValueKind::boolean:
      return f.value == "true" || f.value == "false";
    case ValueKind::number:
      return !f.value.empty() &&
             (f.value.front() == '-' || (f.value.front() >= '0' && f.value.front() <= '9'));
    case ValueKind::array:
      return f.value.size() >= 2 && f.value.front() == '[' && f.value.back() == ']';
    case ValueKind::string:
      return true;
    case ValueKind::text:
      return false;  // JSON values always have a JSON kind
  }
  return false;
}

class CheckingSink : public RecordSink {
 public:
  explicit CheckingSink(std::string_view input)
      : input_(input), lines_(1 + static_cast<std::uint64_t>(std::count(input.begin(), input.end(), '\n'))) {}

  void record(const RecordView& record) override {
    check(record.offset < input_.size());
    check(record.line >= 1 && record.line <= lines_);
    std::string print = std::to_string(record.offset) + ":" + std::to_string(record.line);
    for (const Field& f : record.fields) {
      check(gdp::utf8::valid(f.name));
      check(gdp::utf8::valid(f.value));
      check(kind_fits(f));
      print += '|';
      print += f.name;
      print += '=';
      print += f.value;
      print += static_cast<char>('0' + static_cast<int>(f.kind));
    }
    prints.push_back(std::move(print));
  }

  void malformed(Malformed problem) override {
    check(problem.offset <= input_.size());
    check(problem.line >= 1 && problem.line <= lines_);
    check(problem.reason.starts_with("invalid JSON: "));
    prints.push_back("!" + std::to_string(problem.line) + ":" + problem.reason);
    ++malformed_count;
  }

  std::vector<std::string> prints;
  std::size_t malformed_count = 0;

 private:
  std::string_view input_;
  std::uint64_t lines_;
};

enum class Verdict { valid, invalid, either };

// Boost.JSON's DOM parser as an independent oracle for "is this one valid JSON document" (the reader
// skips a UTF-8 byte order mark, so the oracle does too). Boost.JSON refuses a number whose exponent
// does not fit an int (1e9999999999), an implementation limit RFC 8259 allows but the reader does
// not have: it keeps every number's literal text. Such documents may go either way.
Verdict oracle(std::string_view input, std::size_t max_depth) {
  if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);
  boost::json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  (void)boost::json::parse(input, ec, {}, options);
  if (ec == boost::json::error::exponent_overflow) return Verdict::either;
  return ec ? Verdict::invalid : Verdict::valid;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const JsonShape shape = detect_json_shape(input, true);
  (void)detect_json_shape(input.substr(0, size / 2), false);

  // The whole document, with the detected shape and with a plain one, and under a small depth cap.
  for (const std::size_t max_depth : {std::size_t{64}, std::size_t{2}}) {
    for (const JsonShape& s : {shape, JsonShape{}}) {
      CheckingSink sink(input);
      scan_json_document(input, s, sink, max_depth);
      check(sink.malformed_count <= 1);
      const Verdict verdict = oracle(input, max_depth);
      if (verdict != Verdict::either) check((sink.malformed_count == 0) == (verdict == Verdict::valid));
    }
  }

  // JSON Lines, whole and split at a line start near the middle.
  CheckingSink whole(input);
  scan_json_lines(input, 0, size, 1, whole);
  const std::size_t nl = input.find('\n', size / 2);
  if (nl != std::string_view::npos) {
    const std::size_t cut = nl + 1;
    const auto cut_line =
        1 + static_cast<std::uint64_t>(std::count(input.begin(), input.begin() + cut, '\n'));
    CheckingSink split(input);
    scan_json_lines(input, 0, cut, 1, split);
    scan_json_lines(input, cut, size, cut_line, split);
    check(split.prints == whole.prints);
  }
  return 0;
}
