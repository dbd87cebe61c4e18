// gdpd under a systemd user manager (systemd/gdpd.socket, systemd/gdpd.service.in): the listening
// socket systemd hands over, and the state gdpd reports to it (Type=notify). Outside systemd
// (no LISTEN_FDS, no NOTIFY_SOCKET) every function here does nothing.
#pragma once

#include <string>

namespace gdp::systemd {

// The listening socket systemd passed (socket activation), or -1 when none was passed. Takes it:
// LISTEN_FDS and LISTEN_PID are removed from the environment, so no child sees them, and the
// descriptor is made close-on-exec. Call before forking (LISTEN_PID names this process). Throws
// StartupError when systemd passed something gdpd cannot serve on: more than one descriptor, or one
// that is not a listening AF_UNIX stream socket.
int take_listen_socket();

// Readiness, status and shutdown for the service manager (sd_notify; NOTIFY_SOCKET says where).
// `status` is the one-line text `systemctl status` shows.
void notify_ready(const std::string& status);
void notify_status(const std::string& status);
void notify_stopping(const std::string& status);

}  // namespace gdp::systemd
