// snapshot: what gdp sees of a data file before anything else happens.
#include "client/commands.h"
#include "client/rpc_client.h"
#include "client/source.h"

#include <sys/ioctl.h>
#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace gdp::client {
namespace {

void print_snapshot(const proto::DataSnapshot& s, double elapsed) {
  const auto term = terminal_width();
  std::cout << s.source.path << ": " << boost::describe::enum_to_string(s.file_format, "?") << ", "
            << s.source.details << ", " << s.source.encoding << "\n"
            << s.total_rows << " rows, " << s.columns.size() << " columns; sample of " << s.sample_size
            << " (" << boost::describe::enum_to_string(s.extraction_method, "?");
  if (s.stratify_by) std::cout << " by " << *s.stratify_by;
  std::cout << ", seed " << s.seed << ") in " << std::fixed;
  std::cout.precision(2);
  std::cout << elapsed << " s\n\n";

  std::size_t name_w = 6;
  for (const auto& c : s.columns) name_w = std::max(name_w, std::min<std::size_t>(width(c.name), 30));
  std::printf("%s %-9s %9s %9s  %s\n", fit("COLUMN", name_w).c_str(), "TYPE", "NULLS", "DISTINCT", "RANGE");
  for (const auto& c : s.columns) {
    std::string range;
    if (c.min && c.max) range = *c.min + " .. " + *c.max;
    if (c.date_format) range += (range.empty() ? "" : "  ") + std::string("(") + *c.date_format + ")";
    std::printf("%s %-9s %9lld %9lld  %s\n", fit(c.name, name_w).c_str(), c.type.c_str(),
                static_cast<long long>(c.null_count), static_cast<long long>(c.distinct_estimate),
                range.c_str());
  }

  // The sample as a table: as many columns as fit the terminal, each cut to a readable width.
  constexpr std::size_t kCell = 18;
  std::size_t shown = 0, used = 0;
  while (shown < s.columns.size() && used + kCell + 1 <= term) {
    used += kCell + 1;
    ++shown;
  }
  std::cout << "\nSAMPLE (" << s.sample_size << " of " << s.total_rows << " rows)";
  if (shown < s.columns.size())
    std::cout << ", first " << shown << " of " << s.columns.size() << " columns (--json shows all)";
  std::cout << "\n";
  for (std::size_t i = 0; i < shown; ++i) std::cout << fit(s.columns[i].name, kCell) << ' ';
  std::cout << "\n";
  for (const auto& row : s.rows) {
    for (std::size_t i = 0; i < shown; ++i) {
      const auto* v = row.if_contains(s.columns[i].name);
      std::cout << fit(v != nullptr ? cell(*v) : "", kCell) << ' ';
    }
    std::cout << "\n";
  }
  print_masked(s);
  if (s.malformed_records > 0) {
    std::cout << "\n" << s.malformed_records << " malformed record(s) were not sampled; the first:\n";
    for (const auto& m : s.malformed_examples) std::cout << "  line " << m.line << ": " << m.reason << "\n";
  }
  std::cout << std::flush;
}

int snapshot(const GlobalOptions& g, const std::vector<std::string>& args) {
  proto::SnapshotParams params;
  if (const int code = parse_source(g, "snapshot", args, params); code != kOk) return code;

  // Reading a big file can take a while on a cold cache; the usual reply timeout is too short.
  DaemonConnection conn(g.socket_path, std::max(g.timeout, kReadTimeout));
  auto result = call_reading(g, params, [&] { return conn.call<proto::Snapshot>(params); });
  if (!result.sanitized) warn_unmasked();
  if (g.out.json) {
    g.out.document(wire::to_json(result.snapshot));
  } else {
    print_snapshot(result.snapshot, result.elapsed_seconds);
  }
  return kOk;
}

const Command kCommands[] = {
    {"snapshot", "show the schema, statistics and a 100-row random sample of a CSV, JSON or text file",
     "snapshot FILE [--method random|first_n|stratified] [--by COLUMN] [--seed N] [--sample-size N] "
     "[--yes-large]",
     "gdp snapshot examples/sales.csv --seed 42", snapshot, source_options},
};

}  // namespace

std::span<const Command> ingest_commands() {
  return kCommands;
}

}  // namespace gdp::client
