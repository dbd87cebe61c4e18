#include "client/highlight.h"

#include <algorithm>
#include <span>

namespace gdp::client {
namespace {

constexpr std::string_view kKeywords[] = {
    "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
    "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
    "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
    "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};

constexpr std::string_view kBuiltins[] = {
    "abs",    "all",       "any",      "bool",    "dict", "enumerate",  "filter",     "float",
    "format", "frozenset", "getattr",  "hasattr", "int",  "isinstance", "iter",       "len",
    "list",   "map",       "max",      "min",     "next", "object",     "open",       "print",
    "range",  "repr",      "reversed", "round",   "set",  "setattr",    "sorted",     "str",
    "sum",    "super",     "tuple",    "type",    "zip",  "Exception",  "ValueError", "KeyError"};

bool identifier_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool identifier_char(char c) {
  return identifier_start(c) || (c >= '0' && c <= '9');
}

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// r, b, u, f and their pairs (rb, br, fr, rf) in either case: what may stand before a quote.
bool string_prefix(std::string_view word) {
  if (word.empty() || word.size() > 2) return false;
  return std::all_of(word.begin(), word.end(), [](char c) {
    return c == 'r' || c == 'R' || c == 'b' || c == 'B' || c == 'u' || c == 'U' || c == 'f' || c == 'F';
  });
}

bool among(std::span<const std::string_view> words, std::string_view word) {
  return std::ranges::find(words, word) != words.end();
}

}  // namespace

std::size_t PythonHighlighter::string_end(std::string_view text, std::size_t i) {
  while (i < text.size()) {
    if (text[i] == '\\') {
      if (i + 1 == text.size()) {
        // A backslash at the end of the line continues the string on the next one.
        open_ = true;
        return text.size();
      }
      i += 2;
      continue;
    }
    if (text[i] == quote_) {
      if (!triple_) {
        open_ = false;
        return i + 1;
      }
      if (text.substr(i, 3) == std::string(3, quote_)) {
        open_ = false;
        return i + 3;
      }
    }
    ++i;
  }
  // Only a triple-quoted string goes on past the end of its line without a backslash.
  open_ = triple_;
  return text.size();
}

std::string PythonHighlighter::line(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  if (open_) {
    const auto end = string_end(text, 0);
    out += look_.paint(Role::string, text.substr(0, end));
    i = end;
  }
  const auto first = text.find_first_not_of(" \t");
  while (i < text.size()) {
    const char c = text[i];
    if (c == '#') {
      out += look_.paint(Role::comment, text.substr(i));
      break;
    }
    if (c == '"' || c == '\'') {
      quote_ = c;
      triple_ = text.substr(i, 3) == std::string(3, c);
      const auto end = string_end(text, i + (triple_ ? 3 : 1));
      out += look_.paint(Role::string, text.substr(i, end - i));
      i = end;
      continue;
    }
    if (c == '@' && i == first && i + 1 < text.size() && identifier_start(text[i + 1])) {
      auto end = i + 1;
      while (end < text.size() && (identifier_char(text[end]) || text[end] == '.')) ++end;
      out += look_.paint(Role::decorator, text.substr(i, end - i));
      i = end;
      continue;
    }
    if (digit(c) || (c == '.' && i + 1 < text.size() && digit(text[i + 1]))) {
      auto end = i + 1;
      while (end < text.size() && (identifier_char(text[end]) || text[end] == '.')) ++end;
      out += look_.paint(Role::number, text.substr(i, end - i));
      i = end;
      continue;
    }
    if (identifier_start(c)) {
      auto end = i + 1;
      while (end < text.size() && identifier_char(text[end])) ++end;
      const auto word = text.substr(i, end - i);
      if (end < text.size() && (text[end] == '"' || text[end] == '\'') && string_prefix(word)) {
        // f"...", rb'...': the prefix is part of the string.
        quote_ = text[end];
        triple_ = text.substr(end, 3) == std::string(3, quote_);
        const auto close = string_end(text, end + (triple_ ? 3 : 1));
        out += look_.paint(Role::string, text.substr(i, close - i));
        i = close;
        continue;
      }
      if (among(kKeywords, word)) {
        out += look_.paint(Role::keyword, word);
      } else if (among(kBuiltins, word)) {
        out += look_.paint(Role::builtin, word);
      } else {
        out += word;
      }
      i = end;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace gdp::client
