// SipHash-2-4, the keyed hash behind consistent placeholders (see Vault).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gdp::privacy {

inline std::uint64_t rotl(std::uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

// SipHash-2-4 (Aumasson and Bernstein): a keyed hash made for hash-flooding resistance, fast on
// the short strings placeholders are keyed by. The key is random per vault, so the numbers say
// nothing about the values to anyone without it, and the vault never holds a value.
inline std::uint64_t siphash24(const std::array<std::uint8_t, 16>& key, std::string_view data) {
  auto load = [](const unsigned char* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{p[i]} << (8 * i);
    return v;
  };
  const auto k0 = load(key.data(), 8), k1 = load(key.data() + 8, 8);
  std::uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1,
                v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&] {
    v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
    v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
    v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
    v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
  };
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t n = data.size(), whole = n - n % 8;
  for (std::size_t i = 0; i < whole; i += 8) {
    const auto m = load(p + i, 8);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  const auto last = load(p + whole, n - whole) | (std::uint64_t{n & 0xFF} << 56);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xFF;
  for (int i = 0; i < 4; ++i) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace gdp::privacy
