#include "daemon/ingest/format.h"

#include "common/utf8.h"
#include "daemon/ingest/csv.h"
#include "daemon/ingest/json_reader.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace gdp::ingest {
namespace {

using namespace std::string_view_literals;  // "..."sv keeps embedded NUL bytes

struct Magic {
  std::string_view bytes;
  std::string_view what;
};

// Signatures of the files people most often hand a data tool by mistake.
constexpr std::array kMagic{
    Magic{"\x89PNG\r\n\x1a\n"sv, "a PNG image"},
    Magic{"\xff\xd8\xff"sv, "a JPEG image"},
    Magic{"GIF87a"sv, "a GIF image"},
    Magic{"GIF89a"sv, "a GIF image"},
    Magic{"%PDF-"sv, "a PDF document"},
    Magic{"PK\x03\x04"sv, "a ZIP archive (this includes .xlsx, .docx and .odt files)"},
    Magic{"PK\x05\x06"sv, "an empty ZIP archive"},
    Magic{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"sv, "an old Microsoft Office file (.xls or .doc)"},
    Magic{"\x1f\x8b"sv, "a gzip-compressed file"},
    Magic{"BZh"sv, "a bzip2-compressed file"},
    Magic{"\xfd"
          "7zXZ\x00"sv,
          "an xz-compressed file"},
    Magic{"\x28\xb5\x2f\xfd"sv, "a zstd-compressed file"},
    Magic{"7z\xbc\xaf\x27\x1c"sv, "a 7-Zip archive"},
    Magic{"Rar!\x1a\x07"sv, "a RAR archive"},
    Magic{"\x7f"
          "ELF"sv,
          "an executable program"},
    Magic{"SQLite format 3"sv, "an SQLite database"},
    Magic{"PAR1"sv, "a Parquet file"},
    Magic{"ARROW1"sv, "an Arrow file"},
    Magic{"RIFF"sv, "a RIFF media file (audio or video)"},
    Magic{"OggS"sv, "an Ogg media file"},
    Magic{"ID3"sv, "an MP3 audio file"},
    Magic{"\x00\x00\x01\x00"sv, "an icon image"},
};

std::string lower_extension(std::string_view name) {
  const auto slash = name.find_last_of('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  const auto dot = name.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool has_nul(std::string_view head) {
  return head.find('\0') != std::string_view::npos;
}

// Text that is neither UTF-8 nor plausibly Latin-1: control bytes other than tab, CR, LF, FF.
bool has_binary_controls(std::string_view head) {
  std::size_t controls = 0;
  for (const char ch : head) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') ++controls;
  }
  return controls > head.size() / 100 + 1;
}

std::string_view skip_bom_and_space(std::string_view head) {
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
  while (!head.empty() &&
         (head.front() == ' ' || head.front() == '\t' || head.front() == '\r' || head.front() == '\n')) {
    head.remove_prefix(1);
  }
  return head;
}

}  // namespace

FormatGuess detect_format(std::string_view file_name, std::string_view head, bool whole_file) {
  for (const auto& m : kMagic) {
    if (head.starts_with(m.bytes)) return {proto::FileFormat::unknown, std::string(m.what)};
  }
  if (head.starts_with("\xFF\xFE") || head.starts_with("\xFE\xFF")) {
    return {proto::FileFormat::unknown, "UTF-16 text (save it as UTF-8)"};
  }
  if (has_nul(head) || has_binary_controls(head)) {
    return {proto::FileFormat::unknown, "binary data"};
  }
  const auto ext = lower_extension(file_name);
  const bool json_ext = ext == "json" || ext == "jsonl" || ext == "ndjson" || ext == "geojson";
  const bool csv_ext = ext == "csv" || ext == "tsv" || ext == "psv" || ext == "tab";
  const auto body = skip_bom_and_space(head);
  // A .json name is a promise: the file is read as JSON and its errors are reported as such.
  if (json_ext) return {proto::FileFormat::json, {}};
  if (!csv_ext && !body.empty() && (body.front() == '{' || body.front() == '[')) {
    return {proto::FileFormat::json, {}};
  }
  if (csv_ext || looks_delimited(head, whole_file)) return {proto::FileFormat::csv, {}};
  return {proto::FileFormat::text, {}};
}

std::string unsupported_message(std::string_view path, std::string_view found) {
  return "cannot read " + std::string(path) + ": it is " + std::string(found) + ". gdp reads " +
         std::string(kSupportedFormats) + " files";
}

}  // namespace gdp::ingest
