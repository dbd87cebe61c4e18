#include "tests/support/fake_gemini.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gdp::test {
namespace {

namespace json = boost::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One whole line per write(2) on an O_APPEND file, so the server never reads half a line as whole.
void append_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  const std::string text = line + "\n";
  const auto n = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) throw std::runtime_error("cannot append to " + path);
}

std::vector<json::object> read_json_lines(const std::string& path) {
  std::vector<json::object> out;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line).as_object());
  }
  return out;
}

std::string_view fault_name(FakeFault fault) {
  switch (fault) {
    case FakeFault::api_key_invalid:
      return "api_key_invalid";
    case FakeFault::rate_limit:
      return "rate_limit";
    case FakeFault::quota_per_day:
      return "quota_per_day";
    case FakeFault::internal:
      return "internal";
    case FakeFault::unavailable:
      return "unavailable";
    case FakeFault::html_error:
      return "html_error";
    case FakeFault::truncated:
      return "truncated";
    case FakeFault::malformed_body:
      return "malformed_body";
    case FakeFault::malformed_text:
      return "malformed_text";
    case FakeFault::max_tokens:
      return "max_tokens";
    case FakeFault::blocked:
      return "blocked";
    case FakeFault::model_not_found:
      return "model_not_found";
  }
  throw std::logic_error("unknown FakeFault");
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

FakeReply FakeReply::fixture(std::string_view name, int status) {
  FakeReply reply;
  reply.spec_ = {{"fixture", name}, {"status", status}};
  return reply;
}

FakeReply FakeReply::text(std::string_view model_text) {
  FakeReply reply;
  reply.spec_ = {{"text", model_text}};
  return reply;
}

FakeReply FakeReply::raw(int status, std::string_view body) {
  FakeReply reply;
  reply.spec_ = {{"status", status}, {"body", body}};
  return reply;
}

FakeReply FakeReply::fault(FakeFault fault) {
  FakeReply reply;
  reply.spec_ = {{"fault", fault_name(fault)}};
  return reply;
}

FakeReply& FakeReply::delay(std::chrono::milliseconds before_headers) {
  spec_["delay_ms"] = before_headers.count();
  return *this;
}

FakeReply& FakeReply::chunked() {
  spec_["chunked"] = true;
  return *this;
}

FakeReply& FakeReply::truncated() {
  spec_["truncate"] = true;
  return *this;
}

FakeReply& FakeReply::for_models() {
  spec_["for"] = "models";
  return *this;
}

FakeReply& FakeReply::for_any() {
  spec_["for"] = "any";
  return *this;
}

std::string RecordedRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

bool RecordedRequest::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

std::string gemini_fixture(std::string_view name) {
  const auto path = std::string(GDP_GEMINI_FIXTURES) + "/" + std::string(name) + ".json";
  if (::access(path.c_str(), R_OK) != 0) throw std::runtime_error("no Gemini fixture " + path);
  return read_file(path);
}

PortProcess::PortProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    const int err = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out[1], 1);
    ::dup2(err, 2);
    // The server must not keep the test's own sockets (a daemon's, a listening port) open.
    ::close_range(3, ~0U, 0);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(out[1]);
  // Minting the certificates and starting Python takes a moment; a loaded machine may take long.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out[0], POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    char buf[256];
    const auto n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;  // it exited
    line.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  if (line.rfind("PORT ", 0) != 0 || line.find('\n') == std::string::npos) {
    stop();
    throw std::runtime_error(argv.at(1) + " did not start: " + read_file(log_path));
  }
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(5)));
}

PortProcess::~PortProcess() {
  stop();
}

void PortProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

FakeGemini::FakeGemini(FakeGeminiOptions options)
    : options_(std::move(options)),
      process_(
          [&] {
            std::vector<std::string> argv{
                GDP_PYTHON3,  GDP_FAKE_GEMINI_SCRIPT, "serve", "--dir",           dir_.path().string(),
                "--fixtures", GDP_GEMINI_FIXTURES,    "--key", options_.valid_key};
            if (options_.wrong_host_certificate) argv.emplace_back("--wrong-host");
            return argv;
          }(),
          dir_ / "server.log") {}

void FakeGemini::push(const FakeReply& reply) {
  append_line(dir_ / "queue.jsonl", json::serialize(reply.spec()));
}

std::vector<RecordedRequest> FakeGemini::requests() const {
  std::vector<RecordedRequest> out;
  const auto path = dir_ / "requests.jsonl";
  if (::access(path.c_str(), R_OK) != 0) return out;
  for (const auto& line : read_json_lines(path)) {
    RecordedRequest r;
    r.method = json::value_to<std::string>(line.at("method"));
    r.path = json::value_to<std::string>(line.at("path"));
    r.query = json::value_to<std::string>(line.at("query"));
    for (const auto& h : line.at("headers").as_array()) {
      r.headers.emplace_back(json::value_to<std::string>(h.at(0)), json::value_to<std::string>(h.at(1)));
    }
    r.body = read_file(dir_ / json::value_to<std::string>(line.at("body_file")));
    r.arrived = std::chrono::steady_clock::time_point(
        std::chrono::nanoseconds(line.at("monotonic_ns").to_number<std::int64_t>()));
    out.push_back(std::move(r));
  }
  return out;
}

std::string FakeGemini::log() const {
  return read_file(dir_ / "server.log");
}

FakeProxy::FakeProxy(FakeProxyOptions options)
    : options_(std::move(options)),
      process_(
          [&] {
            std::vector<std::string> argv{GDP_PYTHON3, GDP_FAKE_GEMINI_SCRIPT, "proxy", "--dir",
                                          dir_.path().string()};
            if (!options_.credentials.empty()) argv.insert(argv.end(), {"--auth", options_.credentials});
            if (options_.deny_status != 0) {
              argv.insert(argv.end(), {"--deny", std::to_string(options_.deny_status)});
            }
            return argv;
          }(),
          dir_ / "proxy.log") {}

std::string FakeProxy::url() const {
  const auto userinfo = options_.credentials.empty() ? std::string() : options_.credentials + "@";
  return "http://" + userinfo + "127.0.0.1:" + std::to_string(port());
}

std::vector<FakeProxy::Connect> FakeProxy::connects() const {
  std::vector<Connect> out;
  const auto path = dir_ / "proxy.jsonl";
  if (::access(path.c_str(), R_OK) != 0) return out;
  for (const auto& line : read_json_lines(path)) {
    const auto& auth = line.at("authorization");
    out.push_back({json::value_to<std::string>(line.at("target")),
                   auth.is_null() ? std::string() : json::value_to<std::string>(auth)});
  }
  return out;
}

}  // namespace gdp::test
