// The seed's Properties 7 and 18 over what gdp shows: the approval view of any waiting step holds
// the whole script, line by line with its number, and everything else a person decides on; the
// progress line of any sequence of session events names the current phase and step and the true
// time spent in it. Expected text is built here from the generated input, not by the renderer.
#include "client/progress.h"
#include "client/session_view.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <sstream>

namespace {

using namespace gdp;
using client::ProgressClock;
using client::ProgressModel;

// Pieces of a line: ASCII letters and symbols, spaces and tabs, and UTF-8 of 2, 3 and 4 bytes.
rc::Gen<std::string> glyph() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::inRange(0x20, 0x7F), [](int c) { return std::string(1, static_cast<char>(c)); }),
      rc::gen::element<std::string>("\t", " ", "é", "ß", "漢", "字", "😀", "→"));
}

rc::Gen<std::string> text_line() {
  auto glyphs = [](rc::Gen<std::vector<std::string>> g) {
    return rc::gen::map(std::move(g), [](const std::vector<std::string>& parts) {
      std::string out;
      for (const auto& p : parts) out += p;
      return out;
    });
  };
  return rc::gen::weightedOneOf<std::string>({
      {1, rc::gen::just(std::string())},
      {6, glyphs(rc::gen::container<std::vector<std::string>>(glyph()))},
      {1, glyphs(rc::gen::container<std::vector<std::string>>(*rc::gen::inRange<std::size_t>(300, 3000),
                                                              glyph()))},
  });
}

rc::Gen<std::vector<std::string>> some_lines(int max) {
  return rc::gen::resize(max, rc::gen::container<std::vector<std::string>>(text_line()));
}

std::string joined(const std::vector<std::string>& lines, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? sep : "") + lines[i];
  return out;
}

// How a numbered script line must look: its number right-aligned in four columns, two spaces.
std::string numbered(std::size_t n, const std::string& line) {
  auto number = std::to_string(n);
  if (number.size() < 4) number.insert(0, 4 - number.size(), ' ');
  return number + "  " + line + "\n";
}

// Finds each expected piece after the previous one; returns the first one missing, if any.
std::optional<std::string> missing_in_order(const std::string& text, const std::vector<std::string>& pieces) {
  std::size_t at = 0;
  for (const auto& p : pieces) {
    const auto found = text.find(p, at);
    if (found == std::string::npos) return p;
    at = found + p.size();
  }
  return std::nullopt;
}

std::string rendered(const proto::PendingApproval& p) {
  std::ostringstream os;
  client::view::approval(os, p);
  return os.str();
}

TEST_CASE("Property 7: the approval view shows the whole script, line by line, and what it is for",
          "[property][7]") {
  rc::prop("Complete Information Display", [] {
    const auto lines = *some_lines(60);
    const bool final_newline = *rc::gen::arbitrary<bool>();
    proto::PendingApproval p;
    p.step = *rc::gen::inRange<std::int64_t>(1, 1000);
    p.version = *rc::gen::inRange<std::int64_t>(1, 50);
    p.kind = *rc::gen::element(proto::StepKind::script, proto::StepKind::packages);
    p.script.script_id = "step_" + std::to_string(p.step);
    p.script.content = joined(lines, "\n") + (final_newline && !lines.empty() ? "\n" : "");
    p.script.description = joined(*some_lines(4), "\n");
    p.script.required_packages =
        *rc::gen::resize(5, rc::gen::container<std::vector<std::string>>(text_line()));
    p.script.input_files = *rc::gen::resize(4, rc::gen::container<std::vector<std::string>>(text_line()));
    p.script.output_files = *rc::gen::resize(4, rc::gen::container<std::vector<std::string>>(text_line()));
    p.validation.is_valid = *rc::gen::arbitrary<bool>();
    p.validation.syntax_errors =
        *rc::gen::resize(4, rc::gen::container<std::vector<std::string>>(text_line()));
    p.validation.security_warnings =
        *rc::gen::resize(4, rc::gen::container<std::vector<std::string>>(text_line()));
    p.validation.security_level = *rc::gen::element(proto::SecurityLevel::safe, proto::SecurityLevel::caution,
                                                    proto::SecurityLevel::restricted);
    p.needs_confirmation = p.validation.security_level == proto::SecurityLevel::restricted;
    const auto view = rendered(p);

    // A final empty piece without a newline after it is not a line of its own: "a\n" is one line.
    auto expected = lines;
    if (!final_newline && !expected.empty() && expected.back().empty()) expected.pop_back();
    std::vector<std::string> numbered_lines;
    for (std::size_t i = 0; i < expected.size(); ++i) numbered_lines.push_back(numbered(i + 1, expected[i]));
    const auto missing = missing_in_order(view, numbered_lines);
    RC_ASSERT(!missing.has_value());
    // No line beyond the script's last one is numbered as if it were part of it.
    RC_ASSERT(view.find("\n" + numbered(expected.size() + 1, "").substr(0, 6)) == std::string::npos ||
              expected.size() + 1 >= 10000);

    RC_ASSERT(view.find(p.script.description) != std::string::npos);
    RC_ASSERT(view.find(p.script.script_id) != std::string::npos);
    RC_ASSERT(view.find("step " + std::to_string(p.step)) != std::string::npos ||
              view.find("STEP " + std::to_string(p.step)) != std::string::npos);
    RC_ASSERT(view.find("version " + std::to_string(p.version)) != std::string::npos);
    for (const auto* list : {&p.script.required_packages, &p.script.input_files, &p.script.output_files,
                             &p.validation.syntax_errors, &p.validation.security_warnings}) {
      for (const auto& item : *list) RC_ASSERT(view.find(item) != std::string::npos);
    }
    RC_ASSERT(view.find(boost::describe::enum_to_string(p.validation.security_level, "?")) !=
              std::string::npos);
    if (p.kind == proto::StepKind::packages) RC_ASSERT(view.find("network") != std::string::npos);
  });
}

TEST_CASE("Property 7: no character of a script can hide another from the person approving it",
          "[property][7]") {
  rc::prop("Complete Information Display, control characters", [] {
    // Escape sequences, carriage returns and backspaces could redraw or erase what a terminal shows.
    const auto raw = *rc::gen::container<std::string>(rc::gen::oneOf(
        rc::gen::inRange<char>(0, 0x20), rc::gen::just('\x7f'), rc::gen::inRange<char>('a', 'z' + 1)));
    proto::PendingApproval p;
    p.script.content = raw;
    p.script.description = raw;
    const auto view = rendered(p);
    for (const char c : view) {
      const auto u = static_cast<unsigned char>(c);
      RC_ASSERT((u >= 0x20 && u != 0x7f) || c == '\n' || c == '\t');
    }
    // Every line still shows, numbered, with its invisible characters spelled out.
    std::size_t lines = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\n' || i + 1 == raw.size()) ++lines;
    }
    RC_ASSERT(lines == 0 || view.find(numbered(lines, "").substr(0, 6)) != std::string::npos);
  });
}

struct GeneratedEvent {
  std::int64_t after_ms = 0;  // since the event before
  proto::SessionPhase phase = proto::SessionPhase::snapshot;
  std::optional<std::int64_t> step;
  std::optional<std::int64_t> elapsed_ms;
};

template <class T>
std::optional<T> sometimes(const rc::Gen<T>& gen) {
  return *rc::gen::arbitrary<bool>() ? std::optional<T>(*gen) : std::nullopt;
}

rc::Gen<GeneratedEvent> generated_event() {
  using P = proto::SessionPhase;
  return rc::gen::exec([] {
    GeneratedEvent g;
    g.after_ms =
        *rc::gen::weightedOneOf<std::int64_t>({{4, rc::gen::inRange<std::int64_t>(0, 5000)},
                                               {1, rc::gen::inRange<std::int64_t>(30000, 4 * 3600000)}});
    g.phase =
        *rc::gen::element(P::snapshot, P::analysis, P::planning, P::validating, P::awaiting_approval,
                          P::queued, P::installing, P::running, P::writing_results, P::done, P::stopped);
    g.step = sometimes(rc::gen::inRange<std::int64_t>(1, 4));
    g.elapsed_ms = sometimes(rc::gen::inRange<std::int64_t>(0, 3 * 3600000));
    return g;
  });
}

TEST_CASE("Property 18: the progress line names the current phase and step and the true time spent in it",
          "[property][18]") {
  rc::prop("Progress Indicator Accuracy", [] {
    const auto events =
        *rc::gen::nonEmpty(rc::gen::container<std::vector<GeneratedEvent>>(generated_event()));
    const auto idle_ms =
        *rc::gen::weightedOneOf<std::int64_t>({{2, rc::gen::inRange<std::int64_t>(0, 30000)},
                                               {1, rc::gen::inRange<std::int64_t>(30000, 6 * 3600000)}});
    const auto t0 = ProgressClock::time_point{} + std::chrono::hours(24);
    ProgressModel model;
    std::int64_t now_ms = 0;
    // What the test knows: the phase and step in force, and when they began (in ms after t0).
    std::optional<proto::SessionPhase> phase;
    std::optional<std::int64_t> step;
    std::int64_t began_ms = 0;
    for (const auto& g : events) {
      now_ms += g.after_ms;
      proto::SessionEvent e;
      e.seq = 1;
      e.kind = proto::SessionEventKind::progress;
      e.phase = g.phase;
      e.step = g.step;
      if (g.elapsed_ms) e.elapsed_seconds = static_cast<double>(*g.elapsed_ms) / 1000.0;
      model.feed(e, t0 + std::chrono::milliseconds(now_ms));
      // An event without a step keeps the step of its phase.
      const auto new_step = g.step ? g.step : (phase == g.phase ? step : std::nullopt);
      if (phase != g.phase || new_step != step) began_ms = now_ms;
      if (g.elapsed_ms) began_ms = now_ms - *g.elapsed_ms;
      phase = g.phase;
      step = new_step;
    }
    now_ms += idle_ms;
    const auto line = model.line(t0 + std::chrono::milliseconds(now_ms));
    RC_ASSERT(line.has_value() == client::long_phase(*phase));
    if (!line) return;
    RC_ASSERT(line->phase == *phase);
    RC_ASSERT(line->step == step);
    const auto true_ms = now_ms - began_ms;
    RC_ASSERT(line->elapsed_seconds == (true_ms >= 0 ? true_ms / 1000 : -((-true_ms + 999) / 1000)));
    const auto text = ProgressModel::text(*line);
    RC_ASSERT(text.find(boost::describe::enum_to_string(*phase, "?")) != std::string::npos);
    if (step) RC_ASSERT(text.find("step " + std::to_string(*step)) != std::string::npos);
  });
}

TEST_CASE("Property 18: a long phase is counted on by the clock alone, past 30 s, between events",
          "[property][18]") {
  rc::prop("Progress Indicator Accuracy, no events", [] {
    const auto t0 = ProgressClock::time_point{} + std::chrono::hours(1);
    proto::SessionEvent e;
    e.phase = proto::SessionPhase::running;
    e.step = 2;
    ProgressModel model;
    model.feed(e, t0);
    std::int64_t at_ms = 0;
    for (const auto step_ms :
         *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 120000))) {
      at_ms += step_ms;
      const auto line = model.line(t0 + std::chrono::milliseconds(at_ms));
      RC_ASSERT(line.has_value());
      RC_ASSERT(line->elapsed_seconds == at_ms / 1000);
    }
  });
}

}  // namespace
