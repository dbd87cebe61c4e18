// The byte-at-a-time reading of csv.h's rules (see csv_reference.h).
#include "tests/support/csv_reference.h"

#include <algorithm>

namespace gdp::test {

std::ostream& operator<<(std::ostream& os, const CsvRow& row) {
  os << "{line " << row.line << ", offset " << row.offset << ":";
  for (const auto& v : row.values) os << " [" << v << "]";
  return os << "}";
}

std::ostream& operator<<(std::ostream& os, const CsvProblem& p) {
  return os << "{line " << p.line << ", offset " << p.offset << ": " << p.reason << "}";
}

CsvReference csv_reference_scan(std::string_view d, char delim, std::size_t columns, std::size_t begin,
                                std::uint64_t first_line) {
  CsvReference out;
  const std::size_t size = d.size();
  const auto newlines = [&](std::size_t from, std::size_t to) {
    return static_cast<std::uint64_t>(std::count(d.begin() + from, d.begin() + to, '\n'));
  };
  std::size_t pos = begin;
  std::uint64_t line = first_line;
  while (pos < size) {
    std::size_t p = pos;
    while (p < size && d[p] == '\r') ++p;
    if (p == size) break;  // only CRs left
    if (d[p] == '\n') {    // a blank line
      pos = p + 1;
      ++line;
      continue;
    }
    CsvRow row{line, pos, {}};
    bool unterminated = false;
    std::uint64_t quote_line = 0;
    std::size_t i = pos;
    for (;;) {
      std::string value;
      std::size_t t = size;
      const auto at_line_end = [&](std::size_t k) { return k == size || d[k] == '\n'; };
      if (i < size && d[i] == '"') {
        quote_line = line;
        std::size_t j = i + 1;
        for (;;) {
          const std::size_t q = d.find('"', j);
          if (q == std::string_view::npos) {
            line += newlines(j, size);
            unterminated = true;
            break;
          }
          line += newlines(j, q);
          value.append(d.substr(j, q - j));
          if (q + 1 < size && d[q + 1] == '"') {
            value += '"';
            j = q + 2;
            continue;
          }
          std::size_t k = q + 1;  // text after the closing quote is kept, up to the next quote
          while (k < size && d[k] != delim && d[k] != '\n' && d[k] != '"') ++k;
          std::string tail(d.substr(q + 1, k - q - 1));
          if (at_line_end(k) && !tail.empty() && tail.back() == '\r') tail.pop_back();
          value += tail;
          if (k < size && d[k] == '"') {
            j = k + 1;
            continue;
          }
          t = k;
          break;
        }
      } else {
        std::size_t k = i;
        while (k < size && d[k] != delim && d[k] != '\n') ++k;
        value = d.substr(i, k - i);
        if (at_line_end(k) && !value.empty() && value.back() == '\r') value.pop_back();
        t = k;
      }
      row.values.push_back(std::move(value));
      if (t < size && d[t] == delim) {
        i = t + 1;
        continue;
      }
      pos = t < size ? t + 1 : size;
      if (t < size) ++line;
      break;
    }
    if (unterminated) {
      out.problems.push_back(
          {row.line, row.offset, "unterminated quote starting at line " + std::to_string(quote_line)});
      continue;
    }
    if (columns == 0) columns = row.values.size();
    if (row.values.size() != columns) {
      out.problems.push_back({row.line, row.offset,
                              "expected " + std::to_string(columns) + (columns == 1 ? " field" : " fields") +
                                  ", found " + std::to_string(row.values.size())});
      continue;
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace gdp::test
