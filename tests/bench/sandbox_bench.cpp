// A step's cost through gdpd's runner next to a bare `docker run --rm` of the same script with the
// same isolation flags, timed in the same run (issue 5, item 8: the runner may add at most 10%),
// and the warm path beside them: the same step by exec in a session container started earlier
// (target: a median of at most 150 ms), with the time that start takes, which the planner's
// thinking hides.
//
// Usage: gdp_sandbox_bench [RUNS]   (default 20; needs the Docker Engine and the gdp-runtime image)
#include "daemon/sandbox/runner.h"
#include "daemon/sandbox/warm.h"

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace gdp::sandbox;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The docker CLI line with the flags container_spec() sets, for the comparison.
std::string docker_run_line(const StepFiles& f, const ResourceConfig& c) {
  const auto uid = getuid() == 0 ? 65534u : getuid();
  const auto gid = getuid() == 0 ? 65534u : getgid();
  return "docker run --rm --network none --user " + std::to_string(uid) + ":" + std::to_string(gid) +
         " --cap-drop ALL --security-opt no-new-privileges --read-only --init" +
         " --tmpfs /tmp:rw,nosuid,nodev,exec,size=" + std::to_string(c.tmp_bytes) + " --memory " +
         std::to_string(c.memory_bytes) + " --memory-swap " + std::to_string(c.memory_bytes) + " --cpus " +
         std::to_string(c.cpus) + " --pids-limit " + std::to_string(c.pids) +
         " --ulimit nofile=" + std::to_string(c.nofile) + ":" + std::to_string(c.nofile) +
         " --ulimit fsize=" + std::to_string(c.disk_bytes) + ":" + std::to_string(c.disk_bytes) + " -v " +
         f.input.string() + ":/data/input/input.csv:ro -v " + f.script.string() +
         ":/data/script/step.py:ro -v " + f.work.string() + ":/data/work:rw -v " + f.output.string() +
         ":/data/output:rw -w /data/work " + c.image + " python3 -u /data/script/step.py >/dev/null";
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  const fs::path dir = fs::temp_directory_path() / ("gdp-sandbox-bench-" + std::to_string(getpid()));
  StepFiles f{dir / "input.csv", dir / "work", dir / "output", dir / "step.py"};
  fs::create_directories(f.work);
  fs::create_directories(f.output);
  std::ofstream(f.input) << "a\n1\n";
  std::ofstream(f.script) << "print(1)\n";
  chmod(f.input.c_str(), 0644);
  chmod(f.script.c_str(), 0644);
  chmod(dir.c_str(), 0755);
  if (getuid() == 0) {
    for (const auto& d : {f.work, f.output}) {
      if (chown(d.c_str(), 65534, 65534) != 0) std::perror(("chown " + d.string()).c_str());
    }
  }
  Engine engine(Engine::Options{});
  ResourceConfig config;
  Runner runner(engine, config);
  const StepLabels labels{daemon_label(dir.string()), "bench", 1};
  const auto cli = docker_run_line(f, config);

  std::vector<double> ours, bare, warm_step, warm_start;
  for (int i = 0; i < runs; ++i) {  // interleaved, so load changes hit both alike
    auto t0 = Clock::now();
    const auto r = runner.run(f, labels);
    ours.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!r.result.success) {
      std::fprintf(stderr, "runner step failed: %s\n", r.result.error_message.value_or("").c_str());
      return 1;
    }
    t0 = Clock::now();
    if (std::system(cli.c_str()) != 0) {
      std::fprintf(stderr, "docker run failed: %s\n", cli.c_str());
      return 1;
    }
    bare.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }

  // The warm path in a loop of its own: a warm step's last stats call, which its step no longer
  // waits for, keeps the engine's stats collector busy for up to a second, and the runner's
  // sampler would wait for the collector's next tick if they were interleaved.
  StepFiles session_files = f;
  session_files.script = dir / "scripts";
  WarmContainer warm(engine, config, session_files, labels);
  warm.start();
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    const auto w = warm.run("print(1)\n", i + 1);
    warm_step.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!w.result.success || w.result.output_data != std::optional<std::string>("1\n")) {
      std::fprintf(stderr, "warm step failed: %s\n", w.result.error_message.value_or("").c_str());
      return 1;
    }
    // A session's start: create and start a warm container (its removal is not timed).
    WarmContainer fresh(engine, config, session_files, StepLabels{labels.daemon, "bench-start", 0});
    t0 = Clock::now();
    fresh.start();
    warm_start.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  const int replaced = warm.containers_started() - 1;
  warm.stop();
  fs::remove_all(dir);
  const double a = median(ours), b = median(bare);
  std::printf("trivial step (print(1)), %d runs each, median wall ms:\n", runs);
  std::printf("  gdpd runner (create, wait, start, watch, inspect, logs, remove)  %8.1f\n", a);
  std::printf("  bare docker run --rm, same flags (anchor)                        %8.1f\n", b);
  std::printf("  added by gdpd: %+.1f%%   (target <= 10%%)\n", (a / b - 1) * 100);
  const double w = median(warm_step), up = median(warm_start);
  std::printf(
      "  warm path: exec in the session's container, clean-up checked       %8.1f   (target <= 150)\n", w);
  std::printf("  warm container start (create, start), hidden in the planner's time %8.1f\n", up);
  std::printf("  warm containers replaced during the run: %d\n", replaced);
  return 0;
}
