// The private Unix socket gdpd listens on, and who may connect to it.
//
// Only the user who owns the daemon may talk to it, enforced three times over: the socket's
// directory must be owned by that user and closed to group and others (refused otherwise, as tmux
// does, because a directory someone else controls lets them swap the socket); the socket is 0600;
// and every accepted peer's uid is read with SO_PEERCRED and compared, which still holds if the
// file modes are loosened by mistake. A lock file beside the socket makes a second daemon exit at
// once, and a stale socket is unlinked only while that lock is held (and only if no process, such
// as systemd holding it for socket activation, still listens on it).
//
// Under socket activation (systemd/gdpd.socket) the service manager made the socket and its
// directory and passes the listening descriptor: gdpd adopts it as it is, never unlinks or chmods
// it (systemd keeps it for the next start), and still checks every peer's uid.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <sys/types.h>
#include <stdexcept>
#include <string>

namespace gdp {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Why gdpd could not start; `exit_code` is what main returns (see gdpd --help).
class StartupError : public std::runtime_error {
 public:
  StartupError(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// Creates `dir` with mode 0700 if missing, then checks it is a real directory (not a symlink),
// owned by the effective uid, and not enterable by group or others. Throws StartupError.
void ensure_private_dir(const std::string& dir);

PeerCredentials peer_credentials(int fd);

// Whether a peer may use this daemon: the same uid, or root when `allow_root`.
bool peer_allowed(const PeerCredentials& peer, uid_t daemon_uid, bool allow_root);

class Listener {
 public:
  using socket_type = boost::asio::local::stream_protocol::socket;

  // Takes the lock, removes a stale socket, binds and listens. Throws StartupError.
  Listener(boost::asio::io_context& io, std::string socket_path);
  // Adopts a listening socket someone else made (systemd). Its path (when it has one) is what
  // path() returns, and the lock beside it is taken as for a socket of our own. Throws StartupError.
  Listener(boost::asio::io_context& io, int inherited_fd);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  boost::asio::local::stream_protocol::acceptor& acceptor() { return acceptor_; }
  const std::string& path() const { return path_; }
  bool inherited() const { return inherited_; }
  // Stops accepting and removes the socket file unless it was inherited (the lock is released
  // when this object dies).
  void close();

 private:
  // Takes the lock file beside the socket; throws StartupError (exit 3) if another gdpd holds it.
  void lock();

  std::string path_;
  bool inherited_ = false;
  int lock_fd_ = -1;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  bool unlinked_ = false;
};

}  // namespace gdp
