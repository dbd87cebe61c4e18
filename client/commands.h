// gdp's commands: one table, one file per command family (commands_daemon.cpp, ...).
#pragma once

#include "client/output.h"

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace gdp::client {

struct GlobalOptions {
  std::string socket_path;
  std::chrono::milliseconds timeout{30000};
  Output out;
};

struct Command {
  const char* name;
  const char* summary;
  const char* usage;    // after "gdp "
  const char* example;  // a whole command line
  std::function<int(const GlobalOptions&, const std::vector<std::string>& args)> run;
};

std::span<const Command> daemon_commands();
std::span<const Command> ingest_commands();
std::span<const Command> planner_commands();
std::span<const Command> sandbox_commands();
std::span<const Command> key_commands();

// For commands that take no arguments: a stray one is more likely a typo than intended. Sets
// `code` to the usage error's exit code and returns true when there is one.
bool stray_arguments(const GlobalOptions& g, const std::vector<std::string>& args, int& code);

}  // namespace gdp::client
