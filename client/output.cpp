#include "client/output.h"

#include <iostream>

namespace gdp::client {
namespace {

// "gdp: LABEL: MESSAGE" on stderr, the label in its colour and the message wrapped under itself.
void to_stderr(const Look& look, Role role, const std::string& label, const std::string& message) {
  const std::string head = "gdp: " + label + ": ";
  std::cerr << "gdp: " << look.paint(role, label + ":") << " "
            << wrap(head + message, look.width, head.size()).substr(head.size()) << "\n";
}

}  // namespace

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
    error_line(message);
  }
  return code;
}

void Output::error_line(const std::string& message) const {
  to_stderr(look(), Role::error, "error", message);
}

void Output::warning(const std::string& message) const {
  to_stderr(look(), Role::warn, "warning", message);
}

}  // namespace gdp::client
