// What a following client shows while a session works (Property 18): the phase it is in, the step,
// and how long it has been in that phase. The model takes the time as an argument and does no
// I/O, so tests drive it with any clock; the Spinner draws it on a terminal.
#pragma once

#include "common/protocol.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace gdp::client {

using ProgressClock = std::chrono::steady_clock;

// The phases in which a person waits for the machine (and not the other way round).
bool long_phase(proto::SessionPhase phase);

struct ProgressLine {
  proto::SessionPhase phase = proto::SessionPhase::snapshot;
  std::optional<std::int64_t> step;
  std::int64_t elapsed_seconds = 0;                  // in this phase (and step), whole seconds
  std::optional<std::int64_t> planner_wait_seconds;  // left of a planner wait, rounded up
  std::string wait_reason;
};

class ProgressModel {
 public:
  // An event at `now`. A new phase or step starts its clock at `now`, or `elapsed_seconds` before
  // it when the event says how long the phase has already lasted (e.g. replayed after attach).
  void feed(const proto::SessionEvent& e, ProgressClock::time_point now);
  // The line to draw at `now`; nothing when no long phase is under way.
  std::optional<ProgressLine> line(ProgressClock::time_point now) const;
  // The same as text: "running step 2 · 1m 05s".
  static std::string text(const ProgressLine& l);

 private:
  bool started_ = false;
  proto::SessionPhase phase_ = proto::SessionPhase::snapshot;
  std::optional<std::int64_t> step_;
  ProgressClock::time_point since_{};
  std::optional<ProgressClock::time_point> wait_until_;
  std::string wait_reason_;
};

// The model on a terminal: one line redrawn in place, with a turning mark. Anything else printed
// to the terminal must clear() it first; the next draw() brings it back.
class Spinner {
 public:
  explicit Spinner(std::FILE* out) : out_(out) {}
  void draw(const ProgressModel& model, ProgressClock::time_point now);
  void clear();

 private:
  std::FILE* out_;
  bool shown_ = false;
  unsigned frame_ = 0;
};

}  // namespace gdp::client
