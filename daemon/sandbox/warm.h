// The warm path (issue 5, item 8): a session's container is created and started while the planner
// is still thinking, and each approved script then runs in it by exec, which costs a fraction of
// a fresh container. Each step keeps the isolation of a fresh container:
//
// - the same create body as a one-shot step (sandbox_container_spec: no network, read-only root,
//   no capabilities, the same caps and mounts and labels), with the session's scripts directory
//   mounted read-only at /data/script instead of one script;
// - PID 1 is a keeper that only reaps orphans. It runs as a uid of its own, so a step (another
//   uid) can neither signal nor ptrace it: nothing a step does survives into the next through it;
// - a step runs under a supervisor that empties /tmp, runs the script as its child, then kills
//   every process the step left (kill(-1), which spares PID 1) and empties /tmp again. gdpd does
//   not take the supervisor's word for it: the container's pids count must be back to the keeper
//   alone, else gdpd kills everything again from a fresh exec, and failing that, the container is
//   replaced before the next step;
// - the timeout (SIGTERM to the step's processes, SIGKILL after the grace, never to the container),
//   the output bounds, the disk watch and the verdict (judge_step) are the fresh runner's.
//
// If the container has died (the kernel's OOM killer took the keeper, the engine restarted, someone
// removed it), the next step recreates it rather than falling back to a one-shot container: the
// session's later steps then keep the fast path, and the step pays one container start.
#pragma once

#include "daemon/sandbox/runner.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace gdp::sandbox {

class Sampler;

class WarmContainer {
 public:
  // `files.script` is a directory gdpd owns (the session's scripts), mounted read-only; each step's
  // script is written there before it runs. `labels.step` is not used: the container is labelled
  // step "warm", for the whole session.
  WarmContainer(Engine& engine, ResourceConfig config, StepFiles files, StepLabels labels);
  // Removes the container (a failure leaves it to force_cleanup_all_containers, by its labels).
  ~WarmContainer();
  WarmContainer(const WarmContainer&) = delete;
  WarmContainer& operator=(const WarmContainer&) = delete;

  // Creates and starts the container; blocking, so the session calls it on the worker pool when the
  // planner starts on the next script, and the start is hidden in the planner's time. Does nothing
  // when the container is up. Safe from any thread: a step that arrives while it runs waits for it.
  void start();

  // Runs one approved script in the container (starting it first if need be) and reports it as the
  // fresh runner does. Throws RpcError only when the engine fails; one step at a time.
  StepRun run(const std::string& script, std::int64_t step);

  // Removes the container now (session end); a later start() or run() makes a new one.
  void stop();

  std::string container_id() const;
  int containers_started() const;  // 1, plus one for each replacement of a dead or unclean container

 private:
  struct Helper;
  void start_locked();
  void remove_locked();
  Helper helper(const std::string& mode, std::chrono::milliseconds limit);
  bool verify_alone();

  Engine& engine_;
  ResourceConfig config_;
  StepFiles files_;
  StepLabels labels_;
  mutable std::mutex mutex_;
  std::string id_;
  std::unique_ptr<Sampler> sampler_;  // the container's, sampling during steps only
  bool usable_ = false;               // false: replace the container before the next step
  int started_ = 0;
};

}  // namespace gdp::sandbox
