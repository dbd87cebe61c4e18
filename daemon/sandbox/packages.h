// The seed's PackageInstaller: a script's required_packages are installed in a step of their own
// (which the user approves separately), in a container that has the network, and committed to a
// derived image named by a hash of the base image and the package set. Later scripts run on that
// image with no network, and the same set is never installed twice.
#pragma once

#include "daemon/sandbox/runner.h"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::sandbox {

enum class Installer { apt, pip };

// The Debian package that provides what a script names in required_packages. Scripts name Python
// distributions or modules ("pandas", "PyYAML", "scikit-learn==1.2"); the runtime image installs
// from Debian, whose Python 3 packages are "python3-" and the lower-cased name, with a few known
// exceptions. A version pin is dropped: Debian's version is what there is. A name that is a Debian
// Python package already ("python3-tabulate") is kept.
std::string debian_package_for(std::string_view name);

struct PackageStep {
  std::string image;    // the derived image to run later scripts on
  bool reused = false;  // it existed already; nothing was installed
  std::string output;   // the installer's output (bounded), for the user to read
  double seconds = 0;
};

class PackageInstaller {
 public:
  // `network` is the engine network the install step uses: the default bridge reaches the
  // repositories (or a proxy); a site may name its own egress network.
  PackageInstaller(Engine& engine, ResourceConfig config, Installer installer = Installer::apt,
                   std::chrono::seconds timeout = std::chrono::minutes(15), std::string network = "bridge");

  // The image name for this base image and package set, order and duplicates aside.
  std::string image_for(const std::vector<std::string>& packages) const;

  // Throws RpcError: InvalidParams for a name that is not a package name (nothing reaches a
  // shell but checked names), Network when the repositories cannot be reached,
  // PackageInstallation with the installer's output otherwise.
  PackageStep install(const std::vector<std::string>& packages, const StepLabels& labels);

 private:
  Engine& engine_;
  ResourceConfig config_;
  Installer installer_;
  std::chrono::seconds timeout_;
  std::string network_;
};

}  // namespace gdp::sandbox
