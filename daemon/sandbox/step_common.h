// What the two ways of running a step share: a fresh container per step (runner.h) and the
// session's warm container (warm.h) must give a script the same isolation, limits, bounds and
// error reports, so the create body, the resource sampler, the watch of the writable mounts and
// the verdict on a finished step live here once. Internal to the sandbox.
#pragma once

#include "daemon/sandbox/runner.h"

#include <boost/json/object.hpp>

#include <chrono>
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

// A directory of its own under `root` for one short container run (a script check, a probe),
// with work/ and output/ inside; removed with everything in it afterwards.
struct Scratch {
  std::filesystem::path dir;
  Scratch(const std::filesystem::path& root, std::string_view prefix);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// Peaks of what a container used while it was sampled.
struct SampledUsage {
  std::int64_t peak_memory = 0, pids_peak = 0, network_bytes = 0;
  double cpu_percent = 0;
};

// Resource use sampled while a container runs (stats of a stopped container are zeros). A thread
// of its own, because the engine answers a stats call only at its collector's next once-a-second
// sample when another caller is subscribed. Sampling runs in windows: a step's window ends without
// waiting for a call in flight (whose answer is then dropped), so a warm container's step does not
// pay for it; only stop() waits.
class Sampler {
 public:
  // With `lifetime_peak` the cgroup's own high-water mark (cgroup v1's max_usage) counts too:
  // right for a container made for one step, wrong for a warm one, whose mark is every step's.
  // A window is open from the start when `sampling`.
  Sampler(Engine& engine, std::string id, bool lifetime_peak, bool sampling = true);
  ~Sampler() { stop(); }
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  void resume();         // opens a new window, its peaks from zero
  SampledUsage pause();  // closes the window at once and returns its peaks
  void stop();           // ends the thread (waits for a call in flight)
  SampledUsage usage() const;

 private:
  void loop();
  void record(const boost::json::object& stats, std::chrono::steady_clock::time_point at);

  Engine& engine_;
  std::string id_;
  bool lifetime_peak_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // a new window, its end, or stop() ends the pause between samples
  bool stopping_ = false;
  bool sampling_;
  std::uint64_t window_ = 0;  // answers to calls made in an earlier window are dropped
  SampledUsage usage_;
  std::int64_t last_cpu_ = -1;
  std::chrono::steady_clock::time_point last_at_;
  std::thread thread_;
};

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
