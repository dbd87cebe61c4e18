// One script, one fresh container: create with every limit, wait-before-start so a fast exit is
// never missed, watch the clock and the writable mounts while it runs, sample its resource use,
// then read state and logs, remove it, and say what happened in words a person can act on.
#include "daemon/sandbox/runner.h"

#include "daemon/sandbox/step_common.h"

#include <boost/json.hpp>

#include <unistd.h>
#include <algorithm>

namespace gdp::sandbox {

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(100);

}  // namespace

std::string daemon_label(const std::string& state_dir) {
  return std::to_string(getuid()) + ":" + fs::weakly_canonical(state_dir).string();
}

Runner::Runner(Engine& engine, ResourceConfig config) : engine_(engine), config_(std::move(config)) {}

json::object Runner::container_spec(const StepFiles& files, const StepLabels& labels) const {
  const auto script = "/data/script/" + files.script.filename().string();
  return sandbox_container_spec(
      config_, files, labels,
      ContainerShape{script, {"python3", "-u", script}, sandbox_user(), true, std::to_string(labels.step)});
}

StepRun Runner::run(const StepFiles& files, const StepLabels& labels) {
  hand_over_writable_mounts(files);
  const auto name = "gdp-" + labels.session + "-" + std::to_string(labels.step) + "-" + random_suffix();
  const auto written_before = written_bytes(files);
  // Declared before the remover, so it is destroyed after it: removing the container ends a
  // stats call still in flight at once, where waiting for it would cost up to the engine's
  // one-second stats tick on every step.
  std::optional<Sampler> sampler;
  auto created = engine_.create_container(name, container_spec(files, labels));
  const std::string id = created.id;
  // From here on the container exists: whatever happens, it is removed.
  const ContainerRemover remover{engine_, id};
  refuse_dropped_limits(created);

  auto wait = engine_.wait_next_exit(id);
  const auto started = Clock::now();
  engine_.start(id);
  sampler.emplace(engine_, id, true);

  using Stop = StepOutcome::Stop;
  Stop stopped = Stop::none;
  std::optional<ContainerExit> exit;
  bool termed = false;
  std::int64_t written = 0;
  while (!exit) {
    exit = wait(kPoll);
    if (exit) break;
    const auto elapsed = Clock::now() - started;
    written = written_bytes(files) - written_before;
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
  const auto usage = sampler->pause();
  if (stopped == Stop::none && termed) stopped = Stop::timeout;

  const auto state = engine_.inspect(id).at("State").as_object();
  const bool oom = state.if_contains("OOMKilled") != nullptr && state.at("OOMKilled").is_bool() &&
                   state.at("OOMKilled").as_bool();
  StepOutcome outcome;
  outcome.stopped = stopped;
  outcome.container_id = id;
  outcome.seconds = seconds;
  if (exit && exit->status_code >= 0) outcome.exit_code = exit->status_code;
  outcome.logs = engine_.logs(id, config_.max_stream_bytes);
  outcome.written = std::max<std::int64_t>(0, written_bytes(files) - written_before);
  outcome.peak_memory = usage.peak_memory;
  outcome.network_bytes = usage.network_bytes;
  outcome.cpu_percent = usage.cpu_percent;
  outcome.oom = oom;
  outcome.pids_hit = usage.pids_peak >= config_.pids;
  return judge_step(config_, files, outcome);
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
