// How gdp prints: for people by default, exactly one JSON document on stdout with --json.
// Errors go to stderr for people; with --json they are the document ({"error": {...}}), so a script
// always gets one parseable answer and the exit code says which kind.
#pragma once

#include "client/exit_codes.h"
#include "client/style.h"

#include <boost/json.hpp>

#include <string>

namespace gdp::client {

struct Output {
  bool json = false;
  bool color = false;     // on stderr, where errors go
  std::size_t width = 0;  // stderr's terminal width for wrapping errors; 0: not a terminal

  // How to dress text for stderr.
  Look look() const { return {color, width}; }

  void document(const boost::json::value& doc) const;
  // Prints an error the way the mode wants and returns its exit code: for people on stderr as
  // "gdp: error: MESSAGE", where the message ends with what to do about it.
  int error(ExitCode code, const std::string& message, std::string_view kind = {},
            boost::json::object extra = {}) const;
  // "gdp: error: MESSAGE" on stderr, in every mode: for what goes wrong on the way to a result
  // that is still printed (following a session ends with its document all the same).
  void error_line(const std::string& message) const;
  // "gdp: warning: MESSAGE" on stderr, in every mode: a warning is not the result.
  void warning(const std::string& message) const;
};

}  // namespace gdp::client
