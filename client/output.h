// How gdp prints: for people by default, exactly one JSON document on stdout with --json.
// Errors go to stderr for people; with --json they are the document ({"error": {...}}), so a script
// always gets one parseable answer and the exit code says which kind.
#pragma once

#include "client/exit_codes.h"

#include <boost/json.hpp>

#include <string>

namespace gdp::client {

struct Output {
  bool json = false;

  void document(const boost::json::value& doc) const;
  // Prints an error the way the mode wants and returns its exit code.
  int error(ExitCode code, const std::string& message, std::string_view kind = {},
            boost::json::object extra = {}) const;
};

}  // namespace gdp::client
