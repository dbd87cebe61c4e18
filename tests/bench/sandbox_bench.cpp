// A step's cost through gdpd's runner next to a bare `docker run --rm` of the same script with the
// same isolation flags, timed in the same run (issue 5, item 8: the runner may add at most 10%).
//
// Usage: gdp_sandbox_bench [RUNS]   (default 20; needs the Docker Engine and the gdp-runtime image)
#include "daemon/sandbox/runner.h"

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
    for (const auto& d : {f.work, f.output}) (void)chown(d.c_str(), 65534, 65534);
  }
  Engine engine(Engine::Options{});
  ResourceConfig config;
  Runner runner(engine, config);
  const StepLabels labels{daemon_label(dir.string()), "bench", 1};
  const auto cli = docker_run_line(f, config);

  std::vector<double> ours, bare;
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
  fs::remove_all(dir);
  const double a = median(ours), b = median(bare);
  std::printf("trivial step (print(1)), %d runs each, median wall ms:\n", runs);
  std::printf("  gdpd runner (create, wait, start, watch, inspect, logs, remove)  %8.1f\n", a);
  std::printf("  bare docker run --rm, same flags (anchor)                        %8.1f\n", b);
  std::printf("  added by gdpd: %+.1f%%   (target <= 10%%)\n", (a / b - 1) * 100);
  std::printf("  warm path (container started while the planner works): not built yet\n");
  return 0;
}
