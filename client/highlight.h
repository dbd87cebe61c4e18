// Python syntax highlighting for the scripts a person approves: a small tokenizer that knows just
// enough Python to colour keywords, builtins, strings (triple-quoted, prefixed, continued with a
// backslash), comments, numbers and decorators. It never changes a character: it only adds the
// escape codes of client/style.h around pieces of the line, so with the codes stripped the line
// is exactly what it was (tests/property/client_term_properties_test.cpp).
#pragma once

#include "client/style.h"

#include <string>
#include <string_view>

namespace gdp::client {

class PythonHighlighter {
 public:
  explicit PythonHighlighter(const Look& look) : look_(look) {}
  // One line (without its newline) in colour; what it leaves open (a triple-quoted string, a
  // string continued with a backslash) carries over to the next call.
  std::string line(std::string_view text);

 private:
  // Scans a string body from `i` until its closing quote; returns where the string ends (after
  // the quote) and leaves open_ set when the line ends first.
  std::size_t string_end(std::string_view text, std::size_t i);

  const Look& look_;
  char quote_ = '\0';    // the quote of a string still open at the end of the last line
  bool triple_ = false;  // ... and whether it is triple-quoted
  bool open_ = false;
};

}  // namespace gdp::client
