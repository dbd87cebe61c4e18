#include "client/rpc_client.h"

#include "common/wipe.h"
#include "gdp/version.h"

#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace gdp::client {
namespace {

std::string start_hint() {
  return "Start one with:  systemctl --user start gdpd   (when installed as a service)\n"
         "            or:  gdpd                        (detaches; gdpd --foreground stays in this terminal)";
}

std::string my_tty() {
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (const char* name = ttyname(fd)) return name;
  }
  return {};
}

}  // namespace

DaemonConnection::DaemonConnection(const std::string& socket_path, std::chrono::milliseconds timeout)
    : path_(socket_path), timeout_(timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    throw ClientError(kUsage, "socket path is too long: " + socket_path + "; give a shorter --socket");
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw ClientError(kNoDaemon, std::string("cannot create a socket: ") + std::strerror(errno));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    close(fd_);
    fd_ = -1;
    if (err == EACCES || err == EPERM) {
      throw ClientError(kRefused, "permission denied on " + socket_path +
                                      ": this socket belongs to another user; run your own gdpd");
    }
    throw ClientError(
        kNoDaemon, "no daemon answers on " + socket_path + " (" + std::strerror(err) + ").\n" + start_hint());
  }
  proto::HelloParams hello;
  hello.protocol_versions.assign(proto::kSupportedProtocolVersions.begin(),
                                 proto::kSupportedProtocolVersions.end());
  hello.client = {"gdp", kVersion, getpid(), std::nullopt};
  if (auto tty = my_tty(); !tty.empty()) hello.client.tty = tty;
  try {
    hello_ = call<proto::Hello>(hello);
  } catch (const RpcError& e) {
    if (e.code() == ErrorCode::ProtocolVersionMismatch) throw ClientError(kProtocol, e.what());
    if (e.code() == ErrorCode::PeerNotAllowed) throw ClientError(kRefused, e.what());
    throw;
  }
}

DaemonConnection::~DaemonConnection() {
  if (fd_ >= 0) close(fd_);
}

std::vector<rpc::Message> DaemonConnection::take_notifications() {
  return std::exchange(notifications_, {});
}

std::optional<rpc::Message> DaemonConnection::pop_frame() {
  if (frames_.empty()) return std::nullopt;
  auto frame = std::move(frames_.front());
  frames_.erase(frames_.begin());
  auto parsed = rpc::parse_message(frame);
  if (parsed.error) {
    throw ClientError(kProtocol, std::string("gdpd sent a malformed message: ") + parsed.error->what());
  }
  return std::move(*parsed.message);
}

bool DaemonConnection::receive() {
  char buf[64 * 1024];
  for (;;) {
    const auto n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (framer_.feed(std::string_view(buf, static_cast<std::size_t>(n)), frames_) != LineFramer::Status::ok) {
      throw ClientError(kProtocol, "gdpd sent a message larger than " +
                                       std::to_string(framer_.max_frame_bytes()) + " bytes");
    }
    return true;
  }
}

rpc::Message DaemonConnection::read_message() {
  using Clock = std::chrono::steady_clock;
  const auto deadline = timeout_ ? std::optional(Clock::now() + *timeout_) : std::nullopt;
  for (;;) {
    if (auto msg = pop_frame()) return std::move(*msg);
    pollfd pfd{fd_, POLLIN, 0};
    // With a tick to give, wake at least once a second (a countdown on screen); else sleep it all.
    auto slice = std::chrono::milliseconds(-1);
    if (deadline) slice = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
    if (on_tick && (slice.count() < 0 || slice > std::chrono::milliseconds(1000))) {
      slice = std::chrono::milliseconds(1000);
    }
    const int ready =
        poll(&pfd, 1, deadline || on_tick ? static_cast<int>(std::max<std::int64_t>(0, slice.count())) : -1);
    if (ready == 0) {
      if (!deadline || Clock::now() < *deadline) {
        if (on_tick) on_tick();
        continue;
      }
      throw ClientError(kNoDaemon, "gdpd did not answer within " + std::to_string(timeout_->count() / 1000) +
                                       " s on " + path_ + "; is it stuck? (see its log)");
    }
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw ClientError(kNoDaemon, std::string("poll: ") + std::strerror(errno));
    }
    if (!receive()) {
      throw ClientError(kNoDaemon, "gdpd closed the connection on " + path_ +
                                       " before answering (did it stop? see its log)");
    }
  }
}

DaemonConnection::Wake DaemonConnection::next_notification(std::optional<std::chrono::milliseconds> wait,
                                                           int watch_fd, rpc::Message& out) {
  using Clock = std::chrono::steady_clock;
  if (!notifications_.empty()) {
    out = std::move(notifications_.front());
    notifications_.erase(notifications_.begin());
    return Wake::notification;
  }
  const auto deadline = wait ? std::optional(Clock::now() + *wait) : std::nullopt;
  for (;;) {
    while (auto msg = pop_frame()) {
      // A reply nobody waits for any more (its call gave up) is dropped; everything else is news.
      if (msg->kind == rpc::Message::Kind::response) continue;
      out = std::move(*msg);
      return Wake::notification;
    }
    pollfd pfds[2] = {{fd_, POLLIN, 0}, {watch_fd, POLLIN, 0}};
    int ms = -1;
    if (deadline) {
      ms = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count()));
    }
    const int ready = poll(pfds, watch_fd >= 0 ? 2 : 1, ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw ClientError(kNoDaemon, std::string("poll: ") + std::strerror(errno));
    }
    if (ready == 0) return Wake::timeout;
    // The daemon's news first: a "decided" event must drop a prompt before its answer is read.
    if (pfds[0].revents != 0) {
      if (!receive()) return Wake::closed;
      continue;
    }
    if (watch_fd >= 0 && pfds[1].revents != 0) return Wake::watched_fd;
  }
}

boost::json::value DaemonConnection::call_raw(std::string_view method, boost::json::value params) {
  const auto id = next_id_++;
  auto line = rpc::encode_request(id, method, std::move(params));
  // The line may carry a forwarded API key: overwrite it once sent, whatever happens.
  const WipeOnExit wipe{line};
  std::size_t sent = 0;
  while (sent < line.size()) {
    const auto n = send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The daemon may have refused us before reading anything (wrong uid, too many clients):
      // its reason is already in our receive buffer, and it beats "lost the connection".
      try {
        auto msg = read_message();
        if (msg.error) throw *msg.error;
      } catch (const ClientError&) {
      }
      throw ClientError(kNoDaemon, "lost the connection to gdpd on " + path_ + "; did it stop? (gdp ping)");
    }
    sent += static_cast<std::size_t>(n);
  }
  for (;;) {
    auto msg = read_message();
    if (msg.kind != rpc::Message::Kind::response) {
      if (on_notification) {
        on_notification(msg);
      } else {
        notifications_.push_back(std::move(msg));
      }
      continue;
    }
    if (msg.id.is_null() && msg.error) throw *msg.error;             // connection-level refusal
    if (!(msg.id.is_int64() && msg.id.get_int64() == id)) continue;  // not ours (stale)
    if (msg.error) throw *msg.error;
    return std::move(msg.result);
  }
}

}  // namespace gdp::client
