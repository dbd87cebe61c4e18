// The Docker Engine API client against the real engine (gdp-runtime:latest must exist), and against
// small fake servers on Unix sockets for what a healthy Docker cannot show: a silent peer, a
// non-Docker peer, Podman's error bodies, an engine too old or too new, a failed pull.
#include "daemon/sandbox/engine.h"
#include "common/errors.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

using namespace gdp;
using namespace gdp::sandbox;
using namespace gdp::test;
namespace json = boost::json;

namespace {

constexpr std::string_view kImage = "gdp-runtime:latest";
constexpr std::string_view kTestLabel = "org.gdp.test=engine";

// ctest runs each test case in its own process, possibly in parallel: a per-process label lets a
// test sweep its own leftovers without touching another's running containers.
std::string run_label_value() {
  return std::to_string(getpid());
}

std::string run_label() {
  return "org.gdp.test.run=" + run_label_value();
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  return "gdp-engine-test-" + run_label_value() + "-" + std::to_string(++counter);
}

json::object container_body(const std::vector<std::string>& cmd) {
  json::array args;
  for (const auto& arg : cmd) args.emplace_back(arg);
  return json::object{
      {"Image", kImage},
      {"Cmd", std::move(args)},
      {"Tty", false},
      {"AttachStdout", true},
      {"AttachStderr", true},
      {"Labels", json::object{{"org.gdp.test", "engine"}, {"org.gdp.test.run", run_label_value()}}},
      {"HostConfig", json::object{{"NetworkMode", "none"}, {"AutoRemove", false}}},
  };
}

// Removes every container this process created, also when a test fails half-way.
struct Sweep {
  Engine& engine;
  ~Sweep() {
    try {
      for (const auto& container : engine.list_containers({std::string(kTestLabel), run_label()})) {
        engine.remove(container.id);
      }
    } catch (const std::exception& e) {
      WARN("cleanup failed: " << e.what());
    }
  }
};

// The error `fn` throws, which must be an `Error`.
template <class Error, class Fn>
Error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("the expected error was not thrown");
  throw std::logic_error("unreachable");  // FAIL throws; this tells the compiler
}

Engine::Options options_for(const std::string& socket, std::chrono::milliseconds timeout = 5s) {
  Engine::Options options;
  options.socket_path = socket;
  options.timeout = timeout;
  return options;
}

int listening_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof addr.sun_path);
  std::copy(path.begin(), path.end(), addr.sun_path);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  return fd;
}

std::string http_reply(int status, std::string_view reason, std::string_view body,
                       std::string_view headers = "Content-Type: application/json\r\n") {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n" + std::string(headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         std::string(body);
}

// A fake engine: one thread answering each connection's request with `reply(request)` and closing.
// The request is its head and body as received.
struct Request {
  std::string method, target, head, body;
};

class FakeEngine {
 public:
  using Reply = std::function<std::string(const Request&)>;

  FakeEngine(std::string path, Reply reply)
      : path_(std::move(path)), fd_(listening_socket(path_)), reply_(std::move(reply)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeEngine() {
    // Wakes the blocked accept() (Linux returns EINVAL from it after a shutdown).
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  const std::string& path() const { return path_; }
  std::vector<Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    for (;;) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      if (auto request = read_request(client)) {
        const auto reply = reply_(*request);
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(std::move(*request));
        }
        std::size_t sent = 0;
        while (sent < reply.size()) {
          const auto n = ::send(client, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
          if (n <= 0) break;
          sent += static_cast<std::size_t>(n);
        }
      }
      ::close(client);
    }
  }

  static std::optional<Request> read_request(int client) {
    std::string data;
    char buf[4096];
    std::size_t head_end = std::string::npos;
    std::size_t length = 0;
    for (;;) {
      if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != std::string::npos) {
        head_end += 4;
        const auto lowered = [&] {
          std::string head = data.substr(0, head_end);
          std::transform(head.begin(), head.end(), head.begin(),
                         [](unsigned char c) { return std::tolower(c); });
          return head;
        }();
        if (const auto at = lowered.find("content-length:"); at != std::string::npos) {
          length = std::stoul(lowered.substr(at + 15));
        }
      }
      if (head_end != std::string::npos && data.size() >= head_end + length) break;
      const auto n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      data.append(buf, static_cast<std::size_t>(n));
    }
    Request request;
    request.head = data.substr(0, head_end);
    request.body = data.substr(head_end, length);
    const auto space = request.head.find(' ');
    request.method = request.head.substr(0, space);
    request.target = request.head.substr(space + 1, request.head.find(' ', space + 1) - space - 1);
    return request;
  }

  std::string path_;
  int fd_;
  Reply reply_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Request> requests_;
};

// Answers /_ping and /version like an engine speaking [min_api, api]; other requests go to `rest`.
FakeEngine::Reply engine_speaking(std::string api, std::string min_api, FakeEngine::Reply rest) {
  return
      [api = std::move(api), min_api = std::move(min_api), rest = std::move(rest)](const Request& request) {
        if (request.target == "/_ping") {
          return http_reply(200, "OK", "OK", "Content-Type: text/plain\r\nAPI-Version: " + api + "\r\n");
        }
        if (request.target == "/version") {
          return http_reply(200, "OK",
                            json::serialize(json::object{{"Version", "fake"},
                                                         {"ApiVersion", api},
                                                         {"MinAPIVersion", min_api},
                                                         {"Os", "linux"},
                                                         {"Arch", "amd64"},
                                                         {"KernelVersion", "6.1"}}));
        }
        return rest(request);
      };
}

std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

// ---- against the real engine ----

TEST_CASE("the engine answers ping, version and info", "[docker][engine]") {
  Engine engine(Engine::Options{});
  engine.ping();
  const auto version = engine.version();
  CHECK(version.negotiated == "1.41");
  CHECK_FALSE(version.version.empty());
  CHECK_FALSE(version.api_version.empty());
  CHECK(version.os == "linux");
  const auto info = engine.info();
  CHECK(info.contains("Driver"));
}

TEST_CASE("inspect_image finds the runtime image and not a missing one", "[docker][engine]") {
  Engine engine(Engine::Options{});
  const auto image = engine.inspect_image(kImage);
  REQUIRE(image);
  CHECK(image->contains("Id"));
  CHECK_FALSE(engine.inspect_image("gdp-no-such-image:never"));
}

TEST_CASE("a container runs to its exit code, with stdout and stderr apart", "[docker][engine]") {
  Engine engine(Engine::Options{});
  Sweep sweep{engine};
  const auto created = engine.create_container(
      unique_name(),
      container_body(
          {"python3", "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"}));
  REQUIRE_FALSE(created.id.empty());
  CHECK(created.warnings.empty());

  auto wait = engine.wait_next_exit(created.id);
  engine.start(created.id);
  const auto exit = wait(60s);
  REQUIRE(exit);
  CHECK(exit->status_code == 3);
  CHECK_FALSE(exit->error);

  const auto logs = engine.logs(created.id, 1 << 20);
  CHECK(logs.out == "out\n");
  CHECK(logs.err == "err\n");
  CHECK_FALSE(logs.out_truncated);
  CHECK_FALSE(logs.err_truncated);

  const auto inspected = engine.inspect(created.id);
  CHECK(inspected.at("State").at("Status") == "exited");
  CHECK(inspected.at("State").at("ExitCode") == 3);

  const auto listed = engine.list_containers({std::string(kTestLabel), run_label()});
  const auto found =
      std::find_if(listed.begin(), listed.end(), [&](const auto& c) { return c.id == created.id; });
  REQUIRE(found != listed.end());
  CHECK(found->state == "exited");
  CHECK(found->labels.at("org.gdp.test") == "engine");

  CHECK_NOTHROW(engine.kill(created.id));  // not running: 409, ignored
  engine.remove(created.id);
  CHECK_NOTHROW(engine.remove(created.id));  // gone: 404, ignored
  CHECK_NOTHROW(engine.kill(created.id));
  CHECK(error_of<EngineError>([&] { engine.inspect(created.id); }).status() == 404);
  const auto after = engine.list_containers({std::string(kTestLabel), run_label()});
  CHECK(std::none_of(after.begin(), after.end(), [&](const auto& c) { return c.id == created.id; }));
}

TEST_CASE("logs keep max_bytes per stream of 10 MB of output and read the rest", "[docker][engine]") {
  Engine engine(Engine::Options{});
  Sweep sweep{engine};
  const auto created = engine.create_container(
      unique_name(), container_body({"python3", "-c",
                                     "import sys; sys.stdout.write('x' * 10_000_000); sys.stdout.flush(); "
                                     "sys.stderr.write('e' * 100)"}));
  auto wait = engine.wait_next_exit(created.id);
  engine.start(created.id);
  const auto exit = wait(60s);
  REQUIRE(exit);
  REQUIRE(exit->status_code == 0);

  const auto start = std::chrono::steady_clock::now();
  const auto small = engine.logs(created.id, 4096);
  CHECK(elapsed_since(start) < 30s);
  CHECK(small.out == std::string(4096, 'x'));
  CHECK(small.out_truncated);
  CHECK(small.err == std::string(100, 'e'));
  CHECK_FALSE(small.err_truncated);

  // Every frame of the whole stream lands in its place.
  const auto whole = engine.logs(created.id, 16 << 20);
  CHECK(whole.out.size() == 10'000'000);
  CHECK(std::all_of(whole.out.begin(), whole.out.end(), [](char c) { return c == 'x'; }));
  CHECK_FALSE(whole.out_truncated);
  CHECK(whole.err == std::string(100, 'e'));

  const auto none = engine.logs(created.id, 0);
  CHECK(none.out.empty());
  CHECK(none.out_truncated);
}

TEST_CASE("logs of a TTY container are its raw, unframed output", "[docker][engine]") {
  Engine engine(Engine::Options{});
  Sweep sweep{engine};
  auto body = container_body({"python3", "-c", "print('hello')"});
  body["Tty"] = true;
  const auto created = engine.create_container(unique_name(), body);
  auto wait = engine.wait_next_exit(created.id);
  engine.start(created.id);
  REQUIRE(wait(60s));
  const auto logs = engine.logs(created.id, 1 << 20);
  CHECK(logs.out == "hello\r\n");
  CHECK(logs.err.empty());
}

TEST_CASE("a wait times out on a running container, which is then killed and removed", "[docker][engine]") {
  Engine engine(Engine::Options{});
  Sweep sweep{engine};
  const auto created = engine.create_container(unique_name(), container_body({"sleep", "30"}));
  auto wait = engine.wait_next_exit(created.id);
  engine.start(created.id);

  const auto stats = engine.stats(created.id);
  CHECK(stats.contains("memory_stats"));
  CHECK(engine.inspect(created.id).at("State").at("Running") == true);

  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(wait(300ms));
  CHECK(elapsed_since(start) < 5s);
  // Polled in short slices, as the runner does, the same wait stays pending.
  for (int i = 0; i < 5; ++i) CHECK_FALSE(wait(50ms));

  engine.kill(created.id);
  const auto exit = wait(30s);
  REQUIRE(exit);
  CHECK(exit->status_code == 137);
  const auto again = wait(1ms);  // the answer is kept
  REQUIRE(again);
  CHECK(again->status_code == 137);
  engine.remove(created.id);
}

TEST_CASE("create with an unknown image is a 404 with the engine's message", "[docker][engine]") {
  Engine engine(Engine::Options{});
  Sweep sweep{engine};
  auto body = container_body({"true"});
  body["Image"] = "gdp-no-such-image:never";
  const auto error = error_of<EngineError>([&] { engine.create_container(unique_name(), body); });
  CHECK(error.status() == 404);
  // Docker says "No such image: ...", Podman "no such image: ... image not known".
  CHECK_THAT(error.engine_message(), Catch::Contains("no such image", Catch::CaseSensitive::No));
  CHECK_THAT(error.what(), Catch::StartsWith("POST /containers/create: 404 "));
}

TEST_CASE("commit makes an image that remove_image deletes", "[docker][engine]") {
  Engine engine(Engine::Options{});
  Sweep sweep{engine};
  const auto created = engine.create_container(unique_name(), container_body({"true"}));
  const auto tag = "t" + run_label_value();
  const auto id = engine.commit(created.id, "gdp-engine-test", tag,
                                json::object{{"Labels", json::object{{"org.gdp.test", "engine"}}}});
  // Docker's ids carry "sha256:", Podman's are the bare digest; either names the image.
  CHECK(id.size() >= 64);
  CHECK(engine.inspect_image(id));
  CHECK(engine.inspect_image("gdp-engine-test:" + tag));
  engine.remove_image("gdp-engine-test:" + tag);
  CHECK_FALSE(engine.inspect_image("gdp-engine-test:" + tag));
}

TEST_CASE("loading a file that is not an image archive fails with the engine's error", "[docker][engine]") {
  TempDir dir;
  std::ofstream(dir / "junk.tar") << "this is not a tar archive";
  Engine engine(Engine::Options{});
  // Docker 20.10 reports it on an error line of a 200 stream ("Error processing tar file...").
  const auto error = error_of<RpcError>([&] { engine.load_image(dir / "junk.tar"); });
  CHECK(error.code() == ErrorCode::ImagePull);
  CHECK_THAT(error.what(), Catch::Contains("junk.tar") && Catch::Contains("tar"));
  CHECK(error_of<RpcError>([&] { engine.load_image(dir / "missing.tar"); }).code() == ErrorCode::ImagePull);
}

TEST_CASE("calls from several threads at once", "[docker][engine]") {
  Engine engine(Engine::Options{});
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (engine.inspect_image(kImage)) ++found;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(found == 20);
}

// ---- the socket and what is (not) behind it ----

TEST_CASE("DOCKER_HOST picks the socket, and other schemes are refused", "[docker][engine]") {
  const char* saved = std::getenv("DOCKER_HOST");
  const std::optional<std::string> original = saved ? std::optional<std::string>(saved) : std::nullopt;
  ::unsetenv("DOCKER_HOST");
  CHECK(Engine::default_socket() == "/var/run/docker.sock");
  ::setenv("DOCKER_HOST", "unix:///run/user/1000/podman/podman.sock", 1);
  CHECK(Engine::default_socket() == "/run/user/1000/podman/podman.sock");
  ::setenv("DOCKER_HOST", "tcp://10.0.0.1:2375", 1);
  const auto error = error_of<RpcError>([] { Engine::default_socket(); });
  CHECK(error.code() == ErrorCode::DockerNotAvailable);
  CHECK_THAT(error.what(), Catch::Contains("tcp://10.0.0.1:2375") && Catch::Contains("Unix socket"));
  // The engine object still constructs (gdpd starts); its calls report the problem.
  Engine engine(Engine::Options{});
  CHECK(error_of<RpcError>([&] { engine.ping(); }).code() == ErrorCode::DockerNotAvailable);
  if (original) {
    ::setenv("DOCKER_HOST", original->c_str(), 1);
  } else {
    ::unsetenv("DOCKER_HOST");
  }
}

TEST_CASE("a missing socket says how to start the engine", "[docker][engine]") {
  TempDir dir;
  Engine engine(options_for(dir / "docker.sock"));
  const auto error = error_of<RpcError>([&] { engine.ping(); });
  CHECK(error.code() == ErrorCode::DockerNotAvailable);
  CHECK_THAT(error.what(),
             Catch::Contains("does not exist") && Catch::Contains("sudo systemctl start docker"));
  // Every call, not only ping, negotiates first and fails the same way.
  CHECK(error_of<RpcError>([&] { engine.inspect("x"); }).code() == ErrorCode::DockerNotAvailable);
}

TEST_CASE("a plain file or a refusing socket is not an engine", "[docker][engine]") {
  TempDir dir;
  std::ofstream(dir / "file.sock") << "not a socket";
  const auto file_error = error_of<RpcError>([&] { Engine(options_for(dir / "file.sock")).ping(); });
  CHECK(file_error.code() == ErrorCode::DockerNotAvailable);
  CHECK_THAT(file_error.what(), Catch::Contains("is not a socket"));

  // A socket file whose listener is gone, as a crashed engine leaves it.
  ::close(listening_socket(dir / "stale.sock"));
  const auto stale_error = error_of<RpcError>([&] { Engine(options_for(dir / "stale.sock")).ping(); });
  CHECK(stale_error.code() == ErrorCode::DockerNotAvailable);
  CHECK_THAT(stale_error.what(), Catch::Contains("refuses connections") && Catch::Contains("dockerd"));
}

TEST_CASE("no permission on the socket says how to get it", "[docker][engine]") {
  // The engine's socket is root:docker 0660; nobody is not in the group.
  const int status = run_as_nobody([] {
    try {
      Engine(options_for("/var/run/docker.sock")).ping();
    } catch (const RpcError& e) {
      const std::string what = e.what();
      return e.code() == ErrorCode::DockerNotAvailable && what.find("usermod -aG docker") != std::string::npos
                 ? 0
                 : 1;
    }
    return 2;
  });
  if (status == -1) {
    WARN("not root: cannot test a user outside the docker group");
    return;
  }
  CHECK(status == 0);
}

TEST_CASE("an engine that never answers fails the call within its timeout", "[docker][engine]") {
  TempDir dir;
  // Listening but never accepting: connect and send succeed through the backlog, then silence.
  const int fd = listening_socket(dir / "silent.sock");
  Engine engine(options_for(dir / "silent.sock", 300ms));
  const auto start = std::chrono::steady_clock::now();
  const auto error = error_of<RpcError>([&] { engine.ping(); });
  const auto took = elapsed_since(start);
  CHECK(error.code() == ErrorCode::DockerNotAvailable);
  CHECK_THAT(error.what(), Catch::Contains("did not answer GET /_ping within 300 ms"));
  CHECK(took >= 250ms);
  CHECK(took < 2s);
  ::close(fd);
}

TEST_CASE("a peer that is not a Docker engine is named as such", "[docker][engine]") {
  TempDir dir;
  SECTION("not HTTP") {
    FakeEngine ssh(dir / "ssh.sock", [](const Request&) { return std::string("SSH-2.0-OpenSSH_9.2\r\n"); });
    const auto error = error_of<RpcError>([&] { Engine(options_for(ssh.path())).version(); });
    CHECK(error.code() == ErrorCode::DockerNotAvailable);
    CHECK_THAT(error.what(), Catch::Contains("not a Docker engine"));
  }
  SECTION("HTTP without the engine's API") {
    FakeEngine web(dir / "web.sock", [](const Request&) {
      return http_reply(404, "Not Found", "nothing here", "Content-Type: text/plain\r\n");
    });
    const auto error = error_of<RpcError>([&] { Engine(options_for(web.path())).version(); });
    CHECK(error.code() == ErrorCode::DockerNotAvailable);
    CHECK_THAT(error.what(), Catch::Contains("not a Docker engine"));
  }
  SECTION("closes without a word") {
    FakeEngine mute(dir / "mute.sock", [](const Request&) { return std::string(); });
    const auto error = error_of<RpcError>([&] { Engine(options_for(mute.path())).ping(); });
    CHECK(error.code() == ErrorCode::DockerNotAvailable);
    CHECK_THAT(error.what(), Catch::Contains("closed the connection"));
  }
}

TEST_CASE("version negotiation clamps 1.41 into the engine's range", "[docker][engine]") {
  TempDir dir;
  const auto not_found = [](const Request&) { return http_reply(404, "Not Found", R"({"message":"nope"})"); };
  SECTION("an engine that dropped 1.41 gets its minimum") {
    FakeEngine fake(dir / "new.sock", engine_speaking("1.53", "1.44", not_found));
    Engine engine(options_for(fake.path()));
    CHECK(engine.version().negotiated == "1.44");
    CHECK_FALSE(engine.inspect_image("x"));
    CHECK(fake.requests().back().target == "/v1.44/images/x/json");
  }
  SECTION("an engine that still has 1.41 gets 1.41") {
    FakeEngine fake(dir / "mid.sock", engine_speaking("1.47", "1.24", not_found));
    CHECK(Engine(options_for(fake.path())).version().negotiated == "1.41");
  }
  SECTION("an engine older than 1.41 is refused") {
    FakeEngine fake(dir / "old.sock", engine_speaking("1.40", "1.12", not_found));
    Engine engine(options_for(fake.path()));
    const auto error = error_of<RpcError>([&] { engine.inspect("x"); });
    CHECK(error.code() == ErrorCode::DockerNotAvailable);
    CHECK_THAT(error.what(), Catch::Contains("too old") && Catch::Contains("Docker 20.10 or later"));
  }
}

TEST_CASE("a Podman-shaped error body yields its message", "[docker][engine]") {
  TempDir dir;
  FakeEngine podman(dir / "podman.sock", engine_speaking("1.41", "1.24", [](const Request&) {
                      return http_reply(404, "Not Found", R"({"cause":"x","message":"m","response":404})");
                    }));
  Engine engine(options_for(podman.path()));
  const auto error = error_of<EngineError>([&] { engine.inspect("abc"); });
  CHECK(error.status() == 404);
  CHECK(error.engine_message() == "m");
  CHECK(std::string(error.what()) == "GET /containers/abc/json: 404 m");
}

TEST_CASE("a pull's progress reaches the caller and its error line throws ImagePull", "[docker][engine]") {
  TempDir dir;
  FakeEngine fake(
      dir / "pull.sock", engine_speaking("1.41", "1.12", [](const Request&) {
        return http_reply(
            200, "OK",
            "{\"status\":\"Pulling from library/x\",\"id\":\"latest\"}\r\n"
            "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\r\n");
      }));
  Engine engine(options_for(fake.path()));
  std::vector<std::string> statuses;
  const auto error = error_of<RpcError>([&] {
    engine.pull_image("library/x", "", [&](const json::object& line) {
      statuses.emplace_back(line.at("status").as_string());
    });
  });
  CHECK(error.code() == ErrorCode::ImagePull);
  CHECK_THAT(error.what(), Catch::Contains("manifest unknown") && Catch::Contains("library/x:latest"));
  CHECK(statuses == std::vector<std::string>{"Pulling from library/x"});
  // No tag would pull every tag of the repository; the client asks for latest.
  CHECK(fake.requests().back().target == "/v1.41/images/create?fromImage=library%2Fx&tag=latest");
  CHECK_THAT(fake.requests().back().head, Catch::Contains("Host: api.moby.localhost"));
}

TEST_CASE("log frames go to their streams, and an engine error frame throws", "[docker][engine]") {
  const auto frame = [](char type, std::string_view payload) {
    std::string header{type, 0, 0, 0};
    for (int shift = 24; shift >= 0; shift -= 8) {
      header += static_cast<char>((payload.size() >> shift) & 0xFF);
    }
    return header + std::string(payload);
  };
  TempDir dir;
  FakeEngine fake(dir / "logs.sock", engine_speaking("1.41", "1.12", [&](const Request& request) {
                    // Stdin frames (0) carry stdout; empty frames are allowed.
                    auto body = frame(1, "out ") + frame(2, "err") + frame(1, "") + frame(0, "more");
                    if (request.target.find("/broken/") != std::string::npos) {
                      body += frame(3, "log driver failed");
                    }
                    return http_reply(200, "OK", body,
                                      "Content-Type: application/vnd.docker.multiplexed-stream\r\n");
                  }));
  Engine engine(options_for(fake.path()));
  const auto all = engine.logs("good", 100);
  CHECK(all.out == "out more");
  CHECK(all.err == "err");
  CHECK_FALSE(all.out_truncated);
  const auto cut = engine.logs("good", 3);
  CHECK(cut.out == "out");
  CHECK(cut.out_truncated);
  CHECK(cut.err == "err");
  CHECK_FALSE(cut.err_truncated);
  const auto error = error_of<EngineError>([&] { engine.logs("broken", 100); });
  CHECK(error.status() == 500);
  CHECK(error.engine_message() == "log driver failed");
}

TEST_CASE("load streams the archive as the body", "[docker][engine]") {
  TempDir dir;
  std::string archive(300'000, '\0');
  for (std::size_t i = 0; i < archive.size(); ++i) archive[i] = static_cast<char>(i % 251);
  std::ofstream(dir / "image.tar", std::ios::binary) << archive;
  FakeEngine fake(dir / "load.sock", engine_speaking("1.41", "1.12", [](const Request&) {
                    return http_reply(200, "OK", "{\"stream\":\"Loaded image: x:1\\n\"}\n");
                  }));
  Engine engine(options_for(fake.path()));
  engine.load_image(dir / "image.tar");
  const auto request = fake.requests().back();
  CHECK(request.method == "POST");
  CHECK_THAT(request.target, Catch::StartsWith("/v1.41/images/load"));
  CHECK_THAT(request.head, Catch::Contains("application/x-tar"));
  CHECK(request.body == archive);
}

TEST_CASE("an exec runs with its own user, environment and directory, its output kept apart and bounded",
          "[docker][engine][exec]") {
  Engine engine(Engine::Options{});
  Sweep sweep{engine};
  const auto created = engine.create_container(unique_name(), container_body({"sleep", "300"}));
  engine.start(created.id);

  const auto exec = engine.create_exec(
      created.id, ExecConfig{{"python3", "-c",
                              "import os, sys; print(os.getuid(), os.environ['GDP_X'], os.getcwd()); "
                              "sys.stderr.write('e' * 5000); sys.exit(3)"},
                             "4321:4321",
                             {"GDP_X=y"},
                             "/tmp"});
  auto stream = engine.start_exec(exec, 1000);
  std::optional<ContainerLogs> logs;
  for (int slice = 0; slice < 600 && !logs; ++slice) logs = stream(100ms);
  REQUIRE(logs);
  CHECK(logs->out == "4321 y /tmp\n");
  CHECK_FALSE(logs->out_truncated);
  CHECK(logs->err == std::string(1000, 'e'));
  CHECK(logs->err_truncated);
  const auto state = engine.inspect_exec(exec);
  CHECK_FALSE(state.running);
  CHECK(state.exit_code == 3);
  CHECK(state.pid >= 0);  // Docker keeps an ended exec's pid; Podman reports 0

  auto stopped = engine.wait_next_exit(created.id);
  engine.kill(created.id);
  REQUIRE(stopped(60s));
  CHECK(error_of<EngineError>([&] {
          engine.create_exec(created.id, ExecConfig{{"true"}, "", {}, "/"});
        }).status() == 409);
  CHECK(error_of<EngineError>([&] { engine.inspect_exec("no-such-exec"); }).status() == 404);
}
