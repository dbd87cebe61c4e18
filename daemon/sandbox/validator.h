// The seed's ScriptCoordinator.validate_script_syntax: every script is checked before anyone is
// asked to approve it. Python's own parser does the work, inside a sandbox container like any
// script (no hand-written Python parser here, and nothing unapproved parses on the host).
#pragma once

#include "common/models.h"
#include "daemon/sandbox/runner.h"

#include <filesystem>
#include <string_view>

namespace gdp::sandbox {

class Validator {
 public:
  // `scratch` is a private directory (gdpd's state dir) for the per-check files.
  Validator(Engine& engine, ResourceConfig sandbox, std::filesystem::path scratch);

  // Syntax errors with line and column, security warnings with line, suggested fixes, the
  // security level and the time taken. Throws RpcError(ScriptValidation) only when the check
  // itself could not run (the engine's errors pass through as they are).
  proto::ValidationResult validate(std::string_view script, const StepLabels& labels);

 private:
  Engine& engine_;
  ResourceConfig config_;
  std::filesystem::path scratch_;
};

}  // namespace gdp::sandbox
