// Writes the benchmark inputs, deterministically from a seed, so anyone can rerun the numbers:
//   gen_data mixed  SIZE_MB SEED > mixed.csv    7 columns of mixed types, a few quoted fields
//   gen_data quoted SIZE_MB SEED > quoted.csv   every field quoted, some holding newlines
//   gen_data ndjson SIZE_MB SEED > data.ndjson  one object per line, nested, with arrays
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    s += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

constexpr std::array<std::string_view, 12> kNames{"Anna", "Bruno", "Chen", "Dana",  "Elif", "Farah",
                                                  "Gus",  "Hana",  "Ian",  "Julia", "Kofi", "Lena"};
constexpr std::array<std::string_view, 8> kCities{"Berlin", "Lisbon", "Osaka", "Austin",
                                                  "Lagos",  "Lima",   "Oslo",  "Pune"};

void date(Rng& r, std::string& out) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "20%02d-%02d-%02d", static_cast<int>(10 + r.below(16)),
                static_cast<int>(1 + r.below(12)), static_cast<int>(1 + r.below(28)));
  out += buf;
}

void price(Rng& r, std::string& out) {
  out += std::to_string(r.below(100000) / 100);
  out += '.';
  const auto cents = r.below(100);
  if (cents < 10) out += '0';
  out += std::to_string(cents);
}

void mixed_row(Rng& r, std::uint64_t id, std::string& out) {
  out += std::to_string(id);
  out += ',';
  date(r, out);
  out += ',';
  out += kNames[r.below(kNames.size())];
  out += ',';
  if (r.below(50) == 0) {  // a few quoted fields with an embedded comma
    out += "\"";
    out += kCities[r.below(kCities.size())];
    out += ", downtown\"";
  } else {
    out += kCities[r.below(kCities.size())];
  }
  out += ',';
  price(r, out);
  out += ',';
  out += std::to_string(r.below(20));
  out += ',';
  out += r.below(3) == 0 ? "true" : "false";
  out += '\n';
}

void quoted_row(Rng& r, std::uint64_t id, std::string& out) {
  out += '"' + std::to_string(id) + "\",\"";
  date(r, out);
  out += "\",\"";
  out += kNames[r.below(kNames.size())];
  out += "\",\"";
  out += kCities[r.below(kCities.size())];
  if (r.below(10) == 0) out += "\nsecond line";
  out += "\",\"";
  price(r, out);
  out += "\",\"say \"\"hi\"\"\",\"";
  out += std::to_string(r.below(20));
  out += "\"\n";
}

void ndjson_row(Rng& r, std::uint64_t id, std::string& out) {
  out += "{\"id\":" + std::to_string(id) + ",\"date\":\"";
  date(r, out);
  out += "\",\"name\":\"";
  out += kNames[r.below(kNames.size())];
  out += "\",\"price\":";
  price(r, out);
  out += ",\"ok\":";
  out += r.below(2) == 0 ? "true" : "false";
  out += ",\"tags\":[\"a\",\"b\"],\"addr\":{\"city\":\"";
  out += kCities[r.below(kCities.size())];
  out += "\",\"zip\":\"0";
  out += std::to_string(1000 + r.below(9000));
  out += "\"}}\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: gen_data mixed|quoted|ndjson SIZE_MB SEED\n");
    return 2;
  }
  const std::string_view kind = argv[1];
  const auto target = std::strtoull(argv[2], nullptr, 10) << 20;
  Rng r{std::strtoull(argv[3], nullptr, 10)};
  std::string out;
  std::uint64_t written = 0;
  if (kind == "mixed") out = "id,date,name,city,price,quantity,active\n";
  if (kind == "quoted") out = "\"id\",\"date\",\"name\",\"city\",\"price\",\"note\",\"quantity\"\n";
  for (std::uint64_t id = 1; written + out.size() < target; ++id) {
    if (kind == "mixed") {
      mixed_row(r, id, out);
    } else if (kind == "quoted") {
      quoted_row(r, id, out);
    } else if (kind == "ndjson") {
      ndjson_row(r, id, out);
    } else {
      std::fprintf(stderr, "gen_data: unknown kind %s\n", argv[1]);
      return 2;
    }
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      written += out.size();
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
