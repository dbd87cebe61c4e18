// The seed's Properties 8 and 20 against the real Docker Engine, 100 generated cases each.
#include "tests/integration/sandbox/sandbox_fixture.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <fstream>

using namespace gdp;
using namespace gdp::sandbox;
using gdp::sandbox::test::engine;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::int64_t number(const json::value& v) {
  return v.to_number<std::int64_t>();
}

}  // namespace

TEST_CASE("Property 20: every container enforces its limits and sees only its mounts",
          "[property][Property 20][docker]") {
  gdp::sandbox::test::Step f("print(1)\n", "prop");
  int probes = 0;
  rc::prop(
      "Container Resource Isolation", [&] {
        ResourceConfig c;
        c.memory_bytes = *rc::gen::inRange<std::int64_t>(64, 2048) << 20;
        c.cpus = *rc::gen::element(0.5, 1.0, 1.5, 2.0);
        c.pids = *rc::gen::inRange<std::int64_t>(16, 1024);
        c.disk_bytes = *rc::gen::inRange<std::int64_t>(16, 4096) << 20;
        c.tmp_bytes = *rc::gen::inRange<std::int64_t>(8, 256) << 20;
        c.nofile = *rc::gen::inRange<std::int64_t>(64, 8192);
        Runner runner(engine(), c);
        const auto created = engine().create_container("", runner.container_spec(f.files, f.labels));
        const auto inspect = engine().inspect(created.id);
        engine().remove(created.id, true);
        RC_ASSERT(created.warnings.empty());
        const auto& host = inspect.at("HostConfig").as_object();
        RC_ASSERT(number(host.at("Memory")) == c.memory_bytes);
        RC_ASSERT(number(host.at("MemorySwap")) == c.memory_bytes);
        RC_ASSERT(number(host.at("NanoCpus")) == static_cast<std::int64_t>(c.cpus * 1e9));
        RC_ASSERT(number(host.at("PidsLimit")) == c.pids);
        RC_ASSERT(host.at("NetworkMode").as_string() == "none");
        RC_ASSERT(host.at("ReadonlyRootfs").as_bool());
        const auto tmpfs = std::string(host.at("Tmpfs").at("/tmp").as_string());
        RC_ASSERT(tmpfs.find("size=" + std::to_string(c.tmp_bytes)) != std::string::npos);
        bool fsize = false;
        for (const auto& u : host.at("Ulimits").as_array()) {
          if (u.at("Name").as_string() == "fsize") fsize = number(u.at("Hard")) == c.disk_bytes;
        }
        RC_ASSERT(fsize);
        // Exactly the four mounts, nothing of the host beyond them.
        RC_ASSERT(host.at("Binds").as_array().size() == 4u);
        // Every tenth case also runs a probe: the limits hold from inside, and the host is not there.
        if (*rc::gen::inRange(0, 10) == 0) {
          ++probes;
          std::ofstream(f.files.script)
              << "import os, resource\n"
                 "assert not os.path.exists('/var/run/docker.sock')\n"
                 "assert sorted(os.listdir('/data')) == ['input', 'output', 'script', 'work']\n"
                 "mem = int(open('/sys/fs/cgroup/memory/memory.limit_in_bytes').read()) "
                 "if os.path.exists('/sys/fs/cgroup/memory/memory.limit_in_bytes') "
                 "else int(open('/sys/fs/cgroup/memory.max').read())\n"
                 "print(mem, resource.getrlimit(resource.RLIMIT_FSIZE)[0], os.getuid())\n";
          Runner probe(engine(), c);
          const auto r = probe.run(f.files, f.labels);
          RC_ASSERT(r.result.success);
          const auto expected = std::to_string(c.memory_bytes) + " " + std::to_string(c.disk_bytes) + " ";
          RC_ASSERT(r.result.output_data->rfind(expected, 0) == 0u);
          RC_ASSERT(r.result.output_data->find(" 0\n") == std::string::npos);  // not root
          std::ofstream(f.files.script) << "print(1)\n";
        }
      });
  INFO("probes run: " << probes);
  CHECK(engine().list_containers({std::string(kDaemonLabel) + "=" + f.labels.daemon}).empty());
}

TEST_CASE("Property 8: scripts run only inside a container, never on the host",
          "[property][Property 8][docker]") {
  gdp::sandbox::test::Step f("", "prop");
  ResourceConfig c;
  c.memory_bytes = std::int64_t{256} << 20;
  c.timeout = std::chrono::seconds(30);
  const auto host_name = [] {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    return std::string(buf);
  }();
  rc::prop("Docker Isolation Enforcement", [&] {
    // A unique marker, written wherever a script could think of writing it.
    const auto marker =
        "gdp-prop8-" + std::to_string(getpid()) + "-" + std::to_string(*rc::gen::inRange(0, 1 << 30));
    const auto where = *rc::gen::element(std::string("/tmp"), std::string("/data/work"),
                                         std::string("/data/output"), std::string("/root"), std::string("/"));
    std::ofstream(f.files.script) << "import os, socket\n"
                                     "path = os.path.join('"
                                  << where << "', '" << marker
                                  << "')\n"
                                     "try:\n"
                                     "    open(path, 'w').write('x')\n"
                                     "    wrote = True\n"
                                     "except OSError:\n"
                                     "    wrote = False\n"
                                     "print(socket.gethostname(), os.path.exists('/.dockerenv'), wrote)\n";
    Runner runner(engine(), c);
    const auto r = runner.run(f.files, f.labels);
    RC_ASSERT(r.result.success);
    const auto out = r.result.output_data.value_or("");
    // It ran in the container: its host name is the container's, and Docker's marker file is there.
    RC_ASSERT(out.rfind(r.result.container_id.substr(0, 12) + " True ", 0) == 0u);
    RC_ASSERT(out.rfind(host_name + " ", 0) != 0u);
    // Nothing reached the host except through the two writable mounts.
    RC_ASSERT(!fs::exists(fs::path("/tmp") / marker));
    RC_ASSERT(!fs::exists(fs::path("/") / marker));
    const bool in_mounts = where == "/data/work" || where == "/data/output";
    const auto on_host = (where == "/data/work" ? f.files.work : f.files.output) / marker;
    RC_ASSERT(out.find(in_mounts ? "True\n" : "\n") != std::string::npos);
    if (in_mounts) {
      RC_ASSERT(fs::exists(on_host));
      fs::remove(on_host);
    }
  });
  CHECK(engine().list_containers({std::string(kDaemonLabel) + "=" + f.labels.daemon}).empty());
}
