// gdp key with the real binary: set from a file, status, clear; a key on the command line is
// refused; and afterwards the key is in no file of the user's home, XDG or state directories
// (Property 13). gdp runs with GDP_KEYRING=session inside a session keyring this test process
// joined, so the real user's key is never touched.
#include "common/keyring.h"
#include "tests/e2e/e2e.h"

#include <keyutils.h>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace gdp::test;

namespace {

const std::string kKey = "AIzaSyE2Efakee2eFAKE0123456789_-zyxwvut";  // recognisable, never real
const std::string kKeyTail = kKey.substr(kKey.size() - 12);

class KeyEnv {
 public:
  KeyEnv() {
    static const key_serial_t joined = keyctl_join_session_keyring(nullptr);
    REQUIRE(joined > 0);
    // Under xdg/: DaemonProcess uses run/ and state/ of the same directory.
    for (const char* d : {"home", "config", "data", "state", "cache", "runtime"}) {
      std::filesystem::create_directories(dir.path() / "xdg" / d);
    }
  }

  // gdp with a private HOME and XDG dirs, the session keyring, and stdin from `input` (or none).
  ProcessResult gdp(const std::vector<std::string>& args, const std::string& input = "/dev/null") const {
    std::vector<std::string> argv{"/bin/sh",
                                  "-c",
                                  "exec \"$@\" < \"$0\"",
                                  input,
                                  "/usr/bin/env",
                                  "GDP_KEYRING=session",
                                  "GEMINI_API_KEY=",
                                  "HOME=" + dir / "xdg/home",
                                  "XDG_CONFIG_HOME=" + dir / "xdg/config",
                                  "XDG_DATA_HOME=" + dir / "xdg/data",
                                  "XDG_STATE_HOME=" + dir / "xdg/state",
                                  "XDG_CACHE_HOME=" + dir / "xdg/cache",
                                  "XDG_RUNTIME_DIR=" + dir / "xdg/runtime",
                                  GDP_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }

  TempDir dir;
};

// Every regular file under `root` whose bytes contain `needle`.
std::vector<std::string> files_containing(const std::filesystem::path& root, const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (bytes.find(needle) != std::string::npos) hits.push_back(entry.path().string());
  }
  return hits;
}

}  // namespace

TEST_CASE("gdp key: set from a file, status, clear, and the key is written nowhere",
          "[e2e][keys][Property 13]") {
  KeyEnv env;
  DaemonProcess daemon(GDPD_BIN, env.dir);
  TempDir outside;  // the key file lives outside the directories searched afterwards
  const auto key_file = outside / "key.txt";
  std::ofstream(key_file) << kKey << "\n";
  // The search below means something: it finds the key where it is.
  REQUIRE(files_containing(outside.path(), kKey).size() == 1);

  const auto before = env.gdp({"--json", "key", "status"});
  REQUIRE(before.exit_code == 0);
  CHECK(one_document(before.out).at("present") == false);

  const auto set = env.gdp({"key", "set"}, key_file);
  INFO(set.out << set.err);
  REQUIRE(set.exit_code == 0);
  CHECK_THAT(set.out, Catch::Contains("session keyring"));

  // The exact key (without the file's newline) is in the kernel's keyring.
  const auto stored = gdp::keyring::Keyring::open(gdp::keyring::Place::session).get();
  REQUIRE(stored);
  CHECK(stored->key.view() == kKey);

  const auto status = env.gdp({"--json", "key", "status"});
  REQUIRE(status.exit_code == 0);
  const auto doc = one_document(status.out).as_object();
  CHECK(doc.at("present") == true);
  CHECK(doc.at("keyring") == "session");
  CHECK(doc.at("age_days") == 0);
  CHECK(doc.at("rotation_warning").is_null());
  const auto human = env.gdp({"key", "status"});
  CHECK_THAT(human.out, Catch::Contains("set 0 days ago"));
  for (const auto* r : {&set, &status, &human}) {
    CHECK(r->out.find(kKeyTail) == std::string::npos);
    CHECK(r->err.find(kKeyTail) == std::string::npos);
  }
  CHECK(gdp::test::run_gdp(daemon.socket(), {"ping"}).exit_code == 0);

  const auto clear = env.gdp({"key", "clear"});
  CHECK(clear.exit_code == 0);
  CHECK_FALSE(gdp::keyring::Keyring::open(gdp::keyring::Place::session).get());
  CHECK(one_document(env.gdp({"--json", "key", "status"}).out).at("present") == false);

  CHECK(daemon.stop() == 0);
  std::filesystem::remove(key_file);
  // HOME, the XDG dirs, gdpd's state dir and log: the key is in none of them.
  CHECK(files_containing(env.dir.path(), kKeyTail).empty());
}

TEST_CASE("gdp key set refuses a key on the command line without echoing it", "[e2e][keys][Property 13]") {
  KeyEnv env;
  const auto r = env.gdp({"key", "set", kKey});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("takes no key on the command line") && Catch::Contains("shell history"));
  CHECK(r.err.find(kKeyTail) == std::string::npos);
  CHECK(one_document(env.gdp({"--json", "key", "status"}).out).at("present") == false);
}

TEST_CASE("gdp key set refuses what is not an API key, saying how to get one", "[e2e][keys][Property 11]") {
  KeyEnv env;
  TempDir outside;
  const auto file = outside / "not-a-key.txt";
  std::ofstream(file) << "sk-proj-this-is-not-a-google-key\n";
  const auto r = env.gdp({"--json", "key", "set"}, file);
  CHECK(r.exit_code == 1);
  const auto error = one_document(r.out).at("error").as_object();
  CHECK(error.at("kind") == "InvalidAPIKeyError");
  CHECK_THAT(std::string(error.at("message").as_string()), Catch::Contains("aistudio.google.com/app/apikey"));
  CHECK(r.out.find("this-is-not") == std::string::npos);
  CHECK(one_document(env.gdp({"--json", "key", "status"}).out).at("present") == false);
}

TEST_CASE("gdp key status asks to rotate a key older than the maximum age", "[e2e][keys]") {
  KeyEnv env;
  using namespace std::chrono_literals;
  const auto ring = gdp::keyring::Keyring::open(gdp::keyring::Place::session);
  ring.set(kKey, std::chrono::system_clock::now() - 24h * 100);
  const auto json = env.gdp({"--json", "key", "status"});
  REQUIRE(json.exit_code == 0);
  const auto doc = one_document(json.out).as_object();
  CHECK(doc.at("age_days").as_int64() >= 100);
  CHECK(doc.at("max_age_days") == 90);
  REQUIRE(doc.at("rotation_warning").is_string());
  const auto human = env.gdp({"key", "status"});
  CHECK(human.exit_code == 0);
  CHECK_THAT(human.err,
             Catch::Contains("WARNING") && Catch::Contains("rotate") && Catch::Contains("gdp key set"));
  CHECK(human.err.find(kKeyTail) == std::string::npos);
  ring.clear();
}

TEST_CASE("Property 13: any key gdp key set stores is in the keyring only, exactly, and never printed",
          "[property][Property 13][e2e]") {
  KeyEnv env;
  TempDir outside;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  rc::prop("Secure API Key Storage (gdp key)", [&] {
    const auto key = "AIza" + *rc::gen::container<std::string>(35, rc::gen::elementOf(alphabet));
    const auto ending = *rc::gen::element<std::string>("", "\n", "\r\n", " \n", "\n\n");
    const auto file = outside / "key.txt";
    std::ofstream(file, std::ios::trunc) << key << ending;
    const auto set = env.gdp({"--json", "key", "set"}, file);
    std::filesystem::remove(file);
    RC_ASSERT(set.exit_code == 0);
    const auto stored = gdp::keyring::Keyring::open(gdp::keyring::Place::session).get();
    RC_ASSERT(stored.has_value());
    RC_ASSERT(stored->key.view() == key);
    const auto status = env.gdp({"key", "status"});
    RC_ASSERT(status.exit_code == 0);
    const auto tail = key.substr(key.size() - 12);
    for (const auto* out : {&set.out, &set.err, &status.out, &status.err}) {
      RC_ASSERT(out->find(tail) == std::string::npos);
    }
    RC_ASSERT(files_containing(env.dir.path(), tail).empty());
  });
  CHECK(env.gdp({"key", "clear"}).exit_code == 0);
}
