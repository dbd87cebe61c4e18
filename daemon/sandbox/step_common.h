// What the two ways of running a step share: a fresh container per step (runner.h) and the
// session's warm container (warm.h) must give a script the same isolation, limits, bounds and
// error reports, so the create body, the resource sampler, the watch of the writable mounts and
// the verdict on a finished step live here once. Internal to the sandbox.
#pragma once

#include "daemon/sandbox/runner.h"

#include <boost/json/object.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gdp::sandbox {

// How a container differs from the one-shot step's: where files.script appears and what runs.
struct ContainerShape {
  std::string script_target;  // files.script (a file or a directory) is mounted read-only here
  std::vector<std::string> cmd;
  std::string user;        // the main process's "uid:gid"
  bool init = true;        // docker-init as PID 1, reaping and forwarding signals
  std::string step_label;  // the org.gdp.step label's value
};

// The create body: every isolation setting and limit of `config`, the data mounts of `files`,
// the daemon and session labels of `labels`, and the shape's command.
boost::json::object sandbox_container_spec(const ResourceConfig& config, const StepFiles& files,
                                           const StepLabels& labels, const ContainerShape& shape);

// The uid:gid scripts run as: the daemon's own, so the files a script writes belong to the user;
// a root daemon's scripts run as nobody (65534).
std::string sandbox_user();
// The environment a script gets (HOME and caches on /tmp, where the input is).
std::vector<std::string> sandbox_env(const StepFiles& files);

// Throws ResourceLimit when the engine warned at create time that it would drop a limit.
void refuse_dropped_limits(const CreatedContainer& created);

// A root daemon hands the writable mounts to nobody, who runs its scripts.
void hand_over_writable_mounts(const StepFiles& files);

// Bytes under a directory (files only; what a script wrote).
std::int64_t tree_bytes(const std::filesystem::path& dir);
// Bytes a step wrote, as the disk cap counts them: /data/work and /data/output.
inline std::int64_t written_bytes(const StepFiles& files) {
  return tree_bytes(files.work) + tree_bytes(files.output);
}

std::string random_suffix();

// Resource use sampled while a container runs (stats of a stopped container are zeros). A thread
// of its own, because a stats call may take the engine a while to answer.
class Sampler {
 public:
  // With `lifetime_peak` the cgroup's own high-water mark (cgroup v1's max_usage) counts too:
  // right for a container made for one step, wrong for a warm one, whose mark is every step's.
  Sampler(Engine& engine, std::string id, bool lifetime_peak);
  ~Sampler() { stop(); }
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  void stop();
  std::int64_t peak_memory() const { return peak_memory_; }
  std::int64_t pids_peak() const { return pids_peak_; }
  std::int64_t network_bytes() const { return network_bytes_; }
  double cpu_percent() const {
    std::lock_guard lock(mutex_);
    return cpu_percent_;
  }

 private:
  void loop();

  Engine& engine_;
  std::string id_;
  bool lifetime_peak_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> peak_memory_{0}, pids_peak_{0}, network_bytes_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // stop() ends the pause between samples at once
  double cpu_percent_ = 0;
  std::thread thread_;
};

// pids_stats.current of a stats answer (0 when absent).
std::int64_t stats_pids(const boost::json::object& stats);

// What was seen of a finished step, from which its ExecutionResult and error are decided.
struct StepOutcome {
  enum class Stop { none, timeout, disk } stopped = Stop::none;
  std::string container_id;
  double seconds = 0;
  std::optional<std::int64_t> exit_code;  // unset when gdpd stopped the step or the code is unknown
  ContainerLogs logs;
  std::int64_t written = 0;  // bytes written to /data/work and /data/output
  std::int64_t peak_memory = 0, network_bytes = 0;
  double cpu_percent = 0;
  bool oom = false;       // the engine or the cgroup says the kernel killed for memory
  bool pids_hit = false;  // the pids limit was reached
};

// The seed's ExecutionResult and error for a finished step, with what to do in its message.
StepRun judge_step(const ResourceConfig& config, const StepFiles& files, const StepOutcome& outcome);

}  // namespace gdp::sandbox
