// The JSON reader of the snapshot builder: turns JSON Lines / NDJSON files and whole JSON documents
// (an array of records, an object holding one array of records, a single object, a scalar) into
// records of flattened fields (record.h). Everything goes through one strict tokenizer
// (json_tokenizer.h) that hands tokens straight to the record being built, so a 1 GB file is never
// held as a DOM and values are not built twice.
//
// Flattening: nested objects become dotted names (`{"a":{"b":1}}` gives `a.b`); arrays stay compact
// JSON text (kind `array`); strings are unescaped UTF-8; numbers keep their literal text; a record
// that is not an object has one field named `value`. An empty nested object gives no field, and a
// name that occurs twice in a record keeps its last value, in the place of its first.
#pragma once

#include "daemon/ingest/record.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gdp::ingest {

enum class JsonLayout { lines, document };

struct JsonShape {
  JsonLayout layout = JsonLayout::document;
  // For a document whose top level is an object with exactly one member whose value is an array
  // (e.g. {"records": [...]}, possibly with other scalar members), the records are that array's
  // elements and this names the member; empty otherwise. When the object has other members, the
  // array's elements (as far as the head shows them) must also be objects: `{"id":1,"tags":["a"]}`
  // is one record, not a wrapper around the tags. Other members may also be objects when the file
  // is larger than the head (`{"meta":{...},"data":[...1 GB...]}`), never in a file read whole.
  std::string records_key;
};

// Decides the layout from the first bytes of the file (up to 1 MiB; `whole_file` says if that is
// all). JSON Lines: the first non-blank line and at least one more are each a complete JSON value
// (a line cut off by the end of a partial head is not looked at). A valid multi-line document can
// never pass that test, since its first line either is incomplete or is followed by extra data, so
// only files that could not be read as one document are taken as lines. Never throws.
JsonShape detect_json_shape(std::string_view head, bool whole_file);

// JSON Lines: scans the lines that START in data[begin, end) (begin at a line start; end is
// data.size() or a line start), one record per non-blank line; `first_line` is the 1-based number
// of the line at `begin`. Parallel-safe: each call has its own tokenizer and buffers. A line that is
// not valid JSON, or holds anything after its value, is sink.malformed() with its line number, the
// offset of its start and the reason; lines holding only spaces, tabs or CR are skipped.
// A UTF-8 byte order mark at offset 0 is skipped.
void scan_json_lines(std::string_view data, std::size_t begin, std::size_t end, std::uint64_t first_line,
                     RecordSink& sink, std::size_t max_depth = 64);

// A whole document, streamed: each element of the records array is emitted as soon as it is
// complete. A top-level array gives one record per element; a top-level object holding an array
// member named shape.records_key gives that array's elements; any other value is one record. On
// invalid JSON (including nesting deeper than max_depth, invalid UTF-8 and anything after the
// document) the records before the error have been emitted, one malformed entry gives the line and
// offset of the error and a reason naming the line, column and what is wrong, and the rest
// of the file is not read. A UTF-8 byte order mark at offset 0 is skipped.
void scan_json_document(std::string_view data, const JsonShape& shape, RecordSink& sink,
                        std::size_t max_depth = 64);

}  // namespace gdp::ingest
