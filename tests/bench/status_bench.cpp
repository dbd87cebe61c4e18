// `gdp status` as its users meet it, through the real binaries on a private socket: round trips
// with many clients at once on their own connections (the issue's 64), the whole `gdp status
// --json` process a user or a prompt script runs, and gdpd's memory when idle, before and after
// the load. Every figure is printed beside anchors measured in the same run on the same machine:
// a Unix-socket ping-pong between two threads (the floor any local round trip pays), the Docker
// Engine's GET /_ping (another daemon answering on a Unix socket), `docker version` and /bin/true
// (process start-up), and the resident memory of `sleep 60` and of dockerd and containerd.
// Nothing is asserted: the machine is shared, so only figures from the same run compare.
//
// Usage: gdp_status_bench [ROUND_TRIPS] [CLIENTS] [CLI_RUNS]   (defaults 200, 64, 40)
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <sys/wait.h>
#include <unistd.h>
#include "tests/support/unix_socket.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Figures {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

// Nearest-rank percentiles: every figure is a latency that was actually measured.
Figures summarize(std::vector<double> v) {
  Figures f;
  if (v.empty()) return f;
  std::sort(v.begin(), v.end());
  const auto at = [&](double p) {
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
  };
  f.p50 = at(0.50);
  f.p90 = at(0.90);
  f.p99 = at(0.99);
  f.max = v.back();
  return f;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "gdp_status_bench: %s\n", what.c_str());
  std::exit(1);
}

using gdp::test::connect_unix;

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// A blocking connection that reads by lines (gdpd's framing) or by HTTP response (the engine's).
class Connection {
 public:
  explicit Connection(const std::string& path) : fd_(connect_unix(path)) {
    if (fd_ < 0) die("cannot connect to " + path + ": " + std::strerror(errno));
  }
  ~Connection() { close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool send(std::string_view bytes) { return write_all(fd_, bytes); }

  // The next line without its newline; nullopt when the peer closed.
  std::optional<std::string> line() {
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string out = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return out;
      }
      if (!fill()) return std::nullopt;
    }
  }

  // One HTTP/1.1 response with a Content-Length (the engine's /_ping has one); false on EOF.
  bool http_response() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    std::size_t length = 0;
    std::string head = buffer_.substr(0, end);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (const auto at = head.find("content-length:"); at != std::string::npos) {
      length = std::strtoull(head.c_str() + at + 15, nullptr, 10);
    }
    if (head.rfind("http/1.1 200", 0) != 0) die("the engine answered GET /_ping with: " + head.substr(0, 40));
    while (buffer_.size() < end + 4 + length) {
      if (!fill()) return false;
    }
    buffer_.erase(0, end + 4 + length);
    return true;
  }

 private:
  bool fill() {
    char buf[65536];
    for (;;) {
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
  }

  int fd_;
  std::string buffer_;
};

std::string request(std::int64_t id, std::string_view method, std::string_view params) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + std::string(method) +
         R"(","params":)" + std::string(params) + "}\n";
}

// Sends a request and waits for the reply with its id; any error reply ends the bench, since a
// figure for failed calls would mean nothing.
void call(Connection& c, std::int64_t id, std::string_view method, std::string_view params) {
  if (!c.send(request(id, method, params))) die("gdpd closed the connection during " + std::string(method));
  const std::string tag = "\"id\":" + std::to_string(id);
  for (;;) {
    const auto reply = c.line();
    if (!reply) die("gdpd closed the connection before answering " + std::string(method));
    if (reply->find(tag) == std::string::npos) continue;  // a notification
    if (reply->find("\"result\"") == std::string::npos) die(std::string(method) + " failed: " + *reply);
    return;
  }
}

void hello(Connection& c) {
  const std::string params = R"({"protocol_versions":[1],"client":{"name":"gdp-bench","version":"0","pid":)" +
                             std::to_string(getpid()) + R"(,"tty":null},"capabilities":[]})";
  call(c, 1, "hello", params);
}

// Runs a program with stdout and stderr to `out` (or /dev/null); returns the child's pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& out = "/dev/null",
            const std::string& err = "/dev/null") {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = err == out ? o : open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The wall time of one whole process, start to reaped; nullopt if it failed.
std::optional<double> timed_run(const std::vector<std::string>& argv, const std::string& out = "/dev/null") {
  const auto t0 = Clock::now();
  const int code = wait_exit(spawn(argv, out));
  const double ms = ms_since(t0);
  if (code != 0) return std::nullopt;
  return ms;
}

// A field of /proc/PID/status in KiB (VmRSS, VmHWM), or -1 when the process or field is absent.
long proc_kib(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(std::string(field) + ":", 0) == 0)
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return -1;
}

// The first process whose command name is `name` (an anchor's, not one this bench started).
std::optional<pid_t> find_process(std::string_view name) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string got;
    if (std::getline(comm, got) && got == name) return static_cast<pid_t>(std::stol(pid));
  }
  return std::nullopt;
}

std::string mib(long kib) {
  if (kib < 0) return "   n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%6.1f", static_cast<double>(kib) / 1024.0);
  return buf;
}

void print_row(const char* what, const Figures& f, const char* extra = "") {
  std::printf("  %-62s %8.3f %8.3f %8.3f %8.3f %s\n", what, f.p50, f.p90, f.p99, f.max, extra);
}

void print_header(const std::string& title) {
  std::printf("%s\n  %-62s %8s %8s %8s %8s\n", title.c_str(), "", "p50 ms", "p90 ms", "p99 ms", "max ms");
}

// The floor: a message and its echo over a socketpair between two threads, as small as a status
// request, so what is left of gdpd's figure is its own work (parsing, dispatch, the reply).
Figures socketpair_floor(int rounds) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair failed");
  const std::string ping = request(2, "status", "{}");
  std::thread echo([&] {
    std::vector<char> buf(ping.size());
    for (int i = 0; i < rounds; ++i) {
      std::size_t got = 0;
      while (got < buf.size()) {
        const auto n = ::read(sv[1], buf.data() + got, buf.size() - got);
        if (n <= 0) return;
        got += static_cast<std::size_t>(n);
      }
      if (!write_all(sv[1], std::string_view(buf.data(), buf.size()))) return;
    }
  });
  std::vector<double> ms;
  std::vector<char> buf(ping.size());
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = Clock::now();
    if (!write_all(sv[0], ping)) die("socketpair write failed");
    std::size_t got = 0;
    while (got < buf.size()) {
      const auto n = ::read(sv[0], buf.data() + got, buf.size() - got);
      if (n <= 0) die("socketpair read failed");
      got += static_cast<std::size_t>(n);
    }
    ms.push_back(ms_since(t0));
  }
  echo.join();
  close(sv[0]);
  close(sv[1]);
  return summarize(ms);
}

std::string docker_socket() {
  const char* host = std::getenv("DOCKER_HOST");
  if (host != nullptr && std::string_view(host).rfind("unix://", 0) == 0) return host + 7;
  return "/var/run/docker.sock";
}

// The Docker Engine answering GET /_ping on one keep-alive connection: another daemon's round
// trip on a Unix socket. Skipped when no engine answers.
std::optional<Figures> engine_ping(int rounds) {
  const int probe = connect_unix(docker_socket());
  if (probe < 0) return std::nullopt;
  close(probe);
  Connection c(docker_socket());
  const std::string get = "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
  std::vector<double> ms;
  for (int i = 0; i < rounds + 5; ++i) {
    const auto t0 = Clock::now();
    if (!c.send(get) || !c.http_response()) die("the engine closed the connection during GET /_ping");
    if (i >= 5) ms.push_back(ms_since(t0));  // the first few warm the engine's handler up
  }
  return summarize(ms);
}

// `clients` connections at once, each opened and greeted by `open` (not timed), then doing
// `rounds` calls with `one` as fast as the replies come; returns every latency and the calls per
// second over the whole run.
template <class Open, class One>
std::pair<std::vector<double>, double> concurrent_load(int clients, int rounds, Open open, One one) {
  std::vector<std::vector<double>> per_client(static_cast<std::size_t>(clients));
  std::latch ready(clients + 1);
  std::latch go(1);
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      const auto c = open();
      auto& ms = per_client[static_cast<std::size_t>(t)];
      ms.reserve(static_cast<std::size_t>(rounds));
      ready.count_down();
      go.wait();
      for (int i = 0; i < rounds; ++i) {
        const auto t0 = Clock::now();
        one(*c, i);
        ms.push_back(ms_since(t0));
      }
    });
  }
  ready.arrive_and_wait();  // every client connected and greeted: the handshakes are not timed
  const auto t0 = Clock::now();
  go.count_down();
  for (auto& th : threads) th.join();
  const double seconds = ms_since(t0) / 1000.0;
  std::vector<double> all;
  for (const auto& v : per_client) all.insert(all.end(), v.begin(), v.end());
  return {all, static_cast<double>(all.size()) / seconds};
}

std::string per_second(double n) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.0f calls/s", n);
  return buf;
}

void print_memory(const char* when, pid_t pid) {
  std::printf("  %-44s VmRSS %s MiB   VmHWM %s MiB   threads %ld\n", when,
              mib(proc_kib(pid, "VmRSS")).c_str(), mib(proc_kib(pid, "VmHWM")).c_str(),
              proc_kib(pid, "Threads"));
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  const int clients = argc > 2 ? std::max(1, std::atoi(argv[2])) : 64;
  const int cli_runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 40;

  // A private 0700 directory for the socket and the state, as the e2e tests have.
  std::string templ = (fs::temp_directory_path() / "gdp-status-bench-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) die("mkdtemp failed");
  const fs::path dir = templ;
  const std::string socket = (dir / "run" / "gdpd.sock").string();
  const std::string log = (dir / "gdpd.log").string();

  const auto started = Clock::now();
  const pid_t gdpd = spawn({GDPD_BIN, "--foreground", "--socket", socket, "--state-dir",
                            (dir / "state").string(), "--log-level", "warn"},
                           "/dev/null", log);
  int probe = -1;
  while ((probe = connect_unix(socket)) < 0) {
    if (waitpid(gdpd, nullptr, WNOHANG) == gdpd || ms_since(started) > 10000) {
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      die("gdpd did not start; its log:\n" + text.str());
    }
    std::this_thread::sleep_for(5ms);
  }
  close(probe);
  const double start_ms = ms_since(started);

  std::string load;
  std::getline(std::ifstream("/proc/loadavg"), load);
  std::printf("gdpd: %s (pid %d), ready on its socket after %.1f ms; load average %s\n\n", GDPD_BIN, gdpd,
              start_ms, load.substr(0, 14).c_str());
  std::printf("memory (from /proc/PID/status):\n");
  print_memory("gdpd right after start", gdpd);

  // One client alone first, on the same footing as the anchors (one connection, one at a time).
  std::vector<double> single;
  {
    Connection c(socket);
    hello(c);
    for (int i = 0; i < rounds + 20; ++i) {
      const auto t0 = Clock::now();
      call(c, 2 + i, "status", "{}");
      if (i >= 20) single.push_back(ms_since(t0));
    }
  }
  const auto [loaded, status_rate] = concurrent_load(
      clients, rounds,
      [&] {
        auto c = std::make_unique<Connection>(socket);
        hello(*c);
        return c;
      },
      [](Connection& c, int i) { call(c, 2 + i, "status", "{}"); });
  std::this_thread::sleep_for(500ms);  // every connection closed: idle again
  print_memory(("gdpd idle after the " + std::to_string(clients) + "-client run").c_str(), gdpd);

  const pid_t sleeper = spawn({"sleep", "60"});
  std::this_thread::sleep_for(100ms);
  std::printf("  %-44s VmRSS %s MiB   VmHWM %s MiB\n", "anchor: sleep 60",
              mib(proc_kib(sleeper, "VmRSS")).c_str(), mib(proc_kib(sleeper, "VmHWM")).c_str());
  kill(sleeper, SIGKILL);
  wait_exit(sleeper);
  for (const char* name : {"dockerd", "containerd"}) {
    if (const auto pid = find_process(name)) {
      std::printf("  %-44s VmRSS %s MiB   VmHWM %s MiB\n",
                  (std::string("anchor: ") + name + " (running)").c_str(),
                  mib(proc_kib(*pid, "VmRSS")).c_str(), mib(proc_kib(*pid, "VmHWM")).c_str());
    } else {
      std::printf("  anchor: %s is not running here\n", name);
    }
  }

  std::printf("\n");
  print_header("status round trip on an open connection, after hello:");
  print_row(("gdpd, " + std::to_string(clients) + " clients at once, " + std::to_string(rounds) +
             " calls each (" + std::to_string(loaded.size()) + ")")
                .c_str(),
            summarize(loaded), per_second(status_rate).c_str());
  print_row(("gdpd, 1 client alone, " + std::to_string(rounds) + " calls").c_str(), summarize(single));
  print_row("anchor: socketpair ping-pong between two threads (floor)", socketpair_floor(rounds * 10));
  if (const auto ping = engine_ping(rounds)) {
    print_row("anchor: Docker Engine GET /_ping, one keep-alive connection", *ping);
    // The engine under the same load: as many keep-alive connections at once.
    const auto [pings, ping_rate] = concurrent_load(
        clients, rounds, [] { return std::make_unique<Connection>(docker_socket()); },
        [](Connection& c, int) {
          if (!c.send("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n") || !c.http_response()) {
            die("the engine closed the connection during GET /_ping");
          }
        });
    print_row(
        ("anchor: Docker Engine GET /_ping, " + std::to_string(clients) + " connections at once").c_str(),
        summarize(pings), per_second(ping_rate).c_str());
  } else {
    std::printf("  anchor: Docker Engine GET /_ping skipped: nothing answers on %s\n",
                docker_socket().c_str());
  }

  // What a user (or a shell prompt) runs: the whole client process, start to exit.
  std::printf("\n");
  print_header("a whole process, start to exit, run one after another:");
  std::vector<double> cli;
  const std::string cli_out = (dir / "status.json").string();
  for (int i = 0; i < cli_runs + 3; ++i) {
    const auto ms = timed_run({GDP_BIN, "--socket", socket, "--json", "status"}, cli_out);
    if (!ms) die("gdp --json status failed");
    if (i >= 3) cli.push_back(*ms);  // the first runs warm the page cache
  }
  {
    std::ifstream in(cli_out);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("\"daemon\"") == std::string::npos) die("gdp --json status printed: " + text.str());
  }
  print_row(("gdp --json status, " + std::to_string(cli_runs) + " runs").c_str(), summarize(cli));
  std::vector<double> truth;
  for (int i = 0; i < cli_runs; ++i) {
    if (const auto ms = timed_run({"/bin/true"})) truth.push_back(*ms);
  }
  print_row("anchor: /bin/true (process start-up floor)", summarize(truth));
  std::vector<double> dv;
  const int docker_runs = std::min(cli_runs, 15);
  for (int i = 0; i < docker_runs + 1; ++i) {
    const auto ms = timed_run({"docker", "version"});
    if (!ms) break;
    if (i >= 1) dv.push_back(*ms);
  }
  if (!dv.empty()) {
    print_row(("anchor: docker version (client and engine), " + std::to_string(dv.size()) + " runs").c_str(),
              summarize(dv));
  } else {
    std::printf("  anchor: docker version skipped (no docker CLI, or no engine answers)\n");
  }

  kill(gdpd, SIGTERM);
  const int code = wait_exit(gdpd);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (code != 0) die("gdpd exited with " + std::to_string(code) + " at SIGTERM");
  return 0;
}
