#include "daemon/sandbox/engine.h"

#include "common/errors.h"
#include "common/paths.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sys/stat.h>
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <utility>

namespace gdp::sandbox {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using local = net::local::stream_protocol;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Any value satisfies HTTP/1.1's Host requirement; this is the reserved name Docker's Go client sends.
constexpr std::string_view kHost = "api.moby.localhost";
constexpr std::string_view kWantedApi = "1.41";  // Docker 20.10; every field this client uses exists there

// Bounds on what an engine's answer may make us hold in memory.
constexpr std::size_t kMaxReplyBytes = std::size_t{64} << 20;  // inspect, info, a long container list
constexpr std::size_t kMaxErrorBytes = std::size_t{64} << 10;  // an error body; only "message" matters
constexpr std::size_t kMaxJsonLine = std::size_t{1} << 20;     // one progress line of pull or load

// Pulls and loads move hundreds of megabytes and wait on registries, so they get a long overall limit
// but must keep making progress; logs may be a gigabyte of output read and discarded.
constexpr milliseconds kTransferIdle = std::chrono::minutes(5);
constexpr milliseconds kTransferTotal = std::chrono::hours(1);
constexpr milliseconds kLogsTotal = std::chrono::minutes(10);

[[noreturn]] void unavailable(const std::string& socket, const std::string& message) {
  throw RpcError(ErrorCode::DockerNotAvailable, message, json::object{{"socket", socket}});
}

std::string not_docker_advice() {
  return "it is not a Docker engine; point DOCKER_HOST at the engine's socket (unix:///var/run/docker.sock)";
}

// The peer broke the Engine API's protocol: whatever it is, it is not an engine we can use.
[[noreturn]] void not_an_engine(const std::string& socket, const std::string& detail) {
  unavailable(socket, "the peer at " + socket + " " + detail + "; " + not_docker_advice());
}

// How long a call may take. With `idle` set, each read or write must also make progress within it:
// long transfers are bounded by their silence rather than by a total no caller can guess.
struct Deadline {
  Clock::time_point hard;
  milliseconds total{0};
  milliseconds idle{0};

  static Deadline within(milliseconds total) { return {after(total), total, milliseconds{0}}; }
  static Deadline progressing(milliseconds idle, milliseconds total) { return {after(total), total, idle}; }
  // Saturates, so that a caller's "forever" (milliseconds::max()) cannot overflow the clock.
  static Clock::time_point after(milliseconds limit) {
    return Clock::now() + std::min<milliseconds>(limit, std::chrono::hours(24 * 365));
  }
  Clock::time_point next() const { return idle.count() > 0 ? std::min(hard, after(idle)) : hard; }
};

// Percent-encodes all but RFC 3986's unreserved characters and those in `keep`.
std::string encode(std::string_view text, std::string_view keep = {}) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

std::string container_path(std::string_view id, std::string_view rest = {}) {
  return "/containers/" + encode(id) + std::string(rest);
}

// Image references keep their '/' and ':' (the engine routes /images/{name:.*}/json).
std::string image_path(std::string_view name, std::string_view rest) {
  return "/images/" + encode(name, "/:@") + std::string(rest);
}

std::string string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

// Appends what fits within `limit` bytes; returns false if something was dropped.
bool append_bounded(std::string& text, std::string_view bytes, std::size_t limit) {
  const auto room = limit - std::min(limit, text.size());
  text.append(bytes.substr(0, room));
  return bytes.size() <= room;
}

// The engine's own words for an error: "message" of a JSON body (Podman adds "cause" and
// "response", which repeat it), else the body's text, else the status's reason phrase.
std::string engine_message(std::string_view body, std::string_view reason) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    auto message = string_field(parsed.get_object(), "message");
    if (!message.empty()) return message;
  }
  std::string text(body);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text.empty() ? std::string(reason) : text;
}

std::string connect_failure(const std::string& socket, const beast::error_code& ec) {
  namespace errc = boost::system::errc;
  if (ec == errc::no_such_file_or_directory || ec == errc::not_a_directory) {
    return "no Docker engine at " + socket +
           ": the socket does not exist. Start the engine: sudo systemctl start docker, or dockerd "
           "(rootless Docker: systemctl --user start docker; Podman: systemctl --user start podman.socket "
           "and set DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock)";
  }
  if (ec == errc::permission_denied || ec == errc::operation_not_permitted) {
    return "no permission to use the Docker engine at " + socket +
           ". Add yourself to the docker group: sudo usermod -aG docker $USER, then log in again; or set "
           "DOCKER_HOST=unix:///path/to/a/socket you may use (rootless Docker or Podman)";
  }
  if (ec == errc::connection_refused) {
    struct stat st {};
    if (::stat(socket.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
      return socket + " is not a socket, so no Docker engine can be behind it; " + not_docker_advice();
    }
    return "the Docker engine at " + socket +
           " refuses connections (it has stopped and left its socket behind). Start it: sudo systemctl "
           "start docker, or dockerd";
  }
  return "cannot connect to the Docker engine at " + socket + ": " + ec.message();
}

// One HTTP exchange on its own connection, driven by a private io_context so that each step is an
// async operation bounded by the deadline: a blocking read on a silent engine would never return.
class Connection {
 public:
  Connection(std::string socket, std::string what, Deadline deadline)
      : socket_(std::move(socket)), what_(std::move(what)), deadline_(deadline) {
    // Our sinks bound what they keep; the parser must let any length through to them.
    parser_.body_limit(boost::none);
  }

  const std::string& what() const { return what_; }
  void set_deadline(Deadline deadline) { deadline_ = deadline; }

  // Connects, sends the request and reads the response's header; returns the status.
  template <class Body>
  unsigned exchange(http::request<Body>& request) {
    connect();
    check(run([&](auto done) { http::async_write(stream_, request, std::move(done)); }));
    check(run([&](auto done) { http::async_read_header(stream_, buffer_, parser_, std::move(done)); }));
    return parser_.get().result_int();
  }

  // Field names compare case-insensitively: Podman sends API-Version, Docker Api-Version.
  std::string header(std::string_view name) const { return std::string(parser_.get()[name]); }
  std::string_view reason() const { return parser_.get().reason(); }

  // Hands the body to `sink` piece by piece as it arrives. Returns false if the deadline passed
  // first; a later call (with a new deadline) carries on reading.
  bool try_read_body(const std::function<void(std::string_view)>& sink) {
    while (!parser_.is_done()) {
      auto& body = parser_.get().body();
      body.data = chunk_.data();
      body.size = chunk_.size();
      auto ec = run([&](auto done) { http::async_read_some(stream_, buffer_, parser_, std::move(done)); });
      if (ec == beast::error::timeout) return false;
      if (ec == http::error::need_buffer) ec = {};
      check(ec);
      const std::size_t got = chunk_.size() - parser_.get().body().size;
      if (got > 0) sink(std::string_view(chunk_.data(), got));
    }
    return true;
  }

  void read_body(const std::function<void(std::string_view)>& sink) {
    if (!try_read_body(sink)) check(beast::error::timeout);
  }

  // Appends the body to `text`, which must stay within `limit`. Returns false if the deadline
  // passed first, with what had arrived already appended.
  bool try_read_text(std::string& text, std::size_t limit) {
    return try_read_body([&](std::string_view piece) {
      if (!append_bounded(text, piece, limit)) {
        fail("sent an answer longer than " + std::to_string(limit >> 10) + " KiB");
      }
    });
  }

  std::string read_text(std::size_t limit = kMaxReplyBytes) {
    std::string text;
    if (!try_read_text(text, limit)) check(beast::error::timeout);
    return text;
  }

  // Reads an error body (its first kMaxErrorBytes are enough) and throws it as an EngineError.
  [[noreturn]] void throw_error_status() {
    std::string text;
    read_body([&](std::string_view piece) { append_bounded(text, piece, kMaxErrorBytes); });
    throw_engine_error(parser_.get().result_int(), engine_message(text, parser_.get().reason()));
  }

  // what() reads like "POST /containers/create: 404 No such image: x".
  [[noreturn]] void throw_engine_error(unsigned status, const std::string& message) {
    // Podman's Docker-compatible API answers 500 "...: container state improper" where Docker
    // answers 409 (the container is not running, or is running); callers see Docker's status.
    if (status == 500 && message.find("container state improper") != std::string::npos) status = 409;
    throw EngineError(static_cast<int>(status), message,
                      what_ + ": " + std::to_string(status) + " " + message);
  }

  // The peer broke the protocol: whatever it is, it is not an engine we can use.
  [[noreturn]] void fail(const std::string& detail) { not_an_engine(socket_, detail + " (" + what_ + ")"); }

 private:
  void connect() {
    local::endpoint endpoint;
    try {
      endpoint = local::endpoint(socket_);
    } catch (const boost::system::system_error& e) {
      unavailable(socket_, "cannot use " + socket_ + " as the Docker engine's socket: " + e.code().message());
    }
    const auto ec = run([&](auto done) { stream_.async_connect(endpoint, std::move(done)); });
    if (ec == beast::error::timeout) check(ec);
    if (ec) unavailable(socket_, connect_failure(socket_, ec));
  }

  // Starts one async operation and runs the io_context until it completes or the deadline passes.
  // At the deadline the operation is cancelled, not the socket closed: a wait polled in short
  // slices resumes on the same connection, with the parser where it stopped.
  template <class Start>
  beast::error_code run(Start&& start) {
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run_until(deadline_.next());
    if (result) return *result;
    beast::error_code ignored;
    stream_.cancel(ignored);
    io_.restart();
    io_.run();  // the cancelled operation completes now
    // It may have finished just before the cancel took effect.
    return result && *result != net::error::operation_aborted ? *result : beast::error::timeout;
  }

  void check(const beast::error_code& ec) {
    if (!ec) return;
    if (ec == beast::error::timeout) {
      const bool silent = deadline_.idle.count() > 0 && Clock::now() < deadline_.hard;
      const auto how =
          silent ? " went silent for " + std::to_string(deadline_.idle.count()) + " ms during " + what_
                 : " did not answer " + what_ + " within " + std::to_string(deadline_.total.count()) + " ms";
      unavailable(socket_, "the Docker engine at " + socket_ + how +
                               "; if it is hung, restart it: sudo systemctl restart docker");
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::broken_pipe || ec == http::error::partial_message) {
      unavailable(socket_, "the Docker engine at " + socket_ + " closed the connection during " + what_ +
                               " without a complete answer; it may be shutting down, or " +
                               not_docker_advice());
    }
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
      fail("answered with something that is not HTTP: " + ec.message());
    }
    unavailable(socket_, "talking to the Docker engine at " + socket_ + " failed during " + what_ + ": " +
                             ec.message());
  }

  std::string socket_;
  std::string what_;
  Deadline deadline_;
  net::io_context io_;
  local::socket stream_{io_};
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  std::array<char, std::size_t{64} << 10> chunk_{};
};

template <class Body = http::string_body>
http::request<Body> make_request(http::verb verb, const std::string& target) {
  http::request<Body> request{verb, target, 11};
  request.set(http::field::host, kHost);
  request.set(http::field::user_agent, "gdpd");
  return request;
}

http::request<http::string_body> json_request(http::verb verb, const std::string& target,
                                              const json::object* body) {
  auto request = make_request(verb, target);
  if (body != nullptr) {
    request.set(http::field::content_type, "application/json");
    request.body() = json::serialize(*body);
  }
  // Sets Content-Length, also 0 on a bodiless POST, which the engine expects.
  request.prepare_payload();
  return request;
}

std::string query_join(std::initializer_list<std::pair<std::string_view, std::string_view>> params) {
  std::string query;
  for (const auto& [key, value] : params) {
    query += query.empty() ? "?" : "&";
    query += std::string(key) + "=" + encode(value);
  }
  return query;
}

json::value parse_json(const std::string& socket, const std::string& what, std::string_view text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec) {
    not_an_engine(socket, "answered " + what + " with malformed JSON: " + ec.message());
  }
  return value;
}

json::object parse_object(const std::string& socket, const std::string& what, std::string_view text) {
  auto value = parse_json(socket, what, text);
  if (!value.is_object()) {
    not_an_engine(socket, "answered " + what + " with JSON that is not an object");
  }
  return std::move(value.get_object());
}

// Splits a newline-delimited JSON stream (pull and load progress) into objects; each line is
// bounded, so a peer that never sends a newline cannot make us buffer without end.
class JsonLines {
 public:
  JsonLines(Connection& connection, std::function<void(const json::object&)> on_object)
      : connection_(connection), on_object_(std::move(on_object)) {}

  void feed(std::string_view data) {
    while (!data.empty()) {
      const auto newline = data.find('\n');
      const auto piece = data.substr(0, newline);
      if (line_.size() + piece.size() > kMaxJsonLine) {
        connection_.fail("sent a progress line longer than " + std::to_string(kMaxJsonLine >> 10) + " KiB");
      }
      line_.append(piece);
      if (newline == std::string_view::npos) return;
      flush();
      data.remove_prefix(newline + 1);
    }
  }

  void flush() {
    const bool blank = std::all_of(line_.begin(), line_.end(), [](char c) { return c == ' ' || c == '\r'; });
    if (!blank) {
      boost::system::error_code ec;
      auto value = json::parse(line_, ec);
      if (ec || !value.is_object()) connection_.fail("sent a progress line that is not a JSON object");
      on_object_(value.get_object());
    }
    line_.clear();
  }

 private:
  Connection& connection_;
  std::function<void(const json::object&)> on_object_;
  std::string line_;
};

// Reads a pull or load stream. Errors after the stream has begun come as a line carrying
// "errorDetail" (and the deprecated "error") under an HTTP 200, so every line is checked.
void read_json_stream(Connection& connection, const std::string& subject,
                      const std::function<void(const json::object&)>& progress) {
  JsonLines lines(connection, [&](const json::object& line) {
    std::string error;
    if (const auto* detail = line.if_contains("errorDetail"); detail != nullptr && detail->is_object()) {
      error = string_field(detail->get_object(), "message");
    }
    if (error.empty()) error = string_field(line, "error");
    if (error.empty() && line.contains("errorDetail")) {
      error = "the engine reported an error without a message";
    }
    if (!error.empty()) throw RpcError(ErrorCode::ImagePull, subject + ": " + error);
    if (progress) progress(line);
  });
  connection.read_body([&](std::string_view piece) { lines.feed(piece); });
  lines.flush();
}

// Splits the logs endpoint's multiplexed stream (8-byte headers: stream type, three zero bytes,
// big-endian payload length) into stdout and stderr, keeping at most max_bytes of each.
class LogDemuxer {
 public:
  LogDemuxer(Connection& connection, ContainerLogs& logs, std::size_t max_bytes)
      : connection_(connection), logs_(logs), max_bytes_(max_bytes) {}

  void feed(std::string_view data) {
    while (!data.empty()) {
      if (raw_) {
        keep(kStdout, data);
        return;
      }
      if (remaining_ == 0) {
        const auto take = std::min(header_.size() - header_len_, data.size());
        std::copy_n(data.begin(), take, header_.begin() + static_cast<std::ptrdiff_t>(header_len_));
        header_len_ += take;
        data.remove_prefix(take);
        if (header_len_ == header_.size()) start_frame();
        continue;
      }
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
      keep(stream_, data.substr(0, take));
      remaining_ -= static_cast<std::uint32_t>(take);
      data.remove_prefix(take);
      if (remaining_ == 0) end_frame();
    }
  }

  // A TTY container's stream shorter than one header is raw output too.
  void finish() {
    if (first_ && header_len_ > 0) keep(kStdout, std::string_view(header_.data(), header_len_));
  }

 private:
  static constexpr unsigned char kStdout = 1, kStderr = 2, kSystemError = 3;

  void start_frame() {
    header_len_ = 0;
    const auto type = static_cast<unsigned char>(header_[0]);
    const bool framed = type <= kSystemError && header_[1] == 0 && header_[2] == 0 && header_[3] == 0;
    if (!framed) {
      // A container created with Tty:true has an unframed stream; anything else out of step is
      // a broken stream, not output.
      if (!first_) connection_.fail("sent a log stream with a malformed frame header");
      raw_ = true;
      keep(kStdout, std::string_view(header_.data(), header_.size()));
      return;
    }
    first_ = false;
    stream_ = type == kStderr || type == kSystemError ? type : kStdout;  // stdin frames carry stdout
    remaining_ = 0;
    for (std::size_t i = 4; i < 8; ++i) {
      remaining_ = (remaining_ << 8) | static_cast<unsigned char>(header_[i]);
    }
    if (remaining_ == 0) end_frame();
  }

  // The engine's own failure after it had answered 200; "everything else" maps to 500 in its API.
  void end_frame() {
    if (stream_ == kSystemError) connection_.throw_engine_error(500, system_error_);
  }

  void keep(unsigned char stream, std::string_view bytes) {
    if (stream == kSystemError) {
      append_bounded(system_error_, bytes, kMaxErrorBytes);
    } else if (stream == kStderr) {
      if (!append_bounded(logs_.err, bytes, max_bytes_)) logs_.err_truncated = true;
    } else {
      if (!append_bounded(logs_.out, bytes, max_bytes_)) logs_.out_truncated = true;
    }
  }

  Connection& connection_;
  ContainerLogs& logs_;
  std::size_t max_bytes_;
  std::array<char, 8> header_{};
  std::size_t header_len_ = 0;
  std::uint32_t remaining_ = 0;
  unsigned char stream_ = kStdout;
  bool first_ = true;
  bool raw_ = false;
  std::string system_error_;
};

// "1.41" → {1, 41}; nullopt for anything else.
std::optional<std::pair<int, int>> parse_api_version(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::pair<int, int> version;
  const auto* end = text.data() + text.size();
  const auto major = std::from_chars(text.data(), text.data() + dot, version.first);
  const auto minor = std::from_chars(text.data() + dot + 1, end, version.second);
  if (major.ec != std::errc{} || major.ptr != text.data() + dot || minor.ec != std::errc{} ||
      minor.ptr != end) {
    return std::nullopt;
  }
  return version;
}

}  // namespace

// The socket and the per-call timeout, plus the version negotiated once and shared by all threads.
struct Engine::Impl {
  Options options;
  std::optional<RpcError> socket_error;  // an unusable DOCKER_HOST, reported by every call
  std::mutex mutex;
  std::optional<EngineVersion> negotiated;

  const std::string& socket() const {
    if (socket_error) throw RpcError(*socket_error);
    return options.socket_path;
  }

  std::unique_ptr<Connection> open(http::verb verb, const std::string& path, Deadline deadline) const {
    return std::make_unique<Connection>(socket(), std::string(http::to_string(verb)) + " " + path, deadline);
  }

  // A short call on its own connection, its whole reply read (bounded). Unversioned when `prefix`
  // is empty. Error statuses throw EngineError unless listed in `tolerated`.
  std::pair<unsigned, std::string> call(http::verb verb, const std::string& prefix, const std::string& path,
                                        const std::string& query = {}, const json::object* body = nullptr,
                                        std::initializer_list<unsigned> tolerated = {}) {
    auto connection = open(verb, path, Deadline::within(options.timeout));
    auto request = json_request(verb, prefix + path + query, body);
    const unsigned status = connection->exchange(request);
    const bool tolerate = std::find(tolerated.begin(), tolerated.end(), status) != tolerated.end();
    if (status >= 300 && !tolerate) {
      try {
        connection->throw_error_status();
      } catch (const EngineError& e) {
        // The error's status may be Docker's for what the engine answered otherwise (Podman).
        if (std::find(tolerated.begin(), tolerated.end(), e.status()) == tolerated.end()) throw;
        return {static_cast<unsigned>(e.status()), e.engine_message()};
      }
    }
    return {status, connection->read_text()};
  }

  // A versioned call whose reply is a JSON object.
  json::object call_object(http::verb verb, const std::string& path, const std::string& query = {},
                           const json::object* body = nullptr) {
    auto [status, text] = call(verb, prefix(), path, query, body);
    return parse_object(socket(), std::string(http::to_string(verb)) + " " + path, text);
  }

  // GET /_ping; returns its Api-Version header (the engine's newest API).
  std::string ping() {
    auto connection = open(http::verb::get, "/_ping", Deadline::within(options.timeout));
    auto request = json_request(http::verb::get, "/_ping", nullptr);
    const unsigned status = connection->exchange(request);
    if (status != 200) {
      connection->fail("answered with HTTP " + std::to_string(status) + " " +
                       std::string(connection->reason()));
    }
    auto api = connection->header("Api-Version");
    connection->read_text(kMaxErrorBytes);
    return api;
  }

  std::string prefix() { return "/v" + version().negotiated; }

  Deadline transfer_deadline() const {
    return Deadline::progressing(std::max(options.timeout, kTransferIdle), kTransferTotal);
  }

  EngineVersion version() {
    std::lock_guard lock(mutex);
    if (!negotiated) negotiated = negotiate();
    return *negotiated;
  }

  // 1.41 clamped to the engine's [MinAPIVersion, ApiVersion]: newer engines that dropped 1.41
  // (Docker 29.0–29.2 start at 1.44) get their minimum; engines older than 1.41 are refused.
  EngineVersion negotiate() {
    const auto ping_api = ping();
    auto [status, text] = call(http::verb::get, "", "/version");
    const auto body = parse_object(socket(), "GET /version", text);
    EngineVersion v;
    v.version = string_field(body, "Version");
    v.api_version = string_field(body, "ApiVersion");
    if (v.api_version.empty()) v.api_version = ping_api;
    v.min_api_version = string_field(body, "MinAPIVersion");
    v.os = string_field(body, "Os");
    v.arch = string_field(body, "Arch");
    v.kernel = string_field(body, "KernelVersion");
    const auto newest = parse_api_version(v.api_version);
    if (!newest) {
      not_an_engine(socket(), "reports no usable API version ('" + v.api_version + "')");
    }
    const auto wanted = *parse_api_version(kWantedApi);
    if (*newest < wanted) {
      unavailable(socket(),
                  "the Docker engine at " + socket() + " (version " + v.version +
                      ") is too old: it speaks API " + v.api_version + ", gdp needs " +
                      std::string(kWantedApi) +
                      ". Docker 20.10 or later needed (or Podman 4.2 or later); upgrade the engine");
    }
    const auto oldest = parse_api_version(v.min_api_version);
    v.negotiated = oldest && *oldest > wanted ? v.min_api_version : std::string(kWantedApi);
    return v;
  }
};

std::string Engine::default_socket() {
  try {
    return default_docker_socket();
  } catch (const std::invalid_argument& e) {
    throw RpcError(ErrorCode::DockerNotAvailable, e.what(),
                   json::object{{"docker_host", std::getenv("DOCKER_HOST")}});  // set: else no error
  }
}

Engine::Engine(Options options) : impl_(std::make_unique<Impl>()) {
  if (options.socket_path.empty()) {
    // A bad DOCKER_HOST must not stop gdpd from starting: only the sandbox needs the engine, and
    // its calls report the problem.
    try {
      options.socket_path = default_socket();
    } catch (const RpcError& e) {
      impl_->socket_error = e;
    }
  }
  impl_->options = std::move(options);
}

Engine::~Engine() = default;

void Engine::ping() {
  impl_->ping();
}

EngineVersion Engine::version() {
  return impl_->version();
}

json::object Engine::info() {
  return impl_->call_object(http::verb::get, "/info");
}

std::optional<json::object> Engine::inspect_image(std::string_view name) {
  const auto path = image_path(name, "/json");
  auto [status, text] = impl_->call(http::verb::get, impl_->prefix(), path, {}, nullptr, {404});
  if (status == 404) return std::nullopt;
  return parse_object(impl_->socket(), "GET " + path, text);
}

void Engine::pull_image(std::string_view image, std::string_view tag,
                        const std::function<void(const json::object&)>& progress) {
  // An empty tag would pull every tag of the repository; a reference without tag or digest means
  // latest, as for docker pull.
  const auto slash = image.rfind('/');
  const auto last_part = slash == std::string_view::npos ? image : image.substr(slash + 1);
  const bool tagged =
      image.find('@') != std::string_view::npos || last_part.find(':') != std::string_view::npos;
  const std::string_view chosen = !tag.empty() || tagged ? tag : "latest";
  const auto query = chosen.empty() ? query_join({{"fromImage", image}})
                                    : query_join({{"fromImage", image}, {"tag", chosen}});

  const auto prefix = impl_->prefix();
  auto connection = impl_->open(http::verb::post, "/images/create", impl_->transfer_deadline());
  auto request = json_request(http::verb::post, prefix + "/images/create" + query, nullptr);
  if (connection->exchange(request) >= 300) connection->throw_error_status();
  const auto reference = std::string(image) + (chosen.empty() ? "" : ":" + std::string(chosen));
  read_json_stream(*connection, "cannot pull image " + reference, progress);
}

void Engine::load_image(const std::string& tar_path) {
  auto request = make_request<http::file_body>(http::verb::post, impl_->prefix() + "/images/load?quiet=1");
  beast::error_code ec;
  request.body().open(tar_path.c_str(), beast::file_mode::scan, ec);
  if (ec) throw RpcError(ErrorCode::ImagePull, "cannot read image archive " + tar_path + ": " + ec.message());
  request.set(http::field::content_type, "application/x-tar");
  request.prepare_payload();
  auto connection = impl_->open(http::verb::post, "/images/load", impl_->transfer_deadline());
  try {
    if (connection->exchange(request) >= 300) connection->throw_error_status();
  } catch (const EngineError& e) {
    // Docker reports a bad archive on an error line of a 200 stream; Podman with a 500.
    throw RpcError(ErrorCode::ImagePull, "cannot load image archive " + tar_path + ": " + e.engine_message());
  }
  read_json_stream(*connection, "cannot load image archive " + tar_path, {});
}

std::string Engine::commit(std::string_view container, std::string_view repo, std::string_view tag,
                           const json::object& config) {
  const auto query = query_join({{"container", container}, {"repo", repo}, {"tag", tag}});
  return string_field(impl_->call_object(http::verb::post, "/commit", query, &config), "Id");
}

void Engine::remove_image(std::string_view name, bool force) {
  impl_->call(http::verb::delete_, impl_->prefix(), image_path(name, ""),
              query_join({{"force", force ? "true" : "false"}}));
}

CreatedContainer Engine::create_container(std::string_view name, const json::object& body) {
  const auto query = name.empty() ? std::string() : query_join({{"name", name}});
  const auto reply = impl_->call_object(http::verb::post, "/containers/create", query, &body);
  CreatedContainer created;
  created.id = string_field(reply, "Id");
  if (const auto* warnings = reply.if_contains("Warnings"); warnings != nullptr && warnings->is_array()) {
    for (const auto& warning : warnings->get_array()) {
      if (warning.is_string()) created.warnings.emplace_back(warning.get_string());
    }
  }
  if (created.id.empty()) {
    not_an_engine(impl_->socket(), "created a container without an Id");
  }
  return created;
}

namespace {

// A wait in flight, shared by copies of the function wait_next_exit returns; it owns its
// connection, so it may outlive the Engine that made it.
struct PendingWait {
  std::string socket;
  std::unique_ptr<Connection> connection;  // the request sent and the response's header read
  std::mutex mutex;
  std::string text;  // the body so far: a slice may end between two of its chunks
  std::optional<ContainerExit> result;

  // Callers may poll in short slices: a timeout leaves the request pending on its connection.
  std::optional<ContainerExit> await(milliseconds limit) {
    std::lock_guard lock(mutex);
    if (result) return result;
    connection->set_deadline(Deadline::within(limit));
    if (!connection->try_read_text(text, kMaxErrorBytes)) return std::nullopt;
    const auto body = parse_object(socket, connection->what(), text);
    const auto* code = body.if_contains("StatusCode");
    boost::system::error_code ec;
    ContainerExit exit;
    exit.status_code = code != nullptr ? code->to_number<std::int64_t>(ec) : -1;
    if (code == nullptr || ec) connection->fail("answered without an integer StatusCode");
    if (const auto* error = body.if_contains("Error"); error != nullptr && error->is_object()) {
      auto message = string_field(error->get_object(), "Message");
      if (!message.empty()) exit.error = std::move(message);
    }
    result = exit;
    connection.reset();
    return result;
  }
};

}  // namespace

std::function<std::optional<ContainerExit>(milliseconds)> Engine::wait_next_exit(std::string_view id) {
  const auto path = container_path(id, "/wait");
  const auto prefix = impl_->prefix();
  auto pending = std::make_shared<PendingWait>();
  pending->socket = impl_->socket();
  pending->connection = impl_->open(http::verb::post, path, Deadline::within(impl_->options.timeout));
  // The engine writes the response's header only once the wait is registered, so reading it here
  // means a start sent after this call cannot outrun the wait.
  auto request = json_request(http::verb::post, prefix + path + "?condition=next-exit", nullptr);
  if (pending->connection->exchange(request) >= 300) pending->connection->throw_error_status();
  return [pending](milliseconds limit) { return pending->await(limit); };
}

void Engine::start(std::string_view id) {
  // 304: already started, which is what the caller wants.
  impl_->call(http::verb::post, impl_->prefix(), container_path(id, "/start"), {}, nullptr, {304});
}

void Engine::kill(std::string_view id, std::string_view signal) {
  // 404: already gone; 409: not running. Either way nothing is left to kill.
  impl_->call(http::verb::post, impl_->prefix(), container_path(id, "/kill"),
              query_join({{"signal", signal}}), nullptr, {404, 409});
}

void Engine::remove(std::string_view id, bool force) {
  // v=true also removes anonymous volumes, which would otherwise outlive every sandbox run.
  impl_->call(http::verb::delete_, impl_->prefix(), container_path(id),
              query_join({{"force", force ? "true" : "false"}, {"v", "true"}}), nullptr, {404});
}

json::object Engine::inspect(std::string_view id) {
  return impl_->call_object(http::verb::get, container_path(id, "/json"));
}

json::object Engine::stats(std::string_view id, bool one_shot) {
  return impl_->call_object(
      http::verb::get, container_path(id, "/stats"),
      one_shot ? query_join({{"stream", "false"}, {"one-shot", "true"}}) : query_join({{"stream", "false"}}));
}

std::vector<std::vector<std::string>> Engine::top(std::string_view id) {
  const auto reply = impl_->call_object(http::verb::get, container_path(id, "/top"));
  std::vector<std::vector<std::string>> processes;
  if (const auto* rows = reply.if_contains("Processes"); rows != nullptr && rows->is_array()) {
    for (const auto& row : rows->get_array()) {
      auto& columns = processes.emplace_back();
      if (!row.is_array()) continue;
      for (const auto& column : row.get_array()) {
        columns.emplace_back(column.is_string() ? std::string(column.get_string()) : std::string());
      }
    }
  }
  return processes;
}

ContainerLogs Engine::logs(std::string_view id, std::size_t max_bytes) {
  const auto path = container_path(id, "/logs");
  const auto prefix = impl_->prefix();
  auto connection = impl_->open(
      http::verb::get, path,
      Deadline::progressing(impl_->options.timeout, std::max(impl_->options.timeout, kLogsTotal)));
  auto request = json_request(http::verb::get, prefix + path + "?stdout=1&stderr=1&follow=0", nullptr);
  if (connection->exchange(request) >= 300) connection->throw_error_status();
  ContainerLogs logs;
  LogDemuxer demuxer(*connection, logs, max_bytes);
  connection->read_body([&](std::string_view piece) { demuxer.feed(piece); });
  demuxer.finish();
  return logs;
}

std::string Engine::create_exec(std::string_view container, const ExecConfig& config) {
  json::array cmd(config.cmd.begin(), config.cmd.end());
  json::array env(config.env.begin(), config.env.end());
  const json::object body{
      {"AttachStdin", false}, {"AttachStdout", true},  {"AttachStderr", true},
      {"Tty", false},         {"Privileged", false},   {"Cmd", std::move(cmd)},
      {"User", config.user},  {"Env", std::move(env)}, {"WorkingDir", config.working_dir},
  };
  const auto reply = impl_->call_object(http::verb::post, container_path(container, "/exec"), {}, &body);
  auto id = string_field(reply, "Id");
  if (id.empty()) not_an_engine(impl_->socket(), "created an exec without an Id");
  return id;
}

namespace {

// An attached exec in flight: its connection, and the output demultiplexed so far. Shared by
// copies of the function start_exec returns; it owns its connection, like PendingWait.
struct PendingExec {
  std::unique_ptr<Connection> connection;
  ContainerLogs logs;
  std::optional<LogDemuxer> demuxer;  // refers to *connection and logs, so made once both exist
  std::mutex mutex;
  bool done = false;

  std::optional<ContainerLogs> await(milliseconds limit) {
    std::lock_guard lock(mutex);
    if (!done) {
      connection->set_deadline(Deadline::within(limit));
      if (!connection->try_read_body([this](std::string_view piece) { demuxer->feed(piece); })) {
        return std::nullopt;
      }
      demuxer->finish();
      done = true;
      demuxer.reset();
      connection.reset();
    }
    return logs;
  }
};

}  // namespace

std::function<std::optional<ContainerLogs>(milliseconds)> Engine::start_exec(std::string_view exec_id,
                                                                             std::size_t max_bytes) {
  const auto path = "/exec/" + encode(exec_id) + "/start";
  const auto prefix = impl_->prefix();
  auto pending = std::make_shared<PendingExec>();
  pending->connection = impl_->open(http::verb::post, path, Deadline::within(impl_->options.timeout));
  // No Upgrade header: the engine then answers 200 with a body that runs to the end of the
  // connection, which the HTTP parser reads like any other; after a 101 the stream would have to
  // be read past the parser.
  const json::object body{{"Detach", false}, {"Tty", false}};
  auto request = json_request(http::verb::post, prefix + path, &body);
  if (pending->connection->exchange(request) >= 300) pending->connection->throw_error_status();
  pending->demuxer.emplace(*pending->connection, pending->logs, max_bytes);
  return [pending](milliseconds limit) { return pending->await(limit); };
}

ExecState Engine::inspect_exec(std::string_view exec_id) {
  const auto path = "/exec/" + encode(exec_id) + "/json";
  const auto reply = impl_->call_object(http::verb::get, path);
  ExecState state;
  if (const auto* running = reply.if_contains("Running"); running != nullptr && running->is_bool()) {
    state.running = running->get_bool();
  }
  boost::system::error_code ec;
  if (const auto* code = reply.if_contains("ExitCode"); code != nullptr && !code->is_null()) {
    const auto value = code->to_number<std::int64_t>(ec);
    if (!ec) state.exit_code = value;
  }
  if (const auto* pid = reply.if_contains("Pid"); pid != nullptr && pid->is_number()) {
    const auto value = pid->to_number<std::int64_t>(ec);
    if (!ec) state.pid = value;
  }
  return state;
}

std::vector<ContainerSummary> Engine::list_containers(const std::vector<std::string>& label_filters) {
  std::string query = query_join({{"all", "1"}});
  if (!label_filters.empty()) {
    json::array labels;
    for (const auto& label : label_filters) labels.emplace_back(label);
    const auto filters = json::serialize(json::object{{"label", std::move(labels)}});
    query = query_join({{"all", "1"}, {"filters", filters}});
  }
  auto [status, text] = impl_->call(http::verb::get, impl_->prefix(), "/containers/json", query);
  const auto reply = parse_json(impl_->socket(), "GET /containers/json", text);
  if (!reply.is_array()) {
    not_an_engine(impl_->socket(), "listed containers as something other than an array");
  }
  std::vector<ContainerSummary> containers;
  for (const auto& item : reply.get_array()) {
    if (!item.is_object()) continue;
    const auto& object = item.get_object();
    ContainerSummary summary;
    summary.id = string_field(object, "Id");
    summary.state = string_field(object, "State");
    if (const auto* labels = object.if_contains("Labels"); labels != nullptr && labels->is_object()) {
      for (const auto& [key, value] : labels->get_object()) {
        summary.labels.emplace(std::string(key),
                               value.is_string() ? std::string(value.get_string()) : std::string());
      }
    }
    containers.push_back(std::move(summary));
  }
  return containers;
}

}  // namespace gdp::sandbox
