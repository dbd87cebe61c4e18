#include "daemon/sandbox/probe.h"

#include "daemon/sandbox/step_common.h"

#include <boost/json.hpp>

#include <sys/stat.h>
#include <algorithm>
#include <fstream>

namespace gdp::sandbox {
namespace {

// Exits 0 only when both attempts fail; prints what each attempt met, as JSON.
constexpr std::string_view kProbeScript = R"(import json, socket, sys
seen = {}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3).close()
    seen["connect 1.1.1.1:53"] = "CONNECTED"
except OSError as e:
    seen["connect 1.1.1.1:53"] = e.strerror or type(e).__name__
try:
    socket.getaddrinfo("example.com", 443)
    seen["resolve example.com"] = "RESOLVED"
except OSError as e:
    seen["resolve example.com"] = e.strerror or type(e).__name__
print(json.dumps(seen))
sys.exit(3 if "CONNECTED" in seen.values() or "RESOLVED" in seen.values() else 0)
)";

}  // namespace

NetworkProbe probe_network(Engine& engine, const ResourceConfig& config, const std::filesystem::path& scratch,
                           const std::string& daemon) {
  ResourceConfig small = config;
  small.memory_bytes = std::min<std::int64_t>(config.memory_bytes, std::int64_t{256} << 20);
  small.disk_bytes = std::int64_t{1} << 20;
  small.pids = 16;
  small.timeout = std::chrono::seconds(60);
  const Scratch dir(scratch, "doctor-");
  const StepFiles files{dir.dir / "input.txt", dir.dir / "work", dir.dir / "output", dir.dir / "probe.py"};
  std::ofstream(files.input) << "probe\n";
  std::ofstream(files.script) << kProbeScript;
  chmod(files.input.c_str(), 0644);
  chmod(files.script.c_str(), 0644);

  NetworkProbe out;
  const auto run = Runner(engine, small).run(files, StepLabels{daemon, "doctor", 0});
  std::string seen;
  try {
    const auto doc = boost::json::parse(run.result.output_data.value_or(""));
    for (const auto& [what, result] : doc.as_object()) {
      seen += (seen.empty() ? "" : "; ") + std::string(what) + ": " + std::string(result.as_string());
    }
  } catch (const std::exception&) {
    out.error = "the probe container printed no result: " +
                run.result.error_message.value_or(run.result.logs.empty() ? "no output" : run.result.logs);
    return out;
  }
  out.found = seen;
  out.isolated = run.result.success;
  return out;
}

}  // namespace gdp::sandbox
