// snapshot: what gdp sees of a data file before anything else happens.
#include "client/commands.h"
#include "client/rpc_client.h"

#include <boost/program_options.hpp>

#include <sys/ioctl.h>
#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace gdp::client {
namespace po = boost::program_options;
namespace {

std::size_t terminal_width() {
  winsize ws{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  if (const char* cols = std::getenv("COLUMNS")) {
    const auto n = std::strtoul(cols, nullptr, 10);
    if (n > 20) return n;
  }
  return 100;
}

// Display width of UTF-8 text, counting code points (good enough for a table of data values).
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string fit(std::string s, std::size_t max) {
  for (auto& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (width(s) <= max) return s + std::string(max - width(s), ' ');
  std::string out;
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size() && w + 1 < max; ++i) {
    out += s[i];
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++w;
    while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) out += s[++i];
  }
  return out + "…" + std::string(max > w + 1 ? max - w - 1 : 0, ' ');
}

std::string cell(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  return boost::json::serialize(v);
}

// What the privacy step masked: the sample above is exactly what a planner would be sent.
void print_masked(const proto::DataSnapshot& s) {
  if (s.sanitized_fields.empty()) {
    std::cout << "\nMASKED: nothing in this sample looked personal.\n";
    return;
  }
  std::size_t name_w = 5;
  for (const auto& f : s.sanitized_fields)
    name_w = std::max(name_w, std::min<std::size_t>(width(f.field), 30));
  std::cout << "\nMASKED (what a planner sees instead of these values)\n";
  std::printf("%s %-16s %7s  %s\n", fit("FIELD", name_w).c_str(), "DETECTOR", "VALUES", "ACTION");
  for (const auto& f : s.sanitized_fields) {
    const char* action = f.action == proto::MaskAction::dropped       ? "column dropped"
                         : f.action == proto::MaskAction::name_masked ? "field name masked"
                                                                      : "masked";
    std::printf("%s %-16s %7lld  %s\n", fit(f.field, name_w).c_str(), f.detector.c_str(),
                static_cast<long long>(f.count), action);
  }
}

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

bool ask_yes(const std::string& question) {
  if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return false;
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

int snapshot(const GlobalOptions& g, const std::vector<std::string>& args) {
  po::options_description opts;
  // clang-format off
  opts.add_options()
      ("file", po::value<std::string>())
      ("method", po::value<std::string>())
      ("by", po::value<std::string>())
      ("seed", po::value<std::int64_t>())
      ("sample-size", po::value<std::int64_t>())
      ("yes-large", "");
  // clang-format on
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  } catch (const po::error& e) {
    return g.out.error(kUsage, std::string(e.what()) + "; see gdp snapshot --help");
  }
  if (!vm.count("file")) return g.out.error(kUsage, "which file? usage: gdp snapshot FILE");
  proto::SnapshotParams params;
  params.path = std::filesystem::absolute(vm["file"].as<std::string>()).lexically_normal().string();
  if (vm.count("method")) {
    proto::ExtractionMethod m{};
    if (!boost::describe::enum_from_string(vm["method"].as<std::string>().c_str(), m)) {
      return g.out.error(kUsage, "--method must be random, first_n or stratified");
    }
    params.method = m;
  }
  if (vm.count("by")) {
    params.stratify_by = vm["by"].as<std::string>();
    if (!params.method) params.method = proto::ExtractionMethod::stratified;
  }
  if (vm.count("seed")) params.seed = vm["seed"].as<std::int64_t>();
  if (vm.count("sample-size")) params.sample_size = vm["sample-size"].as<std::int64_t>();
  if (vm.count("yes-large")) params.allow_large = true;

  // Reading a big file can take a while on a cold cache; the usual reply timeout is too short.
  DaemonConnection conn(g.socket_path, std::max(g.timeout, std::chrono::milliseconds(600000)));
  proto::SnapshotResult result;
  try {
    result = conn.call<proto::Snapshot>(params);
  } catch (const RpcError& e) {
    if (e.code() != ErrorCode::FileTooLarge || g.out.json ||
        !ask_yes(std::string(e.what()) + "\nRead it anyway?"))
      throw;
    params.allow_large = true;
    result = conn.call<proto::Snapshot>(params);
  }
  if (!result.sanitized) {
    std::cerr << "gdp: WARNING: gdpd runs with --no-sanitize: this data is NOT masked, and planners would "
                 "receive it as it is. Restart gdpd without --no-sanitize to mask personal data.\n";
  }
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
     "gdp snapshot examples/sales.csv --seed 42", snapshot},
};

}  // namespace

std::span<const Command> ingest_commands() {
  return kCommands;
}

}  // namespace gdp::client
