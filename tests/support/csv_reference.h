// A plain byte-at-a-time reading of csv.h's rules, to hold the CSV scanner's block-at-a-time paths
// to (the unit tests and the CSV fuzzer): records with their fields, lines and offsets, and the
// problems, with the expected field count `columns` (the first record's count when 0), from
// d[begin] on, which is on line `first_line`. It knows nothing of encodings: give it no byte
// >= 0x80.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::test {

struct CsvRow {
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  std::vector<std::string> values;
  bool operator==(const CsvRow&) const = default;
};

struct CsvProblem {
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  std::string reason;
  bool operator==(const CsvProblem&) const = default;
};

std::ostream& operator<<(std::ostream& os, const CsvRow& row);
std::ostream& operator<<(std::ostream& os, const CsvProblem& p);

struct CsvReference {
  std::vector<CsvRow> rows;
  std::vector<CsvProblem> problems;
};

CsvReference csv_reference_scan(std::string_view d, char delim, std::size_t columns, std::size_t begin = 0,
                                std::uint64_t first_line = 1);

}  // namespace gdp::test
