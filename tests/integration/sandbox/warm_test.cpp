// The warm path against the real Docker Engine: steps run by exec in one session container, and
// each still starts from a clean container (empty /tmp, no process but the keeper) and ends with
// the fresh runner's verdicts. Caps are lowered so the hostile steps stay quick.
#include "daemon/sandbox/warm.h"
#include "tests/integration/sandbox/sandbox_fixture.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <future>

using namespace gdp;
using namespace gdp::sandbox;
using gdp::sandbox::test::engine;
using gdp::sandbox::test::small_caps;
using gdp::sandbox::test::Step;

namespace {

// A session: the step folders of the fixture, with a scripts directory instead of one script.
struct Session {
  Step step{""};
  StepFiles files;
  std::optional<WarmContainer> warm;

  explicit Session(ResourceConfig config = small_caps()) {
    files = step.files;
    files.script = step.dir.path() / "scripts";
    warm.emplace(engine(), config, files, step.labels);
  }
  ~Session() {
    warm.reset();
    // The session's end leaves nothing behind.
    CHECK(ours().empty());
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::vector<ContainerSummary> ours() const {
    return engine().list_containers({std::string(kDaemonLabel) + "=" + step.labels.daemon});
  }
  StepRun run(const std::string& script, std::int64_t n = 1) { return warm->run(script, n); }
};

// Processes in the container but PID 1, the asking script and its supervisor, as a step sees them.
constexpr const char* kListOthers =
    "import os\n"
    "print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid(), "
    "os.getppid())))\n";

std::string out_of(const StepRun& r) {
  return r.result.output_data.value_or("");
}

}  // namespace

TEST_CASE("warm: print(1) runs by exec in the session's container", "[docker][sandbox][warm]") {
  Session s;
  s.warm->start();
  const auto id = s.warm->container_id();
  REQUIRE_FALSE(id.empty());
  const auto r = s.run("print(1)\n");
  CHECK(r.result.success);
  CHECK_FALSE(r.error);
  CHECK(r.result.exit_code == 0);
  CHECK(out_of(r) == "1\n");
  CHECK(r.result.logs == std::optional<std::string>(""));  // the supervisor's counters line is gdpd's
  CHECK(r.result.container_id == id);
  CHECK(s.run("print(2)\n", 2).result.output_data == std::optional<std::string>("2\n"));
  CHECK(s.warm->container_id() == id);
  CHECK(s.warm->containers_started() == 1);
  CHECK(s.ours().size() == 1);
}

TEST_CASE("warm: the container has a step's hardening, and its keeper is out of a step's reach",
          "[docker][sandbox][warm]") {
  Session s;
  s.warm->start();
  const auto inspect = engine().inspect(s.warm->container_id());
  const auto& host = inspect.at("HostConfig").as_object();
  CHECK(host.at("Memory").to_number<std::int64_t>() == std::int64_t{256} << 20);
  CHECK(host.at("PidsLimit").to_number<std::int64_t>() == 64);
  CHECK(host.at("NetworkMode").as_string() == "none");
  CHECK(host.at("ReadonlyRootfs").as_bool());
  CHECK(boost::json::serialize(host.at("CapDrop")) == R"(["ALL"])");
  CHECK(boost::json::serialize(host.at("SecurityOpt")) == R"(["no-new-privileges"])");
  CHECK_FALSE(host.at("Init").as_bool());
  const auto binds = boost::json::serialize(host.at("Binds"));
  CHECK(binds.find(":/data/script:ro") != std::string::npos);
  CHECK(binds.find(":/data/work:rw") != std::string::npos);
  const auto& labels = inspect.at("Config").at("Labels").as_object();
  CHECK(labels.at(kSessionLabel).as_string() == "test");
  CHECK(labels.at(kStepLabel).as_string() == "warm");
  // The step can neither signal PID 1 nor change the helper that supervises it.
  const auto r = s.run(
      "import os, signal\n"
      "try:\n    os.kill(1, signal.SIGKILL)\nexcept PermissionError:\n    print('no signal')\n"
      "try:\n    open('/data/script/.gdp-warm.py', 'a')\nexcept OSError:\n    print('no write')\n"
      "print(os.getuid() != os.stat('/proc/1').st_uid)\n");
  CHECK(out_of(r) == "no signal\nno write\nTrue\n");
  CHECK(s.run("print(1)\n", 2).result.success);
  CHECK(s.warm->containers_started() == 1);
}

TEST_CASE("warm: a step's /tmp is gone before the next step", "[docker][sandbox][warm]") {
  Session s;
  const auto first = s.run(
      "import os\n"
      "open('/tmp/secret', 'w').write('x')\n"
      "os.makedirs('/tmp/a/b/c')\n"
      "os.chmod('/tmp/a/b', 0)\n"
      "print(sorted(os.listdir('/tmp')))\n");
  CHECK(out_of(first) == "['a', 'secret']\n");
  const auto second = s.run("import os\nprint(os.listdir('/tmp'))\n", 2);
  CHECK(out_of(second) == "[]\n");
  CHECK(s.warm->containers_started() == 1);
}

TEST_CASE("warm: processes a step leaves behind are gone afterwards", "[docker][sandbox][warm]") {
  Session s;
  const auto first = s.run(
      "import os, subprocess\n"
      "subprocess.Popen(['sleep', '1000'])\n"
      "if os.fork() == 0:\n"
      "    os.setsid()\n"
      "    import time\n"
      "    while True:\n"
      "        open('/data/work/late', 'a').write('x')\n"
      "        time.sleep(0.05)\n"
      "print('left two behind')\n");
  CHECK(first.result.success);
  CHECK(out_of(first) == "left two behind\n");
  // Seen from outside: the container holds the keeper alone.
  CHECK(engine().stats(s.warm->container_id(), true).at("pids_stats").at("current").to_number<int>() == 1);
  const auto second = s.run(kListOthers, 2);
  CHECK(out_of(second) == "[]\n");
  CHECK(s.warm->containers_started() == 1);
}

TEST_CASE("warm: a fork bomb is contained and the next step runs", "[docker][sandbox][warm]") {
  Session s;
  const auto bomb = s.run("import os\nwhile True:\n    os.fork()\n");
  CHECK(bomb.error == ErrorCode::ResourceExhaustion);
  CHECK(bomb.result.error_message->find("processes") != std::string::npos);
  const auto next = s.run(kListOthers, 2);
  CHECK(next.result.success);
  CHECK(out_of(next) == "[]\n");
}

TEST_CASE("warm: a step past its time is stopped, and the container stays usable",
          "[docker][sandbox][warm]") {
  Session s;
  s.warm->start();
  const auto id = s.warm->container_id();
  const auto r = s.run(
      "import signal, subprocess\n"
      "subprocess.Popen(['sleep', '1000'])\n"
      "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"  // only SIGKILL after the grace ends it
      "while True:\n    pass\n");
  CHECK(r.error == ErrorCode::ContainerTimeout);
  CHECK_FALSE(r.result.exit_code.has_value());
  CHECK(r.result.execution_time >= 4.0);
  const auto next = s.run(kListOthers, 2);
  CHECK(next.result.success);
  CHECK(out_of(next) == "[]\n");
  CHECK(s.warm->container_id() == id);
}

TEST_CASE("warm: a failing script shows its traceback", "[docker][sandbox][warm]") {
  Session s;
  const auto r = s.run("def f():\n    raise ValueError('bad value in column x')\nf()\n");
  CHECK(r.error == ErrorCode::ScriptExecution);
  CHECK(r.result.exit_code == 1);
  CHECK(r.result.error_message->find("ValueError: bad value in column x") != std::string::npos);
  CHECK(r.result.error_message->find("line 2") != std::string::npos);
  CHECK(r.result.error_message->find("gdp-warm") == std::string::npos);
  CHECK(s.run("print(1)\n", 2).result.success);
}

TEST_CASE("warm: memory past the cap is reported, and the next step runs", "[docker][sandbox][warm]") {
  Session s;
  const auto r = s.run("x = bytearray(1024 * 1024 * 1024)\nprint(len(x))\n");
  CHECK(r.error == ErrorCode::ResourceExhaustion);
  CHECK(r.result.error_message->find("memory") != std::string::npos);
  CHECK(s.run("print(1)\n", 2).result.success);
}

TEST_CASE("warm: writing past the disk cap stops the step, not the container", "[docker][sandbox][warm]") {
  Session s;
  const auto r = s.run(
      "import time\n"
      "for i in range(200):\n"
      "    open('/data/work/f%d' % i, 'wb').write(b'x' * (1 << 20))\n"
      "    time.sleep(0.01)\n");
  CHECK(r.error == ErrorCode::ResourceExhaustion);
  CHECK(r.result.error_message->find("wrote more than") != std::string::npos);
  CHECK(s.run("print(1)\n", 2).result.success);
  CHECK(s.warm->containers_started() == 1);
}

TEST_CASE("warm: later steps see earlier steps' outputs in /data/work", "[docker][sandbox][warm]") {
  Session s;
  CHECK(s.run("open('/data/work/clean.csv', 'w').write('a\\n1\\n')\n").result.success);
  const auto r = s.run("print(open('/data/work/clean.csv').read().split())\n", 2);
  CHECK(out_of(r) == "['a', '1']\n");
  CHECK(r.result.output_files == std::vector<std::string>{"/data/work/clean.csv"});
}

TEST_CASE("warm: a dead container is replaced at the next step", "[docker][sandbox][warm]") {
  Session s;
  s.warm->start();
  const auto first = s.warm->container_id();
  engine().kill(first, "KILL");
  const auto r = s.run("print(1)\n");
  CHECK(r.result.success);
  CHECK(s.warm->containers_started() == 2);
  CHECK(s.warm->container_id() != first);
}

TEST_CASE("warm: a step waits for a start in progress on another thread", "[docker][sandbox][warm]") {
  Session s;
  auto starting = std::async(std::launch::async, [&] { s.warm->start(); });
  const auto r = s.run("print(1)\n");
  starting.get();
  CHECK(r.result.success);
  CHECK(s.warm->containers_started() == 1);
}

TEST_CASE(
    "warm: a step too short for a stats sample still reports its peak memory, and its stderr "
    "comes back as it wrote it",
    "[docker][sandbox][warm]") {
  Session s;
  s.warm->start();
  // 64 MiB touched and gone in a few milliseconds; stderr without a final newline.
  const auto r = s.run(
      "import sys\nblock = bytearray(64 << 20)\nblock[::4096] = b'x' * len(block[::4096])\n"
      "sys.stderr.write('no newline at the end')\n");
  REQUIRE(r.result.success);
  CHECK(r.result.resource_usage.memory_mb >= 64);
  CHECK(r.result.logs == std::optional<std::string>("no newline at the end"));
}
