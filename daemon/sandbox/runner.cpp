// One script, one fresh container: create with every limit, wait-before-start so a fast exit is
// never missed, watch the clock and the writable mounts while it runs, sample its resource use,
// then read state and logs, remove it, and say what happened in words a person can act on.
#include "daemon/sandbox/runner.h"

#include <boost/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace gdp::sandbox {

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(100);

// Bytes under a directory (files only; what a script wrote). Errors (a file removed while we
// look) count as nothing rather than stopping the watch.
std::int64_t tree_bytes(const fs::path& dir) {
  std::int64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) total += static_cast<std::int64_t>(size);
    }
  }
  return total;
}

// Files under the writable mounts, as the container names them ("/data/output/report.png").
std::vector<std::string> list_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) out.push_back(prefix + "/" + fs::relative(it->path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 8; ++i) s += kHex[rng() % 16];
  return s;
}

// Resource use sampled while the container runs (stats of a stopped container are zeros). A
// thread of its own, because one stats call takes the engine a second or two to answer.
class Sampler {
 public:
  Sampler(Engine& engine, std::string id)
      : engine_(engine), id_(std::move(id)), thread_([this] { loop(); }) {}
  ~Sampler() { stop(); }
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  std::int64_t peak_memory() const { return peak_memory_; }
  std::int64_t pids_peak() const { return pids_peak_; }
  std::int64_t network_bytes() const { return network_bytes_; }
  double cpu_percent() const {
    std::lock_guard lock(mutex_);
    return cpu_percent_;
  }

 private:
  static std::int64_t number(const json::value* v) {
    if (v == nullptr) return 0;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
    return 0;
  }
  static std::int64_t at(const json::object& o, std::initializer_list<std::string_view> path) {
    const json::value* v = nullptr;
    const json::object* cur = &o;
    for (auto key : path) {
      v = cur->if_contains(key);
      if (v == nullptr) return 0;
      if (v->is_object()) cur = &v->get_object();
    }
    return number(v);
  }

  // One-shot samples, so stopping never waits on the engine's two-sample stats; CPU % is the
  // CPU time consumed between our own samples over the wall time between them.
  void loop() {
    std::int64_t last_cpu = -1;
    auto last_at = Clock::now();
    while (!stopping_) {
      try {
        const auto s = engine_.stats(id_, true);
        const auto now = Clock::now();
        const auto usage = at(s, {"memory_stats", "usage"});
        const auto max_usage = at(s, {"memory_stats", "max_usage"});  // cgroup v1: the peak itself
        peak_memory_ = std::max<std::int64_t>(peak_memory_, std::max(usage, max_usage));
        pids_peak_ = std::max<std::int64_t>(pids_peak_, at(s, {"pids_stats", "current"}));
        std::int64_t net = 0;
        if (const auto* nets = s.if_contains("networks"); nets != nullptr && nets->is_object()) {
          for (const auto& [name, n] : nets->get_object()) {
            if (n.is_object()) net += at(n.get_object(), {"rx_bytes"}) + at(n.get_object(), {"tx_bytes"});
          }
        }
        network_bytes_ = std::max<std::int64_t>(network_bytes_, net);
        const auto cpu = at(s, {"cpu_stats", "cpu_usage", "total_usage"});  // ns
        const double wall = std::chrono::duration<double, std::nano>(now - last_at).count();
        if (last_cpu >= 0 && cpu >= last_cpu && wall > 0) {
          std::lock_guard lock(mutex_);
          cpu_percent_ = std::max(cpu_percent_, static_cast<double>(cpu - last_cpu) / wall * 100.0);
        }
        last_cpu = cpu;
        last_at = now;
      } catch (const std::exception&) {
        return;  // the container is gone or the engine is busy: the run reports what it has
      }
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_.load(); });
    }
  }

  Engine& engine_;
  std::string id_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> peak_memory_{0}, pids_peak_{0}, network_bytes_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // stop() ends the pause between samples at once
  double cpu_percent_ = 0;
  std::thread thread_;
};

std::string mib(std::int64_t bytes) {
  return std::to_string(static_cast<std::int64_t>(std::llround(static_cast<double>(bytes) / (1 << 20)))) +
         " MB";
}

// The last lines of stderr: where Python puts the traceback and the error.
std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  while (pos > 0 && (text[pos - 1] == '\n')) --pos;
  for (std::size_t n = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++n == lines) break;
  }
  return text.substr(pos);
}

bool contains(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

std::string daemon_label(const std::string& state_dir) {
  return std::to_string(getuid()) + ":" + fs::weakly_canonical(state_dir).string();
}

Runner::Runner(Engine& engine, ResourceConfig config) : engine_(engine), config_(std::move(config)) {}

json::object Runner::container_spec(const StepFiles& files, const StepLabels& labels) const {
  // The daemon's own uid:gid, so the files a script writes belong to the user; never root.
  const auto uid = getuid() == 0 ? 65534 : getuid();
  const auto gid = getuid() == 0 ? 65534 : getgid();
  const auto input_name = files.input.filename().string();
  const auto script_name = files.script.filename().string();
  json::array binds{
      files.input.string() + ":/data/input/" + input_name + ":ro",
      files.script.string() + ":/data/script/" + script_name + ":ro",
      files.work.string() + ":/data/work:rw",
      files.output.string() + ":/data/output:rw",
  };
  json::object host{
      {"NetworkMode", "none"},
      {"ReadonlyRootfs", true},
      {"CapDrop", json::array{"ALL"}},
      {"SecurityOpt", json::array{"no-new-privileges"}},
      {"Memory", config_.memory_bytes},
      {"MemorySwap", config_.memory_bytes},  // equal: no swap beyond memory
      {"NanoCpus", static_cast<std::int64_t>(std::llround(config_.cpus * 1e9))},
      {"PidsLimit", config_.pids},
      {"Tmpfs", json::object{{"/tmp", "rw,nosuid,nodev,exec,size=" + std::to_string(config_.tmp_bytes) +
                                          ",mode=1777"}}},
      {"Binds", std::move(binds)},
      {"Ulimits",
       json::array{
           json::object{{"Name", "nofile"}, {"Soft", config_.nofile}, {"Hard", config_.nofile}},
           json::object{{"Name", "fsize"}, {"Soft", config_.disk_bytes}, {"Hard", config_.disk_bytes}},
           json::object{{"Name", "core"}, {"Soft", 0}, {"Hard", 0}}}},
      {"Init", true},
      {"AutoRemove", false},  // state and logs are read after exit, then gdpd removes it
      {"LogConfig",
       json::object{{"Type", "json-file"},
                    {"Config", json::object{{"max-size", std::to_string(config_.max_stream_bytes * 2)},
                                            {"max-file", "1"}}}}},
  };
  return json::object{
      {"Image", config_.image},
      {"Cmd", json::array{"python3", "-u", "/data/script/" + script_name}},
      {"User", std::to_string(uid) + ":" + std::to_string(gid)},
      {"WorkingDir", "/data/work"},
      {"Env", json::array{"HOME=/tmp", "TMPDIR=/tmp", "MPLCONFIGDIR=/tmp", "PYTHONDONTWRITEBYTECODE=1",
                          "GDP_INPUT=/data/input/" + input_name}},
      {"Tty", false},
      {"OpenStdin", false},
      {"AttachStdin", false},
      {"AttachStdout", true},
      {"AttachStderr", true},
      {"StopTimeout", static_cast<std::int64_t>(config_.grace.count())},
      {"Labels", json::object{{kDaemonLabel, labels.daemon},
                              {kSessionLabel, labels.session},
                              {kStepLabel, std::to_string(labels.step)}}},
      {"HostConfig", std::move(host)},
  };
}

StepRun Runner::run(const StepFiles& files, const StepLabels& labels) {
  if (getuid() == 0) {
    // A root daemon runs scripts as nobody (65534), who must be able to write the step's folders.
    for (const auto& dir : {files.work, files.output}) {
      if (chown(dir.c_str(), 65534, 65534) != 0) {
        throw RpcError(ErrorCode::ScriptExecution, "cannot hand " + dir.string() + " to the sandbox user");
      }
    }
  }
  const auto name = "gdp-" + labels.session + "-" + std::to_string(labels.step) + "-" + random_suffix();
  const auto written_before = tree_bytes(files.work) + tree_bytes(files.output);
  auto created = engine_.create_container(name, container_spec(files, labels));
  const std::string id = created.id;
  // From here on the container exists: whatever happens, it is removed.
  const ContainerRemover remover{engine_, id};
  if (!created.warnings.empty()) {
    std::string all;
    for (const auto& w : created.warnings) all += (all.empty() ? "" : "; ") + w;
    throw RpcError(ErrorCode::ResourceLimit,
                   "the Docker Engine would drop a limit for this script: " + all +
                       ". gdp runs nothing with a limit missing; see gdp doctor for the engine's support",
                   {{"warnings", all}});
  }

  auto wait = engine_.wait_next_exit(id);
  const auto started = Clock::now();
  engine_.start(id);
  Sampler sampler(engine_, id);

  enum class Stop { none, timeout, disk } stopped = Stop::none;
  std::optional<ContainerExit> exit;
  bool termed = false;
  std::int64_t written = 0;
  while (!exit) {
    exit = wait(kPoll);
    if (exit) break;
    const auto elapsed = Clock::now() - started;
    written = tree_bytes(files.work) + tree_bytes(files.output) - written_before;
    if (stopped == Stop::none && written > config_.disk_bytes) {
      stopped = Stop::disk;
      engine_.kill(id, "KILL");
    } else if (elapsed > config_.timeout + config_.grace) {
      stopped = Stop::timeout;
      engine_.kill(id, "KILL");
    } else if (elapsed > config_.timeout && !termed) {
      termed = true;  // a chance to flush and exit cleanly before the hard stop
      engine_.kill(id, "TERM");
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  sampler.stop();
  if (stopped == Stop::none && termed) stopped = Stop::timeout;

  const auto state = engine_.inspect(id).at("State").as_object();
  const bool oom = state.if_contains("OOMKilled") != nullptr && state.at("OOMKilled").is_bool() &&
                   state.at("OOMKilled").as_bool();
  auto logs = engine_.logs(id, config_.max_stream_bytes);
  written = std::max<std::int64_t>(0, tree_bytes(files.work) + tree_bytes(files.output) - written_before);

  StepRun run;
  auto& r = run.result;
  r.container_id = id;
  r.execution_time = seconds;
  const auto cut = "\n[gdp: the script printed more than the " +
                   mib(static_cast<std::int64_t>(config_.max_stream_bytes)) +
                   " kept; the rest was dropped]\n";
  r.output_data = logs.out + (logs.out_truncated ? cut : "");
  r.logs = logs.err + (logs.err_truncated ? cut : "");
  r.output_files = list_files(files.output, "/data/output");
  for (auto& f : list_files(files.work, "/data/work")) r.output_files.push_back(std::move(f));
  r.resource_usage.execution_time = seconds;
  r.resource_usage.memory_mb = static_cast<double>(sampler.peak_memory()) / (1 << 20);
  r.resource_usage.cpu_percent = sampler.cpu_percent();
  r.resource_usage.disk_mb = static_cast<double>(written) / (1 << 20);
  r.resource_usage.network_bytes = sampler.network_bytes();
  if (stopped == Stop::none && exit && exit->status_code >= 0) r.exit_code = exit->status_code;

  auto fail = [&](ErrorCode code, std::string message) {
    run.error = code;
    r.success = false;
    r.error_message = std::move(message);
  };
  const auto& err = logs.err;
  const bool pids_hit = sampler.pids_peak() >= config_.pids ||
                        contains(err, "Resource temporarily unavailable") ||
                        contains(err, "can't start new thread");
  if (stopped == Stop::timeout) {
    fail(ErrorCode::ContainerTimeout,
         "the script ran past its time limit of " + std::to_string(config_.timeout.count()) +
             " s and was stopped. If it needs longer, raise sandbox.timeout; if it should not, it may loop "
             "forever or read the whole input at once");
  } else if (stopped == Stop::disk || contains(err, "File too large") ||
             (r.exit_code && *r.exit_code == 153)) {
    fail(ErrorCode::ResourceExhaustion,
         "the script wrote more than the " + mib(config_.disk_bytes) +
             " it may write (/data/work and /data/output) and was stopped. Write less (compress, keep only "
             "what later steps need), or raise sandbox.disk-bytes");
  } else if (oom ||
             (r.exit_code && *r.exit_code == 137 && sampler.peak_memory() >= config_.memory_bytes * 9 / 10)) {
    fail(ErrorCode::ResourceExhaustion,
         "the script used all of its " + mib(config_.memory_bytes) +
             " of memory and was killed. Process the input in chunks (pandas read_csv(chunksize=...)), or "
             "raise sandbox.memory-bytes");
  } else if (r.exit_code && *r.exit_code != 0 && pids_hit) {
    fail(ErrorCode::ResourceExhaustion, "the script started more processes or threads than its limit of " +
                                            std::to_string(config_.pids) +
                                            " and failed. Use fewer workers, or raise sandbox.pids");
  } else if (!r.exit_code || *r.exit_code != 0) {
    const auto code = r.exit_code ? std::to_string(*r.exit_code) : std::string("unknown");
    fail(ErrorCode::ScriptExecution, "the script exited with status " + code + ":\n" + tail_lines(err, 12));
  } else {
    r.success = true;
  }
  return run;
}

std::size_t force_cleanup_all_containers(Engine& engine, const std::string& daemon) {
  std::size_t removed = 0;
  for (const auto& c : engine.list_containers({std::string(kDaemonLabel) + "=" + daemon})) {
    engine.remove(c.id, true);
    ++removed;
  }
  return removed;
}

}  // namespace gdp::sandbox
