// cleanup: the sandbox's leftovers.
#include "client/commands.h"
#include "client/rpc_client.h"

#include <boost/program_options.hpp>

#include <cctype>
#include <cmath>
#include <iostream>
#include <optional>

namespace gdp::client {
namespace po = boost::program_options;
namespace {

// "30d", "12h", "90m", "45s", "2w", or a bare number of seconds; nullopt for anything else.
std::optional<double> parse_duration(const std::string& text) {
  std::size_t used = 0;
  double n = 0;
  try {
    n = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!(n >= 0) || !std::isfinite(n) || !std::isdigit(static_cast<unsigned char>(text.front())))
    return std::nullopt;
  const auto unit = text.substr(used);
  if (unit.empty() || unit == "s") return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  if (unit == "w") return n * 7 * 86400;
  return std::nullopt;
}

void cleanup_options(po::options_description& opts) {
  // clang-format off
  opts.add_options()
      ("older-than", po::value<std::string>()->value_name("DURATION"),
       "also remove sessions untouched for this long, with their containers (30d, 12h, 90m, 45s, 2w)")
      ("project", po::value<std::string>()->value_name("DIR"), "only this project's sessions (default: every project)");
  // clang-format on
}

int cleanup(const GlobalOptions& g, const std::vector<std::string>& args) {
  po::options_description opts;
  cleanup_options(opts);
  po::variables_map vm;
  if (const int code = parse_options(g, "cleanup", args, opts, nullptr, vm); code != kOk) return code;
  proto::CleanupParams params;
  params.project = project_option(vm);
  if (vm.count("older-than")) {
    const auto text = vm["older-than"].as<std::string>();
    params.older_than_seconds = parse_duration(text);
    if (!params.older_than_seconds) {
      return g.out.error(kUsage,
                         "--older-than \"" + text +
                             "\" is not a duration; say e.g. 30d, 12h, 90m, 45s, 2w or a number of seconds");
    }
  }
  DaemonConnection conn(g.socket_path, g.timeout);
  const auto result = conn.call<proto::Cleanup>(params);
  if (g.out.json) {
    g.out.document(wire::to_json(result));
    return kOk;
  }
  std::cout << "removed " << result.removed << " leftover sandbox container(s) (Docker Engine "
            << result.engine << ")\n";
  if (params.older_than_seconds) {
    std::cout << "removed " << result.removed_sessions.size() << " old session(s)"
              << (result.removed_sessions.empty() ? "" : ":") << "\n";
    for (const auto& id : result.removed_sessions) std::cout << "  " << id << "\n";
  }
  return kOk;
}

const Command kCommands[] = {
    {"cleanup",
     "remove sandbox containers no running step owns; with --older-than, old abandoned sessions too",
     "cleanup [--older-than DURATION] [--project DIR]", "gdp cleanup --older-than 30d", cleanup,
     cleanup_options},
};

}  // namespace

std::span<const Command> sandbox_commands() {
  return kCommands;
}

}  // namespace gdp::client
