#include "client/session_view.h"

#include "client/highlight.h"
#include "client/source.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace gdp::client::view {
namespace {

template <class E>
const char* name_of(E e) {
  return boost::describe::enum_to_string(e, "?");
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& x : items) out += (out.empty() ? "" : ", ") + visible(x);
  return out.empty() ? std::string("none") : out;
}

void list(std::ostream& os, const char* title, const std::vector<std::string>& items) {
  if (items.empty()) return;
  os << "\n" << title << "\n";
  for (const auto& item : items) os << "  - " << visible(item) << "\n";
}

std::string seconds(double s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(s < 10 ? 1 : 0) << s << " s";
  return out.str();
}

// The clock time of an RFC 3339 timestamp ("2026-11-27T11:29:20Z" -> "11:29:20"), or it all.
std::string clock_time(const std::string& at) {
  const auto t = at.find('T');
  return t != std::string::npos && at.size() >= t + 9 ? at.substr(t + 1, 8) : at;
}

const char* decided_word(proto::Decision d) {
  switch (d) {
    case proto::Decision::approve:
      return "approved";
    case proto::Decision::deny:
      return "denied";
    case proto::Decision::edit:
      return "edited";
  }
  return "?";
}

Role level_role(proto::SecurityLevel level) {
  switch (level) {
    case proto::SecurityLevel::safe:
      return Role::ok;
    case proto::SecurityLevel::caution:
      return Role::warn;
    case proto::SecurityLevel::restricted:
      return Role::error;
  }
  return Role::error;
}

Role decision_role(proto::Decision d) {
  switch (d) {
    case proto::Decision::approve:
      return Role::ok;
    case proto::Decision::deny:
      return Role::error;
    case proto::Decision::edit:
      return Role::warn;
  }
  return Role::warn;
}

// A message under a label ("  warning: ..."), wrapped to hang under its own first word.
void labelled(std::ostream& os, const Look& look, Role role, const char* label, const std::string& text) {
  const std::string head = std::string("  ") + label + ": ";
  const auto lines = wrap(head + text, look.width, head.size());
  os << "  " << look.paint(role, std::string(label) + ":") << " " << lines.substr(head.size()) << "\n";
}

}  // namespace

Role status_role(proto::SessionStatus s) {
  switch (s) {
    case proto::SessionStatus::completed:
      return Role::ok;
    case proto::SessionStatus::failed:
      return Role::error;
    case proto::SessionStatus::active:
      return Role::heading;
    case proto::SessionStatus::cancelled:
    case proto::SessionStatus::abandoned:
      return Role::warn;
  }
  return Role::warn;
}

std::string visible(std::string_view text, bool multiline) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0x7F) {
      out += "^?";
    } else if (u < 0x20 && c != '\t' && !(multiline && c == '\n')) {
      out += '^';
      out += static_cast<char>(u + 0x40);
    } else {
      out += c;
    }
  }
  return out;
}

std::string numbered_line(std::size_t number, std::string_view line) {
  std::ostringstream out;
  out << std::setw(4) << number << "  " << visible(line);
  return out.str();
}

void script_lines(std::ostream& os, std::string_view content, const Look& look) {
  std::size_t n = 0;
  PythonHighlighter python(look);
  while (!content.empty()) {
    const auto end = content.find('\n');
    if (look.color) {
      // The same line as numbered_line(), its number dimmed and its code highlighted.
      const auto number = numbered_line(++n, {});
      os << look.paint(Role::dim, number.substr(0, number.size() - 2)) << "  "
         << python.line(visible(content.substr(0, end))) << "\n";
    } else {
      os << numbered_line(++n, content.substr(0, end)) << "\n";
    }
    content = end == std::string_view::npos ? std::string_view{} : content.substr(end + 1);
  }
}

void script_facts(std::ostream& os, const proto::ProcessingScript& s) {
  os << "Reads: " << join(s.input_files) << "\nWrites: " << join(s.output_files)
     << "\nPackages to install: " << join(s.required_packages)
     << "\nEstimated run time: " << s.estimated_runtime << " s\n";
}

void analysis(std::ostream& os, const proto::DataAnalysis& a) {
  os << "\nANALYSIS (complexity " << name_of(a.estimated_complexity)
     << (a.sensitive_data_detected ? ", personal data detected and masked" : "") << ")\n";
  list(os, "Data quality", a.data_quality_issues);
  if (!a.column_insights.empty()) {
    os << "\nColumns\n";
    std::size_t w = 6;
    for (const auto& [name, _] : a.column_insights) w = std::max(w, std::min<std::size_t>(width(name), 24));
    for (const auto& [name, insight] : a.column_insights) {
      os << "  " << fit(visible(name), w) << "  " << visible(insight) << "\n";
    }
  }
  list(os, "Suggested operations", a.suggested_operations);
  list(os, "Recommendations", a.processing_recommendations);
}

void snapshot_shape(std::ostream& os, const proto::DataSnapshot& s) {
  os << "\nSNAPSHOT (masked): " << visible(s.source.path) << ", " << name_of(s.file_format) << ", "
     << s.total_rows << " rows, sample of " << s.sample_size << " (" << name_of(s.extraction_method)
     << ", seed " << s.seed << "), " << s.columns.size() << " columns\n";
  for (const auto& c : s.columns) os << "  " << visible(c.name) << ": " << visible(c.type) << "\n";
  if (!s.sanitized_fields.empty()) {
    os << "Masked fields:";
    for (const auto& f : s.sanitized_fields)
      os << " " << visible(f.field) << " (" << visible(f.detector) << ")";
    os << "\n";
  }
}

void validation(std::ostream& os, const proto::ValidationResult& v, const Look& look) {
  os << "Validation: " << (v.is_valid ? look.paint(Role::ok, "valid") : look.paint(Role::error, "INVALID"))
     << ", security level " << look.paint(level_role(v.security_level), name_of(v.security_level)) << "\n";
  for (const auto& e : v.syntax_errors) labelled(os, look, Role::error, "error", visible(e));
  for (const auto& w : v.security_warnings) labelled(os, look, Role::warn, "warning", visible(w));
  for (const auto& f : v.suggested_fixes) labelled(os, look, Role::ok, "fix", visible(f));
}

void approval(std::ostream& os, const proto::PendingApproval& p, const Look& look) {
  const auto& s = p.script;
  os << "\n"
     << look.paint(Role::heading, "=== STEP " + std::to_string(p.step) + " (version " +
                                      std::to_string(p.version) +
                                      ") WAITS FOR YOUR APPROVAL: " + visible(s.script_id) + " ===")
     << "\n";
  if (p.kind == proto::StepKind::packages) {
    os << wrap("This step installs packages, and it is the only kind of step that runs with network access.",
               look.width)
       << "\n";
  }
  os << "\n" << wrap(visible(s.description, true), look.width) << "\n\n";
  script_lines(os, s.content, look);
  os << "\n";
  script_facts(os, s);
  validation(os, p.validation, look);
  if (p.needs_confirmation) {
    os << look.paint(Role::error,
                     wrap("This script is RESTRICTED: approving it needs a second, explicit confirmation.",
                          look.width))
       << "\n";
  }
}

std::string decision_line(const proto::DecisionInfo& d, const Look& look) {
  std::string out = look.paint(decision_role(d.decision), decided_word(d.decision)) + " step " +
                    std::to_string(d.step) + " (version " + std::to_string(d.version) + ") from pid " +
                    std::to_string(d.by.pid);
  if (d.by.tty) out += " on " + visible(*d.by.tty);
  if (d.reason && !d.reason->empty()) out += ": " + visible(*d.reason);
  return out;
}

std::string result_line(std::int64_t step, const proto::ExecutionResult& r) {
  std::ostringstream out;
  out << "step " << step << (r.success ? " succeeded in " : " failed after ") << seconds(r.execution_time)
      << ", peak memory " << std::lround(r.resource_usage.memory_mb) << " MB";
  if (!r.success && r.error_message) out << ": " << visible(*r.error_message);
  return out.str();
}

std::string event_line(const proto::SessionEvent& e, bool full_time, const Look& look) {
  std::ostringstream out;
  out << look.paint(Role::dim, full_time ? e.at : clock_time(e.at)) << "  " << std::left << std::setw(18)
      << name_of(e.phase);
  if (e.step) out << "step " << *e.step << "  ";
  using K = proto::SessionEventKind;
  if (e.kind == K::decided && e.decision) {
    out << decision_line(*e.decision, look);
  } else if (e.kind == K::step_finished && e.result) {
    out << result_line(e.step.value_or(0), *e.result);
  } else if (e.kind == K::planner_waiting && e.delay_seconds) {
    out << "waiting " << std::lround(*e.delay_seconds)
        << " s before asking the planner again: " << visible(e.message);
  } else if (e.kind == K::approval_needed && e.pending) {
    out << "waits for approval: " << visible(e.pending->script.script_id) << " (version "
        << e.pending->version << ")";
  } else if (e.kind == K::finished) {
    out << "session " << (e.status ? name_of(*e.status) : "finished") << ": " << visible(e.message);
  } else {
    out << visible(e.message);
  }
  return out.str();
}

void event_detail(std::ostream& os, const proto::SessionEvent& e) {
  auto indented = [&os](const char* title, const std::string& text) {
    if (text.empty()) return;
    os << "    " << title << ":\n";
    std::string_view rest = text;
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      os << "      " << visible(rest.substr(0, end)) << "\n";
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    }
  };
  if (e.result) {
    indented("output", e.result->output_data.value_or(""));
    indented("logs", e.result->logs);
    if (!e.result->output_files.empty()) os << "    files: " << join(e.result->output_files) << "\n";
  }
  if (e.decision && e.decision->reason) indented("reason", *e.decision->reason);
}

void steps(std::ostream& os, const std::vector<proto::StepView>& steps, const Look& look) {
  if (steps.empty()) {
    os << "No steps yet.\n";
    return;
  }
  os << "STEP  VER  KIND      STATE              SCRIPT                    DECISION  RESULT\n";
  for (const auto& s : steps) {
    std::string result;
    if (s.result) {
      result = (s.result->success ? "ok in " : "failed after ") + seconds(s.result->execution_time);
      if (!s.result->success && s.result->error_message) result += ": " + visible(*s.result->error_message);
    }
    // The columns before RESULT take 74; on a terminal RESULT gets what is left of its width.
    constexpr std::size_t kResultColumn = 74;
    if (look.width > kResultColumn + 10 && display_width(result) > look.width - kResultColumn) {
      result = fit(result, look.width - kResultColumn);
    }
    os << std::right << std::setw(4) << s.step << "  " << std::setw(3) << s.version << "  " << std::left
       << std::setw(8) << name_of(s.kind) << "  " << std::setw(17) << name_of(s.state) << "  "
       << fit(visible(s.script.script_id), 24) << "  " << std::setw(8)
       << (s.decision ? name_of(s.decision->decision) : "-") << "  " << result << "\n";
  }
  os << std::right;
}

void session(std::ostream& os, const proto::SessionView& s, const Look& look) {
  os << "Session " << s.session_id << ": " << look.paint(status_role(s.status), name_of(s.status))
     << ", phase " << name_of(s.phase) << (s.live ? "" : " (not running in this gdpd)") << "\n"
     << "  project  " << visible(s.project) << "\n"
     << "  input    " << visible(s.input_file) << "\n"
     << "  output   " << visible(s.output_directory) << "\n"
     << "  planner  " << visible(s.planner) << "\n"
     << "  created  " << s.created_at << ", last active " << s.last_accessed << "\n";
  if (s.failure) os << "  failure  " << visible(*s.failure) << "\n";
  if (s.results_directory) os << "  results  " << visible(*s.results_directory) << "\n";
  if (s.pending) {
    os << "\n"
       << wrap("Waiting for approval: step " + std::to_string(s.pending->step) + " (version " +
                   std::to_string(s.pending->version) + "), " + visible(s.pending->script.script_id) + ": " +
                   visible(s.pending->script.description.substr(0, s.pending->script.description.find('\n'))),
               look.width)
       << "\n";
  }
  os << "\n";
  steps(os, s.steps, look);
}

void step_versions(std::ostream& os, const std::vector<proto::ScriptVersionView>& versions,
                   const std::vector<proto::DecisionInfo>& decisions, const Look& look) {
  for (const auto& v : versions) {
    os << "\n"
       << look.paint(Role::heading, "--- step " + std::to_string(v.step) + ", version " +
                                        std::to_string(v.version) + " (" + visible(v.origin) + ", " +
                                        v.created_at + ", sha256 " + v.content_sha256 +
                                        "): " + visible(v.script.script_id))
       << "\n"
       << wrap(visible(v.script.description, true), look.width) << "\n\n";
    script_lines(os, v.script.content, look);
    os << "\n";
    script_facts(os, v.script);
    if (v.validation) validation(os, *v.validation, look);
  }
  if (!decisions.empty()) os << "\n" << look.paint(Role::heading, "Decisions") << "\n";
  for (const auto& d : decisions) os << "  " << d.decided_at << "  " << decision_line(d, look) << "\n";
}

void sent_requests(std::ostream& os, const std::vector<proto::SentRequestView>& sent) {
  if (sent.empty()) {
    os << "\nNothing was sent to a remote planner.\n";
    return;
  }
  for (const auto& r : sent) {
    // The body verbatim: a person checks exactly what left the machine.
    os << "\n--- request " << r.seq << ": " << visible(r.method) << " at " << r.sent_at << "\n"
       << r.body << "\n";
  }
}

std::string duration(std::int64_t s) {
  std::ostringstream out;
  out << std::setfill('0');
  if (s < 60) {
    out << s << "s";
  } else if (s < 3600) {
    out << s / 60 << "m " << std::setw(2) << s % 60 << "s";
  } else {
    out << s / 3600 << "h " << std::setw(2) << (s % 3600) / 60 << "m";
  }
  return out.str();
}

}  // namespace gdp::client::view
