// What a session needs from the sandbox, as a small interface: check a script, run one, install
// packages. The real one (DockerStepSandbox) keeps one warm container per session; the session
// layer's property tests drive the workflow through a recording double instead, so hundreds of
// cases need no engine. Blocking; the session calls it on the worker pool, one call at a time.
#pragma once

#include "common/models.h"
#include "daemon/sandbox/runner.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace gdp::session {

struct PackageResult {
  std::string output;   // the installer's output (bounded)
  bool reused = false;  // the image existed: nothing was installed
  double seconds = 0;
};

class StepSandbox {
 public:
  virtual ~StepSandbox() = default;

  // Brings the session's container up ahead of the first step (hidden in the planner's time).
  // Failures are left for run() to report.
  virtual void warm_up() = 0;
  // Syntax and security check of a script (proto::ValidationResult says what and where).
  virtual proto::ValidationResult validate(const std::string& content, std::int64_t step) = 0;
  // Runs an approved script; its outputs land in the session's work and output folders.
  virtual sandbox::StepRun run(const std::string& content, std::int64_t step) = 0;
  // The Debian packages that provide what `wanted` names and the current image lacks (empty: no
  // package step needed). Python's own modules are never missing.
  virtual std::vector<std::string> missing_packages(const std::vector<std::string>& wanted) = 0;
  // Installs them (an approved package step); later steps run on the image that has them.
  virtual PackageResult install(const std::vector<std::string>& packages, std::int64_t step) = 0;
  // Stops whatever runs now (cancel); safe from another thread while run() blocks.
  virtual void interrupt() = 0;
  // Removes the session's container (the session ended).
  virtual void stop() = 0;
};

// Where a session's steps read and write, on the host.
struct SandboxPlace {
  std::filesystem::path input;    // the user's file, read-only at /data/input/<name>
  std::filesystem::path work;     // sessions/{id}/intermediate, /data/work
  std::filesystem::path output;   // sessions/{id}/output, /data/output
  std::filesystem::path scripts;  // sessions/{id}/scripts, /data/script
  std::filesystem::path scratch;  // gdpd's private directory for validator files
  sandbox::StepLabels labels;     // daemon and session; step set per call
};

std::unique_ptr<StepSandbox> make_docker_sandbox(std::shared_ptr<sandbox::Engine> engine,
                                                 sandbox::ResourceConfig config, SandboxPlace place);

}  // namespace gdp::session
