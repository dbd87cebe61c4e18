#include "daemon/systemd.h"

#include "daemon/log.h"
#include "daemon/rpc/listener.h"

#include <systemd/sd-daemon.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <cstring>

namespace gdp::systemd {
namespace {

void notify(const std::string& state) {
  // Negative is an error, 0 means no NOTIFY_SOCKET (not under systemd): only the error is news.
  // Not fatal: gdpd serves either way; systemd's start timeout reports a missing READY=1.
  if (const int r = sd_notify(0, state.c_str()); r < 0) {
    GDP_LOG(warn) << "cannot notify the service manager (" << std::strerror(-r) << ")";
  }
}

}  // namespace

int take_listen_socket() {
  // unset_environment=1: the variables describe this process only; a child must not take them.
  const int n = sd_listen_fds(1);
  if (n < 0) {
    throw StartupError(std::string("cannot read the sockets systemd passed (LISTEN_FDS): ") +
                       std::strerror(-n));
  }
  if (n == 0) return -1;
  if (n > 1) {
    throw StartupError("systemd passed " + std::to_string(n) +
                       " sockets, gdpd serves one: give gdpd.socket a single ListenStream=");
  }
  const int fd = SD_LISTEN_FDS_START;
  // listening=1, length 0: any AF_UNIX path (the unit decides where), but a stream socket that
  // already listens; a datagram or connected socket would fail only at the first accept.
  if (const int r = sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0); r <= 0) {
    throw StartupError("the socket systemd passed is not a listening Unix stream socket" +
                       (r < 0 ? " (" + std::string(std::strerror(-r)) + ")" : std::string()) +
                       "; gdpd.socket needs ListenStream=PATH (not ListenDatagram=, and Accept=no)");
  }
  // systemd passes it without FD_CLOEXEC; gdpd's helpers must not inherit the listener.
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

void notify_ready(const std::string& status) {
  notify("READY=1\nSTATUS=" + status);
}

void notify_status(const std::string& status) {
  notify("STATUS=" + status);
}

void notify_stopping(const std::string& status) {
  notify("STOPPING=1\nSTATUS=" + status);
}

}  // namespace gdp::systemd
