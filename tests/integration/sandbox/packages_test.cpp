// A package step end to end against the real engine and Debian's mirror: install a small package,
// commit, run a script on the derived image with no network, and reuse it the second time.
#include "daemon/sandbox/packages.h"
#include "tests/integration/sandbox/sandbox_fixture.h"

#include <catch2/catch.hpp>

using namespace gdp;
using namespace gdp::sandbox;
using gdp::sandbox::test::engine;
using gdp::sandbox::test::Step;

TEST_CASE("a package step installs, commits, and is reused", "[docker][packages]") {
  Step step("import os\nprint(os.path.exists('/usr/bin/bc'))\n", "packages");
  ResourceConfig config;
  config.memory_bytes = std::int64_t{512} << 20;
  PackageInstaller installer(engine(), config);
  const auto image = installer.image_for({"bc"});
  CHECK(installer.image_for({"bc", "bc"}) == image);  // a set: order and repeats aside
  if (engine().inspect_image(image)) engine().remove_image(image, true);

  PackageStep first;
  try {
    first = installer.install({"bc"}, step.labels);
  } catch (const RpcError& e) {
    // Only a machine whose engine cannot reach Debian's mirror gets here, and it says so; any
    // other failure fails the test.
    if (e.code() != ErrorCode::Network) throw;
    WARN("no package step end to end: " << e.what());
    return;
  }
  CHECK_FALSE(first.reused);
  CHECK(first.image == image);
  CHECK(first.output.find("Setting up bc") != std::string::npos);
  REQUIRE(engine().inspect_image(image));

  // Later scripts run on it, with no network as always.
  ResourceConfig derived = config;
  derived.image = image;
  const auto run = Runner(engine(), derived).run(step.files, step.labels);
  CHECK(run.result.success);
  CHECK(run.result.output_data == std::optional<std::string>("True\n"));
  // The base image did not change.
  const auto base = Runner(engine(), config).run(step.files, step.labels);
  CHECK(base.result.output_data == std::optional<std::string>("False\n"));

  const auto second = installer.install({"bc"}, step.labels);
  CHECK(second.reused);
  CHECK(second.image == image);
  CHECK(engine().list_containers({std::string(kDaemonLabel) + "=" + step.labels.daemon}).empty());
  engine().remove_image(image, true);
}

TEST_CASE("package names are checked, and a missing package says what apt said", "[docker][packages]") {
  Step step("print(1)\n", "packages");
  PackageInstaller installer(engine(), ResourceConfig{});
  for (const std::string bad : {"bc; rm -rf /", "$(id)", "-o", "a", ""}) {
    INFO(bad);
    try {
      (void)installer.install({bad}, step.labels);
      FAIL("accepted");
    } catch (const RpcError& e) {
      CHECK(e.code() == ErrorCode::InvalidParams);
    }
  }
  try {
    (void)installer.install({"gdp-no-such-package-xyz"}, step.labels);
    FAIL("installed a package that does not exist");
  } catch (const RpcError& e) {
    if (e.code() == ErrorCode::Network) {
      WARN("Debian's mirror is out of reach: " << e.what());
      return;
    }
    CHECK(e.code() == ErrorCode::PackageInstallation);
    CHECK(std::string(e.what()).find("Unable to locate package gdp-no-such-package-xyz") !=
          std::string::npos);
  }
  CHECK(engine().list_containers({std::string(kDaemonLabel) + "=" + step.labels.daemon}).empty());
}

TEST_CASE("repositories out of reach end in NetworkError, not PackageInstallationError",
          "[docker][packages]") {
  Step step("print(1)\n", "packages");
  // The step's container gets no network at all: exactly what a machine cut off from its mirror
  // and proxy sees, on every machine.
  PackageInstaller installer(engine(), ResourceConfig{}, Installer::apt, std::chrono::minutes(5), "none");
  // An image left from an earlier run would be reused without reaching out: remove it first.
  if (const auto image = installer.image_for({"dc"}); engine().inspect_image(image))
    engine().remove_image(image, true);
  try {
    (void)installer.install({"dc"}, step.labels);
    FAIL("installed without a network");
  } catch (const RpcError& e) {
    CHECK(e.code() == ErrorCode::Network);
    CHECK_THAT(e.what(), Catch::Contains("could not be reached") && Catch::Contains("proxy"));
  }
  CHECK(engine().list_containers({std::string(kDaemonLabel) + "=" + step.labels.daemon}).empty());
}

TEST_CASE("what a script names in required_packages maps to the Debian package that provides it",
          "[packages]") {
  CHECK(debian_package_for("tabulate") == "python3-tabulate");
  CHECK(debian_package_for("PyYAML") == "python3-yaml");
  CHECK(debian_package_for("scikit-learn==1.2.0") == "python3-sklearn");
  CHECK(debian_package_for("typing_extensions>=4") == "python3-typing-extensions");
  CHECK(debian_package_for("python-dateutil") == "python3-dateutil");
  CHECK(debian_package_for("python-slugify") == "python3-slugify");
  CHECK(debian_package_for("python3-tabulate") == "python3-tabulate");
  CHECK(debian_package_for("bs4") == "python3-bs4");
}
