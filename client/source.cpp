// What every command that reads a user's file shares: the file and sampling options, the
// "read it anyway?" question for a file over the size limit, and the table of what was masked.
#include "client/source.h"

#include "client/style.h"

#include <boost/program_options.hpp>

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace gdp::client {
namespace po = boost::program_options;

std::size_t terminal_width() {
  // Piped, a snapshot's table keeps the width it always had: scripts may read it.
  if (isatty(STDOUT_FILENO) == 0 && std::getenv("COLUMNS") == nullptr) return 100;
  const auto n = terminal_columns(STDOUT_FILENO);
  return n > 20 ? n : 100;
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
  for (const auto& f : s.sanitized_fields) {
    name_w = std::max(name_w, std::min<std::size_t>(width(f.field), 30));
  }
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

bool ask_yes(const std::string& question) {
  if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return false;
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

void warn_unmasked() {
  std::cerr << "gdp: WARNING: gdpd runs with --no-sanitize: this data is NOT masked, and planners would "
               "receive it as it is. Restart gdpd without --no-sanitize to mask personal data.\n";
}

void source_options(po::options_description& opts) {
  // clang-format off
  opts.add_options()
      ("method", po::value<std::string>()->value_name("M"), "how the sample is drawn: random (default), first_n or stratified")
      ("by", po::value<std::string>()->value_name("COLUMN"), "stratify the sample by this column (implies --method stratified)")
      ("seed", po::value<std::int64_t>()->value_name("N"), "the random sample's seed, to draw the same sample again")
      ("sample-size", po::value<std::int64_t>()->value_name("N"), "how many records the sample holds (default 100)")
      ("yes-large", "read a file over gdpd's size limit without asking");
  // clang-format on
}

int parse_source(const GlobalOptions& g, const char* command, const std::vector<std::string>& args,
                 proto::SnapshotParams& params) {
  po::options_description opts;
  opts.add_options()("file", po::value<std::string>());
  source_options(opts);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  } catch (const po::error& e) {
    return g.out.error(kUsage, std::string(e.what()) + "; see gdp " + command + " --help");
  }
  if (!vm.count("file")) {
    return g.out.error(kUsage, std::string("which file? usage: gdp ") + command + " FILE");
  }
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

  return kOk;
}

}  // namespace gdp::client
