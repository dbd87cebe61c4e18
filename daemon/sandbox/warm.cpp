// A session's warm container: one keeper as PID 1, each step by exec under a supervisor that
// leaves the container as it found it, and gdpd checking from outside that it did.
#include "daemon/sandbox/warm.h"

#include "daemon/sandbox/step_common.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <thread>

namespace gdp::sandbox {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr auto kPoll = milliseconds(100);
// A helper exec (SIGTERM, SIGKILL and clean) has nothing slow to do; past this the container is
// not trusted with another step.
constexpr auto kHelperLimit = milliseconds(15000);
// After gdpd has killed a step, the engine closes its streams within two seconds.
constexpr auto kDrainLimit = milliseconds(10000);

constexpr std::string_view kHelperName = ".gdp-warm.py";
constexpr std::string_view kMarker = "gdp-warm ";

// gdpd's helper inside the container, in four modes. It is written to the session's scripts
// directory, which the container sees read-only, so no step can change it.
constexpr std::string_view kHelperSource =
    R"py(# gdpd's helper in a warm sandbox container (daemon/sandbox/warm.cpp); not a step's code.
#   keep         PID 1: reaps the orphans a step leaves; signals without a handler do not reach it.
#   run SCRIPT   one step: kill strays and empty /tmp, report the cgroup's counters, run SCRIPT as a
#                child, then kill every process the step left and empty /tmp; exit with its status.
#   term         SIGTERM to every process of the step's uid (the timeout).
#   reset        SIGKILL to every process of the step's uid until none is left, empty /tmp, report.
import os, resource, signal, stat, sys, time

def counters():
    # OOM kills and refused forks of the container's cgroup so far (v1 or v2); -1 where unknown.
    found = {'oom_kill': -1, 'max': -1}
    for path in ('/sys/fs/cgroup/memory/memory.oom_control', '/sys/fs/cgroup/memory.events',
                 '/sys/fs/cgroup/pids/pids.events', '/sys/fs/cgroup/pids.events'):
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(' ')
                    if key in found:
                        found[key] = int(value)
        except (OSError, ValueError):
            pass
    return 'gdp-warm oom_kill=%d pids_max=%d\n' % (found['oom_kill'], found['max'])

def others():
    me = os.getpid()
    return [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, me)]

def kill_all(sig):
    try:
        os.kill(-1, sig)  # every process we may signal but PID 1 and ourselves
    except ProcessLookupError:
        pass

def kill_until_alone():
    # The killed are PID 1's to reap; wait until they have left /proc.
    deadline = time.monotonic() + 5
    while others():
        if time.monotonic() > deadline:
            return False
        kill_all(signal.SIGKILL)
        time.sleep(0.002)
    return True

def entries(directory):
    try:
        return [os.path.join(directory, name) for name in os.listdir(directory)]
    except OSError:
        return []

def empty_tmp():
    # Iterative, and making each directory ours to enter, so neither depth nor modes stop it.
    pending = [(path, False) for path in entries('/tmp')]
    while pending:
        path, emptied = pending.pop()
        try:
            if emptied:
                os.rmdir(path)
            elif stat.S_ISDIR(os.lstat(path).st_mode):
                os.chmod(path, 0o700)
                pending.append((path, True))
                pending.extend((child, False) for child in entries(path))
            else:
                os.unlink(path)
        except OSError:
            pass
    return not os.listdir('/tmp')

def keep():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    while True:
        signal.sigwaitinfo({signal.SIGCHLD})
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass

def run(script):
    kill_until_alone()
    empty_tmp()
    os.write(2, counters().encode())
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # gdpd's SIGTERM at the timeout is for the step
    pid = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                with open('/proc/self/oom_score_adj', 'w') as f:
                    f.write('500')  # past the memory cap, the kernel kills the step, not us
            except OSError:
                pass
            os.execvp('python3', ['python3', '-u', script])
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    # The step's largest process's peak memory (KiB), for steps too short for gdpd's stats samples.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    os.write(2, ('\ngdp-warm-end maxrss_kb=%d\n' % peak).encode())
    kill_until_alone()
    empty_tmp()
    os._exit(128 - code if code < 0 else code)

def reset():
    clean = kill_until_alone()
    clean = empty_tmp() and clean
    sys.stdout.write(counters())
    sys.stdout.flush()
    os._exit(0 if clean else 1)

mode = sys.argv[1]
if mode == 'keep':
    keep()
elif mode == 'run':
    run(sys.argv[2])
elif mode == 'term':
    kill_all(signal.SIGTERM)
elif mode == 'reset':
    reset()
)py";

// The cgroup's counters as the helper reports them; nullopt where unknown.
struct Counters {
  std::optional<std::int64_t> oom_kills, refused_forks;
};

std::optional<std::int64_t> field(std::string_view line, std::string_view key) {
  const auto at = line.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::int64_t value = -1;
  const auto* begin = line.data() + at + key.size();
  std::from_chars(begin, line.data() + line.size(), value);
  if (value < 0) return std::nullopt;
  return value;
}

Counters parse_counters(std::string_view line) {
  return {field(line, "oom_kill="), field(line, "pids_max=")};
}

// Takes the supervisor's counters line off the front of a step's stderr: it is written before the
// script starts, so it is the stream's first line, and the output bound cannot cut it.
Counters take_counters(std::string& err) {
  if (err.compare(0, kMarker.size(), kMarker) != 0) return {};
  const auto newline = err.find('\n');
  const auto counters = parse_counters(std::string_view(err).substr(0, newline));
  err.erase(0, newline == std::string::npos ? err.size() : newline + 1);
  return counters;
}

// Takes the supervisor's closing line off the end of a step's stderr: the largest process's peak
// memory in bytes. Its leading newline is the supervisor's, so the step's own stderr comes back
// byte for byte. Absent when the output bound cut it, or the supervisor was killed.
std::optional<std::int64_t> take_peak(std::string& err) {
  constexpr std::string_view kEnd = "\ngdp-warm-end ";
  const auto at = err.rfind(kEnd);
  if (at == std::string::npos || err.find('\n', at + kEnd.size()) != err.size() - 1) return std::nullopt;
  const auto kb = field(std::string_view(err).substr(at + 1), "maxrss_kb=");
  err.erase(at);
  if (!kb) return std::nullopt;
  return *kb * 1024;
}

bool grew(const std::optional<std::int64_t>& before, const std::optional<std::int64_t>& after) {
  return before && after && *after > *before;
}

// The keeper's uid: never the steps' uid, so no step can signal or trace PID 1.
std::string keeper_user() {
  const auto step_user = sandbox_user();
  return step_user.rfind("65534:", 0) == 0 ? "65533:65533" : "65534:65534";
}

void write_file(const fs::path& path, std::string_view text) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      throw RpcError(ErrorCode::ScriptExecution, "cannot write " + path.string() +
                                                     " for the sandbox; check the disk and its permissions");
    }
  }
  fs::permissions(
      path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

}  // namespace

struct WarmContainer::Helper {
  ContainerLogs logs;
  std::optional<std::int64_t> exit_code;  // unset when it did not finish in time
};

WarmContainer::WarmContainer(Engine& engine, ResourceConfig config, StepFiles files, StepLabels labels)
    : engine_(engine), config_(std::move(config)), files_(std::move(files)), labels_(std::move(labels)) {}

WarmContainer::~WarmContainer() {
  try {
    stop();
  } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the labels let cleanup find it
  }
}

void WarmContainer::start() {
  std::lock_guard lock(mutex_);
  if (usable_) return;
  start_locked();
}

void WarmContainer::stop() {
  std::lock_guard lock(mutex_);
  remove_locked();
}

std::string WarmContainer::container_id() const {
  std::lock_guard lock(mutex_);
  return id_;
}

int WarmContainer::containers_started() const {
  std::lock_guard lock(mutex_);
  return started_;
}

void WarmContainer::remove_locked() {
  usable_ = false;
  sampler_.reset();  // waits for a stats call in flight; not on a step's time
  if (id_.empty()) return;
  const auto id = std::exchange(id_, {});
  engine_.remove(id, true);
}

void WarmContainer::start_locked() {
  remove_locked();
  hand_over_writable_mounts(files_);
  fs::create_directories(files_.script);
  fs::permissions(files_.script, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
  write_file(files_.script / kHelperName, kHelperSource);
  const auto helper = "/data/script/" + std::string(kHelperName);
  const ContainerShape shape{"/data/script",
                             {"python3", "-I", "-S", helper, "keep"},
                             keeper_user(),
                             false,  // the keeper is PID 1: docker-init would make it killable by kill(-1)
                             "warm"};
  const auto name = "gdp-" + labels_.session + "-warm-" + random_suffix();
  const auto created =
      engine_.create_container(name, sandbox_container_spec(config_, files_, labels_, shape));
  id_ = created.id;
  refuse_dropped_limits(created);
  engine_.start(id_);
  sampler_ = std::make_unique<Sampler>(engine_, id_, false, false);
  ++started_;
  usable_ = true;
}

WarmContainer::Helper WarmContainer::helper(const std::string& mode, milliseconds limit) {
  Helper result;
  const auto exec = engine_.create_exec(
      id_, ExecConfig{{"python3", "-I", "-S", "/data/script/" + std::string(kHelperName), mode},
                      sandbox_user(),
                      sandbox_env(files_),
                      "/data/work"});
  auto stream = engine_.start_exec(exec, std::size_t{64} << 10);
  auto logs = stream(limit);
  if (!logs) return result;
  result.logs = std::move(*logs);
  const auto state = engine_.inspect_exec(exec);
  if (!state.running) result.exit_code = state.exit_code;
  return result;
}

// True when the container holds nothing but the keeper, as the engine lists its cgroup's
// processes from the host: a step that subverted its supervisor cannot make this say so. (Not
// the pids count of stats: after one call the engine answers the next only at its next
// once-a-second sample.)
bool WarmContainer::verify_alone() {
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (engine_.top(id_).size() == 1) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

StepRun WarmContainer::run(const std::string& script, std::int64_t step) {
  std::lock_guard lock(mutex_);
  if (!usable_) start_locked();
  const auto script_name = "step-" + std::to_string(step) + ".py";
  write_file(files_.script / script_name, script);
  const auto written_before = written_bytes(files_);

  const ExecConfig exec_config{{"python3", "-I", "-S", "/data/script/" + std::string(kHelperName), "run",
                                "/data/script/" + script_name},
                               sandbox_user(),
                               sandbox_env(files_),
                               "/data/work"};
  std::string exec;
  try {
    exec = engine_.create_exec(id_, exec_config);
  } catch (const EngineError& e) {
    if (e.status() != 404 && e.status() != 409) throw;
    start_locked();  // the container died or was removed since the last step: a new one
    exec = engine_.create_exec(id_, exec_config);
  }
  auto stream = engine_.start_exec(exec, config_.max_stream_bytes);
  const auto started = Clock::now();
  sampler_->resume();

  using Stop = StepOutcome::Stop;
  Stop stopped = Stop::none;
  bool termed = false;
  std::optional<ContainerLogs> logs;
  std::int64_t written = 0;
  // Stops the step, not the container. A container already gone took the step with it; its
  // streams are closing, and what follows reads its state.
  auto signal_step = [&](const char* mode) {
    try {
      helper(mode, kHelperLimit);
    } catch (const EngineError&) {  // NOLINT(bugprone-empty-catch): see above
    }
  };
  while (!logs) {
    logs = stream(kPoll);
    if (logs) break;
    const auto elapsed = Clock::now() - started;
    written = written_bytes(files_) - written_before;
    if (stopped != Stop::none) {
      // Everything was killed; the streams close within the engine's two seconds, but a container
      // that will not let go is not trusted with another step.
      if (elapsed > config_.timeout + config_.grace + kDrainLimit) break;
    } else if (written > config_.disk_bytes) {
      stopped = Stop::disk;
      signal_step("reset");
    } else if (elapsed > config_.timeout + config_.grace) {
      stopped = Stop::timeout;
      signal_step("reset");
    } else if (elapsed > config_.timeout && !termed) {
      termed = true;  // a chance to flush and exit cleanly before the hard stop
      signal_step("term");
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const auto usage = sampler_->pause();
  if (stopped == Stop::none && termed) stopped = Stop::timeout;

  StepOutcome outcome;
  outcome.stopped = stopped;
  outcome.container_id = id_;
  outcome.seconds = seconds;
  if (logs) outcome.logs = std::move(*logs);
  const auto before = take_counters(outcome.logs.err);
  const auto step_peak = take_peak(outcome.logs.err);

  // A step that failed, or was stopped, gets a reset from a fresh exec (the supervisor may have been
  // killed with it), which also reports the counters the verdict needs. A step that succeeded
  // needs neither if the container's process count says it cleaned up.
  bool clean = false;
  try {
    const auto state = engine_.inspect_exec(exec);
    if (!state.running && state.exit_code && *state.exit_code >= 0) outcome.exit_code = state.exit_code;
    const bool failed = stopped != Stop::none || !outcome.exit_code || *outcome.exit_code != 0;
    if (failed || !verify_alone()) {
      const auto reset = helper("reset", kHelperLimit);
      const auto after = parse_counters(reset.logs.out);
      outcome.oom = grew(before.oom_kills, after.oom_kills);
      outcome.pids_hit = grew(before.refused_forks, after.refused_forks);
      clean = reset.exit_code == 0 && verify_alone();
    } else {
      clean = true;
    }
  } catch (const EngineError&) {
    // 404 or 409: the container itself is gone or stopped, most likely because the kernel's OOM
    // killer took the keeper with the step. The engine's state says which.
    clean = false;
    try {
      const auto container = engine_.inspect(id_).at("State").as_object();
      if (const auto* oom = container.if_contains("OOMKilled"); oom != nullptr && oom->is_bool()) {
        outcome.oom = outcome.oom || oom->get_bool();
      }
    } catch (const EngineError&) {  // NOLINT(bugprone-empty-catch): removed; nothing more to learn
    }
  }
  if (!clean) remove_locked();  // the next step gets a new container

  outcome.written = std::max<std::int64_t>(0, written_bytes(files_) - written_before);
  // The cgroup's samples count the page cache too; a step that ended between two samples has only
  // its processes' own peak.
  outcome.peak_memory = std::max(usage.peak_memory, step_peak.value_or(0));
  outcome.network_bytes = usage.network_bytes;
  outcome.cpu_percent = usage.cpu_percent;
  outcome.pids_hit = outcome.pids_hit || usage.pids_peak >= config_.pids;
  return judge_step(config_, files_, outcome);
}

}  // namespace gdp::sandbox
