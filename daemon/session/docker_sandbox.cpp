// The real StepSandbox: one warm container per session for its scripts, the validator's own
// one-shot containers for checks, and the package installer for package steps. After a package
// step the warm container is replaced by one on the derived image, so later scripts see the
// packages and still have no network.
#include "daemon/sandbox/packages.h"
#include "daemon/sandbox/validator.h"
#include "daemon/sandbox/warm.h"
#include "daemon/session/step_sandbox.h"
#include "gdp/runtime_packages.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <sstream>

namespace gdp::session {
namespace {

// The Debian packages the runtime image was built with (packaging/runtime-image/packages.txt).
const std::set<std::string>& image_packages() {
  static const std::set<std::string> packages = [] {
    std::set<std::string> out;
    std::istringstream lines{std::string(kRuntimePackages)};
    for (std::string line; std::getline(lines, line);) {
      line.erase(std::min(line.size(), line.find('#')));
      line.erase(line.find_last_not_of(" \t\r") + 1);
      line.erase(0, line.find_first_not_of(" \t"));
      if (!line.empty()) out.insert(line);
    }
    return out;
  }();
  return packages;
}

// Python's own modules in the runtime image: never a package to install.
const std::set<std::string, std::less<>>& python_stdlib() {
  static const std::set<std::string, std::less<>> modules = [] {
    std::set<std::string, std::less<>> out;
    std::istringstream words{std::string(kPythonStdlib)};
    for (std::string w; words >> w;) out.insert(w);
    return out;
  }();
  return modules;
}

class DockerStepSandbox final : public StepSandbox {
 public:
  DockerStepSandbox(std::shared_ptr<sandbox::Engine> engine, sandbox::ResourceConfig config,
                    SandboxPlace place)
      : engine_(std::move(engine)), config_(std::move(config)), place_(std::move(place)) {
    make_warm();
  }

  void warm_up() override {
    try {
      warm()->start();
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): run() reports it to the user
    }
  }

  proto::ValidationResult validate(const std::string& content, std::int64_t step) override {
    return sandbox::Validator(*engine_, config_, place_.scratch).validate(content, labels(step));
  }

  sandbox::StepRun run(const std::string& content, std::int64_t step) override {
    return warm()->run(content, step);
  }

  std::vector<std::string> missing_packages(const std::vector<std::string>& wanted) override {
    std::vector<std::string> missing;
    for (const auto& p : wanted) {
      if (python_stdlib().contains(p.substr(0, p.find('.')))) continue;
      const auto deb = sandbox::debian_package_for(p);
      const bool have = image_packages().contains(deb) || installed_.contains(deb);
      if (!have && std::find(missing.begin(), missing.end(), deb) == missing.end()) missing.push_back(deb);
    }
    if (missing.empty()) return missing;
    // Installed by an earlier session of this machine: the derived image is there already.
    sandbox::PackageInstaller installer(*engine_, config_);
    if (const auto image = installer.image_for(missing); engine_->inspect_image(image)) {
      switch_image(image, missing);
      return {};
    }
    return missing;
  }

  PackageResult install(const std::vector<std::string>& packages, std::int64_t step) override {
    sandbox::PackageInstaller installer(*engine_, config_);
    const auto done = installer.install(packages, labels(step));
    switch_image(done.image, packages);
    return {done.output, done.reused, done.seconds};
  }

  void interrupt() override {
    // Not through the warm container: its run() holds its lock for the whole step.
    for (const auto& c :
         engine_->list_containers({std::string(sandbox::kSessionLabel) + "=" + place_.labels.session})) {
      engine_->kill(c.id, "KILL");
    }
  }

  void stop() override { warm()->stop(); }

 private:
  sandbox::StepLabels labels(std::int64_t step) const {
    auto l = place_.labels;
    l.step = step;
    return l;
  }
  // warm_up() runs on its own beside the session's other calls, so the pointer is guarded.
  std::shared_ptr<sandbox::WarmContainer> warm() {
    std::lock_guard lock(mutex_);
    return warm_;
  }
  void make_warm() {
    auto made = std::make_shared<sandbox::WarmContainer>(
        *engine_, config_, sandbox::StepFiles{place_.input, place_.work, place_.output, place_.scripts},
        place_.labels);
    std::lock_guard lock(mutex_);
    warm_ = std::move(made);
  }
  void switch_image(const std::string& image, const std::vector<std::string>& packages) {
    installed_.insert(packages.begin(), packages.end());
    if (config_.image == image) return;
    warm()->stop();
    config_.image = image;
    make_warm();
  }

  std::shared_ptr<sandbox::Engine> engine_;
  sandbox::ResourceConfig config_;
  SandboxPlace place_;
  std::mutex mutex_;
  std::shared_ptr<sandbox::WarmContainer> warm_;
  std::set<std::string> installed_;
};

}  // namespace

std::unique_ptr<StepSandbox> make_docker_sandbox(std::shared_ptr<sandbox::Engine> engine,
                                                 sandbox::ResourceConfig config, SandboxPlace place) {
  return std::make_unique<DockerStepSandbox>(std::move(engine), std::move(config), std::move(place));
}

}  // namespace gdp::session
