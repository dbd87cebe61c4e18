// Which reader a file needs, decided by content first and extension second, and the error that
// names what was found when it is none of them. Property 2: every refusal lists the supported
// formats exactly as "CSV, JSON, TXT".
#pragma once

#include "common/models.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace gdp::ingest {

inline constexpr std::string_view kSupportedFormats = "CSV, JSON, TXT";

struct FormatGuess {
  proto::FileFormat format = proto::FileFormat::unknown;
  // When unknown: what the bytes look like ("a PNG image", "a ZIP archive (also .xlsx, .docx)",
  // "binary data (NUL bytes)", "text in an encoding gdp cannot read").
  std::string found;
};

// `head` is the first bytes of the file (up to 1 MiB), `whole_file` whether that is all of it.
FormatGuess detect_format(std::string_view file_name, std::string_view head, bool whole_file);

// The message for a file gdp cannot read: what was found and what is supported.
std::string unsupported_message(std::string_view path, std::string_view found);

}  // namespace gdp::ingest
