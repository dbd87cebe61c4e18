// The seed's Docker Container Manager: runs one approved script in a fresh, hardened container
// and reports the seed's ExecutionResult. Isolation is the promise that lets a user approve code
// they did not write, so every limit is set explicitly, an engine warning that it dropped one is
// an error, and a script that breaks a limit is stopped and reported with what to do.
//
// Blocking (Docker calls and polling); run it on the worker pool.
#pragma once

#include "common/errors.h"
#include "common/models.h"
#include "daemon/sandbox/engine.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gdp::sandbox {

// The seed's ResourceConfig, in the units the engine takes. Defaults are the product's promise:
// 2 CPUs, 4 GB of memory with no swap beyond it, 10 GB of writes.
struct ResourceConfig {
  std::string image = "gdp-runtime";
  double cpus = 2.0;
  std::int64_t memory_bytes = std::int64_t{4} << 30;
  std::int64_t disk_bytes = std::int64_t{10}
                            << 30;                 // what a script may write: /data/work, /data/output, /tmp
  std::int64_t tmp_bytes = std::int64_t{1} << 30;  // the tmpfs on /tmp (counts against memory too)
  std::int64_t pids = 512;
  std::int64_t nofile = 4096;
  std::chrono::seconds timeout{30 * 60};                // max_execution_time_minutes
  std::chrono::seconds grace{5};                        // SIGTERM at the timeout, SIGKILL this much later
  std::size_t max_stream_bytes = std::size_t{1} << 20;  // stdout and stderr kept, each
};

// What a step sees. Host paths; the container sees them at fixed places.
struct StepFiles {
  std::filesystem::path input;   // the user's file, read-only at /data/input/<its name>
  std::filesystem::path work;    // earlier steps' outputs, read-write at /data/work (Property 10)
  std::filesystem::path output;  // final results, read-write at /data/output
  std::filesystem::path script;  // the approved script, read-only at /data/script/<its name>
};

// Who a container belongs to, as labels: the daemon (for crash cleanup), the session and step.
struct StepLabels {
  std::string daemon;  // this daemon's identity (uid and state directory), see daemon_label()
  std::string session;
  std::int64_t step = 0;
};

struct StepRun {
  proto::ExecutionResult result;  // output_data is stdout, logs is stderr, each bounded
  // Set when the step failed for a reason the seed names: ScriptExecution, ContainerTimeout,
  // ResourceExhaustion, ResourceLimit. result.error_message says what and what to do.
  std::optional<ErrorCode> error;
};

inline constexpr std::string_view kDaemonLabel = "org.gdp.daemon";
inline constexpr std::string_view kSessionLabel = "org.gdp.session";
inline constexpr std::string_view kStepLabel = "org.gdp.step";

// This daemon's label value: the uid and the state directory, so two users' daemons (or two test
// daemons) never clean up each other's containers.
std::string daemon_label(const std::string& state_dir);

class Runner {
 public:
  Runner(Engine& engine, ResourceConfig config);

  // The create body for a step: every isolation setting and limit, the mounts, the labels.
  boost::json::object container_spec(const StepFiles& files, const StepLabels& labels) const;

  // Runs the script to its end (or its limit) and removes the container. Throws RpcError only
  // when the engine fails (DockerNotAvailable, or ResourceLimit for a dropped limit); a script
  // that fails or breaks a limit is a StepRun with `error` set.
  StepRun run(const StepFiles& files, const StepLabels& labels);

  // How the write cap is enforced, for gdp doctor. The root filesystem is read-only, so a script
  // writes only to /tmp (a tmpfs with its own size) and to the two bind mounts, which no storage
  // driver quota covers: gdpd watches them and stops the container past the cap, and the fsize
  // ulimit stops any single file at the cap.
  static constexpr std::string_view kDiskCapMethod =
      "watched by gdpd (read-only root; /tmp is a capped tmpfs; /data/work and /data/output measured "
      "while the script runs; fsize ulimit)";

 private:
  Engine& engine_;
  ResourceConfig config_;
};

// Removes a container when it goes out of scope, whatever happened; a failure leaves it for
// force_cleanup_all_containers at the next start or gdp cleanup.
class ContainerRemover {
 public:
  ContainerRemover(Engine& engine, std::string id) : engine_(engine), id_(std::move(id)) {}
  ~ContainerRemover() {
    try {
      engine_.remove(id_, true);
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): see above
    }
  }
  ContainerRemover(const ContainerRemover&) = delete;
  ContainerRemover& operator=(const ContainerRemover&) = delete;

 private:
  Engine& engine_;
  std::string id_;
};

// The seed's force_cleanup_all_containers: removes every container labelled for this daemon.
// Returns how many were removed. Used at daemon start (no step is live then) and by gdp cleanup.
std::size_t force_cleanup_all_containers(Engine& engine, const std::string& daemon);

}  // namespace gdp::sandbox
