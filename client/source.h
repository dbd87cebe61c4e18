// What every command that reads a user's file shares (snapshot, plan): the file and sampling
// options, the question before a file over the size limit is read, and how masked data is shown.
#pragma once

#include "client/commands.h"
#include "common/errors.h"
#include "common/protocol.h"

#include <chrono>
#include <string>
#include <vector>

namespace gdp::client {

// Reading a big file can take a while on a cold cache; the usual reply timeout is too short.
inline constexpr std::chrono::milliseconds kReadTimeout{600000};

// --method, --by, --seed, --sample-size and --yes-large, described for --help.
void source_options(boost::program_options::options_description& opts);

// FILE [--method M] [--by COLUMN] [--seed N] [--sample-size N] [--yes-large] into `params`;
// returns kOk or the usage error's exit code (already printed).
int parse_source(const GlobalOptions& g, const char* command, const std::vector<std::string>& args,
                 proto::SnapshotParams& params);

// On a TTY, asks and reads y/N; false anywhere else.
bool ask_yes(const std::string& question);

// Runs `call`; when the file is over gdpd's size limit and a person is there to say yes, asks
// and runs it again with the limit lifted.
template <class Call>
auto call_reading(const GlobalOptions& g, proto::SnapshotParams& params, Call call) {
  try {
    return call();
  } catch (const RpcError& e) {
    if (e.code() != ErrorCode::FileTooLarge || g.out.json ||
        !ask_yes(std::string(e.what()) + "\nRead it anyway?")) {
      throw;
    }
    params.allow_large = true;
    return call();
  }
}

// Said on every command that shows data when gdpd runs with --no-sanitize.
void warn_unmasked();

std::size_t terminal_width();
std::size_t width(std::string_view s);            // display width of UTF-8 text, in code points
std::string fit(std::string s, std::size_t max);  // padded or cut (with …) to exactly `max`
std::string cell(const boost::json::value& v);    // a JSON value as a table cell
// The table of what the privacy step masked: field, detector, how many values, what was done.
void print_masked(const proto::DataSnapshot& s);

}  // namespace gdp::client
