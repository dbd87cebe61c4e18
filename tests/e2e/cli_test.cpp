// The real binaries: gdpd on a private socket in a temp dir, driven by the real gdp, as a user
// would run them. Output for people, --json for scripts, exit codes, and the daemon's refusals.
#include "tests/e2e/e2e.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <fstream>

using namespace gdp::test;
namespace json = boost::json;

TEST_CASE("gdp ping, version and status against the real gdpd", "[e2e]") {
  TempDir dir;
  DaemonProcess daemon(GDPD_BIN, dir);

  auto ping = run_gdp(daemon.socket(), {"ping"});
  CHECK(ping.exit_code == 0);
  CHECK(ping.out.find("pong from gdpd") != std::string::npos);

  auto version = run_gdp(daemon.socket(), {"--json", "version"});
  REQUIRE(version.exit_code == 0);
  auto doc = one_document(version.out);
  CHECK(doc.at("daemon").at("daemon_version") == doc.at("client").at("version"));
  CHECK(doc.at("daemon").at("protocol_version") == 1);

  auto human = run_gdp(daemon.socket(), {"version"});
  CHECK(human.out.find("gdpd ") != std::string::npos);
  CHECK(human.out.find("protocol 1") != std::string::npos);

  auto status = run_gdp(daemon.socket(), {"status"});
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("No sessions.") != std::string::npos);
  auto status_json = one_document(run_gdp(daemon.socket(), {"status", "--json"}).out);
  CHECK(status_json.at("sessions") == json::array{});
  CHECK(status_json.at("daemon").at("pid") == daemon.pid());

  CHECK(daemon.stop(SIGTERM) == 0);
  CHECK_FALSE(std::filesystem::exists(daemon.socket()));
}

TEST_CASE("no daemon: a clear message, how to start one, and exit code 3", "[e2e]") {
  TempDir dir;
  const auto missing = dir / "nothing.sock";
  auto r = run_gdp(missing, {"ping"});
  CHECK(r.exit_code == 3);
  CHECK(r.out.empty());
  CHECK(r.err.find("no daemon answers on " + missing) != std::string::npos);
  CHECK(r.err.find("systemctl --user start gdpd") != std::string::npos);
  CHECK(r.err.find("gdpd --foreground") != std::string::npos);

  auto j = run_gdp(missing, {"--json", "version"});
  CHECK(j.exit_code == 3);
  auto doc = one_document(j.out);
  CHECK(doc.at("error").at("exit_code") == 3);
  CHECK(doc.at("client").at("version").is_string());
  CHECK(doc.at("daemon").is_null());
}

TEST_CASE("usage errors and help", "[e2e]") {
  auto help = run_process({GDP_BIN, "--help"});
  CHECK(help.exit_code == 0);
  for (const char* word : {"ping", "version", "status", "Exit status:", "Example"}) {
    CHECK(help.out.find(word) != std::string::npos);
  }
  auto cmd_help = run_process({GDP_BIN, "status", "--help"});
  CHECK(cmd_help.exit_code == 0);
  CHECK(cmd_help.out.find("gdp status") != std::string::npos);
  CHECK(run_process({GDP_BIN, "frobnicate"}).exit_code == 2);
  CHECK(run_process({GDP_BIN, "--no-such-flag"}).exit_code == 2);
  auto json_usage = run_process({GDP_BIN, "--json", "--no-such-flag"});
  CHECK(json_usage.exit_code == 2);
  CHECK(one_document(json_usage.out).at("error").at("exit_code") == 2);
  CHECK(run_process({GDPD_BIN, "--no-such-flag"}).exit_code == 2);
  auto daemon_help = run_process({GDPD_BIN, "--help"});
  CHECK(daemon_help.exit_code == 0);
  CHECK(daemon_help.out.find("--foreground") != std::string::npos);
}

TEST_CASE("every bad input gets its error and the real daemon still answers ping", "[e2e][bad-input]") {
  TempDir dir;
  DaemonProcess daemon(GDPD_BIN, dir);
  {
    RawClient c(daemon.socket());
    REQUIRE(c.send("this is not json\n"));
    CHECK(error_code(*c.read()) == -32700);
    CHECK(error_code(c.call("ping")) == 1000);  // before hello
    c.hello();
    CHECK(error_code(c.call("no.such.method")) == -32601);
    CHECK(error_code(c.call("ping", "wrong")) == -32602);
  }
  {
    RawClient c(daemon.socket());  // the default 16 MiB cap, one byte over
    c.hello();
    c.send(std::string(16 * 1024 * 1024 + 1, 'x'));
    auto reply = c.read();
    REQUIRE(reply);
    CHECK(error_code(*reply) == 1002);
    CHECK(c.closed_within());
  }
  {
    RawClient c(daemon.socket());
    c.hello();
    c.send(std::string(65, '[') + std::string(65, ']') + "\n");
    CHECK(error_code(*c.read()) == 1003);
    CHECK(c.closed_within());
  }
  {
    RawClient c(daemon.socket());
    c.send(R"({"jsonrpc":"2.0","id":1,"meth)");  // and hang up mid-message
  }
  {
    std::vector<std::unique_ptr<RawClient>> crowd;
    for (int i = 0; i < 200; ++i) crowd.push_back(std::make_unique<RawClient>(daemon.socket()));
    int ok = 0;
    for (auto& c : crowd) ok += error_code(c->hello()) == 0 ? 1 : 0;
    CHECK(ok == 200);
  }
  auto ping = run_gdp(daemon.socket(), {"ping"});
  CHECK(ping.exit_code == 0);
  INFO(daemon.log());
  CHECK(daemon.stop() == 0);
}

TEST_CASE("a connection from another uid is refused even if the socket is reachable", "[e2e][security]") {
  if (geteuid() != 0) {
    WARN("not root: cannot run a client as nobody; skipped");
    return;
  }
  TempDir dir;
  DaemonProcess daemon(GDPD_BIN, dir);
  // Defence in depth: make the socket reachable by nobody (a world-enterable directory holding a
  // hard link to it, mode 0666), as a misconfiguration might. SO_PEERCRED must still refuse.
  const auto open_dir = dir / "open";
  std::filesystem::create_directory(open_dir);
  chmod(open_dir.c_str(), 0755);
  chmod(dir.path().c_str(), 0755);
  const auto exposed = open_dir + "/gdpd.sock";
  REQUIRE(link(daemon.socket().c_str(), exposed.c_str()) == 0);
  chmod(exposed.c_str(), 0666);

  // The child must not allocate much after fork; RawClient is small and the process is single-threaded.
  const int status = run_as_nobody([&] {
    RawClient c(exposed);
    auto reply = c.read();
    if (!reply) return 10;
    if (error_code(*reply) != 1004) return 11;
    if (!c.closed_within()) return 12;
    return 0;
  });
  CHECK(status == 0);
  CHECK(daemon.log().find("refused a connection from uid 65534") != std::string::npos);

  // The real gdp, run as nobody, reports the refusal with exit code 5.
  const int gdp_status = run_as_nobody([&] {
    execl(GDP_BIN, GDP_BIN, "--socket", exposed.c_str(), "ping", static_cast<char*>(nullptr));
    return 126;  // could not exec (e.g. the build tree is not readable by nobody)
  });
  if (gdp_status == 126) {
    WARN("the build tree is not executable by nobody; checked the raw refusal only");
  } else {
    CHECK(gdp_status == 5);
  }
  RawClient mine(daemon.socket());
  CHECK(error_code(mine.hello()) == 0);
}

TEST_CASE("a second gdpd exits at once with a clear message", "[e2e][lock]") {
  TempDir dir;
  DaemonProcess daemon(GDPD_BIN, dir);
  auto second =
      run_process({GDPD_BIN, "--foreground", "--socket", daemon.socket(), "--state-dir", dir / "s2"});
  CHECK(second.exit_code == 3);
  CHECK(second.err.find("already serving") != std::string::npos);
  CHECK(run_gdp(daemon.socket(), {"ping"}).exit_code == 0);
}

TEST_CASE("gdpd without --foreground returns once it is ready", "[e2e]") {
  TempDir dir;
  const auto socket = dir / "run/gdpd.sock";
  auto start = run_process({GDPD_BIN, "--socket", socket, "--state-dir", dir / "state"});
  REQUIRE(start.exit_code == 0);
  CHECK(run_gdp(socket, {"ping"}).exit_code == 0);  // no polling needed
  auto status = one_document(run_gdp(socket, {"--json", "status"}).out);
  const auto pid = static_cast<pid_t>(status.at("daemon").at("pid").as_int64());
  REQUIRE(kill(pid, SIGTERM) == 0);
  for (int i = 0; i < 500 && kill(pid, 0) == 0; ++i) usleep(10000);
  CHECK(kill(pid, 0) != 0);
  CHECK(std::filesystem::exists(dir / "state/gdpd.log"));

  // A refusal is reported by the starting command, not lost in the background.
  chmod((dir / "run").c_str(), 0755);
  auto refused = run_process({GDPD_BIN, "--socket", socket, "--state-dir", dir / "state"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("chmod 700") != std::string::npos);
}

TEST_CASE("gdp snapshot reads the bundled example and refuses what it cannot read", "[e2e][snapshot]") {
  TempDir dir;
  DaemonProcess daemon(GDPD_BIN, dir, {"--max-input-bytes", "2000"});
  const std::string example = GDP_SOURCE_DIR "/examples/sales.csv";

  // Over the (lowered) size limit: refused without a TTY to ask on, accepted with --yes-large.
  auto big = run_gdp(daemon.socket(), {"snapshot", example});
  CHECK(big.exit_code == 1);
  CHECK(big.err.find("--yes-large") != std::string::npos);

  auto j = run_gdp(daemon.socket(), {"--json", "snapshot", example, "--seed", "7", "--yes-large"});
  REQUIRE(j.exit_code == 0);
  auto snap = one_document(j.out);
  CHECK(snap.at("file_format") == "csv");
  CHECK(snap.at("total_rows") == 25);
  CHECK(snap.at("sample_size") == 25);
  CHECK(snap.at("rows").as_array().size() == 25);
  CHECK(snap.at("seed") == 7);
  CHECK(snap.at("extraction_method") == "random");
  CHECK(snap.at("schema").at("order_id") == "integer");
  CHECK(snap.at("schema").at("order_date") == "date");
  CHECK(snap.at("schema").at("unit_price") == "float");
  for (const char* field : {"rows", "schema", "file_format", "total_rows", "sample_size", "sanitized_fields",
                            "extraction_method"}) {
    CHECK(snap.as_object().contains(field));
  }

  auto human = run_gdp(daemon.socket(),
                       {"snapshot", example, "--method", "first_n", "--sample-size", "5", "--yes-large"});
  REQUIRE(human.exit_code == 0);
  CHECK(human.out.find("25 rows, 10 columns; sample of 5 (first_n") != std::string::npos);
  CHECK(human.out.find("customer_email") != std::string::npos);

  auto strat = one_document(run_gdp(daemon.socket(), {"--json", "snapshot", example, "--by", "region",
                                                      "--sample-size", "8", "--yes-large"})
                                .out);
  CHECK(strat.at("extraction_method") == "stratified");
  CHECK(strat.at("sample_size") == 8);

  const auto png = dir / "chart.csv";
  { std::ofstream(png, std::ios::binary) << std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16); }
  auto bad = run_gdp(daemon.socket(), {"snapshot", png});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("a PNG image") != std::string::npos);
  CHECK(bad.err.find("CSV, JSON, TXT") != std::string::npos);

  auto missing = run_gdp(daemon.socket(), {"--json", "snapshot", dir / "nope.csv"});
  CHECK(missing.exit_code == 1);
  CHECK(one_document(missing.out).at("error").at("kind") == "InputFileError");

  const auto empty = dir / "empty.csv";
  { std::ofstream(empty) << ""; }
  auto e = run_gdp(daemon.socket(), {"snapshot", empty});
  CHECK(e.exit_code == 1);
  CHECK(e.err.find("is empty") != std::string::npos);
  const auto header_only = dir / "header.csv";
  { std::ofstream(header_only) << "a,b,c\n"; }
  auto h = run_gdp(daemon.socket(), {"snapshot", header_only});
  CHECK(h.err.find("header row (a, b, c) but no data rows") != std::string::npos);
  CHECK(run_gdp(daemon.socket(), {"ping"}).exit_code == 0);
}
