// Which vector code the ingest paths run. The build targets baseline x86-64; where the CPU has
// AVX2, the hottest loops (the CSV byte classification, the number column loop) take versions
// compiled for it, chosen once. GDP_CPU_BASELINE=1 in the environment keeps the baseline versions
// on any CPU, so that tests cover both.
#pragma once

namespace gdp::ingest {

bool cpu_has_avx2();

}  // namespace gdp::ingest
