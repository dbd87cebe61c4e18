// gdp: the thin client. It parses the command line, talks to gdpd, and prints; it never touches
// Docker, a planner or the data itself (tests/e2e/client_deps_test.sh checks what it links).
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/pager.h"
#include "client/rpc_client.h"
#include "common/paths.h"
#include "gdp/version.h"

#include <boost/program_options.hpp>

#include <unistd.h>

#include <iomanip>
#include <iostream>
#include <vector>

namespace po = boost::program_options;
using namespace gdp::client;

namespace {

std::vector<Command> all_commands() {
  std::vector<Command> commands;
  for (const auto& c : daemon_commands()) commands.push_back(c);
  for (const auto& c : ingest_commands()) commands.push_back(c);
  for (const auto& c : planner_commands()) commands.push_back(c);
  for (const auto& c : sandbox_commands()) commands.push_back(c);
  for (const auto& c : session_commands()) commands.push_back(c);
  for (const auto& c : key_commands()) commands.push_back(c);
  for (const auto& c : doctor_commands()) commands.push_back(c);
  return commands;
}

// After the command, --version is the command's own (gdp approve SESSION --version 2, the version of
// a script) and not gdp's: hidden from the global parser as a positional word, restored after.
constexpr std::string_view kShieldedVersion = "\x1fversion";

std::vector<std::string> shield_command_version(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool after_command = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (after_command && (a == "--version" || a.starts_with("--version="))) {
      args[i] = std::string(kShieldedVersion) + a.substr(9);
    } else if (a == "--socket" || a == "--timeout" || a == "--color") {
      ++i;  // its value is not the command
    } else if (!a.starts_with("-")) {
      after_command = true;
    }
  }
  return args;
}

// On stdout when asked for; on stderr when it stands for a usage error (gdp alone).
void print_help(const po::options_description& global, const std::vector<Command>& commands,
                std::ostream& os = std::cout) {
  os << "Usage: gdp [--socket PATH] [--json] COMMAND [ARGS]\n\n"
        "gdp is a careful data-processing assistant: it proposes small Python scripts for\n"
        "your data, shows each one, and runs only what you approve, in a locked-down\n"
        "container. This is the client; gdpd is the daemon it talks to.\n\n"
        "Commands:\n";
  for (const auto& c : commands)
    os << "  " << std::left << std::setw(10) << c.name << " " << c.summary << "\n";
  os << "\n" << global << "\nExamples:\n";
  for (const auto& c : commands) os << "  " << c.example << "\n";
  os << "\n" << kExitCodeHelp;
}

void print_command_help(const Command& c) {
  std::cout << "Usage: gdp [--socket PATH] [--json] " << c.usage << "\n\n" << c.summary << ".\n\n";
  if (c.options != nullptr) {
    po::options_description opts("Options");
    c.options(opts);
    std::cout << opts << "\n";
  }
  std::cout << "Example:\n  " << c.example
            << "\n\nGlobal options (gdp --help) go before or after the command.\n\n"
            << kExitCodeHelp;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description global("Options");
  // clang-format off
  global.add_options()
      ("help,h", "show help (gdp COMMAND --help for one command)")
      ("version", "print gdp's version (gdp version also asks the daemon)")
      ("socket", po::value<std::string>(), "gdpd's socket (default: $GDP_SOCKET, else $XDG_RUNTIME_DIR/gdp/gdpd.sock)")
      ("json", "print exactly one JSON document on stdout, for scripts")
      ("timeout", po::value<double>()->default_value(30), "seconds to wait for gdpd to answer")
      ("color", po::value<std::string>()->default_value("auto"), "colour: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always or never")
      ("no-pager", "never page long scripts through $PAGER (default: less -R on a terminal)");
  // clang-format on
  const auto commands = all_commands();
  po::variables_map vm;
  Output out;
  // Known before parsing, so that even a usage error is one JSON document under --json.
  for (int i = 1; i < argc; ++i) out.json = out.json || std::string_view(argv[i]) == "--json";
  // Global options may stand anywhere; everything else (the command, its arguments and its own
  // options) is kept in order for the command to parse.
  std::vector<std::string> rest;
  try {
    auto parsed = po::command_line_parser(shield_command_version(argc, argv))
                      .options(global)
                      .allow_unregistered()
                      .run();
    po::store(parsed, vm);
    po::notify(vm);
    rest = po::collect_unrecognized(parsed.options, po::include_positional);
    for (auto& arg : rest) {
      if (arg.starts_with(kShieldedVersion)) arg = "--version" + arg.substr(kShieldedVersion.size());
    }
  } catch (const po::error& e) {
    return out.error(kUsage, std::string(e.what()) + "; run gdp --help for usage");
  }
  out.json = vm.count("json") != 0;
  const auto color = parse_color_mode(vm["color"].as<std::string>());
  if (!color) return out.error(kUsage, "--color must be auto, always or never; see gdp --help");
  if (!out.json) {
    out.color = color_for_fd(*color, STDERR_FILENO);
    out.width = isatty(STDERR_FILENO) != 0 ? terminal_columns(STDERR_FILENO) : 0;
  }

  const Command* command = nullptr;
  if (!rest.empty()) {
    const auto name = rest.front();
    for (const auto& c : commands) {
      if (name == c.name) command = &c;
    }
    if (command == nullptr && name != "help") {
      return out.error(kUsage, "unknown command \"" + name + "\"; run gdp --help for the list");
    }
    if (name == "help") {
      // gdp help COMMAND is gdp COMMAND --help.
      for (const auto& c : commands) {
        if (rest.size() > 1 && rest[1] == c.name) command = &c;
      }
      if (rest.size() > 1 && command == nullptr) {
        return out.error(kUsage, "no command \"" + rest[1] + "\"; run gdp --help for the list");
      }
      command != nullptr ? print_command_help(*command) : print_help(global, commands);
      return kOk;
    }
  }
  if (vm.count("help")) {
    command != nullptr ? print_command_help(*command) : print_help(global, commands);
    return kOk;
  }
  if (vm.count("version") && command == nullptr) {
    std::cout << "gdp " << gdp::kVersion << "\n";
    return kOk;
  }
  if (command == nullptr) {
    if (out.json) return out.error(kUsage, "no command given; run gdp --help for the list");
    print_help(global, commands, std::cerr);
    return kUsage;
  }

  GlobalOptions g;
  if (!out.json) {
    g.look.color = color_for_fd(*color, STDOUT_FILENO);
    g.look.width = isatty(STDOUT_FILENO) != 0 ? terminal_columns(STDOUT_FILENO) : 0;
  }
  g.pager = pager_allowed(out.json, vm.count("no-pager") != 0);
  g.out = out;
  g.socket_path = vm.count("socket") ? vm["socket"].as<std::string>() : gdp::default_socket_path();
  const double timeout = vm["timeout"].as<double>();
  if (!(timeout > 0))
    return out.error(kUsage, "--timeout must be a positive number of seconds, e.g. --timeout 60");
  g.timeout = std::chrono::milliseconds(static_cast<long long>(timeout * 1000));
  const std::vector<std::string> args(rest.begin() + 1, rest.end());

  try {
    return command->run(g, args);
  } catch (const ClientError& e) {
    return out.error(e.code(), e.what());
  } catch (const gdp::RpcError& e) {
    return out.error(kDaemonError, e.what(), e.kind(), {{"code", e.raw_code()}});
  } catch (const std::exception& e) {
    return out.error(kDaemonError, e.what());
  }
}
