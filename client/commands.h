// gdp's commands: one table, one file per command family (commands_daemon.cpp, ...).
#pragma once

#include "client/output.h"
#include "client/style.h"

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace boost::program_options {
class options_description;
class variables_map;
}  // namespace boost::program_options

namespace gdp::client {

struct GlobalOptions {
  std::string socket_path;
  std::chrono::milliseconds timeout{30000};
  Output out;
  Look look;           // stdout's: colour and width for what people read (client/style.h)
  bool pager = false;  // long views may go through the pager (client/pager.h)
};

struct Command {
  const char* name;
  const char* summary;
  const char* usage;    // after "gdp "
  const char* example;  // a whole command line
  std::function<int(const GlobalOptions&, const std::vector<std::string>& args)> run;
  // Adds the command's own options, each with its description, for parsing and for its --help;
  // nullptr when it has none.
  void (*options)(boost::program_options::options_description&) = nullptr;
};

std::span<const Command> daemon_commands();
std::span<const Command> ingest_commands();
std::span<const Command> planner_commands();
std::span<const Command> sandbox_commands();
std::span<const Command> key_commands();
std::span<const Command> session_commands();
std::span<const Command> doctor_commands();

// For commands that take no arguments: a stray one is more likely a typo than intended. Sets
// `code` to the usage error's exit code and returns true when there is one.
bool stray_arguments(const GlobalOptions& g, const std::vector<std::string>& args, int& code);

// A command's own options and at most one positional argument (named `positional`, e.g.
// "session"; nullptr for none). Returns kOk or the usage error's exit code (already printed).
int parse_options(const GlobalOptions& g, const char* command, const std::vector<std::string>& args,
                  const boost::program_options::options_description& opts, const char* positional,
                  boost::program_options::variables_map& vm);
// --project DIR made absolute, when given.
std::optional<std::string> project_option(const boost::program_options::variables_map& vm);

// The client's GEMINI_API_KEY put into a request's api_key for that request only (never on a
// command line, never to a file); the copy is overwritten when the guard goes, however it goes.
class ForwardedKey {
 public:
  explicit ForwardedKey(std::optional<std::string>& slot);
  ~ForwardedKey();
  ForwardedKey(const ForwardedKey&) = delete;
  ForwardedKey& operator=(const ForwardedKey&) = delete;

 private:
  std::optional<std::string>& slot_;
};

}  // namespace gdp::client
