// The CSV reader: dialect sniffing, RFC 4180 scanning with its lenient corners, what gets reported
// as malformed, and the chunking support that lets a big file be scanned in pieces on several
// threads with exactly the records one pass gives.
#include "daemon/ingest/csv.h"
#include "tests/support/csv_reference.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace gdp::ingest;

namespace {

using Row = gdp::test::CsvRow;
using Problem = gdp::test::CsvProblem;

class Collect : public RecordSink {
 public:
  explicit Collect(std::string_view data = {}) : data_(data) {}

  // A batch that says it is padded must be: each value in the scanned data starts at least
  // kReadAhead bytes before the data's end, and each one elsewhere (in the batch's arena) is read
  // that far, which ASan checks. Then the rows one by one, as the default does.
  void records(const RecordBatch& batch) override {
    ++batches;
    if (batch.padded) {
      ++padded_batches;
      for (std::size_t c = 0; c < batch.columns; ++c) {
        for (std::size_t r = 0; r < batch.rows; ++r) {
          const std::string_view v = batch.values[c * batch.stride + r];
          if (v.empty()) continue;
          const auto at =
              reinterpret_cast<std::uintptr_t>(v.data()) - reinterpret_cast<std::uintptr_t>(data_.data());
          if (at < data_.size()) {
            if (at + RecordBatch::kReadAhead > data_.size()) {
              throw std::logic_error("a padded batch has a value " + std::to_string(data_.size() - at) +
                                     " bytes before the end of the data");
            }
          } else {
            std::array<char, RecordBatch::kReadAhead> copy{};
            std::memcpy(copy.data(), v.data(), copy.size());
            read_ahead_ += static_cast<unsigned char>(copy.back());
          }
        }
      }
    }
    RecordSink::records(batch);
  }

  void record(const RecordView& r) override {
    Row row{r.line, r.offset, {}};
    for (const auto& f : r.fields) {
      if (!f.name.empty() || f.kind != ValueKind::text) bad_field_ = true;
      row.values.emplace_back(f.value);
    }
    rows.push_back(std::move(row));
  }
  void malformed(Malformed m) override { problems.push_back({m.line, m.offset, std::move(m.reason)}); }

  std::vector<Row> rows;
  std::vector<Problem> problems;
  bool bad_field_ = false;
  std::size_t batches = 0;
  std::size_t padded_batches = 0;

 private:
  std::string_view data_;
  unsigned read_ahead_ = 0;  // what the reads above read, so that they are not optimised away
};

struct Parsed {
  CsvDialect dialect;
  std::vector<Row> rows;
  std::vector<Problem> problems;
};

// Sniffs the dialect from the whole text and scans it in one piece, as a small file would be.
Parsed parse(std::string_view text) {
  Parsed out;
  out.dialect = detect_csv_dialect(text, true);
  Collect sink(text);
  const auto stop =
      scan_csv(text, out.dialect.data_offset, text.size(), out.dialect.data_line, out.dialect, sink);
  CHECK(stop.offset == text.size());
  CHECK_FALSE(sink.bad_field_);
  out.rows = std::move(sink.rows);
  out.problems = std::move(sink.problems);
  return out;
}

std::vector<std::vector<std::string>> values_of(const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : rows) out.push_back(r.values);
  return out;
}

using Table = std::vector<std::vector<std::string>>;
using Names = std::vector<std::string>;

struct Pieces {
  std::vector<Row> rows;
  std::vector<Problem> problems;
  bool rescanned = false;  // a piece's start was not a real record start
};

// Scans `data` the way the snapshot builder does: cut at `cuts`, each cut moved to a record start
// by its quote parity, each piece scanned on its own; then, as csv.h describes, a piece whose
// predecessor really stopped elsewhere is scanned again from there.
Pieces scan_in_pieces(std::string_view data, const CsvDialect& dialect, std::vector<std::size_t> cuts) {
  const std::size_t first = dialect.data_offset;
  std::vector<std::size_t> starts{first};
  std::vector<std::uint64_t> lines{dialect.data_line};
  std::sort(cuts.begin(), cuts.end());
  for (auto cut : cuts) {
    cut = std::clamp(cut, first, data.size());
    const auto before = count_structure(data.substr(first, cut - first));
    const auto start = next_record_start(data, cut, before.quotes % 2 == 1);
    if (start <= starts.back() || start >= data.size()) continue;
    starts.push_back(start);
    lines.push_back(dialect.data_line + count_structure(data.substr(first, start - first)).newlines);
  }
  // Every piece first, as threads would...
  std::vector<Collect> sinks(starts.size());
  std::vector<ScanStop> stops(starts.size());
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const auto end = i + 1 < starts.size() ? starts[i + 1] : data.size();
    stops[i] = scan_csv(data, starts[i], end, lines[i], dialect, sinks[i]);
  }
  // ...then the merge, in order, checking each piece began where the previous one stopped.
  Pieces out;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    if (i > 0 && stops[i - 1].offset != starts[i]) {
      out.rescanned = true;
      const auto end = i + 1 < starts.size() ? starts[i + 1] : data.size();
      sinks[i] = Collect{};
      stops[i] = scan_csv(data, stops[i - 1].offset, end, stops[i - 1].line, dialect, sinks[i]);
    }
    out.rows.insert(out.rows.end(), sinks[i].rows.begin(), sinks[i].rows.end());
    out.problems.insert(out.problems.end(), sinks[i].problems.begin(), sinks[i].problems.end());
  }
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

// ---- csv-spectrum ------------------------------------------------------------------------------

TEST_CASE("every csv-spectrum file parses to exactly its JSON", "[csv]") {
  const std::filesystem::path root = std::filesystem::path(GDP_TEST_DATA) / "csv-spectrum";
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root / "csvs")) {
    const auto name = entry.path().stem().string();
    INFO(name);
    const auto csv = read_file(entry.path());
    const auto expected = boost::json::parse(read_file(root / "json" / (name + ".json"))).as_array();
    const auto got = parse(csv);
    CHECK(got.problems.empty());
    CHECK(got.dialect.delimiter == ',');
    REQUIRE(got.dialect.has_header);
    REQUIRE(got.rows.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto& object = expected[i].as_object();
      Names keys;
      Names values;
      for (const auto& kv : object) {
        keys.emplace_back(kv.key());
        values.emplace_back(kv.value().as_string());
      }
      CHECK(got.dialect.header == keys);
      CHECK(got.rows[i].values == values);
    }
    ++files;
  }
  CHECK(files == 11);
}

// ---- dialect -----------------------------------------------------------------------------------

TEST_CASE("each delimiter is detected and split on", "[csv]") {
  for (const char d : {',', ';', '|', '\t'}) {
    INFO("delimiter " << static_cast<int>(d));
    const std::string sep(1, d);
    const auto got = parse("name" + sep + "age" + sep + "city\nAnn" + sep + "31" + sep + "Oslo\nBob" + sep +
                           "42" + sep + "Rome\n");
    CHECK(got.dialect.delimiter == d);
    CHECK(got.dialect.header == Names{"name", "age", "city"});
    CHECK(values_of(got.rows) == Table{{"Ann", "31", "Oslo"}, {"Bob", "42", "Rome"}});
    CHECK(got.problems.empty());
  }
}

TEST_CASE("the delimiter is the one with a steady count outside quotes", "[csv]") {
  SECTION("commas inside values of a semicolon file") {
    const auto got = parse("price;label\n1,5;\"a;b\"\n2,25;c, d\n3,75;e\n");
    CHECK(got.dialect.delimiter == ';');
    CHECK(values_of(got.rows) == Table{{"1,5", "a;b"}, {"2,25", "c, d"}, {"3,75", "e"}});
  }
  SECTION("ties go to the comma, then tab, semicolon, pipe") {
    CHECK(detect_csv_dialect("x,y;z\n1,2;3\n", true).delimiter == ',');
    CHECK(detect_csv_dialect("x\ty;z\n1\t2;3\n", true).delimiter == '\t');
    CHECK(detect_csv_dialect("x|y;z\n1|2;3\n", true).delimiter == ';');
  }
  SECTION("no delimiter at all: comma and one column") {
    const auto got = parse("name\nAnn\nBob\n");
    CHECK(got.dialect.delimiter == ',');
    CHECK(got.dialect.header == Names{"name"});
    CHECK(values_of(got.rows) == Table{{"Ann"}, {"Bob"}});
  }
}

TEST_CASE("a header is a row of distinct text names over data that looks different", "[csv]") {
  SECTION("numbers in the first row: no header") {
    const auto got = parse("1,2,3\n4,5,6\n");
    CHECK_FALSE(got.dialect.has_header);
    CHECK(got.dialect.header == Names{"column_1", "column_2", "column_3"});
    CHECK(got.dialect.data_offset == 0);
    CHECK(got.dialect.data_line == 1);
    CHECK(got.rows == std::vector<Row>{{1, 0, {"1", "2", "3"}}, {2, 6, {"4", "5", "6"}}});
  }
  SECTION("text over numbers: a header") {
    const auto got = parse("id,name\n1,Ann\n2,Bob\n");
    CHECK(got.dialect.has_header);
    CHECK(got.dialect.header == Names{"id", "name"});
    CHECK(got.dialect.data_offset == 8);
    CHECK(got.dialect.data_line == 2);
    CHECK(got.rows.front() == Row{2, 8, {"1", "Ann"}});
  }
  SECTION("text over text: a header") {
    CHECK(detect_csv_dialect("name,city\nAnn,Oslo\nBob,Rome\n", true).has_header);
  }
  SECTION("a header row alone") {
    const auto d = detect_csv_dialect("name,city\n", true);
    CHECK(d.has_header);
    CHECK(d.header == Names{"name", "city"});
  }
  SECTION("dates, booleans, empty or repeated names in the first row: no header") {
    CHECK_FALSE(detect_csv_dialect("2024-01-01,x\n2024-01-02,y\n", true).has_header);
    CHECK_FALSE(detect_csv_dialect("31/01/2024 10:00,x\n01/02/2024 11:00,y\n", true).has_header);
    CHECK_FALSE(detect_csv_dialect("true,x\nfalse,y\n", true).has_header);
    CHECK_FALSE(detect_csv_dialect("a,,c\n1,2,3\n", true).has_header);
    CHECK_FALSE(detect_csv_dialect("a,a\n1,2\n", true).has_header);
  }
  SECTION("a column mixing text and numbers below a text row: the row is data") {
    const auto d = detect_csv_dialect("Ann,x7\nBob,12\nCid,y9\n", true);
    CHECK_FALSE(d.has_header);
    CHECK(d.header == Names{"column_1", "column_2"});
  }
  SECTION("names are trimmed; blank and repeated ones made unique") {
    const auto d = detect_csv_dialect(" id , ,id,column_2\n1,2,3,4\n", true);
    CHECK(d.has_header);
    CHECK(d.header == Names{"id", "column_2", "id_2", "column_2_2"});
  }
  SECTION("a header in a file with no newline at the end of the head is still found") {
    const auto d = detect_csv_dialect("id,name\n1,Ann\n2,B", false);
    CHECK(d.has_header);
    CHECK(d.header == Names{"id", "name"});
  }
}

TEST_CASE("a UTF-8 byte order mark is skipped", "[csv]") {
  const auto got = parse(
      "\xEF\xBB\xBF"
      "a,b\n1,2\n");
  CHECK(got.dialect.bom);
  CHECK(got.dialect.encoding == Encoding::utf8);
  CHECK(got.dialect.header == Names{"a", "b"});
  CHECK(got.dialect.data_offset == 7);
  CHECK(got.rows == std::vector<Row>{{2, 7, {"1", "2"}}});
}

TEST_CASE("Latin-1 is detected and converted to UTF-8", "[csv]") {
  SECTION("in data and header") {
    const auto got = parse("caf\xE9,city\nna\xEFve,Z\xFCrich\nplain,Oslo\n");
    CHECK(got.dialect.encoding == Encoding::latin1);
    CHECK(got.dialect.header == Names{"café", "city"});
    CHECK(values_of(got.rows) == Table{{"naïve", "Zürich"}, {"plain", "Oslo"}});
    CHECK(got.problems.empty());
  }
  SECTION("in a quoted field with a doubled quote") {
    const auto got = parse("a,b\n1,\"caf\xE9 \"\"noir\"\"\"\n");
    CHECK(values_of(got.rows) == Table{{"1", "café \"noir\""}});
  }
  SECTION("valid UTF-8, even cut at the end of the head, stays UTF-8") {
    CHECK(detect_csv_dialect("a,b\n1,caf\xC3\xA9\n", true).encoding == Encoding::utf8);
    CHECK(detect_csv_dialect("a,b\n1,caf\xC3", false).encoding == Encoding::utf8);
    CHECK(detect_csv_dialect("a,b\n1,caf\xC3", true).encoding == Encoding::latin1);
  }
}

TEST_CASE("looks_delimited tells delimited data from prose", "[csv]") {
  CHECK(looks_delimited("a,b,c\n1,2,3\n4,5,6\n", true));
  CHECK(looks_delimited("a\tb\n1\t2\n3\t4\n", true));
  CHECK(
      looks_delimited("\xEF\xBB\xBF"
                      "a|b\n1|2\n",
                      true));
  CHECK_FALSE(
      looks_delimited("Dear Ann,\nthe meeting is on Monday, at noon, in room 4.\nSee you there.\n"
                      "Regards, and thanks again,\nBob\n",
                      true));
  CHECK_FALSE(looks_delimited("just one line, with a comma\n", true));
  CHECK_FALSE(looks_delimited("", true));
}

// ---- scanning ----------------------------------------------------------------------------------

TEST_CASE("CRLF line ends are not data, a lone CR is", "[csv]") {
  const auto got = parse("a,b\r\n1,2\r\n3,x\ry\r\n4,\"q\r\n\"\r\n5,\r\n");
  CHECK(got.rows ==
        std::vector<Row>{
            {2, 5, {"1", "2"}}, {3, 10, {"3", "x\ry"}}, {4, 17, {"4", "q\r\n"}}, {6, 26, {"5", ""}}});
  CHECK(got.problems.empty());
}

TEST_CASE("blank lines are not records, wherever they are", "[csv]") {
  const auto got = parse("\n\na,b\n1,2\n\n\r\n3,4\n\n\r\n\n");
  CHECK(got.dialect.header == Names{"a", "b"});
  CHECK(got.rows == std::vector<Row>{{4, 6, {"1", "2"}}, {7, 13, {"3", "4"}}});
  CHECK(got.problems.empty());
  CHECK(parse("a,b\n1,2").rows.size() == 1);
  CHECK(parse("a,b\n1,2\r").rows == std::vector<Row>{{2, 4, {"1", "2"}}});
}

TEST_CASE("quoting is RFC 4180, with the usual lenient corners", "[csv]") {
  SECTION("delimiters, doubled quotes and newlines inside quotes") {
    const auto got = parse("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"\",\"\"\"\"\n");
    CHECK(values_of(got.rows) == Table{{"x,y", "say \"hi\""}, {"", "\""}});
  }
  SECTION("a quote inside an unquoted field is an ordinary character") {
    const auto got = parse("name,height\nBob,5'11\"\nAl,6'0\"\n");
    CHECK(values_of(got.rows) == Table{{"Bob", "5'11\""}, {"Al", "6'0\""}});
    CHECK(got.problems.empty());
  }
  SECTION("text after a closing quote is kept, and is no problem") {
    const auto got = parse("a,b\n\"ab\"c,d\n\"ab\"c\"d,e\",f\n");
    CHECK(values_of(got.rows) == Table{{"abc", "d"}, {"abcd,e", "f"}});
    CHECK(got.problems.empty());
  }
}

TEST_CASE("embedded newlines keep later line numbers and offsets right", "[csv]") {
  const std::string text = "a,b\n1,\"x\ny\r\nz\"\n2,w\n3,\"p\nq\"\n4,5\n";
  const auto got = parse(text);
  CHECK(got.rows ==
        std::vector<Row>{
            {2, 4, {"1", "x\ny\r\nz"}}, {5, 15, {"2", "w"}}, {6, 19, {"3", "p\nq"}}, {8, 27, {"4", "5"}}});
  CHECK(text.substr(27, 3) == "4,5");
}

TEST_CASE("a record with the wrong field count is reported, not emitted", "[csv]") {
  const auto got = parse("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n");
  CHECK(got.rows == std::vector<Row>{{2, 6, {"1", "2", "3"}}, {5, 24, {"10", "11", "12"}}});
  CHECK(got.problems ==
        std::vector<Problem>{{3, 12, "expected 3 fields, found 2"}, {4, 16, "expected 3 fields, found 4"}});

  SECTION("without a header the first record sets the count") {
    const auto no_header = parse("1,2\n3\n4,5\n");
    CHECK(no_header.problems == std::vector<Problem>{{2, 4, "expected 2 fields, found 1"}});
  }
  SECTION("one column") {
    const auto one = parse("name\nAnn\nBob,Cid\n");
    CHECK(one.dialect.delimiter == ',');
    CHECK(one.problems == std::vector<Problem>{{3, 9, "expected 1 field, found 2"}});
  }
}

TEST_CASE("a quote still open at the end of the data is reported", "[csv]") {
  SECTION("opened on the record's line") {
    const auto got = parse("a,b\n1,2\n3,\"open\n4,5\n");
    CHECK(got.rows == std::vector<Row>{{2, 4, {"1", "2"}}});
    CHECK(got.problems == std::vector<Problem>{{3, 8, "unterminated quote starting at line 3"}});
  }
  SECTION("opened on a later line of a multi-line record") {
    const auto got = parse("a,b\n\"x\ny\",\"never\nclosed\n");
    CHECK(got.rows.empty());
    CHECK(got.problems == std::vector<Problem>{{2, 4, "unterminated quote starting at line 3"}});
  }
}

TEST_CASE("invalid UTF-8 in a UTF-8 file is reported with its byte offset", "[csv]") {
  // The BOM makes the file UTF-8 whatever follows (without it, this head would read as Latin-1).
  const std::string text =
      "\xEF\xBB\xBF"
      "a,b\n1,\xC3\xA9\n2,x\xFFy\n3,\"\xE2\x82\n\"\n4,\xE2\x82\xAC\n";
  const auto got = parse(text);
  CHECK(got.dialect.encoding == Encoding::utf8);
  CHECK(got.rows == std::vector<Row>{{2, 7, {"1", "é"}}, {6, 26, {"4", "€"}}});
  CHECK(got.problems == std::vector<Problem>{{3, 12, "invalid UTF-8 at byte offset 15"},
                                             {4, 18, "invalid UTF-8 at byte offset 21"}});
}

TEST_CASE("scan_csv reads only the records starting in its range, offsets shifted by base_offset", "[csv]") {
  const std::string text = "a,b\n1,\"x\ny\"\n2,3\n4,5\n";
  const auto d = detect_csv_dialect(text, true);
  Collect sink;
  // [4, 13) holds the starts of the first two data records; the second runs on to 16.
  const auto stop = scan_csv(text, 4, 13, 2, d, sink, 1000);
  CHECK(sink.rows == std::vector<Row>{{2, 1004, {"1", "x\ny"}}, {4, 1012, {"2", "3"}}});
  CHECK(stop.offset == 16);
  CHECK(stop.line == 5);
  // Nothing starts in an empty range.
  Collect none;
  const auto same = scan_csv(text, 16, 16, 5, d, none);
  CHECK(none.rows.empty());
  CHECK(same.offset == 16);
  CHECK(same.line == 5);
}

TEST_CASE("long records and fields cross the scanner's 64-byte blocks intact", "[csv]") {
  std::string text = "a,b,c\n";
  Table expected;
  for (std::size_t len : {0U, 1U, 63U, 64U, 65U, 127U, 128U, 200U, 1000U}) {
    const std::string plain(len, 'p');
    std::string quoted(len, 'q');
    if (len > 3) quoted[len / 2] = '\n';
    std::string high;
    for (std::size_t i = 0; i < len; ++i) high += "\xC3\xA9";
    text += plain + ",\"" + quoted + "\"," + high + "\n";
    expected.push_back({plain, quoted, high});
  }
  const auto got = parse(text);
  CHECK(got.problems.empty());
  CHECK(values_of(got.rows) == expected);
}

TEST_CASE("rebuilt and converted fields outgrow a batch's arena and stay intact", "[csv]") {
  // Doubled quotes and Latin-1 make fields that live outside the data; a batch copies them into an
  // arena of 64 KiB and hands the batch over early when they would not fit. 3,000 rows of ~250
  // such bytes each fill it many times over, at every place in a batch.
  std::string text = "id,quoted,latin\n";
  Table expected;
  for (std::size_t r = 0; r < 3000; ++r) {
    const std::size_t len = 50 + r % 200;
    std::string raw(len, 'x');
    raw[r % len] = '"';
    std::string escaped;
    for (const char c : raw) escaped += c == '"' ? std::string("\"\"") : std::string(1, c);
    text += std::to_string(r) + ",\"" + escaped + "\"," + std::string(len, '\xE9') + "\n";
    std::string utf8;
    for (std::size_t i = 0; i < len; ++i) utf8 += "\xC3\xA9";
    expected.push_back({std::to_string(r), raw, utf8});
  }
  const auto got = parse(text);
  CHECK(got.problems.empty());
  CHECK(values_of(got.rows) == expected);
}

// ---- chunking ----------------------------------------------------------------------------------

TEST_CASE("count_structure counts quotes and newlines", "[csv]") {
  CHECK(count_structure("").quotes == 0);
  const auto small = count_structure("a,\"b\"\n\"\"\n");
  CHECK(small.quotes == 4);
  CHECK(small.newlines == 2);
  // Long enough for the vector counters to be emptied several times, with an odd tail.
  std::string big;
  for (int i = 0; i < 5000; ++i) big += "x\"\n\"\n\n,";
  big += "\"\n\"";
  const auto counts = count_structure(big);
  CHECK(counts.quotes == 10002);
  CHECK(counts.newlines == 15001);
}

TEST_CASE("next_record_start finds the next record start from a quote parity", "[csv]") {
  const std::string text = "a,b\n1,\"x\ny\"\n2,3\n";
  CHECK(next_record_start(text, 0, false) == 0);
  CHECK(next_record_start(text, 4, false) == 4);
  CHECK(next_record_start(text, 2, false) == 4);
  CHECK(next_record_start(text, 8, true) == 12);   // inside the quoted field
  CHECK(next_record_start(text, 10, true) == 12);  // at the closing quote
  CHECK(next_record_start(text, 13, false) == 16);
  CHECK(next_record_start(text, 16, false) == 16);
  CHECK(next_record_start(text, 99, false) == 16);
  // Quotes and newlines across many blocks.
  std::string long_quoted = "\"";
  for (int i = 0; i < 50; ++i) long_quoted += "line\n \"\" ,";
  long_quoted += "\"\nnext\n";
  CHECK(next_record_start(long_quoted, 1, true) == long_quoted.size() - 5);
  CHECK(next_record_start(long_quoted, 300, true) == long_quoted.size() - 5);
}

TEST_CASE("pieces misled by a literal quote are put right by rescanning from the real stop", "[csv]") {
  // Each literal quote flips the parity, so cuts land on newlines inside the quoted fields.
  std::string text = "name,height\n";
  for (int i = 0; i < 20; ++i) {
    text += "p" + std::to_string(i) + (i % 2 == 0 ? ",5'1" + std::to_string(i % 10) + "\"\n" : ",\"x\ny\"\n");
  }
  const auto d = detect_csv_dialect(text, true);
  const auto whole = parse(text);
  REQUIRE(whole.rows.size() == 20);
  bool any_rescan = false;
  for (std::size_t cut = 0; cut < text.size(); cut += 7) {
    const auto pieces = scan_in_pieces(text, d, {cut, cut + 40, cut + 90});
    CHECK(pieces.rows == whole.rows);
    CHECK(pieces.problems == whole.problems);
    any_rescan = any_rescan || pieces.rescanned;
  }
  CHECK(any_rescan);
}

namespace {

struct GeneratedCsv {
  std::string text;
  CsvDialect dialect;
  std::vector<Row> rows;
};

// An RFC 4180 file: a header, rows whose values hold delimiters, quotes, LF and CRLF and UTF-8
// (quoted when they must be, and sometimes when they need not be), LF or CRLF line ends, blank
// lines here and there, with or without a final line end.
rc::Gen<GeneratedCsv> generated_csv(std::size_t min_columns = 1, std::size_t min_rows = 0) {
  return rc::gen::exec([=] {
    const char delim = *rc::gen::element(',', ';', '\t', '|');
    const std::string eol = *rc::gen::element(std::string("\n"), std::string("\r\n"));
    const auto columns = *rc::gen::inRange<std::size_t>(min_columns, 6);
    const auto count = *rc::gen::inRange<std::size_t>(min_rows, 25);
    const std::string d(1, delim);
    const auto piece =
        rc::gen::element<std::string>("a", "b", "7", " ", "\xC3\xA9", "\"", "\n", "\r\n", d, "xyz", "\"\"");
    GeneratedCsv out;
    std::uint64_t line = 1;
    for (std::size_t c = 0; c < columns; ++c) {
      out.dialect.header.push_back("h" + std::to_string(c));
      out.text += (c > 0 ? d : "") + out.dialect.header.back();
    }
    out.text += eol;
    ++line;
    out.dialect.delimiter = delim;
    out.dialect.data_offset = out.text.size();
    out.dialect.data_line = line;
    for (std::size_t r = 0; r < count; ++r) {
      if (*rc::gen::inRange(0, 8) == 0) {
        out.text += eol;
        ++line;
      }
      Row row{line, out.text.size(), {}};
      for (std::size_t c = 0; c < columns; ++c) {
        std::string value;
        for (const auto& p :
             *rc::gen::container<std::vector<std::string>>(*rc::gen::inRange<std::size_t>(0, 5), piece))
          value += p;
        const bool must_quote =
            value.find_first_of("\"\r\n" + d) != std::string::npos || (columns == 1 && value.empty());
        if (c > 0) out.text += d;
        if (must_quote || *rc::gen::inRange(0, 4) == 0) {
          out.text += '"';
          for (const char ch : value) out.text += ch == '"' ? std::string("\"\"") : std::string(1, ch);
          out.text += '"';
        } else {
          out.text += value;
        }
        line += static_cast<std::uint64_t>(std::count(value.begin(), value.end(), '\n'));
        row.values.push_back(value);
      }
      out.rows.push_back(std::move(row));
      if (r + 1 < count || *rc::gen::arbitrary<bool>()) {
        out.text += eol;
        ++line;
      }
    }
    return out;
  });
}

}  // namespace

namespace {

CsvDialect plain_dialect(char delim, std::size_t columns) {
  CsvDialect dialect;
  dialect.delimiter = delim;
  dialect.has_header = false;
  for (std::size_t c = 1; c <= columns; ++c) dialect.header.push_back("column_" + std::to_string(c));
  return dialect;
}

// Scans all of `text` in one piece and compares with the reference.
void check_against_reference(std::string_view text, char delim, std::size_t columns) {
  Collect sink(text);
  const auto stop = scan_csv(text, 0, text.size(), 1, plain_dialect(delim, columns), sink);
  const auto want = gdp::test::csv_reference_scan(text, delim, columns);
  RC_ASSERT(stop.offset == text.size());
  RC_ASSERT(sink.rows == want.rows);
  RC_ASSERT(sink.problems == want.problems);
}

}  // namespace

TEST_CASE("batches may be read past their values' ends, except at the end of the data", "[csv]") {
  // 3,000 rows of three short fields make three batches of 4,096 values; the last one's last
  // values are within 16 bytes of the end of the data. Collect checks what a padded batch claims.
  std::string text;
  for (std::size_t r = 0; r < 3000; ++r) text += std::to_string(r % 7) + ",ab," + std::to_string(r) + "\n";
  Collect sink(text);
  scan_csv(text, 0, text.size(), 1, plain_dialect(',', 3), sink);
  CHECK(sink.rows.size() == 3000);
  CHECK(sink.batches == 3);
  CHECK(sink.padded_batches == 2);
}

TEST_CASE("quotes, delimiters, CRLFs and high bytes at every place around the 64-byte blocks", "[csv]") {
  // Each construct slides over the block edges at 64 and 128 behind a growing first field.
  const std::vector<std::string> constructs = {
      "\"a,b\",c\r\n",                    // a quoted delimiter, CRLF
      "\"x\"\"y\",\"\"\n",                // a doubled quote, an empty quoted field
      "\xC3\xA9,\"\xC3\xA9\"\"\",z\r\n",  // high bytes, quoted and not
      "a\"b,c\n",                         // a literal quote in an unquoted field
      "\"q\nq\",r\n",                     // a quoted newline
      "\"open\"tail,s\r\n",               // text after a closing quote
      "\r\n",                             // a blank line
      "\"last\"",                         // the last record, quoted, with no line end
      "last\r",                           // ... or with a CR and no LF
  };
  for (const auto& construct : constructs) {
    for (std::size_t len = 0; len <= 140; ++len) {
      for (const std::string& then : {std::string(), std::string("k,\"l\"\n")}) {
        const std::string text = std::string(len, 'p') + "," + construct + then;
        for (const std::size_t columns : {std::size_t{0}, std::size_t{2}}) {
          CAPTURE(construct, len, then, columns);
          Collect sink(text);
          const auto stop = scan_csv(text, 0, text.size(), 1, plain_dialect(',', columns), sink);
          const auto want = gdp::test::csv_reference_scan(text, ',', columns);
          CHECK(stop.offset == text.size());
          CHECK(sink.rows == want.rows);
          CHECK(sink.problems == want.problems);
        }
      }
    }
  }
}

namespace {

// Long runs of plain records (no quote, no high byte: the scanner's bulk path takes those whole
// blocks at a time) with now and then a record it must leave to the general path: a blank line, a
// field too many or too few, a quoted field, a high byte, a lone CR, a CRLF; and sometimes no
// final line end. Hundreds of rows, so the runs cross many of the bulk path's groups of blocks.
struct PlainCsv {
  std::string text;
  char delim = ',';
  std::size_t columns = 0;
};

rc::Gen<PlainCsv> mostly_plain_csv() {
  return rc::gen::exec([] {
    PlainCsv out;
    out.delim = *rc::gen::element(',', ';', '\t', '|');
    out.columns = *rc::gen::inRange<std::size_t>(2, 9);
    const auto count = *rc::gen::inRange<std::size_t>(0, 400);
    const auto odd_one_in = *rc::gen::element(5, 40, 1000);
    const std::string d(1, out.delim);
    const auto plain = rc::gen::container<std::string>(rc::gen::element('a', 'Z', '0', '9', ' ', '.', '-'));
    for (std::size_t r = 0; r < count; ++r) {
      const bool odd = *rc::gen::inRange(0, odd_one_in) == 0;
      const int kind = odd ? *rc::gen::inRange(0, 8) : -1;
      if (kind == 0) out.text += *rc::gen::element<std::string>("\n", "\r\n");  // a blank line
      std::size_t fields = out.columns;
      if (kind == 1) fields += 1;
      if (kind == 2) fields -= 1;
      const auto odd_field = *rc::gen::inRange<std::size_t>(0, fields);
      for (std::size_t c = 0; c < fields; ++c) {
        if (c > 0) out.text += d;
        std::string value = *rc::gen::resize(12, plain);
        if (c == odd_field && kind == 3) value = "\"q" + d + "\"\"q\"";
        if (c == odd_field && kind == 4) value += "\xC3\xA9";
        if (c == odd_field && kind == 5) value += "\rx";
        out.text += value;
      }
      if (r + 1 < count || *rc::gen::arbitrary<bool>()) out.text += kind == 6 ? "\r\n" : "\n";
    }
    return out;
  });
}

}  // namespace

TEST_CASE("scanning agrees with a byte-at-a-time reading of the rules", "[csv][property]") {
  // Pieces that make quoting of every kind, CRLFs and lone CRs, and runs long enough to put all of
  // them on both sides of the scanner's 64-byte block edges.
  const auto piece = rc::gen::element<std::string>("a", ",", ",", "\"", "\"\"", "\n", "\r\n", "\r", " ", ";",
                                                   "bcdefghijklmnopqrstu", "\xC3\xA9");
  rc::prop("any text, the field count from the first record", [&] {
    const auto parts = *rc::gen::container<std::vector<std::string>>(piece);
    std::string text;
    for (const auto& p : parts) text += p;
    check_against_reference(text, ',', 0);
  });
  rc::prop("mostly well-formed quoting, a fixed field count", [] {
    const auto csv = *generated_csv();
    check_against_reference(csv.text.substr(csv.dialect.data_offset), csv.dialect.delimiter,
                            csv.dialect.header.size());
  });
  rc::prop("long runs of plain records, and records that break the run", [] {
    const auto csv = *mostly_plain_csv();
    check_against_reference(csv.text, csv.delim, csv.columns);
  });
  rc::prop("any text, a fixed field count", [&] {
    const auto columns = *rc::gen::inRange<std::size_t>(1, 5);
    const auto parts = *rc::gen::container<std::vector<std::string>>(piece);
    std::string text;
    for (const auto& p : parts) text += p;
    check_against_reference(text, ',', columns);
  });
}

TEST_CASE("scanning in pieces gives exactly the records of one scan", "[csv][property]") {
  rc::prop("RFC 4180 data cut anywhere", [] {
    const auto csv = *generated_csv();
    Collect whole(csv.text);
    const auto stop = scan_csv(csv.text, csv.dialect.data_offset, csv.text.size(), csv.dialect.data_line,
                               csv.dialect, whole);
    RC_ASSERT(stop.offset == csv.text.size());
    RC_ASSERT(whole.problems.empty());
    RC_ASSERT(whole.rows == csv.rows);

    const auto cuts = *rc::gen::container<std::vector<std::size_t>>(
        *rc::gen::inRange<std::size_t>(1, 6), rc::gen::inRange<std::size_t>(0, csv.text.size() + 1));
    const auto pieces = scan_in_pieces(csv.text, csv.dialect, cuts);
    RC_ASSERT(!pieces.rescanned);  // for RFC 4180 data quote parity is exact
    RC_ASSERT(pieces.rows == whole.rows);
    RC_ASSERT(pieces.problems == whole.problems);
  });

  rc::prop("long runs of plain records cut anywhere", [] {
    const auto csv = *mostly_plain_csv();
    const auto dialect = plain_dialect(csv.delim, csv.columns);
    Collect whole(csv.text);
    scan_csv(csv.text, 0, csv.text.size(), 1, dialect, whole);
    const auto cuts = *rc::gen::container<std::vector<std::size_t>>(
        *rc::gen::inRange<std::size_t>(1, 6), rc::gen::inRange<std::size_t>(0, csv.text.size() + 1));
    const auto pieces = scan_in_pieces(csv.text, dialect, cuts);
    RC_ASSERT(!pieces.rescanned);  // each piece stops exactly where the next one starts
    RC_ASSERT(pieces.rows == whole.rows);
    RC_ASSERT(pieces.problems == whole.problems);
  });

  rc::prop("any bytes, even with literal quotes, cut anywhere", [] {
    const auto text = *rc::gen::container<std::string>(
        rc::gen::element('a', ',', ',', '"', '"', '\n', '\n', '\r', ' ', '\xE9'));
    const auto dialect = detect_csv_dialect(text, true);
    Collect whole(text);
    scan_csv(text, dialect.data_offset, text.size(), dialect.data_line, dialect, whole);
    const auto cuts = *rc::gen::container<std::vector<std::size_t>>(
        *rc::gen::inRange<std::size_t>(1, 6), rc::gen::inRange<std::size_t>(0, text.size() + 1));
    const auto pieces = scan_in_pieces(text, dialect, cuts);
    RC_ASSERT(pieces.rows == whole.rows);
    RC_ASSERT(pieces.problems == whole.problems);
  });
}

TEST_CASE("detection recovers the dialect of generated files", "[csv][property]") {
  rc::prop("delimiter and header names", [] {
    const auto csv = *generated_csv(2, 1);
    const auto d = detect_csv_dialect(csv.text, true);
    // Values may hold other delimiters inside quotes, never outside: the real one is steady.
    RC_ASSERT(d.delimiter == csv.dialect.delimiter);
    if (d.has_header) {
      RC_ASSERT(d.header == csv.dialect.header);
      RC_ASSERT(d.data_offset == csv.dialect.data_offset);
    }
  });
}
