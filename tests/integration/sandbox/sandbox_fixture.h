// What the sandbox tests share: a step's folders in a private temp dir, and the engine.
#pragma once

#include "daemon/sandbox/runner.h"
#include "tests/support/test_support.h"

#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <string>

namespace gdp::sandbox::test {

// A step's folders in a private temp dir, and this test run's daemon label.
struct Step {
  gdp::test::TempDir dir;
  StepFiles files;
  StepLabels labels;

  explicit Step(const std::string& script, std::string session = "test") {
    files.input = dir / "input.csv";
    files.work = dir / "work";
    files.output = dir / "output";
    files.script = dir / "step.py";
    std::filesystem::create_directories(files.work);
    std::filesystem::create_directories(files.output);
    std::ofstream(files.input) << "a,b\n1,2\n";
    std::ofstream(files.script) << script;
    // The sandbox user must be able to read them (a root daemon runs scripts as nobody). The
    // input is even writable by anyone here, so only the read-only mount stands in the way.
    chmod(files.input.c_str(), 0666);
    chmod(files.script.c_str(), 0644);
    chmod(dir.path().c_str(), 0755);
    labels.daemon = daemon_label(dir.path().string());
    labels.session = std::move(session);
    labels.step = 1;
  }
};

// Caps low enough that a hostile script hits them in seconds, not minutes (the defaults
// themselves are checked by inspecting a created container).
inline ResourceConfig small_caps() {
  ResourceConfig c;
  c.memory_bytes = std::int64_t{256} << 20;
  c.disk_bytes = std::int64_t{64} << 20;
  c.tmp_bytes = std::int64_t{32} << 20;
  c.pids = 64;
  c.timeout = std::chrono::seconds(4);
  c.grace = std::chrono::seconds(1);
  c.max_stream_bytes = std::size_t{64} << 10;
  return c;
}

inline Engine& engine() {
  static Engine e(Engine::Options{Engine::default_socket(), std::chrono::milliseconds(60000)});
  return e;
}

}  // namespace gdp::sandbox::test
