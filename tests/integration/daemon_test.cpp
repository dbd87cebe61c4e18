// gdpd in-process: the real Daemon object on a private socket in a temp dir, driven by raw clients
// that can send anything. Every bad input gets its error and the daemon keeps serving.
#include "daemon/daemon.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <fstream>
#include <thread>

using namespace gdp;
using namespace gdp::test;
namespace json = boost::json;

namespace {

struct InProcessDaemon {
  explicit InProcessDaemon(DaemonConfig tweak = {}) {
    DaemonConfig config = tweak;
    config.socket_path = dir / "run/gdpd.sock";
    config.state_dir = dir / "state";
    config.foreground = true;
    if (config.max_frame_bytes == 0) config.max_frame_bytes = DaemonConfig{}.max_frame_bytes;
    daemon = std::make_unique<Daemon>(config, /*handle_signals=*/false);
    thread = std::thread([this] { daemon->run(); });
  }
  ~InProcessDaemon() { stop(); }
  void stop() {
    if (!thread.joinable()) return;
    daemon->request_stop("test finished");
    thread.join();
  }
  std::string socket() const { return dir / "run/gdpd.sock"; }

  TempDir dir;
  std::unique_ptr<Daemon> daemon;
  std::thread thread;
};

void expect_still_serving(const std::string& socket) {
  RawClient c(socket);
  REQUIRE(error_code(c.hello()) == 0);
  auto reply = c.call("ping");
  REQUIRE(error_code(reply) == 0);
  CHECK(reply.at("result").at("pong") == true);
}

}  // namespace

TEST_CASE("hello negotiates the version and opens the connection", "[integration][handshake]") {
  InProcessDaemon d;
  RawClient c(d.socket());
  auto before = c.call("ping");
  CHECK(error_code(before) == 1000);
  CHECK(before.at("error").at("data").at("kind") == "HandshakeRequiredError");

  auto hello = c.hello();
  REQUIRE(error_code(hello) == 0);
  CHECK(hello.at("result").at("protocol_version") == 1);
  CHECK(hello.at("result").at("daemon").at("name") == "gdpd");
  CHECK(error_code(c.hello()) == 1006);

  // Tolerant reader: a newer client's extra fields are ignored, not refused.
  RawClient newer(d.socket());
  auto tolerant = newer.call(
      "hello",
      json::object{
          {"protocol_versions", {2, 1}},
          {"client", {{"name", "gdp"}, {"version", "2.0"}, {"pid", 1}, {"tty", nullptr}, {"colour", true}}},
          {"capabilities", {"attach"}},
          {"compression", "zstd"}});
  REQUIRE(error_code(tolerant) == 0);
  CHECK(tolerant.at("result").at("protocol_version") == 1);

  auto version = c.call("version");
  CHECK(version.at("result").at("daemon_version").is_string());
  auto status = c.call("status");
  CHECK(status.at("result").at("sessions") == json::array{});
  CHECK(status.at("result").at("daemon").at("connections") == 2);  // c and newer
}

TEST_CASE("a version mismatch says which versions each side speaks", "[integration][handshake]") {
  InProcessDaemon d;
  RawClient c(d.socket());
  auto reply = c.call(
      "hello", json::object{{"protocol_versions", {7, 9}},
                            {"client", {{"name", "gdp"}, {"version", "9.0"}, {"pid", 1}, {"tty", nullptr}}},
                            {"capabilities", json::array{}}});
  REQUIRE(error_code(reply) == 1001);
  const auto& err = reply.at("error");
  CHECK(err.at("data").at("client_versions") == json::array{7, 9});
  CHECK(err.at("data").at("daemon_versions") == json::array{1});
  const std::string message(err.at("message").as_string());
  CHECK(message.find("7, 9") != std::string::npos);
  CHECK(message.find("speaks 1") != std::string::npos);
}

TEST_CASE("every bad input gets its error and the daemon keeps serving", "[integration][bad-input]") {
  DaemonConfig small;
  small.max_frame_bytes = 4096;
  small.max_json_depth = 16;
  InProcessDaemon d(small);

  SECTION("malformed JSON: ParseError, connection stays open") {
    RawClient c(d.socket());
    c.hello();
    REQUIRE(c.send("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"ping\"\n"));
    auto reply = c.read();
    REQUIRE(reply);
    CHECK(error_code(*reply) == -32700);
    CHECK(reply->at("id").is_null());
    CHECK(error_code(c.call("ping")) == 0);
  }
  SECTION("a frame over the cap: FrameTooLarge, then closed") {
    RawClient c(d.socket());
    c.hello();
    REQUIRE(c.send(std::string(5000, ' ')));  // no newline: the cap applies before one arrives
    auto reply = c.read();
    REQUIRE(reply);
    CHECK(error_code(*reply) == 1002);
    CHECK(reply->at("error").at("data").at("limit_bytes") == 4096);
    CHECK(c.closed_within());
  }
  SECTION("nesting over the cap: NestingTooDeep, then closed") {
    RawClient c(d.socket());
    c.hello();
    std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":)" + std::string(40, '[') +
                       std::string(40, ']') + "}}\n";
    REQUIRE(c.send(deep));
    auto reply = c.read();
    REQUIRE(reply);
    CHECK(error_code(*reply) == 1003);
    CHECK(reply->at("error").at("data").at("limit") == 16);
    CHECK(c.closed_within());
  }
  SECTION("an unknown method: MethodNotFound naming the methods there are") {
    RawClient c(d.socket());
    c.hello();
    auto reply = c.call("session.frobnicate");
    CHECK(error_code(reply) == -32601);
    CHECK(std::string(reply.at("error").at("message").as_string()).find("ping") != std::string::npos);
  }
  SECTION("wrong param types: InvalidParams naming the field") {
    RawClient c(d.socket());
    auto reply = c.call("hello", json::object{{"protocol_versions", "1"},
                                              {"client", json::object{}},
                                              {"capabilities", json::array{}}});
    CHECK(error_code(reply) == -32602);
    CHECK(reply.at("error").at("data").at("field") == "protocol_versions");
    c.hello();
    CHECK(error_code(c.call("ping", json::array{1, 2})) == -32602);
    CHECK(error_code(c.call("ping", 5)) == -32602);
  }
  SECTION("a request before hello: HandshakeRequired") {
    RawClient c(d.socket());
    CHECK(error_code(c.call("status")) == 1000);
  }
  SECTION("a batch, a non-object and a missing jsonrpc: InvalidRequest") {
    RawClient c(d.socket());
    c.hello();
    for (const char* line :
         {R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", "17", R"({"id":2,"method":"ping"})"}) {
      REQUIRE(c.send(std::string(line) + "\n"));
      auto reply = c.read();
      REQUIRE(reply);
      CHECK(error_code(*reply) == -32600);
    }
  }
  SECTION("a notification gets no reply; the next request still does") {
    RawClient c(d.socket());
    c.hello();
    REQUIRE(c.send(R"({"jsonrpc":"2.0","method":"ping"})"
                   "\n"));
    auto reply = c.call("ping");
    CHECK(error_code(reply) == 0);
  }
  SECTION("a client that disconnects mid-message") {
    {
      RawClient c(d.socket());
      c.hello();
      REQUIRE(c.send(R"({"jsonrpc":"2.0","id":9,"method":"pi)"));
    }
  }
  SECTION("invalid UTF-8 is a ParseError, not a crash") {
    RawClient c(d.socket());
    c.hello();
    REQUIRE(c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xc3\x28\"}\n"));
    auto reply = c.read();
    REQUIRE(reply);
    CHECK(error_code(*reply) == -32700);
  }
  expect_still_serving(d.socket());
}

TEST_CASE("200 clients connecting at once are all served", "[integration][load]") {
  InProcessDaemon d;
  constexpr int kClients = 200;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<RawClient>(d.socket()));
  // Everyone sends before anyone reads, so the daemon really has 200 requests in flight.
  const std::string hello =
      R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"protocol_versions":[1],"client":{"name":"load","version":"0","pid":1,"tty":null},"capabilities":[]}})"
      "\n"
      R"({"jsonrpc":"2.0","id":2,"method":"status"})"
      "\n";
  for (auto& c : clients) REQUIRE(c->send(hello));
  int served = 0;
  for (auto& c : clients) {
    auto first = c->read();
    auto second = c->read();
    REQUIRE(first);
    REQUIRE(second);
    if (error_code(*first) == 0 && error_code(*second) == 0) ++served;
  }
  CHECK(served == kClients);
  clients.clear();
  expect_still_serving(d.socket());
}

TEST_CASE("a client that stops reading is dropped without blocking the others", "[integration][slow]") {
  DaemonConfig tweak;
  tweak.max_queued_bytes = 256 * 1024;
  InProcessDaemon d(tweak);
  RawClient slow(d.socket());
  slow.hello();
  // Shrink its receive buffer so the kernel cannot absorb the replies for it.
  int small = 4096;
  setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::string burst;
  for (int i = 0; i < 2000; ++i)
    burst += R"({"jsonrpc":"2.0","id":1,"method":"status"})"
             "\n";
  RawClient fast(d.socket());
  fast.hello();
  bool dropped = false;
  for (int round = 0; round < 200 && !dropped; ++round) {
    dropped = !slow.send(burst);
    CHECK(error_code(fast.call("ping")) == 0);  // answered promptly while the slow one piles up
  }
  CHECK(dropped);
  expect_still_serving(d.socket());
}

TEST_CASE("shutdown tells attached clients why and closes them", "[integration][shutdown]") {
  InProcessDaemon d;
  RawClient a(d.socket());
  RawClient b(d.socket());
  a.hello();
  b.hello();
  d.daemon->request_stop("SIGTERM");
  for (auto* c : {&a, &b}) {
    auto event = c->read();
    REQUIRE(event);
    CHECK(event->at("method") == "daemon.shutting_down");
    CHECK(event->at("params").at("reason") == "SIGTERM");
    CHECK_FALSE(event->as_object().contains("id"));
    CHECK(c->closed_within());
  }
  d.stop();
  CHECK_FALSE(std::filesystem::exists(d.socket()));
}

TEST_CASE("a second daemon on the same socket exits at once", "[integration][lock]") {
  InProcessDaemon d;
  DaemonConfig config;
  config.socket_path = d.socket();
  config.state_dir = d.dir / "state2";
  try {
    Daemon second(config, false);
    FAIL("a second daemon started");
  } catch (const StartupError& e) {
    CHECK(e.exit_code() == 3);
    CHECK(std::string(e.what()).find("already serving") != std::string::npos);
    CHECK(std::string(e.what()).find(std::to_string(getpid())) != std::string::npos);
  }
  expect_still_serving(d.socket());  // and the first one's socket was not touched
}

TEST_CASE("a stale socket is replaced, anything else in the way is refused", "[integration][lock]") {
  TempDir dir;
  REQUIRE(mkdir((dir / "run").c_str(), 0700) == 0);
  const auto path = dir / "run/gdpd.sock";
  {
    // A socket left behind by a daemon that died: bound, never unlinked.
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    close(fd);
  }
  DaemonConfig config;
  config.socket_path = path;
  config.state_dir = dir / "state";
  {
    Daemon daemon(config, false);
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  std::filesystem::remove(path);
  { std::ofstream(path) << "not a socket"; }
  CHECK_THROWS_WITH(Daemon(config, false), Catch::Contains("is not a socket"));
}

TEST_CASE("socket directories others can enter or do not own are refused", "[integration][security]") {
  TempDir dir;
  const auto open_dir = dir / "open";
  std::filesystem::create_directory(open_dir);
  chmod(open_dir.c_str(), 0755);
  CHECK_THROWS_WITH(ensure_private_dir(open_dir), Catch::Contains("chmod 700"));

  const auto link = dir / "link";
  std::filesystem::create_directory_symlink(dir.path(), link);
  CHECK_THROWS_WITH(ensure_private_dir(link), Catch::Contains("not a directory"));

  const auto fresh = dir / "fresh";
  ensure_private_dir(fresh);
  struct stat st {};
  REQUIRE(stat(fresh.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  if (geteuid() == 0) {
    const auto theirs = dir / "theirs";
    std::filesystem::create_directory(theirs);
    chmod(theirs.c_str(), 0700);
    REQUIRE(chown(theirs.c_str(), 65534, 65534) == 0);
    CHECK_THROWS_WITH(ensure_private_dir(theirs), Catch::Contains("belongs to uid 65534"));
  }
}

TEST_CASE("peer policy: same uid, root only when allowed", "[integration][security]") {
  CHECK(peer_allowed({1, 1000, 1000}, 1000, false));
  CHECK_FALSE(peer_allowed({1, 1001, 1000}, 1000, false));
  CHECK_FALSE(peer_allowed({1, 0, 0}, 1000, false));
  CHECK(peer_allowed({1, 0, 0}, 1000, true));
  CHECK_FALSE(peer_allowed({1, static_cast<uid_t>(-1), 0}, 1000, true));
}
