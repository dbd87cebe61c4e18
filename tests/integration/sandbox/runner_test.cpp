// Hostile scripts against the real Docker Engine: each ends with the right result and error, the
// host is untouched, and no container of ours is left. Caps are lowered so CI stays quick; the
// defaults themselves are checked on a created container.
#include "tests/integration/sandbox/sandbox_fixture.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <fstream>

using namespace gdp;
using namespace gdp::sandbox;
using gdp::sandbox::test::engine;
using gdp::sandbox::test::small_caps;
using gdp::sandbox::test::Step;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

StepRun run(const std::string& script, ResourceConfig config = small_caps()) {
  Step step(script);
  Runner runner(engine(), config);
  auto r = runner.run(step.files, step.labels);
  // Every run leaves nothing behind.
  CHECK(engine().list_containers({std::string(kDaemonLabel) + "=" + step.labels.daemon}).empty());
  return r;
}

std::string err_of(const StepRun& r) {
  return r.result.error_message.value_or("") + "\n" + r.result.logs;
}

}  // namespace

TEST_CASE("a well-behaved script: output files, stdout, exit 0", "[docker][sandbox]") {
  Step step(
      "import csv, os\n"
      "rows = list(csv.reader(open(os.environ['GDP_INPUT'])))\n"
      "open('/data/output/result.csv', 'w').write('n\\n%d\\n' % (len(rows) - 1))\n"
      "open('/data/work/intermediate.txt', 'w').write('x')\n"
      "print('rows', len(rows) - 1)\n");
  Runner runner(engine(), small_caps());
  const auto r = runner.run(step.files, step.labels);
  CHECK(r.result.success);
  CHECK_FALSE(r.error);
  CHECK(r.result.exit_code == 0);
  CHECK(r.result.output_data == std::optional<std::string>("rows 1\n"));
  CHECK(r.result.output_files ==
        std::vector<std::string>{"/data/output/result.csv", "/data/work/intermediate.txt"});
  CHECK(r.result.execution_time > 0);
  CHECK_FALSE(r.result.container_id.empty());
  std::ifstream result(step.files.output / "result.csv");
  std::string content((std::istreambuf_iterator<char>(result)), {});
  CHECK(content == "n\n1\n");
}

TEST_CASE("a created container carries every default limit", "[docker][sandbox]") {
  Step step("print(1)\n");
  Runner runner(engine(), ResourceConfig{});
  const auto created = engine().create_container("gdp-spec-check-" + std::to_string(getpid()),
                                                 runner.container_spec(step.files, step.labels));
  const auto inspect = engine().inspect(created.id);
  engine().remove(created.id, true);
  CHECK(created.warnings.empty());
  const auto& host = inspect.at("HostConfig").as_object();
  CHECK(host.at("Memory").to_number<std::int64_t>() == std::int64_t{4} << 30);
  CHECK(host.at("MemorySwap").to_number<std::int64_t>() == std::int64_t{4} << 30);
  CHECK(host.at("NanoCpus").to_number<std::int64_t>() == 2000000000);
  CHECK(host.at("PidsLimit").to_number<std::int64_t>() == 512);
  CHECK(host.at("NetworkMode").as_string() == "none");
  CHECK(host.at("ReadonlyRootfs").as_bool());
  CHECK(host.at("Init").as_bool());
  CHECK(json::serialize(host.at("CapDrop")) == R"(["ALL"])");
  CHECK(json::serialize(host.at("SecurityOpt")) == R"(["no-new-privileges"])");
  CHECK(host.at("Tmpfs").as_object().contains("/tmp"));
  const auto binds = json::serialize(host.at("Binds"));
  CHECK(binds.find("docker.sock") == std::string::npos);
  CHECK(binds.find(":/data/input/input.csv:ro") != std::string::npos);
  CHECK(binds.find(":/data/work:rw") != std::string::npos);
  CHECK(binds.find(":/data/output:rw") != std::string::npos);
  if (const char* home = std::getenv("HOME"))
    CHECK(binds.find(std::string("\"") + home + ":") == std::string::npos);
  const auto user = std::string(inspect.at("Config").at("User").as_string());
  CHECK(user.rfind("0:", 0) != 0);  // never root
  const auto ulimits = json::serialize(host.at("Ulimits"));
  CHECK(ulimits.find("nofile") != std::string::npos);
  CHECK(ulimits.find("fsize") != std::string::npos);
  const auto& labels = inspect.at("Config").at("Labels").as_object();
  CHECK(labels.at(kDaemonLabel).as_string() == step.labels.daemon);
  CHECK(labels.at(kSessionLabel).as_string() == "test");
  CHECK(labels.at(kStepLabel).as_string() == "1");
}

TEST_CASE("hostile scripts are contained and reported", "[docker][sandbox][hostile]") {
  SECTION("opening a network connection") {
    const auto r =
        run("import socket\n"
            "socket.create_connection(('1.1.1.1', 53), timeout=3)\n");
    CHECK(r.error == ErrorCode::ScriptExecution);
    CHECK(err_of(r).find("Network is unreachable") != std::string::npos);
    CHECK(r.result.resource_usage.network_bytes == 0);
  }
  SECTION("writing to the input") {
    const auto r = run("open('/data/input/input.csv', 'a').write('x')\n");
    CHECK(r.error == ErrorCode::ScriptExecution);
    CHECK(err_of(r).find("Read-only file system") != std::string::npos);
  }
  SECTION("reading /etc/shadow and the host's files") {
    const auto r =
        run("import os\n"
            "assert not os.path.exists('/var/run/docker.sock'), 'docker socket visible'\n"
            "assert not os.path.exists('/root/.bash_history')\n"
            "open('/etc/shadow').read()\n");
    CHECK(r.error == ErrorCode::ScriptExecution);
    CHECK(err_of(r).find("PermissionError") != std::string::npos);
  }
  SECTION("writing outside the mounts") {
    const auto r = run("open('/usr/evil', 'w').write('x')\n");
    CHECK(r.error == ErrorCode::ScriptExecution);
    CHECK(err_of(r).find("Read-only file system") != std::string::npos);
  }
  SECTION("a fork bomb") {
    const auto r =
        run("import os\n"
            "while True:\n"
            "    os.fork()\n");
    CHECK(r.error == ErrorCode::ResourceExhaustion);
    CHECK(err_of(r).find("processes") != std::string::npos);
  }
  SECTION("allocating past the memory cap") {
    const auto r = run("x = bytearray(1024 * 1024 * 1024)\nprint(len(x))\n");
    CHECK(r.error == ErrorCode::ResourceExhaustion);
    CHECK(err_of(r).find("memory") != std::string::npos);
  }
  SECTION("writing past the disk cap, one big file") {
    const auto r =
        run("with open('/data/work/big', 'wb') as f:\n"
            "    for _ in range(200):\n"
            "        f.write(b'x' * (1 << 20))\n");
    CHECK(r.error == ErrorCode::ResourceExhaustion);
    CHECK(err_of(r).find("wrote more than") != std::string::npos);
  }
  SECTION("writing past the disk cap, many files") {
    const auto r =
        run("import time\n"
            "for i in range(200):\n"
            "    open('/data/work/f%d' % i, 'wb').write(b'x' * (1 << 20))\n"
            "    time.sleep(0.01)\n");
    CHECK(r.error == ErrorCode::ResourceExhaustion);
    CHECK(err_of(r).find("wrote more than") != std::string::npos);
  }
  SECTION("looping forever") {
    const auto r = run("while True:\n    pass\n");
    CHECK(r.error == ErrorCode::ContainerTimeout);
    CHECK_FALSE(r.result.exit_code.has_value());
    CHECK(r.result.execution_time >= 4.0);
  }
  SECTION("printing 1 GB to stdout") {
    const auto r =
        run("import sys\n"
            "chunk = 'x' * (1 << 20)\n"
            "for _ in range(1024):\n"
            "    sys.stdout.write(chunk)\n",
            [] {
              auto c = small_caps();
              c.timeout = std::chrono::seconds(120);
              return c;
            }());
    CHECK(r.result.success);
    CHECK(r.result.output_data->size() < (std::size_t{1} << 20));
    CHECK(r.result.output_data->find("the rest was dropped") != std::string::npos);
  }
  SECTION("a script that fails shows its traceback") {
    const auto r = run("def f():\n    raise ValueError('bad value in column x')\nf()\n");
    CHECK(r.error == ErrorCode::ScriptExecution);
    CHECK(r.result.exit_code == 1);
    CHECK(r.result.error_message->find("ValueError: bad value in column x") != std::string::npos);
    CHECK(r.result.error_message->find("line 2") != std::string::npos);
  }
}

TEST_CASE("cleanup removes every container labelled for this daemon and no other", "[docker][sandbox]") {
  Step step("print(1)\n");
  Runner runner(engine(), small_caps());
  auto spec = runner.container_spec(step.files, step.labels);
  const auto a = engine().create_container("gdp-cleanup-a-" + std::to_string(getpid()), spec);
  const auto b = engine().create_container("gdp-cleanup-b-" + std::to_string(getpid()), spec);
  auto other = spec;
  other.at("Labels").as_object()[kDaemonLabel] = "someone-else";
  const auto c = engine().create_container("gdp-cleanup-c-" + std::to_string(getpid()), other);
  CHECK(force_cleanup_all_containers(engine(), step.labels.daemon) == 2);
  CHECK(engine().list_containers({std::string(kDaemonLabel) + "=" + step.labels.daemon}).empty());
  CHECK(engine().list_containers({std::string(kDaemonLabel) + "=someone-else"}).size() >= 1);
  engine().remove(c.id, true);
  (void)a;
  (void)b;
}
