// libFuzzer target for the privacy scanner and the name classifier. The first byte picks the
// column-name hint (none, phone, version, national ID), the rest is the cell, any bytes at all.
// Whatever the input, findings stay inside the text, in order, without overlaps, and each one's
// normal form can be computed.
#include "daemon/privacy/detectors.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gdp::privacy;
  static const Scanner scanner(DetectorSet::all());
  if (size == 0) return 0;
  NameHint hint;
  switch (data[0] % 4) {
    case 1: hint.phone = true; break;
    case 2: hint.version = true; break;
    case 3: hint.holds = Detector::national_id; break;
    default: break;
  }
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)classify_name(text);
  std::vector<Finding> found;
  try {
    scanner.find(text, hint, found);
  } catch (const DetectorError&) {
    return 0;  // a refusal is a correct answer; the sanitizer turns it into DataSanitizationError
  }
  std::size_t last_end = 0;
  for (const auto& f : found) {
    if (f.begin < last_end || f.end <= f.begin || f.end > text.size()) std::abort();
    last_end = f.end;
    (void)normal_form(f.detector, text.substr(f.begin, f.end - f.begin));
  }
  return 0;
}
