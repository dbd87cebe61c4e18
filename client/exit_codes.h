// gdp's exit codes. They are part of the interface (scripts test them): documented in
// `gdp --help` and the README, and never renumbered.
#pragma once

namespace gdp::client {

enum ExitCode : int {
  kOk = 0,
  kDaemonError = 1,   // the daemon answered with an error (the message says what to do)
  kUsage = 2,         // bad command line
  kNoDaemon = 3,      // no daemon answers on the socket
  kProtocol = 4,      // the daemon's answer could not be understood, or versions differ
  kRefused = 5,       // the daemon or the socket refused this user
  kChecksWarned = 6,  // gdp doctor: no check failed, some warned
  kChecksFailed = 7,  // gdp doctor: some check failed (its fix is printed with it)
};

inline constexpr const char* kExitCodeHelp =
    "Exit status:\n"
    "  0  success\n"
    "  1  the daemon answered with an error\n"
    "  2  bad command line\n"
    "  3  no daemon answers on the socket (start one: systemctl --user start gdpd, or gdpd)\n"
    "  4  protocol error: gdp and gdpd versions differ, or the reply was malformed\n"
    "  5  refused: the socket or daemon belongs to another user\n"
    "  6  gdp doctor: some check warned (none failed)\n"
    "  7  gdp doctor: some check failed\n";

}  // namespace gdp::client
