// gdp config show and gdp doctor with the real binaries: the config method through a real gdpd,
// what gdp prints without one, that no API key is ever printed, and the doctor's verdicts against
// the real Docker Engine ([docker]), a gdpd pointed at a socket that is not there, and no gdpd.
// gdp runs under /usr/bin/env with a private HOME and XDG folders, so the user's own config file,
// key and state are never read; keys go into a session keyring this process joined.
#include "common/doctor_checks.h"
#include "common/keyring.h"
#include "tests/e2e/e2e.h"

#include <keyutils.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace gdp::test;

namespace {

const std::string kKey = "AIzaSyDoctorFAKEdoctor0123456789_-abcde";  // recognisable, never real
const std::string kKeyTail = kKey.substr(kKey.size() - 14);

// A private world for gdp: HOME, XDG folders and the session keyring.
struct World {
  TempDir dir;
  World() {
    static const key_serial_t joined = keyctl_join_session_keyring(nullptr);
    REQUIRE(joined > 0);
    for (const char* d : {"home", "config/gdp", "state"}) std::filesystem::create_directories(dir.path() / d);
  }
  std::string config_file() const { return dir / "config/gdp/config"; }

  // gdp --socket SOCKET ARGS with `env` ("NAME=value") on top of the private folders.
  ProcessResult gdp(const std::string& socket, const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) const {
    std::vector<std::string> argv{"/usr/bin/env",
                                  "GDP_KEYRING=session",
                                  "GEMINI_API_KEY=",
                                  "HOME=" + dir / "home",
                                  "XDG_CONFIG_HOME=" + dir / "config",
                                  "XDG_STATE_HOME=" + dir / "state"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {GDP_BIN, "--socket", socket});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }
};

// An environment variable set for gdpd, which DaemonProcess starts with this process's environment.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

const boost::json::object& setting(const boost::json::value& settings, std::string_view key) {
  for (const auto& s : settings.as_array()) {
    if (s.at("key").as_string() == key) return s.as_object();
  }
  FAIL("no setting " << key);
  throw std::logic_error("unreachable");
}

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("config: gdpd answers every setting with its value and where it came from", "[e2e][config]") {
  World world;
  std::ofstream(world.dir / "gdpd.ini") << "# test\n[gemini]\nmodel = gemini-3.7-flash\n";
  const ScopedEnv connections("GDP_MAX_CONNECTIONS", "77");
  DaemonProcess daemon(GDPD_BIN, world.dir, {"--config", world.dir / "gdpd.ini", "--log-level", "debug"});

  RawClient client(daemon.socket());
  client.hello();
  const auto reply = client.call("config");
  REQUIRE(error_code(reply) == 0);
  const auto& result = reply.at("result");
  CHECK(result.at("config_file").as_string() == world.dir / "gdpd.ini");
  CHECK(result.at("config_file_found") == true);
  const auto& model = setting(result.at("settings"), "gemini.model");
  CHECK(model.at("value") == "gemini-3.7-flash");
  CHECK(model.at("source") == "file");
  CHECK(model.at("line") == 3);
  CHECK(model.at("origin").as_string() == world.dir / "gdpd.ini" + ":3");
  const auto& max = setting(result.at("settings"), "max-connections");
  CHECK(max.at("value") == "77");
  CHECK(max.at("source") == "env");
  CHECK(max.at("variable") == "GDP_MAX_CONNECTIONS");
  CHECK(setting(result.at("settings"), "log-level").at("source") == "command_line");
  CHECK(setting(result.at("settings"), "max-json-depth").at("source") == "builtin");
  CHECK(setting(result.at("settings"), "sandbox.image").at("env_var") == "GDP_SANDBOX_IMAGE");

  // gdp config show prints the same, one line per key.
  const auto shown = world.gdp(daemon.socket(), {"config", "show"});
  INFO(shown.out << shown.err);
  REQUIRE(shown.exit_code == 0);
  CHECK_THAT(shown.out, Catch::Contains("gemini.model") && Catch::Contains("gemini-3.7-flash") &&
                            Catch::Contains("env GDP_MAX_CONNECTIONS") && Catch::Contains("command line"));
  const auto doc = one_document(world.gdp(daemon.socket(), {"--json", "config", "show"}).out);
  CHECK(doc.at("effective") == true);
  CHECK(setting(doc.at("settings"), "gemini.model").at("line") == 3);
}

TEST_CASE("gdp config show says where the key is, never the key", "[e2e][config][keys]") {
  World world;
  DaemonProcess daemon(GDPD_BIN, world.dir);
  const auto ring = gdp::keyring::Keyring::open(gdp::keyring::Place::session);
  ring.clear();
  const auto missing_socket = world.dir / "none.sock";
  const auto show = [&](const std::string& socket, const std::vector<std::string>& env) {
    std::vector<ProcessResult> runs{world.gdp(socket, {"config", "show"}, env),
                                    world.gdp(socket, {"--json", "config", "show"}, env)};
    for (const auto& r : runs) {
      INFO(r.out << r.err);
      CHECK(r.out.find(kKeyTail) == std::string::npos);
      CHECK(r.err.find(kKeyTail) == std::string::npos);
    }
    return runs;
  };
  for (const auto& socket : {daemon.socket(), missing_socket}) {
    CHECK_THAT(show(socket, {}).front().out, Catch::Contains("Gemini API key: not set"));
    const auto env = show(socket, {"GEMINI_API_KEY=" + kKey});
    CHECK_THAT(env.front().out, Catch::Contains("Gemini API key: set (GEMINI_API_KEY)"));
    const auto doc = boost::json::parse(env.back().out);
    CHECK(doc.at("gemini_api_key") == "set (GEMINI_API_KEY)");
  }
  ring.set(kKey);
  for (const auto& socket : {daemon.socket(), missing_socket}) {
    CHECK_THAT(show(socket, {}).front().out, Catch::Contains("Gemini API key: set (keyring)"));
  }
  ring.clear();
  // The search above means something: the key's tail is what a printed key would show.
  CHECK(kKey.find(kKeyTail) != std::string::npos);
}

TEST_CASE("gdp config show without gdpd: what a gdpd started now would read, not yet in effect",
          "[e2e][config]") {
  World world;
  std::ofstream(world.config_file()) << "max-connections = 9\n[sandbox]\nimage = my-python\n";
  const auto socket = world.dir / "none.sock";
  const auto r = world.gdp(socket, {"config", "show"}, {"GDP_LOG_LEVEL=warn"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.out, Catch::Contains("gdpd does not answer") && Catch::Contains("nothing below is in effect"));
  CHECK_THAT(r.out, Catch::Contains("my-python") && Catch::Contains(world.config_file() + ":3") &&
                        Catch::Contains("env GDP_LOG_LEVEL") && Catch::Contains("gemini.model"));
  CHECK_THAT(r.out, Catch::Contains("systemctl --user enable --now gdpd.socket"));

  const auto json = world.gdp(socket, {"--json", "config", "show"});
  CHECK(json.exit_code == 3);
  const auto doc = one_document(json.out);
  CHECK(doc.at("effective") == false);
  CHECK(doc.at("error").at("exit_code") == 3);
  CHECK(setting(doc.at("settings"), "sandbox.image").at("value") == "my-python");
  CHECK(setting(doc.at("settings"), "max-connections").at("line") == 1);

  // A file gdpd would refuse: the key, the file and the line.
  std::ofstream(world.config_file()) << "\n[gemini]\nmodle = x\n";
  const auto bad = world.gdp(socket, {"config", "show"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains(world.config_file() + ", line 3") && Catch::Contains("gemini.model"));
}

TEST_CASE("gdp doctor: every check ok against a real gdpd and the real Docker Engine",
          "[e2e][doctor][docker]") {
  World world;
  DaemonProcess daemon(GDPD_BIN, world.dir);
  const auto r =
      world.gdp(daemon.socket(), {"doctor", "--project", world.dir / "home"}, {"GEMINI_API_KEY=" + kKey});
  INFO(r.out << r.err << daemon.log());
  CHECK(r.exit_code == 0);
  CHECK(lines_starting(r.out, "warn").empty());
  CHECK(lines_starting(r.out, "FAIL").empty());
  for (const char* name :
       {"daemon", "docker.socket", "docker.engine", "sandbox.image", "sandbox.network", "sandbox.disk-cap",
        "state.writable", "state.free", "gemini.key", "project.writable", "project.free"}) {
    CHECK(lines_starting(r.out, "ok    " + std::string(name) + " ").size() == 1);
  }
  CHECK_THAT(r.out, Catch::Contains("no network") && Catch::Contains("current (recipe"));
  CHECK(r.out.find(kKeyTail) == std::string::npos);

  const auto json = world.gdp(daemon.socket(), {"--json", "doctor", "--quick"}, {"GEMINI_API_KEY=" + kKey});
  CHECK(json.exit_code == 0);
  const auto doc = one_document(json.out);
  CHECK(doc.at("exit_code") == 0);
  for (const auto& c : doc.at("checks").as_array()) {
    INFO(boost::json::serialize(c));
    CHECK(c.at("status") == "ok");
    CHECK(c.at("fix").is_null());
  }
}

TEST_CASE("gdp doctor: a gdpd pointed at a Docker socket that is not there FAILs with the fix",
          "[e2e][doctor]") {
  World world;
  DaemonProcess daemon(GDPD_BIN, world.dir, {"--docker-socket", "/nonexistent"});
  const auto r =
      world.gdp(daemon.socket(), {"doctor", "--project", world.dir / "home"}, {"GEMINI_API_KEY=" + kKey});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 7);
  CHECK_THAT(r.out, Catch::Contains("FAIL  docker.socket") && Catch::Contains("/nonexistent"));
  CHECK_THAT(r.out, Catch::Contains("fix: start the engine") && Catch::Contains("docker-socket"));
  CHECK_THAT(r.out, Catch::Contains("FAIL  docker.engine"));
  CHECK_THAT(r.out, Catch::Contains("sandbox.network") && Catch::Contains("not checked"));
  CHECK(lines_starting(r.out, "ok    daemon ").size() == 1);

  const auto doc = one_document(world.gdp(daemon.socket(), {"--json", "doctor"}).out);
  CHECK(doc.at("exit_code") == 7);
  bool socket_failed = false;
  for (const auto& c : doc.at("checks").as_array()) {
    if (c.at("name") == "docker.socket") {
      socket_failed = c.at("status") == "fail" && c.at("fix").is_string();
    }
  }
  CHECK(socket_failed);
}

TEST_CASE("gdp doctor without gdpd: says how to start it and runs the local checks", "[e2e][doctor]") {
  World world;
  const auto r = world.gdp(world.dir / "none.sock", {"doctor", "--project", world.dir / "home"},
                           {"GEMINI_API_KEY=" + kKey, "GDP_DOCKER_SOCKET=" + world.dir / "no-docker.sock"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 7);
  CHECK_THAT(r.out,
             Catch::Contains("FAIL  daemon") && Catch::Contains("systemctl --user enable --now gdpd.socket"));
  // The local checks use what a gdpd started now would: here GDP_DOCKER_SOCKET.
  CHECK_THAT(r.out, Catch::Contains("FAIL  docker.socket") && Catch::Contains("no-docker.sock"));
  CHECK(lines_starting(r.out, "ok    state.writable ").size() == 1);
  CHECK(lines_starting(r.out, "ok    project.writable ").size() == 1);
  CHECK(lines_starting(r.out, "ok    gemini.key ").size() == 1);
  // Without a key: a warning with its fix, and exit 7 still (the daemon failed).
  const auto no_key = world.gdp(world.dir / "none.sock", {"doctor"});
  CHECK_THAT(no_key.out, Catch::Contains("warn  gemini.key") && Catch::Contains("fix: gdp key set"));
}

TEST_CASE("the Docker socket check: permission denied says to join the group or use DOCKER_HOST",
          "[e2e][doctor]") {
  // As root the engine's socket is always accessible; as nobody it must not be (root:docker 0660).
  const auto ok = gdp::doctor::docker_socket("/var/run/docker.sock");
  REQUIRE(ok.status == gdp::proto::CheckStatus::ok);
  const int status = run_as_nobody([] {
    const auto c = gdp::doctor::docker_socket("/var/run/docker.sock");
    const bool right = c.status == gdp::proto::CheckStatus::fail &&
                       c.detail.find("permission denied") != std::string::npos && c.fix &&
                       c.fix->find("usermod -aG docker") != std::string::npos &&
                       c.fix->find("DOCKER_HOST") != std::string::npos;
    return right ? 0 : 1;
  });
  if (status == -1) {
    WARN("not root: cannot test a user outside the docker group");
  } else {
    CHECK(status == 0);
  }
  const auto missing = gdp::doctor::docker_socket("/nonexistent");
  CHECK(missing.status == gdp::proto::CheckStatus::fail);
  CHECK_THAT(*missing.fix, Catch::Contains("systemctl start docker") && Catch::Contains("docker-socket"));
}
