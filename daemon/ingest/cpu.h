// Which vector code the ingest paths run. The build targets baseline x86-64; where the CPU has
// AVX2, the hottest loops (the CSV byte classification and field lists, the typed column loops)
// take versions compiled for it, chosen once. GDP_CPU_BASELINE=1 in the environment keeps the
// baseline versions on any CPU, so that tests cover both.
#pragma once

namespace gdp::ingest {

// AVX2 together with BMI1, BMI2 and POPCNT, which every CPU with AVX2 has: the set the functions
// marked GDP_AVX2 are compiled for. (Not LZCNT: Clang cannot ask for it by name.)
bool cpu_has_avx2();

}  // namespace gdp::ingest

// The attribute for those functions and lambdas (an attribute cannot name a constant, and a lambda
// takes only the GNU spelling).
#define GDP_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))
