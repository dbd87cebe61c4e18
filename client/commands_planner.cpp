// plan: what gdp would propose for a file, before anything runs: who plans (Gemini with a key,
// the offline builtin planner without), its analysis of the masked sample, and the first script
// in full with its plain-language description.
#include "client/commands.h"
#include "client/rpc_client.h"
#include "client/session_view.h"
#include "client/source.h"

#include <strings.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace gdp::client {
namespace {

void print_script(const proto::ProcessingScript& s, const Look& look) {
  std::cout << "\n"
            << look.paint(Role::heading, "FIRST PROPOSED STEP: " + view::visible(s.script_id)) << "\n\n"
            << wrap(view::visible(s.description, true), look.width) << "\n\n";
  view::script_lines(std::cout, s.content, look);
  std::cout << "\n";
  view::script_facts(std::cout, s);
}

int plan(const GlobalOptions& g, const std::vector<std::string>& args) {
  proto::PlanParams params;
  if (const int code = parse_source(g, "plan", args, params.source); code != kOk) return code;
  const ForwardedKey key(params.api_key);

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
  const auto result = call_reading(g, params.source, [&] { return conn.call<proto::Plan>(params); });
  if (counting) std::fputc('\n', stderr);  // the answer came before the countdown ended

  if (!result.sanitized) warn_unmasked();
  for (const auto& w : result.warnings) g.out.warning(w);
  if (g.out.json) {
    g.out.document(wire::to_json(result));
    return kOk;
  }
  const auto& snap = result.snapshot;
  std::cout << snap.source.path << ": " << snap.total_rows << " rows, " << snap.columns.size() << " columns\n"
            << "Planner: " << result.note << "\n";
  print_masked(snap);
  view::analysis(std::cout, result.analysis);
  if (result.script) {
    print_script(*result.script, g.look);
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
     "gdp plan examples/sales.csv", plan, source_options},
};

}  // namespace

ForwardedKey::ForwardedKey(std::optional<std::string>& slot) : slot_(slot) {
  if (const char* key = std::getenv("GEMINI_API_KEY"); key != nullptr && *key != '\0') slot_ = key;
}

ForwardedKey::~ForwardedKey() {
  if (slot_) explicit_bzero(slot_->data(), slot_->size());
}

std::span<const Command> planner_commands() {
  return kCommands;
}

}  // namespace gdp::client
