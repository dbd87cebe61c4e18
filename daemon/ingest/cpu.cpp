#include "daemon/ingest/cpu.h"

#include <cstdlib>
#include <string_view>

namespace gdp::ingest {
namespace {

bool detect_avx2() {
#if defined(__x86_64__)
  __builtin_cpu_init();  // this may run as a static initializer, before libgcc's own
  const char* baseline = std::getenv("GDP_CPU_BASELINE");
  return __builtin_cpu_supports("avx2") && (baseline == nullptr || std::string_view(baseline) != "1");
#else
  return false;
#endif
}

}  // namespace

bool cpu_has_avx2() {
  static const bool avx2 = detect_avx2();
  return avx2;
}

}  // namespace gdp::ingest
