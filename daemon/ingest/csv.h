// The CSV reader: sniffs a file's dialect (delimiter, header, encoding) from its first bytes, and
// scans byte ranges of it as a push parser (record.h) fast enough for a 1 GB file to be read on a
// couple of cores within the snapshot's time budget.
//
// Reading follows RFC 4180, leniently: a quote in the middle of an unquoted field is a literal
// character, text after a closing quote is appended to the field, a lone CR inside a field is kept,
// and blank lines are not records. What cannot be read (a wrong field count, a quote left open at
// the end of the data, invalid UTF-8) is reported to the sink as malformed, never dropped silently.
//
// Scanning a big file on several threads (see snapshot.h) works like this: cut the data after
// `data_offset` anywhere, find each cut's quote parity from count_structure over the bytes between
// `data_offset` and the cut, move each cut to next_record_start(), and take line numbers from the
// '\n' counts. Each piece can then be scanned on its own with its own sink. For RFC 4180 data the
// parity is exact and the pieces give exactly the records one pass gives. A literal quote inside an
// unquoted field (5'11") throws the parity off; scan_csv returns where it really stopped, so when a
// piece's stop is not the next piece's start, the next piece's sink is discarded and that piece is
// scanned again from the stop (and so on down the line), which again gives the one-pass result.
#pragma once

#include "daemon/ingest/record.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::ingest {

enum class Encoding { utf8, latin1 };

struct CsvDialect {
  char delimiter = ',';  // one of , ; | \t
  bool has_header = true;
  Encoding encoding = Encoding::utf8;
  bool bom = false;                 // a UTF-8 BOM was present (and is skipped)
  std::vector<std::string> header;  // UTF-8 column names; "column_1", "column_2"... when no header row
  std::uint64_t data_offset = 0;    // byte offset of the first data record (after BOM and header)
  std::uint64_t data_line = 1;      // its 1-based physical line number
};

// Sniffs the dialect from the first bytes of a file (up to 1 MiB; `whole_file` says whether that
// is everything). Never throws on odd input; returns its best guess. `header` is empty only when
// the head holds no record at all.
CsvDialect detect_csv_dialect(std::string_view head, bool whole_file);

// Whether `head` looks like delimited data at all: one of the delimiters appears the same non-zero
// number of times outside quotes on at least three quarters of the first records (and there are at
// least two). Tells CSV from plain text for files without a .csv/.tsv extension.
bool looks_delimited(std::string_view head, bool whole_file);

// Where a scan stopped: the first record start at or after `end` as the scan itself found it, and
// its line number. It equals `end` unless `end` was not really a record start (see above).
struct ScanStop {
  std::size_t offset = 0;
  std::uint64_t line = 1;
};

// Scans the records that START in data[begin, end). `begin` must be a record start; a record that
// starts before `end` is read to its end even past `end`. Each well-formed record goes to
// sink.record() with its fields in column order (Field.name empty, kind text), unquoted, doubled
// quotes collapsed, Latin-1 converted to UTF-8; the views are valid only during the call. The
// expected field count is dialect.header.size() (the first record's count if the header is empty).
// `first_line` is the physical line number of `begin`; `base_offset` is added to every offset
// reported, for callers whose `data` is a window into the file.
ScanStop scan_csv(std::string_view data, std::size_t begin, std::size_t end, std::uint64_t first_line,
                  const CsvDialect& dialect, RecordSink& sink, std::uint64_t base_offset = 0);

struct StructureCounts {
  std::uint64_t quotes = 0;
  std::uint64_t newlines = 0;
};
// The number of '"' and '\n' bytes in `bytes` (memory speed).
StructureCounts count_structure(std::string_view bytes);

// The first record start at or after `pos`, given whether `pos` lies inside a quoted field (odd
// quote parity since the first record: RFC 4180's doubled quote is two quotes, so parity is exact
// for well-formed data). Position 0 counts as a record start. Returns data.size() if there is none.
std::size_t next_record_start(std::string_view data, std::size_t pos, bool in_quotes);

}  // namespace gdp::ingest
