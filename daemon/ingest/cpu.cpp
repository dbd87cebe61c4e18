#include "daemon/ingest/cpu.h"

#include <cstdlib>
#include <string_view>

namespace gdp::ingest {
namespace {

bool detect_avx2() {
#if defined(__x86_64__)
  __builtin_cpu_init();  // this may run as a static initializer, before libgcc's own
  const char* baseline = std::getenv("GDP_CPU_BASELINE");
  const bool cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
                   __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
  return cpu && (baseline == nullptr || std::string_view(baseline) != "1");
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
