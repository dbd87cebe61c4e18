#include "client/output.h"

#include <iostream>

namespace gdp::client {

void Output::document(const boost::json::value& doc) const {
  std::cout << boost::json::serialize(doc) << "\n";
}

int Output::error(ExitCode code, const std::string& message, std::string_view kind,
                  boost::json::object extra) const {
  if (json) {
    boost::json::object err{{"message", message}, {"exit_code", static_cast<int>(code)}};
    if (!kind.empty()) err["kind"] = kind;
    extra["error"] = std::move(err);
    document(extra);
  } else {
    std::cerr << "gdp: " << message << "\n";
  }
  return code;
}

}  // namespace gdp::client
