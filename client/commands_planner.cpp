// plan: what gdp would propose for a file, before anything runs: who plans (Gemini with a key,
// the offline builtin planner without), its analysis of the masked sample, and the first script
// in full with its plain-language description.
#include "client/commands.h"
#include "client/rpc_client.h"
#include "client/source.h"

#include <strings.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace gdp::client {
namespace {

void print_list(const char* title, const std::vector<std::string>& items) {
  if (items.empty()) return;
  std::cout << "\n" << title << "\n";
  for (const auto& item : items) std::cout << "  - " << item << "\n";
}

void print_analysis(const proto::DataAnalysis& a) {
  std::cout << "\nANALYSIS (complexity " << boost::describe::enum_to_string(a.estimated_complexity, "?")
            << (a.sensitive_data_detected ? ", personal data detected and masked" : "") << ")\n";
  print_list("Data quality", a.data_quality_issues);
  if (!a.column_insights.empty()) {
    std::cout << "\nColumns\n";
    std::size_t w = 6;
    for (const auto& [name, _] : a.column_insights) w = std::max(w, std::min<std::size_t>(width(name), 24));
    for (const auto& [name, insight] : a.column_insights) {
      std::cout << "  " << fit(name, w) << "  " << insight << "\n";
    }
  }
  print_list("Suggested operations", a.suggested_operations);
  print_list("Recommendations", a.processing_recommendations);
}

// The whole script with line numbers: a person approves exactly what they read.
void print_script(const proto::ProcessingScript& s) {
  std::cout << "\nFIRST PROPOSED STEP: " << s.script_id << "\n\n" << s.description << "\n\n";
  std::istringstream lines(s.content);
  int n = 0;
  for (std::string line; std::getline(lines, line);) std::printf("%4d  %s\n", ++n, line.c_str());
  std::cout << "\n";
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out.empty() ? std::string("none") : out;
  };
  std::cout << "Reads: " << join(s.input_files) << "\nWrites: " << join(s.output_files)
            << "\nPackages to install: " << join(s.required_packages)
            << "\nEstimated run time: " << s.estimated_runtime << " s\n";
}

int plan(const GlobalOptions& g, const std::vector<std::string>& args) {
  proto::PlanParams params;
  if (const int code = parse_source(g, "plan", args, params.source); code != kOk) return code;
  // The key goes to gdpd for this one request (never on a command line, never to a file).
  if (const char* key = std::getenv("GEMINI_API_KEY"); key != nullptr && *key != '\0') params.api_key = key;

  DaemonConnection conn(g.socket_path, std::max(g.timeout, kReadTimeout));
  // A wait for the rate limit or a backoff is shown as it begins; on a terminal it counts down.
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::chrono::steady_clock::time_point wait_end{};
  std::string wait_reason;
  bool counting = false;
  auto draw = [&] {
    // Rounded up: "2 s" at the start of a two-second wait, "0 s" only when it is over.
    const auto left = std::chrono::ceil<std::chrono::seconds>(wait_end - std::chrono::steady_clock::now());
    std::fprintf(stderr, "\r\033[Kgdp: waiting %lld s before asking the planner again: %s",
                 static_cast<long long>(std::max<std::int64_t>(0, left.count())), wait_reason.c_str());
    if (left.count() <= 0) {
      std::fputc('\n', stderr);
      counting = false;
    }
  };
  conn.on_notification = [&](const rpc::Message& m) {
    if (m.method != proto::PlannerWaiting::name) return;
    try {
      const auto wait = wire::from_json<proto::PlannerWaitingEvent>(m.params);
      if (!tty) {
        std::fprintf(stderr, "gdp: waiting %.0f s before asking the planner again: %s\n", wait.delay_seconds,
                     wait.reason.c_str());
        return;
      }
      wait_end = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(static_cast<std::int64_t>(wait.delay_seconds * 1000));
      wait_reason = wait.reason;
      counting = true;
      draw();
    } catch (const wire::TypeError&) {  // NOLINT(bugprone-empty-catch): a malformed event is only progress
    }
  };
  conn.on_tick = [&] {
    if (counting) draw();
  };
  proto::PlanResult result;
  try {
    result = call_reading(g, params.source, [&] { return conn.call<proto::Plan>(params); });
  } catch (...) {
    if (params.api_key) explicit_bzero(params.api_key->data(), params.api_key->size());
    throw;
  }
  if (params.api_key) explicit_bzero(params.api_key->data(), params.api_key->size());
  if (counting) std::fputc('\n', stderr);  // the answer came before the countdown ended

  if (!result.sanitized) warn_unmasked();
  for (const auto& w : result.warnings) std::cerr << "gdp: warning: " << w << "\n";
  if (g.out.json) {
    g.out.document(wire::to_json(result));
    return kOk;
  }
  const auto& snap = result.snapshot;
  std::cout << snap.source.path << ": " << snap.total_rows << " rows, " << snap.columns.size() << " columns\n"
            << "Planner: " << result.note << "\n";
  print_masked(snap);
  print_analysis(result.analysis);
  if (result.script) {
    print_script(*result.script);
  } else {
    std::cout << "\nThe planner proposes no step: it finds nothing to do.\n";
  }
  std::cout << "\nNothing was run.\n" << std::flush;
  return kOk;
}

const Command kCommands[] = {
    {"plan", "show what the planner makes of a file and the first script it would propose; nothing runs",
     "plan FILE [--method random|first_n|stratified] [--by COLUMN] [--seed N] [--sample-size N] "
     "[--yes-large]",
     "gdp plan examples/sales.csv", plan},
};

}  // namespace

std::span<const Command> planner_commands() {
  return kCommands;
}

}  // namespace gdp::client
