// Where gdp and gdpd meet: the default socket path, resolved the same way by both binaries.
#pragma once

#include <string>

namespace gdp {

// $GDP_SOCKET if set; else $XDG_RUNTIME_DIR/gdp/gdpd.sock; else /tmp/gdp-<uid>/gdpd.sock, a per-uid
// directory that gdpd creates 0700 and refuses to use if anyone else owns it or can enter it.
std::string default_socket_path();

// $XDG_STATE_HOME/gdp, else $HOME/.local/state/gdp, else /tmp/gdp-<uid>/state.
std::string default_state_dir();

// The Docker Engine's socket when none is configured: DOCKER_HOST=unix:///path, else
// /var/run/docker.sock. Throws std::invalid_argument, saying what to do, for another DOCKER_HOST
// scheme (tcp://, ssh://): the sandbox needs a local engine on a Unix socket.
std::string default_docker_socket();

}  // namespace gdp
