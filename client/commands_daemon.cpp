// ping, version, status: questions about the daemon.
#include "client/commands.h"
#include "client/rpc_client.h"
#include "client/session_view.h"
#include "client/source.h"
#include "gdp/version.h"

#include <boost/program_options.hpp>

#include <cmath>
#include <iostream>

namespace gdp::client {
namespace po = boost::program_options;

bool stray_arguments(const GlobalOptions& g, const std::vector<std::string>& args, int& code) {
  if (args.empty()) return false;
  code = g.out.error(kUsage, "unexpected argument \"" + args.front() + "\"; see gdp --help");
  return true;
}

namespace {

std::string human_duration(double seconds) {
  auto s = static_cast<long long>(seconds);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  if (s < 86400) return std::to_string(s / 3600) + "h " + std::to_string((s % 3600) / 60) + "m";
  return std::to_string(s / 86400) + "d " + std::to_string((s % 86400) / 3600) + "h";
}

boost::json::object client_facts() {
  return {{"version", kVersion},
          {"protocol_versions", boost::json::array(proto::kSupportedProtocolVersions.begin(),
                                                   proto::kSupportedProtocolVersions.end())}};
}

int ping(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (int code = 0; stray_arguments(g, args, code)) return code;
  const auto started = std::chrono::steady_clock::now();
  DaemonConnection conn(g.socket_path, g.timeout);
  const auto result = conn.call<proto::Ping>({});
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (g.out.json) {
    auto doc = wire::to_json(result).as_object();
    doc["round_trip_ms"] = std::round(ms * 1000) / 1000;
    g.out.document(doc);
  } else {
    std::cout << "pong from gdpd " << conn.hello().daemon.version << " (pid " << conn.hello().daemon.pid
              << ") in " << std::round(ms * 10) / 10 << " ms\n";
  }
  return kOk;
}

int version(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (int code = 0; stray_arguments(g, args, code)) return code;
  // The client's own version is worth printing even when no daemon answers.
  try {
    DaemonConnection conn(g.socket_path, g.timeout);
    const auto result = conn.call<proto::Version>({});
    if (g.out.json) {
      g.out.document(boost::json::object{{"client", client_facts()}, {"daemon", wire::to_json(result)}});
    } else {
      std::cout << "gdp  " << kVersion << "\n"
                << "gdpd " << result.daemon_version << " (" << result.build.compiler << ", "
                << result.build.build_type << ", Boost " << result.build.boost << ")\n"
                << "protocol " << result.protocol_version << "\n";
    }
    return kOk;
  } catch (const ClientError& e) {
    if (!g.out.json) std::cout << "gdp  " << kVersion << "\n";
    return g.out.error(e.code(), e.what(), {}, {{"client", client_facts()}, {"daemon", nullptr}});
  }
}

void status_options(po::options_description& opts) {
  opts.add_options()("project", po::value<std::string>()->value_name("DIR"),
                     "only this project's sessions (default: every project)");
}

int status(const GlobalOptions& g, const std::vector<std::string>& args) {
  po::options_description opts;
  status_options(opts);
  po::variables_map vm;
  if (const int code = parse_options(g, "status", args, opts, "session", vm); code != kOk) return code;
  proto::StatusParams params;
  if (vm.count("session")) params.session_id = vm["session"].as<std::string>();
  params.project = project_option(vm);
  DaemonConnection conn(g.socket_path, g.timeout);
  const auto result = conn.call<proto::Status>(params);
  if (g.out.json) {
    g.out.document(wire::to_json(result));
    return kOk;
  }
  if (params.session_id) {
    if (!result.session) {
      return g.out.error(
          kProtocol, "gdpd did not describe session " + *params.session_id + "; is it older than this gdp?");
    }
    view::session(std::cout, *result.session, g.look);
    std::cout << std::flush;
    return kOk;
  }
  const auto& d = result.daemon;
  std::cout << "gdpd " << d.version << " (pid " << d.pid << "), up " << human_duration(d.uptime_seconds)
            << ", " << d.connections << (d.connections == 1 ? " client" : " clients") << " connected\n"
            << "socket " << d.socket << "\n";
  if (result.sessions.empty()) {
    std::cout << "No sessions.\n";
    return kOk;
  }
  std::cout << "\nSESSION                    STATUS      STEPS  PROJECT\n";
  // The columns before PROJECT take 46; on a terminal PROJECT is cut (…) to what is left of it.
  constexpr std::size_t kProjectColumn = 46;
  for (const auto& s : result.sessions) {
    std::string project = view::visible(s.project) + (s.pending_approval ? "  (waiting for approval)" : "");
    if (g.look.width > kProjectColumn + 10 && display_width(project) > g.look.width - kProjectColumn) {
      project = fit(project, g.look.width - kProjectColumn);
    }
    const std::string status = boost::describe::enum_to_string(s.status, "?");
    std::printf("%-26s %s%*s %6lld  %s\n", s.session_id.c_str(),
                g.look.paint(view::status_role(s.status), status).c_str(),
                static_cast<int>(10 - std::min<std::size_t>(10, status.size())), "",
                static_cast<long long>(s.steps_done), project.c_str());
  }
  std::cout << std::flush;
  return kOk;
}

const Command kCommands[] = {
    {"ping", "check that gdpd answers", "ping", "gdp ping", ping},
    {"version", "print gdp's, gdpd's and the protocol's versions", "version", "gdp --json version", version},
    {"status", "show the daemon and its sessions, or one session in full", "status [SESSION] [--project DIR]",
     "gdp status", status, status_options},
};

}  // namespace

std::span<const Command> daemon_commands() {
  return kCommands;
}

}  // namespace gdp::client
