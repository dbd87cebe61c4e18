// The parts of running a step that the fresh-container runner and the warm container share.
#include "daemon/sandbox/step_common.h"

#include <boost/json.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <random>

namespace gdp::sandbox {

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

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

std::int64_t number(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return 0;
}

std::int64_t at(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::value* v = nullptr;
  const json::object* cur = &o;
  for (auto key : path) {
    v = cur->if_contains(key);
    if (v == nullptr) return 0;
    if (v->is_object()) cur = &v->get_object();
  }
  return number(v);
}

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

std::string sandbox_user() {
  const auto uid = getuid() == 0 ? 65534 : getuid();
  const auto gid = getuid() == 0 ? 65534 : getgid();
  return std::to_string(uid) + ":" + std::to_string(gid);
}

std::vector<std::string> sandbox_env(const StepFiles& files) {
  return {"HOME=/tmp", "TMPDIR=/tmp", "MPLCONFIGDIR=/tmp", "PYTHONDONTWRITEBYTECODE=1",
          "GDP_INPUT=/data/input/" + files.input.filename().string()};
}

void refuse_dropped_limits(const CreatedContainer& created) {
  if (created.warnings.empty()) return;
  std::string all;
  for (const auto& w : created.warnings) all += (all.empty() ? "" : "; ") + w;
  throw RpcError(ErrorCode::ResourceLimit,
                 "the Docker Engine would drop a limit for this script: " + all +
                     ". gdp runs nothing with a limit missing; see gdp doctor for the engine's support",
                 {{"warnings", all}});
}

void hand_over_writable_mounts(const StepFiles& files) {
  if (getuid() != 0) return;
  for (const auto& dir : {files.work, files.output}) {
    if (chown(dir.c_str(), 65534, 65534) != 0) {
      throw RpcError(ErrorCode::ScriptExecution, "cannot hand " + dir.string() + " to the sandbox user");
    }
  }
}

json::object sandbox_container_spec(const ResourceConfig& config, const StepFiles& files,
                                    const StepLabels& labels, const ContainerShape& shape) {
  json::array binds{
      files.input.string() + ":/data/input/" + files.input.filename().string() + ":ro",
      files.script.string() + ":" + shape.script_target + ":ro",
      files.work.string() + ":/data/work:rw",
      files.output.string() + ":/data/output:rw",
  };
  json::object host{
      {"NetworkMode", "none"},
      {"ReadonlyRootfs", true},
      {"CapDrop", json::array{"ALL"}},
      {"SecurityOpt", json::array{"no-new-privileges"}},
      {"Memory", config.memory_bytes},
      {"MemorySwap", config.memory_bytes},  // equal: no swap beyond memory
      {"NanoCpus", static_cast<std::int64_t>(std::llround(config.cpus * 1e9))},
      {"PidsLimit", config.pids},
      {"Tmpfs", json::object{{"/tmp", "rw,nosuid,nodev,exec,size=" + std::to_string(config.tmp_bytes) +
                                          ",mode=1777"}}},
      {"Binds", std::move(binds)},
      {"Ulimits",
       json::array{json::object{{"Name", "nofile"}, {"Soft", config.nofile}, {"Hard", config.nofile}},
                   json::object{{"Name", "fsize"}, {"Soft", config.disk_bytes}, {"Hard", config.disk_bytes}},
                   json::object{{"Name", "core"}, {"Soft", 0}, {"Hard", 0}}}},
      {"Init", shape.init},
      {"AutoRemove", false},  // state and logs are read after exit, then gdpd removes it
      {"LogConfig",
       json::object{{"Type", "json-file"},
                    {"Config", json::object{{"max-size", std::to_string(config.max_stream_bytes * 2)},
                                            {"max-file", "1"}}}}},
  };
  const auto env = sandbox_env(files);
  return json::object{
      {"Image", config.image},
      {"Cmd", json::array(shape.cmd.begin(), shape.cmd.end())},
      {"User", shape.user},
      {"WorkingDir", "/data/work"},
      {"Env", json::array(env.begin(), env.end())},
      {"Tty", false},
      {"OpenStdin", false},
      {"AttachStdin", false},
      {"AttachStdout", true},
      {"AttachStderr", true},
      {"StopTimeout", static_cast<std::int64_t>(config.grace.count())},
      {"Labels",
       json::object{
           {kDaemonLabel, labels.daemon}, {kSessionLabel, labels.session}, {kStepLabel, shape.step_label}}},
      {"HostConfig", std::move(host)},
  };
}

// Bytes under a directory (files only). Errors (a file removed while we look) count as nothing
// rather than stopping the watch.
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

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 8; ++i) s += kHex[rng() % 16];
  return s;
}

Scratch::Scratch(const std::filesystem::path& root, std::string_view prefix) {
  dir = root / (std::string(prefix) + random_suffix());
  std::filesystem::create_directories(dir / "work");
  std::filesystem::create_directories(dir / "output");
  // Readable by the sandbox user (nobody, under a root daemon), writable by no one else.
  chmod(dir.c_str(), 0755);
}

Scratch::~Scratch() {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

Sampler::Sampler(Engine& engine, std::string id, bool lifetime_peak, bool sampling)
    : engine_(engine),
      id_(std::move(id)),
      lifetime_peak_(lifetime_peak),
      sampling_(sampling),
      last_at_(Clock::now()),
      thread_([this] { loop(); }) {}

void Sampler::resume() {
  {
    std::lock_guard lock(mutex_);
    ++window_;
    sampling_ = true;
    usage_ = {};
    last_cpu_ = -1;
    last_at_ = Clock::now();
  }
  wake_.notify_all();
}

SampledUsage Sampler::pause() {
  SampledUsage usage;
  {
    std::lock_guard lock(mutex_);
    ++window_;
    sampling_ = false;
    usage = usage_;
  }
  wake_.notify_all();
  return usage;
}

void Sampler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SampledUsage Sampler::usage() const {
  std::lock_guard lock(mutex_);
  return usage_;
}

// One-shot samples, so stopping never waits on the engine's two-sample stats; CPU % is the CPU
// time consumed between our own samples over the wall time between them.
void Sampler::record(const json::object& s, Clock::time_point now) {
  const auto usage = at(s, {"memory_stats", "usage"});
  const auto max_usage = lifetime_peak_ ? at(s, {"memory_stats", "max_usage"}) : 0;  // cgroup v1
  usage_.peak_memory = std::max<std::int64_t>(usage_.peak_memory, std::max(usage, max_usage));
  usage_.pids_peak = std::max<std::int64_t>(usage_.pids_peak, at(s, {"pids_stats", "current"}));
  std::int64_t net = 0;
  if (const auto* nets = s.if_contains("networks"); nets != nullptr && nets->is_object()) {
    for (const auto& [name, n] : nets->get_object()) {
      if (n.is_object()) net += at(n.get_object(), {"rx_bytes"}) + at(n.get_object(), {"tx_bytes"});
    }
  }
  usage_.network_bytes = std::max<std::int64_t>(usage_.network_bytes, net);
  const auto cpu = at(s, {"cpu_stats", "cpu_usage", "total_usage"});  // ns
  const double wall = std::chrono::duration<double, std::nano>(now - last_at_).count();
  if (last_cpu_ >= 0 && cpu >= last_cpu_ && wall > 0) {
    usage_.cpu_percent = std::max(usage_.cpu_percent, static_cast<double>(cpu - last_cpu_) / wall * 100.0);
  }
  last_cpu_ = cpu;
  last_at_ = now;
}

void Sampler::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!sampling_) {
      wake_.wait(lock, [this] { return stopping_ || sampling_; });
      continue;
    }
    const auto window = window_;
    lock.unlock();
    std::optional<json::object> stats;
    try {
      stats = engine_.stats(id_, true);
    } catch (
        const std::exception&) {  // NOLINT(bugprone-empty-catch): gone or busy; the step reports what it has
    }
    const auto now = Clock::now();
    lock.lock();
    if (stats && window == window_) record(*stats, now);
    if (!stats && window == window_) sampling_ = false;  // the container is gone: nothing more to see
    wake_.wait_for(lock, std::chrono::milliseconds(250), [&] { return stopping_ || window != window_; });
  }
}

StepRun judge_step(const ResourceConfig& config, const StepFiles& files, const StepOutcome& outcome) {
  StepRun run;
  auto& r = run.result;
  r.container_id = outcome.container_id;
  r.execution_time = outcome.seconds;
  const auto& logs = outcome.logs;
  const auto cut = "\n[gdp: the script printed more than the " +
                   mib(static_cast<std::int64_t>(config.max_stream_bytes)) + " kept; the rest was dropped]\n";
  r.output_data = logs.out + (logs.out_truncated ? cut : "");
  r.logs = logs.err + (logs.err_truncated ? cut : "");
  r.output_files = list_files(files.output, "/data/output");
  for (auto& f : list_files(files.work, "/data/work")) r.output_files.push_back(std::move(f));
  r.resource_usage.execution_time = outcome.seconds;
  r.resource_usage.memory_mb = static_cast<double>(outcome.peak_memory) / (1 << 20);
  r.resource_usage.cpu_percent = outcome.cpu_percent;
  r.resource_usage.disk_mb = static_cast<double>(outcome.written) / (1 << 20);
  r.resource_usage.network_bytes = outcome.network_bytes;
  using Stop = StepOutcome::Stop;
  if (outcome.stopped == Stop::none) r.exit_code = outcome.exit_code;

  auto fail = [&](ErrorCode code, std::string message) {
    run.error = code;
    r.success = false;
    r.error_message = std::move(message);
  };
  const auto& err = logs.err;
  const bool pids_hit = outcome.pids_hit || contains(err, "Resource temporarily unavailable") ||
                        contains(err, "can't start new thread");
  if (outcome.stopped == Stop::timeout) {
    fail(ErrorCode::ContainerTimeout,
         "the script ran past its time limit of " + std::to_string(config.timeout.count()) +
             " s and was stopped. If it needs longer, raise sandbox.timeout; if it should not, it may loop "
             "forever or read the whole input at once");
  } else if (outcome.stopped == Stop::disk || contains(err, "File too large") ||
             (r.exit_code && *r.exit_code == 153)) {  // 128 + SIGXFSZ: the fsize ulimit
    fail(ErrorCode::ResourceExhaustion,
         "the script wrote more than the " + mib(config.disk_bytes) +
             " it may write (/data/work and /data/output) and was stopped. Write less (compress, keep only "
             "what later steps need), or raise sandbox.disk-bytes");
  } else if (outcome.oom ||
             (r.exit_code && *r.exit_code == 137 && outcome.peak_memory >= config.memory_bytes * 9 / 10)) {
    fail(ErrorCode::ResourceExhaustion,
         "the script used all of its " + mib(config.memory_bytes) +
             " of memory and was killed. Process the input in chunks (pandas read_csv(chunksize=...)), or "
             "raise sandbox.memory-bytes");
  } else if (r.exit_code && *r.exit_code != 0 && pids_hit) {
    fail(ErrorCode::ResourceExhaustion, "the script started more processes or threads than its limit of " +
                                            std::to_string(config.pids) +
                                            " and failed. Use fewer workers, or raise sandbox.pids");
  } else if (!r.exit_code || *r.exit_code != 0) {
    const auto code = r.exit_code ? std::to_string(*r.exit_code) : std::string("unknown");
    fail(ErrorCode::ScriptExecution, "the script exited with status " + code + ":\n" + tail_lines(err, 12));
  } else {
    r.success = true;
  }
  return run;
}

}  // namespace gdp::sandbox
