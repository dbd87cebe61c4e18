// Runs daemon/sandbox/validate_script.py on the candidate in a small sandbox and turns its JSON
// into the seed's ValidationResult.
#include "daemon/sandbox/validator.h"

#include "daemon/sandbox/step_common.h"
#include "gdp/validate_script.h"

#include <boost/json.hpp>

#include <sys/stat.h>
#include <chrono>
#include <fstream>

namespace gdp::sandbox {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// What to do about each kind of warning, in the words of someone reviewing the script.
std::string fix_for(std::string_view message) {
  if (message.find("network") != std::string_view::npos) {
    return "the sandbox has no network: read the data from /data/input and earlier outputs in /data/work";
  }
  if (message.find("programs") != std::string_view::npos || message.find("shell") != std::string_view::npos) {
    return "do the work in Python itself (pandas, the standard library) instead of running other programs";
  }
  if (message.find("as code") != std::string_view::npos ||
      message.find("into code") != std::string_view::npos ||
      message.find("by name") != std::string_view::npos) {
    return "write the code out instead of building it from text";
  }
  if (message.find("outside") != std::string_view::npos) {
    return "keep files in /data/work (for later steps) or /data/output (final results), and read only /data";
  }
  return "make sure this is needed; a reviewer will be asked to confirm it";
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) throw RpcError(ErrorCode::ScriptValidation, "cannot write " + path.string() + " for the check");
  chmod(path.c_str(), 0644);
}

std::string at_line(const json::object& o) {
  return "line " + std::to_string(o.at("line").to_number<std::int64_t>()) + ", column " +
         std::to_string(o.at("column").to_number<std::int64_t>());
}

}  // namespace

Validator::Validator(Engine& engine, ResourceConfig sandbox, fs::path scratch)
    : engine_(engine), config_(std::move(sandbox)), scratch_(std::move(scratch)) {
  // Parsing is small work: a tight box, so a pathological script cannot hold the machine.
  config_.memory_bytes = std::min<std::int64_t>(config_.memory_bytes, std::int64_t{512} << 20);
  config_.disk_bytes = std::int64_t{1} << 20;
  config_.pids = 16;
  config_.timeout = std::chrono::seconds(60);
}

proto::ValidationResult Validator::validate(std::string_view script, const StepLabels& labels) {
  const auto started = std::chrono::steady_clock::now();
  const Scratch scratch(scratch_, "validate-");
  StepFiles files{scratch.dir / "candidate.py", scratch.dir / "work", scratch.dir / "output",
                  scratch.dir / "validate_script.py"};
  write_file(files.input, script);
  write_file(files.script, kValidatorSource);
  const auto run = Runner(engine_, config_).run(files, labels);
  if (!run.result.success) {
    throw RpcError(ErrorCode::ScriptValidation, "the script could not be checked: " +
                                                    run.result.error_message.value_or("no reason given"));
  }
  json::value doc;
  try {
    doc = json::parse(run.result.output_data.value_or(""));
  } catch (const std::exception& e) {
    throw RpcError(ErrorCode::ScriptValidation,
                   std::string("the checker's answer did not parse: ") + e.what());
  }
  proto::ValidationResult out;
  for (const auto& e : doc.at("syntax_errors").as_array()) {
    const auto& o = e.as_object();
    out.syntax_errors.push_back(at_line(o) + ": " + std::string(o.at("message").as_string()));
    const auto text = std::string(o.at("text").as_string());
    out.suggested_fixes.push_back("fix the syntax at " + at_line(o) + (text.empty() ? "" : ": " + text));
  }
  for (const auto& w : doc.at("warnings").as_array()) {
    const auto& o = w.as_object();
    const auto message = std::string(o.at("message").as_string());
    out.security_warnings.push_back("line " + std::to_string(o.at("line").to_number<std::int64_t>()) + ": " +
                                    message + " (" + std::string(o.at("level").as_string()) + ")");
    out.suggested_fixes.push_back(fix_for(message));
  }
  const auto level = std::string(doc.at("level").as_string());
  out.security_level = level == "restricted" ? proto::SecurityLevel::restricted
                       : level == "caution"  ? proto::SecurityLevel::caution
                                             : proto::SecurityLevel::safe;
  out.is_valid = out.syntax_errors.empty();
  out.validation_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace gdp::sandbox
