// Property 21's last clause: when gdpd stops, SIGTERM included, every API key still in its memory
// is wiped. The real Daemon with its own signal handling, stopped by a real SIGTERM to this
// process, exactly as gdpd's main() runs it.
#include "common/secret.h"
#include "daemon/daemon.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>

using namespace gdp;

TEST_CASE("stopping gdpd with SIGTERM wipes every API key in its memory",
          "[integration][keys][Property 21]") {
  test::TempDir dir;
  DaemonConfig config;
  config.socket_path = dir / "run/gdpd.sock";
  config.state_dir = dir / "state";
  // Held outside any session, as a leaked or still-referenced key would be.
  auto key = SecretKey::from("AIzaSyWIPEfakeWIPEfake0123456789_-wipes");
  const char* bytes = key.view().data();
  {
    Daemon daemon(config, /*handle_signals=*/true);
    // Asio's handler only notes the signal; the daemon acts on it inside run(), on this thread.
    REQUIRE(kill(getpid(), SIGTERM) == 0);
    daemon.run();
    CHECK_FALSE(key.empty());  // run() returning is not yet the wipe: the workers may still read
  }
  CHECK(key.empty());
  CHECK(std::all_of(bytes, bytes + key.capacity(), [](char c) { return c == 0; }));
}
