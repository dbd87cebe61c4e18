// libFuzzer target for the CSV reader. Any bytes are sniffed for a dialect and scanned twice: in
// one piece, and in two pieces cut at a fuzzer-chosen point the way the snapshot builder cuts a
// file (quote parity from count_structure, next_record_start, and the rescan from the real stop
// that csv.h prescribes). Both must give the same records and the same problems, and every record
// must keep the reader's promises; any violation aborts. Where the bytes are all ASCII, the one
// piece must also give what the byte-at-a-time reference reader gives (tests/support), which holds
// the scanner's block-at-a-time paths, the bulk path among them, to the rules themselves.
#include "common/utf8.h"
#include "daemon/ingest/csv.h"
#include "tests/support/csv_reference.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

using namespace gdp::ingest;

struct Item {
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  std::vector<std::string> values;  // or the reason, for a problem
  bool operator==(const Item&) const = default;
};

class Collect : public RecordSink {
 public:
  explicit Collect(std::size_t columns) : columns_(columns) {}

  void record(const RecordView& r) override {
    require(columns_ == 0 || r.fields.size() == columns_);
    Item item{r.line, r.offset, {}};
    for (const auto& f : r.fields) {
      require(f.name.empty() && f.kind == ValueKind::text);
      require(gdp::utf8::valid(f.value));
      item.values.emplace_back(f.value);
    }
    records.push_back(std::move(item));
  }

  void malformed(Malformed m) override {
    require(!m.reason.empty());
    problems.push_back({m.line, m.offset, {std::move(m.reason)}});
  }

  std::vector<Item> records;
  std::vector<Item> problems;

 private:
  std::size_t columns_;
};

// Records and problems start where a line starts, in order, on the line their offset says.
void check_positions(std::string_view text, const std::vector<Item>& items, const CsvDialect& d) {
  std::uint64_t last = 0;
  bool first = true;
  for (const auto& item : items) {
    require(item.offset >= d.data_offset && item.offset < text.size());
    require(first || item.offset > last);
    require(item.offset == d.data_offset || text[item.offset - 1] == '\n');
    const auto before = count_structure(text.substr(0, item.offset));
    require(item.line == 1 + before.newlines);
    last = item.offset;
    first = false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the cut; the rest is the file.
  const std::size_t choice = static_cast<std::size_t>(data[0]) | static_cast<std::size_t>(data[1]) << 8;
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);

  const auto d = detect_csv_dialect(text, true);
  require(d.delimiter == ',' || d.delimiter == ';' || d.delimiter == '|' || d.delimiter == '\t');
  require(d.data_offset <= text.size() && d.data_line >= 1);
  require(d.bom == text.starts_with("\xEF\xBB\xBF"));
  for (const auto& name : d.header) require(!name.empty() && gdp::utf8::valid(name));
  // A head cut short must be handled too (the answer may differ, but never crash).
  (void)detect_csv_dialect(text.substr(0, text.size() / 2), false);
  (void)looks_delimited(text, true);

  // One piece.
  Collect whole(d.header.size());
  const auto stop = scan_csv(text, d.data_offset, text.size(), d.data_line, d, whole);
  require(stop.offset == text.size());
  require(stop.line == 1 + count_structure(text).newlines);
  check_positions(text, whole.records, d);
  check_positions(text, whole.problems, d);
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    const auto want =
        gdp::test::csv_reference_scan(text, d.delimiter, d.header.size(), d.data_offset, d.data_line);
    require(whole.records.size() == want.rows.size());
    for (std::size_t i = 0; i < want.rows.size(); ++i) {
      const Item expected{want.rows[i].line, want.rows[i].offset, want.rows[i].values};
      require(whole.records[i] == expected);
    }
    require(whole.problems.size() == want.problems.size());
    for (std::size_t i = 0; i < want.problems.size(); ++i) {
      const Item expected{want.problems[i].line, want.problems[i].offset, {want.problems[i].reason}};
      require(whole.problems[i] == expected);
    }
  }

  // Two pieces.
  const std::size_t first = d.data_offset;
  const std::size_t cut = first + choice % (text.size() - first + 1);
  const auto before = count_structure(text.substr(first, cut - first));
  const std::size_t start = next_record_start(text, cut, before.quotes % 2 == 1);
  require(start >= cut && start <= text.size());
  require(start == text.size() || start == 0 || text[start - 1] == '\n');
  const std::uint64_t start_line = d.data_line + count_structure(text.substr(first, start - first)).newlines;

  Collect head(d.header.size());
  Collect tail(d.header.size());
  const auto head_stop = scan_csv(text, first, start, d.data_line, d, head);
  require(head_stop.offset >= start);
  require(head_stop.line == 1 + count_structure(text.substr(0, head_stop.offset)).newlines);
  ScanStop tail_stop;
  if (head_stop.offset == start) {
    tail_stop = scan_csv(text, start, text.size(), start_line, d, tail);
  } else {
    // Only a literal quote in an unquoted field can mislead the parity.
    require(text.find('"') != std::string_view::npos);
    tail_stop = scan_csv(text, head_stop.offset, text.size(), head_stop.line, d, tail);
  }
  require(tail_stop.offset == text.size());

  std::vector<Item> records = head.records;
  records.insert(records.end(), tail.records.begin(), tail.records.end());
  std::vector<Item> problems = head.problems;
  problems.insert(problems.end(), tail.problems.begin(), tail.problems.end());
  require(records == whole.records);
  require(problems == whole.problems);
  return 0;
}
