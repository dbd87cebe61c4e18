// The seed's Property 9: whatever gdp is asked to do, the process on the user's machine loads
// only what the thin client needs (the C and C++ runtimes, Boost.JSON and Program_options), never
// a data, ML, Docker, SQLite, TLS or LLM library, and the host's Python gains no module.
#include "tests/e2e/e2e.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

using namespace gdp::test;

namespace {

// The shared objects a run of gdp initialised, from the dynamic loader's own trace.
std::set<std::string> loaded_libraries(const std::string& trace) {
  std::set<std::string> libs;
  std::istringstream in(trace);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("calling init: ");
    if (at == std::string::npos) continue;
    auto path = line.substr(at + 14);
    libs.insert(path.substr(path.rfind('/') + 1));
  }
  return libs;
}

bool allowed(const std::string& lib) {
  // Boost.Container is Boost.JSON's own allocator library (loaded in some builds). The sanitizers'
  // runtimes appear in the ASan+UBSan build: instrumentation, not dependencies. libkeyutils is the
  // kernel keyring's thin wrapper (gdp key).
  for (const char* prefix : {"libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "ld-linux",
                             "libboost_json.so", "libboost_program_options.so", "libboost_container.so",
                             "libasan.so", "libubsan.so", "libkeyutils.so"}) {
    if (lib.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::string host_python_modules() {
  auto r = run_process({"/usr/bin/python3", "-c",
                        "import pkgutil; print('\\n'.join(sorted(m.name for m in pkgutil.iter_modules())))"});
  return r.out;
}

}  // namespace

TEST_CASE("Property 9: gdp loads only its minimal runtime, whatever it is asked",
          "[property][Property 9][e2e]") {
  TempDir dir;
  DaemonProcess daemon(GDPD_BIN, dir);
  const auto modules_before = host_python_modules();
  rc::prop("Minimal Local Dependencies", [&] {
    const auto rows = *rc::gen::inRange(1, 300);
    const auto csv = dir / "data.csv";
    {
      std::ofstream out(csv);
      out << "id,amount,email\n";
      for (int i = 0; i < rows; ++i) out << i << "," << i * 1.5 << ",user" << i << "@example.com\n";
    }
    const auto args =
        *rc::gen::element(std::vector<std::string>{"ping"}, std::vector<std::string>{"--json", "status"},
                          std::vector<std::string>{"version"}, std::vector<std::string>{"--help"},
                          std::vector<std::string>{"--json", "snapshot", csv},
                          std::vector<std::string>{"snapshot", csv, "--method", "first_n"},
                          std::vector<std::string>{"no-such-command"});
    std::vector<std::string> argv{"/usr/bin/env", "LD_DEBUG=libs", GDP_BIN, "--socket", daemon.socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_process(argv);
    const auto libs = loaded_libraries(r.err);
    RC_ASSERT(!libs.empty());  // the trace was read, so the check below means something
    for (const auto& lib : libs) {
      RC_LOG() << lib;
      RC_ASSERT(allowed(lib));
    }
  });
  CHECK(host_python_modules() == modules_before);
}
