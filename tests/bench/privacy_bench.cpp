// The sanitizer's quality report and speed. Prints the per-detector report the quality test
// asserts on, then times sanitizing a 100-row x 50-column snapshot (personal, free-text and decoy
// columns mixed, from the labelled corpus) against the target of 5 ms, and which columns
// the time goes to. It asserts nothing: the quality bars are tests/unit/privacy/quality_test.cpp's
// job, and timings depend on the machine.
//
//   gdp_privacy_bench [runs [seed]]     (default 500 runs, the quality test's seed)
//
// Another seed draws other values and other column-name spellings: a quick held-out check.
#include "tests/support/pii_corpus.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace pii = gdp::test::pii;

namespace {

// Per-run milliseconds of one sanitize(), sorted: wall clock, and this thread's CPU time, which
// leaves out the time the thread waited for a core (on a shared machine most of the spread).
struct Timings {
  std::vector<double> wall, cpu;
};

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// One vault for all runs, as one session sanitizing snapshot after snapshot; the copy the
// sanitizer consumes is made outside the timed region, since ingest hands its snapshot over by move.
Timings time_runs(const gdp::privacy::Sanitizer& sanitizer, const gdp::proto::DataSnapshot& snapshot,
                  int runs) {
  gdp::privacy::Vault vault;
  std::size_t sink = 0;
  for (int i = 0; i < 3; ++i) sink += sanitizer.sanitize(snapshot, vault).snapshot().rows.size();
  Timings t;
  for (int i = 0; i < runs; ++i) {
    auto copy = snapshot;
    const double cpu_start = thread_cpu_ms();
    const auto start = std::chrono::steady_clock::now();
    const auto out = sanitizer.sanitize(std::move(copy), vault);
    const auto stop = std::chrono::steady_clock::now();
    t.cpu.push_back(thread_cpu_ms() - cpu_start);
    sink += out.snapshot().sanitized_fields.size();
    t.wall.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
  }
  std::sort(t.wall.begin(), t.wall.end());
  std::sort(t.cpu.begin(), t.cpu.end());
  // Keeps the results observable so that no run can be optimised away.
  if (sink == 0) std::puts("");
  return t;
}

void print_timings(const char* what, const std::vector<double>& ms) {
  const double median = ms[ms.size() / 2];
  std::printf("  %-10s min %7.3f  median %7.3f  p90 %7.3f  max %7.3f   target <= 5 ms: min %s, median %s\n",
              what, ms.front(), median, ms[ms.size() * 9 / 10], ms.back(),
              ms.front() <= 5.0 ? "met" : "NOT met", median <= 5.0 ? "met" : "NOT met");
}

// The table cut down to one column, to see which kinds of values cost the time.
gdp::proto::DataSnapshot one_column(const pii::LabelledTable& table, std::size_t c) {
  auto snap = table.snapshot;
  const auto& name = table.columns[c].name;
  for (auto& row : snap.rows) row = boost::json::object{{name, row.at(name)}};
  snap.schema = {{name, snap.schema.at(name)}};
  snap.columns = {snap.columns[c]};
  return snap;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::stoi(argv[1])) : 500;
  const std::uint64_t seed = argc > 2 ? std::stoull(argv[2]) : pii::kDefaultSeed;
  const gdp::privacy::Sanitizer sanitizer;

  const auto corpus = pii::make_corpus(seed);
  const auto stats = pii::corpus_stats(corpus);
  std::printf("Labelled corpus (seed %llu): %zu tables, %zu cells, %zu labelled, %zu kinds, %zu locales\n\n",
              static_cast<unsigned long long>(seed), stats.tables, stats.cells, stats.labelled_cells,
              stats.kinds.size(), stats.locales.size());
  std::cout << pii::format_report(pii::evaluate(corpus, sanitizer)) << "\n";

  const auto table = pii::make_wide_table(seed, 50);
  std::size_t personal = 0, decoys = 0, text = 0;
  for (const auto& c : table.columns) {
    personal += c.role == pii::Role::personal || c.role == pii::Role::sensitive_header;
    decoys += c.role == pii::Role::decoy;
    text += c.role == pii::Role::free_text;
  }
  std::printf("Speed: %zu rows x %zu columns (%zu personal, %zu free text, %zu decoy), %d runs\n",
              table.snapshot.rows.size(), table.columns.size(), personal, text, decoys, runs);
  double load = 0;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
  }
  std::printf("(load average %.1f on %u CPUs: wall times include waiting for a core when it exceeds them)\n",
              load, std::thread::hardware_concurrency());
  const auto timings = time_runs(sanitizer, table.snapshot, runs);
  std::printf("sanitize, ms per snapshot:\n");
  print_timings("wall", timings.wall);
  print_timings("thread CPU", timings.cpu);

  std::vector<std::tuple<double, std::string, std::string>> per_column;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    const auto column = time_runs(sanitizer, one_column(table, c), std::max(5, runs / 20));
    per_column.emplace_back(column.cpu[column.cpu.size() / 2], table.columns[c].kind, table.columns[c].name);
  }
  std::sort(per_column.rbegin(), per_column.rend());
  std::printf("slowest columns alone (median thread CPU ms for 100 rows):\n");
  for (std::size_t i = 0; i < std::min<std::size_t>(10, per_column.size()); ++i) {
    const auto& [column_ms, kind, name] = per_column[i];
    std::printf("  %8.3f  %-20s %s\n", column_ms, kind.c_str(), name.c_str());
  }
  return 0;
}
