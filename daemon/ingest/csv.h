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
// `data_offset` anywhere, guess each cut's quote parity from the quotes after it
// (guess_in_quotes()), and move each cut to next_record_start(). Each piece can then be scanned on
// its own with its own sink, counting lines from 1. For RFC 4180 data the guess is right and the
// pieces give exactly the records one pass gives. A wrong guess, or a literal quote inside an
// unquoted field (5'11"), can put a cut inside a record; scan_csv returns where it really stopped,
// so when a piece's stop is not the next piece's start, the next piece's sink is discarded and
// that piece is scanned again from the stop (and so on down the line), which again gives the
// one-pass result. Each stop's line count then makes the pieces' line numbers absolute.
#pragma once

#include "daemon/ingest/record.h"

#include <cstddef>
#include <cstdint>
#include <optional>
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

// A guess at whether `pos` lies inside a quoted field (odd quote parity before it), from the quotes
// that follow it alone. Counting quotes as parity does (RFC 4180's doubled quote is a close and a
// reopen), a quote at odd parity closes, so a delimiter, a line end, a quote or the end of the data
// follows it; at even parity it opens, so it follows a delimiter, a line end, a quote or the start
// of the data. The first quote within `window` bytes of which only one holds settles the guess;
// nullopt when none does. Right on RFC 4180 data unless a quoted field is longer than the window;
// the snapshot's block planner checks every guess (snapshot.cpp).
std::optional<bool> guess_in_quotes(std::string_view data, std::size_t pos, char delimiter,
                                    std::size_t window);

// The first record start at or after `pos`, given whether `pos` lies inside a quoted field (odd
// quote parity since the first record: RFC 4180's doubled quote is two quotes, so parity is exact
// for well-formed data). Position 0 counts as a record start. Returns data.size() if there is none.
std::size_t next_record_start(std::string_view data, std::size_t pos, bool in_quotes);

}  // namespace gdp::ingest
