// The seed's Properties 1, 2 and 3 over generated files: every valid CSV, JSON or text file is
// read; every unsupported one is refused with the supported formats listed; every snapshot holds
// exactly min(100, rows) distinct rows in file order, the same ones for the same seed.
#include "common/errors.h"
#include "daemon/ingest/snapshot.h"
#include "tests/support/test_support.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <fstream>
#include <set>

using namespace gdp;
namespace json = boost::json;

namespace {

struct Dataset {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // rows[i][0] is the unique id
};

// Values people really have: numbers, words with spaces, quotes, delimiters and newlines inside,
// accented letters, empty cells.
rc::Gen<std::string> cell_gen() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::inRange(-100000, 100000), [](int v) { return std::to_string(v); }),
      rc::gen::element<std::string>("alpha", "beta gamma", "Zoë", "café au lait", "naïve", "", "N/A"),
      rc::gen::element<std::string>("a,b", "say \"hi\"", "two\nlines", "semi;colon", "pipe|bar", "tab\there"),
      rc::gen::element<std::string>("2026-01-31", "3.25", "true", "007"));
}

rc::Gen<Dataset> dataset_gen(int min_rows, int max_rows) {
  return rc::gen::exec([=] {
    Dataset d;
    const auto ncols = *rc::gen::inRange(1, 7);
    d.columns.push_back("id");
    for (int c = 1; c < ncols; ++c) d.columns.push_back("col_" + std::to_string(c));
    // Row counts cluster around 100, where Property 3 changes behaviour.
    const auto nrows = *rc::gen::oneOf(rc::gen::inRange(min_rows, max_rows + 1), rc::gen::inRange(95, 106));
    for (int r = 0; r < nrows; ++r) {
      std::vector<std::string> row{std::to_string(r + 1)};
      for (int c = 1; c < ncols; ++c) row.push_back(*cell_gen());
      d.rows.push_back(std::move(row));
    }
    return d;
  });
}

std::string to_latin1(const std::string& utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c == 0xC3 && i + 1 < utf8.size()) {
      out += static_cast<char>(0xC0 | (static_cast<unsigned char>(utf8[++i]) & 0x3F));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

struct CsvStyle {
  char delimiter;
  bool crlf;
  bool bom;
  bool latin1;
  bool quote_all;
};

std::string write_csv(const Dataset& d, const CsvStyle& style) {
  const std::string eol = style.crlf ? "\r\n" : "\n";
  auto field = [&](const std::string& v) {
    const bool needs =
        style.quote_all || v.find_first_of(std::string("\"\r\n") + style.delimiter) != std::string::npos;
    if (!needs) return v;
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string out = style.bom ? "\xEF\xBB\xBF" : "";
  for (std::size_t c = 0; c < d.columns.size(); ++c)
    out += (c ? std::string(1, style.delimiter) : "") + field(d.columns[c]);
  out += eol;
  for (const auto& row : d.rows) {
    for (std::size_t c = 0; c < row.size(); ++c)
      out += (c ? std::string(1, style.delimiter) : "") + field(row[c]);
    out += eol;
  }
  return style.latin1 ? to_latin1(out) : out;
}

std::string write_json(const Dataset& d, int layout) {
  std::string out;
  std::vector<std::string> objects;
  for (const auto& row : d.rows) {
    json::object o;
    for (std::size_t c = 0; c < row.size(); ++c)
      o[d.columns[c]] = c == 0 ? json::value(std::stoll(row[c])) : json::value(row[c]);
    objects.push_back(json::serialize(o));
  }
  if (layout == 0) {  // JSON Lines
    for (const auto& o : objects) out += o + "\n";
    return out;
  }
  std::string array = "[";
  for (std::size_t i = 0; i < objects.size(); ++i) array += (i ? ",\n" : "\n") + objects[i];
  array += "\n]";
  return layout == 1 ? array : "{\"meta\": {\"source\": \"test\"}, \"records\": " + array + "}";
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

ingest::SnapshotOptions options_with_seed(std::int64_t seed) {
  ingest::SnapshotOptions o;
  o.seed = seed;
  o.threads = 2;
  o.block_bytes = 4096;  // small blocks, so generated files really are split across threads
  return o;
}

std::vector<std::int64_t> sampled_ids(const proto::DataSnapshot& s) {
  std::vector<std::int64_t> ids;
  for (const auto& row : s.rows) ids.push_back(row.at("id").as_int64());
  return ids;
}

}  // namespace

TEST_CASE("Property 1: every valid CSV, JSON or text file is read", "[property][Property 1]") {
  test::TempDir dir;
  rc::prop("Supported File Format Parsing", [&] {
    const auto d = *dataset_gen(1, 250);
    const auto kind = *rc::gen::inRange(0, 3);
    const auto path = dir / ("data." + std::string(kind == 0 ? "csv" : kind == 1 ? "json" : "txt"));
    std::uint64_t expected_rows = d.rows.size();
    proto::FileFormat expected_format{};
    if (kind == 0) {
      CsvStyle style{*rc::gen::element(',', ';', '|', '\t'), *rc::gen::arbitrary<bool>(),
                     *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>()};
      if (style.latin1) style.bom = false;  // a BOM says UTF-8
      write_file(path, write_csv(d, style));
      expected_format = proto::FileFormat::csv;
    } else if (kind == 1) {
      write_file(path, write_json(d, *rc::gen::inRange(0, 3)));
      expected_format = proto::FileFormat::json;
    } else {
      std::string text;
      for (const auto& row : d.rows)
        text += "line " + row[0] + ": " + row.back().substr(0, row.back().find('\n')) + "\n";
      write_file(path, text);
      expected_format = proto::FileFormat::text;
    }
    const auto snap = ingest::build_snapshot(path, options_with_seed(*rc::gen::inRange(0, 1 << 30)));
    RC_ASSERT(snap.file_format == expected_format);
    RC_ASSERT(static_cast<std::uint64_t>(snap.total_rows) == expected_rows);
    RC_ASSERT(snap.malformed_records == 0);
    if (kind != 2) {
      RC_ASSERT(snap.columns.size() == d.columns.size());
      for (std::size_t c = 0; c < d.columns.size(); ++c) RC_ASSERT(snap.columns[c].name == d.columns[c]);
    }
  });
}

TEST_CASE("Property 2: every unsupported file is refused naming CSV, JSON, TXT", "[property][Property 2]") {
  test::TempDir dir;
  rc::prop("Unsupported Format Error Handling", [&] {
    const auto kind = *rc::gen::inRange(0, 6);
    const auto noise = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
    std::string path = dir / "upload.csv";
    switch (kind) {
      case 0:
        write_file(path, std::string("\x89PNG\r\n\x1a\n", 8) + noise);
        break;
      case 1:
        write_file(path, std::string("PK\x03\x04", 4) + noise);
        break;  // also .xlsx
      case 2:
        write_file(path, "%PDF-1.7\n" + noise);
        break;
      case 3:
        write_file(path, std::string("\x1f\x8b\x08\x00", 4) + noise);
        break;
      case 4:
        write_file(path, "col\n" + std::string(1, '\0') + noise + std::string(4, '\0'));
        break;
      default:
        path = dir / ("missing-" + std::to_string(*rc::gen::inRange(0, 1000000)) + ".csv");
        if (*rc::gen::arbitrary<bool>()) mkdir(path.c_str(), 0700);
        break;
    }
    try {
      ingest::build_snapshot(path, options_with_seed(1));
      RC_FAIL("an unsupported input was accepted");
    } catch (const RpcError& e) {
      RC_ASSERT(std::string(e.what()).find("CSV, JSON, TXT") != std::string::npos);
    }
  });
}

TEST_CASE("Property 3: exactly min(100, rows) distinct rows, in file order, fixed by the seed",
          "[property][Property 3]") {
  test::TempDir dir;
  rc::prop("Data Snapshot Size Consistency", [&] {
    const auto d = *dataset_gen(1, 400);
    const auto path = dir / "rows.csv";
    write_file(path, write_csv(d, {',', false, false, false, false}));
    const auto seed = *rc::gen::inRange(0, 1 << 30);
    const auto snap = ingest::build_snapshot(path, options_with_seed(seed));
    const auto expected = std::min<std::size_t>(100, d.rows.size());
    RC_ASSERT(static_cast<std::size_t>(snap.sample_size) == expected);
    RC_ASSERT(snap.rows.size() == expected);
    const auto ids = sampled_ids(snap);
    RC_ASSERT(std::is_sorted(ids.begin(), ids.end()));
    RC_ASSERT(std::set<std::int64_t>(ids.begin(), ids.end()).size() == ids.size());
    RC_ASSERT(ids.front() >= 1 && ids.back() <= static_cast<std::int64_t>(d.rows.size()));
    // The same seed gives the same rows, whatever the threading.
    auto one_thread = options_with_seed(seed);
    one_thread.threads = 1;
    one_thread.block_bytes = std::size_t{1} << 20;
    RC_ASSERT(sampled_ids(ingest::build_snapshot(path, one_thread)) == ids);
  });
}
