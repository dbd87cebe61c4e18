#include "daemon/rpc/listener.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gdp {
namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string parent_dir(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Reads the pid a running daemon wrote into the lock file, for the error message.
std::string lock_holder(int fd) {
  char buf[32] = {};
  auto n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return {};
  std::string pid(buf, static_cast<std::size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

// Whether a process still listens on the socket at `path`: a socket manager holding it for
// activation (systemd's gdpd.socket) while no gdpd runs. /proc/net/unix lists every bound Unix
// socket of this network namespace with its path; flag __SO_ACCEPTCON (0x10000) marks a listener.
// Connecting to find out would start the service. A relative path is compared as it was bound.
bool someone_listens_on(const std::string& path) {
  std::ifstream table("/proc/net/unix");
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string num, refcount, protocol, flags, type, state, inode, bound;
    if (!(fields >> num >> refcount >> protocol >> flags >> type >> state >> inode)) continue;
    std::getline(fields >> std::ws, bound);
    if (bound == path && (std::strtoul(flags.c_str(), nullptr, 16) & 0x10000U) != 0) return true;
  }
  return false;
}

}  // namespace

void ensure_private_dir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw StartupError("cannot create socket directory " + dir + ": " + errno_text(errno));
  }
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0) {
    throw StartupError("cannot inspect socket directory " + dir + ": " + errno_text(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw StartupError("refusing socket directory " + dir +
                       ": it is not a directory (a symlink or file is in the way; remove it)");
  }
  if (st.st_uid != geteuid()) {
    throw StartupError("refusing socket directory " + dir + ": it belongs to uid " +
                       std::to_string(st.st_uid) + ", not to you (uid " + std::to_string(geteuid()) +
                       "); choose another --socket path");
  }
  if ((st.st_mode & 077) != 0) {
    throw StartupError("refusing socket directory " + dir + ": its mode " + octal_mode(st.st_mode) +
                       " lets group or others enter; run: chmod 700 " + dir);
  }
}

PeerCredentials peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    // No credentials means we cannot prove who is there: treat as a stranger.
    return PeerCredentials{0, static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
  }
  return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

bool peer_allowed(const PeerCredentials& peer, uid_t daemon_uid, bool allow_root) {
  return peer.uid == daemon_uid || (allow_root && peer.uid == 0);
}

Listener::Listener(boost::asio::io_context& io, std::string socket_path)
    : path_(std::move(socket_path)), acceptor_(io) {
  if (path_.size() >= sizeof(sockaddr_un::sun_path)) {
    throw StartupError("socket path is too long (" + std::to_string(path_.size()) +
                       " bytes; Unix sockets allow " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                       "): " + path_);
  }
  const auto dir = parent_dir(path_);
  ensure_private_dir(dir);

  lock();

  // We hold the lock, so whatever socket is there belongs to a daemon that died.
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw StartupError(path_ + " exists and is not a socket; move it away or choose another --socket");
    }
    // Not stale when a socket manager listens on it: replacing it would cut systemd off from its
    // own socket, and the clients from the gdpd it starts.
    if (someone_listens_on(path_)) {
      throw StartupError("another process listens on " + path_ +
                             " (systemd's gdpd.socket, most likely): gdp starts gdpd through it. To run gdpd "
                             "by hand instead, stop that first (systemctl --user stop gdpd.socket)",
                         3);
    }
    if (unlink(path_.c_str()) != 0) {
      throw StartupError("cannot remove stale socket " + path_ + ": " + errno_text(errno));
    }
  }

  using boost::asio::local::stream_protocol;
  acceptor_.open(stream_protocol());
  // umask makes the socket 0600 from the moment it exists; chmod afterwards would leave a window.
  const mode_t old_mask = umask(0177);
  boost::system::error_code ec;
  acceptor_.bind(stream_protocol::endpoint(path_), ec);
  umask(old_mask);
  if (ec) throw StartupError("cannot bind " + path_ + ": " + ec.message());
  acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) throw StartupError("cannot listen on " + path_ + ": " + ec.message());
}

Listener::Listener(boost::asio::io_context& io, int inherited_fd) : inherited_(true), acceptor_(io) {
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  if (getsockname(inherited_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw StartupError("cannot read the address of the inherited socket: " + errno_text(errno));
  }
  // An abstract or unnamed socket has no file beside which to keep a lock.
  const auto path_len = len - offsetof(sockaddr_un, sun_path);
  if (path_len > 1 && addr.sun_path[0] != '\0') path_.assign(addr.sun_path, strnlen(addr.sun_path, path_len));
  if (!path_.empty()) lock();
  boost::system::error_code ec;
  acceptor_.assign(boost::asio::local::stream_protocol(), inherited_fd, ec);
  if (ec) throw StartupError("cannot use the inherited socket: " + ec.message());
}

void Listener::lock() {
  const auto lock_path = path_ + ".lock";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd_ < 0) throw StartupError("cannot open lock file " + lock_path + ": " + errno_text(errno));
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const auto holder = lock_holder(lock_fd_);
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw StartupError("another gdpd" + (holder.empty() ? std::string() : " (pid " + holder + ")") +
                           " is already serving " + path_ +
                           "; use it, or stop it first (systemctl --user stop gdpd, or kill " +
                           (holder.empty() ? std::string("it") : holder) + ")",
                       3);
  }
  const auto pid = std::to_string(getpid()) + "\n";
  if (ftruncate(lock_fd_, 0) != 0 || pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0) {
    // Not fatal: the pid is only for the message a second daemon prints.
  }
}

void Listener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  if (!unlinked_ && !inherited_) {
    unlink(path_.c_str());
    unlinked_ = true;
  }
}

Listener::~Listener() {
  close();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

}  // namespace gdp
