// The Docker Engine API client: HTTP/1.1 over the engine's Unix socket with Boost.Beast, no docker
// CLI anywhere. Calls are blocking and meant for gdpd's worker pool (see worker_pool.h); each has
// a deadline. The API version is negotiated once: 1.41 clamped to the engine's
// [MinAPIVersion, ApiVersion], so Docker 20.10 and later and Podman's compatible socket all work.
//
// Errors: RpcError(DockerNotAvailable) when the socket is missing, refuses us, or has no engine
// behind it (the message says how to fix each); EngineError for an HTTP error status, carrying
// the status and the engine's own message.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::sandbox {

class EngineError : public std::runtime_error {
 public:
  EngineError(int status, std::string message, std::string what)
      : std::runtime_error(std::move(what)), status_(status), message_(std::move(message)) {}
  int status() const { return status_; }                          // HTTP status, e.g. 404, 409
  const std::string& engine_message() const { return message_; }  // the body's "message"

 private:
  int status_;
  std::string message_;
};

struct EngineVersion {
  std::string version;          // "20.10.24+dfsg1"
  std::string api_version;      // the engine's newest
  std::string min_api_version;  // the engine's oldest
  std::string negotiated;       // what this client uses
  std::string os, arch, kernel;
};

struct CreatedContainer {
  std::string id;
  std::vector<std::string> warnings;  // e.g. a limit the kernel cannot enforce; callers treat as errors
};

struct ContainerExit {
  std::int64_t status_code = -1;
  std::optional<std::string> error;  // Error.Message from the wait response
};

struct ContainerLogs {
  std::string out, err;
  bool out_truncated = false, err_truncated = false;  // past max_bytes, the rest was read and dropped
};

// What an exec runs: the container's own settings do not carry over to an exec, so a sandboxed
// one names its user, environment and working directory again.
struct ExecConfig {
  std::vector<std::string> cmd;
  std::string user;  // "uid:gid"
  std::vector<std::string> env;
  std::string working_dir;
};

struct ExecState {
  bool running = false;
  std::optional<std::int64_t> exit_code;  // null while running
  std::int64_t pid = 0;                   // in the host's pid namespace, not the container's
};

struct ContainerSummary {
  std::string id;
  std::string state;  // "running", "exited", ...
  std::map<std::string, std::string> labels;
};

class Engine {
 public:
  struct Options {
    std::string socket_path;                   // default: DOCKER_HOST (unix://...) or /var/run/docker.sock
    std::chrono::milliseconds timeout{30000};  // per call, except wait and pulls which take their own
  };

  // The socket from DOCKER_HOST=unix:///path, else /var/run/docker.sock. Other DOCKER_HOST
  // schemes (tcp://, ssh://) are refused: the sandbox needs a local engine.
  static std::string default_socket();

  explicit Engine(Options options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- engine ----
  void ping();                 // GET /_ping; throws DockerNotAvailable with advice when it fails
  EngineVersion version();     // negotiates on the first call; every other call negotiates first
  boost::json::object info();  // GET /info: Driver, DriverStatus, CgroupVersion, SecurityOptions...

  // ---- images ----
  std::optional<boost::json::object> inspect_image(std::string_view name);  // nullopt on 404
  // POST /images/create?fromImage=&tag=; progress gets each JSON line; an error line throws.
  void pull_image(std::string_view image, std::string_view tag,
                  const std::function<void(const boost::json::object&)>& progress = {});
  void load_image(const std::string& tar_path);  // POST /images/load with the file as the body
  // POST /commit?container=&repo=&tag=; returns the new image id.
  std::string commit(std::string_view container, std::string_view repo, std::string_view tag,
                     const boost::json::object& config = {});
  void remove_image(std::string_view name, bool force = false);

  // ---- containers ----
  CreatedContainer create_container(std::string_view name, const boost::json::object& body);
  // Sends POST /containers/{id}/wait?condition=next-exit now (call it BEFORE start, so a fast
  // exit cannot be missed) and returns a function that blocks for the answer up to `timeout`,
  // returning nullopt when the deadline passes first (the container is still running).
  std::function<std::optional<ContainerExit>(std::chrono::milliseconds timeout)> wait_next_exit(
      std::string_view id);
  void start(std::string_view id);
  void kill(std::string_view id, std::string_view signal = "KILL");  // 404/409 (gone, not running) ignored
  void remove(std::string_view id, bool force = true);               // 404 ignored
  boost::json::object inspect(std::string_view id);
  // GET /containers/{id}/stats?stream=false. Without one_shot the engine samples twice, a second
  // or two apart, so precpu_stats is filled; with it (API 1.41+) it answers at once, precpu zero.
  boost::json::object stats(std::string_view id, bool one_shot = false);
  // GET /containers/{id}/top: the container's processes as the host sees them (the engine lists its
  // cgroup's pids and runs ps on the host), one row of ps's columns each.
  std::vector<std::vector<std::string>> top(std::string_view id);
  // GET /containers/{id}/logs?stdout=1&stderr=1, demultiplexed (8-byte frame headers), each stream
  // kept to max_bytes.
  ContainerLogs logs(std::string_view id, std::size_t max_bytes);
  // ---- exec ----
  // POST /containers/{id}/exec with stdout and stderr attached, no stdin, no TTY; returns the exec id.
  // A container that is not running answers 409, one that is gone 404 (EngineError either way).
  std::string create_exec(std::string_view container, const ExecConfig& config);
  // POST /exec/{id}/start, attached: the output arrives on the same connection, framed like logs.
  // Returns a function polled in slices, as wait_next_exit's: nullopt while the exec's streams are
  // open after `timeout`, then the output (each stream kept to max_bytes, marked when cut). The
  // streams close when the exec's process and every process holding its stdout or stderr are gone
  // (Docker waits two seconds for stragglers after the process itself has exited).
  std::function<std::optional<ContainerLogs>(std::chrono::milliseconds timeout)> start_exec(
      std::string_view exec_id, std::size_t max_bytes);
  ExecState inspect_exec(std::string_view exec_id);  // GET /exec/{id}/json

  // GET /containers/json?all=1&filters={"label":[...]}, labels as "key=value" or "key".
  std::vector<ContainerSummary> list_containers(const std::vector<std::string>& label_filters);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gdp::sandbox
