// A quick driver for tuning the snapshot path without gdp and gdpd in between:
//   gdp_snapshot_driver FILE [RUNS] [THREADS]   best wall time of build_snapshot over RUNS runs
//   gdp_snapshot_driver FILE RUNS 0 lines       best time of one thread's scan_json_lines over the
//                                               whole file into a sink that only counts
//   gdp_snapshot_driver FILE RUNS 0 csv         the same for scan_csv (after detect_csv_dialect on
//                                               the first MiB), through the sink's batch path
// The figures that count are snapshot_bench.sh's, through the real binaries.
#include "daemon/ingest/csv.h"
#include "daemon/ingest/json_reader.h"
#include "daemon/ingest/snapshot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

struct CountingSink : gdp::ingest::RecordSink {
  std::uint64_t record_count = 0, fields = 0, bytes = 0, malformed_count = 0;
  void record(const gdp::ingest::RecordView& r) override {
    ++record_count;
    fields += r.fields.size();
    for (const auto& f : r.fields) bytes += f.value.size() + f.name.size();
  }
  void malformed(gdp::ingest::Malformed) override { ++malformed_count; }
  // CSV hands over whole batches; counting them here keeps the default's per-row calls out of the
  // figures, as the snapshot's own sink does.
  void records(const gdp::ingest::RecordBatch& batch) override {
    record_count += batch.rows;
    fields += batch.rows * batch.columns;
    for (std::size_t c = 0; c < batch.columns; ++c)
      for (const auto v : batch.column(c)) bytes += v.size();
  }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gdp_snapshot_driver FILE [RUNS] [THREADS] [lines|csv]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  const unsigned threads = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 0;
  const std::string_view mode = argc > 4 ? std::string_view(argv[4]) : std::string_view();
  const bool lines = mode == "lines" || mode == "csv";
  double best = 1e9;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    if (lines) {
      const int fd = open(path.c_str(), O_RDONLY);
      struct stat st {};
      fstat(fd, &st);
      const auto size = static_cast<std::size_t>(st.st_size);
      void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      const std::string_view data(static_cast<const char*>(p), size);
      const auto mapped = std::chrono::steady_clock::now();
      CountingSink sink;
      if (mode == "csv") {
        const auto dialect = gdp::ingest::detect_csv_dialect(data.substr(0, std::size_t{1} << 20),
                                                             size <= (std::size_t{1} << 20));
        gdp::ingest::scan_csv(data, dialect.data_offset, data.size(), dialect.data_line, dialect, sink);
      } else {
        gdp::ingest::scan_json_lines(data, 0, data.size(), 1, sink);
      }
      const double t = seconds_since(mapped);
      std::printf(
          "%s: %.3f s, %.0f MB/s, %llu records, %llu fields, %llu malformed, %llu bytes\n",
          std::string(mode).c_str(), t, static_cast<double>(size) / t / 1e6,
          static_cast<unsigned long long>(sink.record_count), static_cast<unsigned long long>(sink.fields),
          static_cast<unsigned long long>(sink.malformed_count), static_cast<unsigned long long>(sink.bytes));
      munmap(p, size);
      close(fd);
      best = std::min(best, t);
      (void)start;
    } else {
      gdp::ingest::SnapshotOptions options;
      options.seed = 1;
      options.allow_large = true;
      options.threads = threads;
      const auto snap = gdp::ingest::build_snapshot(path, options);
      const double t = seconds_since(start);
      std::printf("snapshot: %.3f s, %lld rows, %zu columns\n", t, static_cast<long long>(snap.total_rows),
                  snap.columns.size());
      best = std::min(best, t);
    }
  }
  std::printf("best %.3f s\n", best);
  return 0;
}
