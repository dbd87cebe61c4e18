#include "client/progress.h"

#include "client/session_view.h"

#include <cmath>

namespace gdp::client {

bool long_phase(proto::SessionPhase phase) {
  using P = proto::SessionPhase;
  switch (phase) {
    case P::snapshot:
    case P::analysis:
    case P::planning:
    case P::validating:
    case P::queued:
    case P::installing:
    case P::running:
    case P::writing_results:
      return true;
    case P::awaiting_approval:
    case P::done:
    case P::stopped:
      return false;
  }
  return false;
}

void ProgressModel::feed(const proto::SessionEvent& e, ProgressClock::time_point now) {
  // An event without a step keeps the step of its phase; a new phase without one has none.
  const auto step = e.step ? e.step : (started_ && e.phase == phase_ ? step_ : std::nullopt);
  const bool same = started_ && e.phase == phase_ && step == step_;
  if (!same || e.elapsed_seconds) {
    const auto already = std::chrono::duration<double>(e.elapsed_seconds.value_or(0));
    since_ = now - std::chrono::round<ProgressClock::duration>(already);
  }
  started_ = true;
  phase_ = e.phase;
  step_ = step;
  if (e.kind == proto::SessionEventKind::planner_waiting && e.delay_seconds) {
    wait_until_ = now + std::chrono::round<ProgressClock::duration>(
                            std::chrono::duration<double>(std::max(0.0, *e.delay_seconds)));
    wait_reason_ = e.message;
  } else if (!same) {
    wait_until_.reset();
  }
}

std::optional<ProgressLine> ProgressModel::line(ProgressClock::time_point now) const {
  if (!started_ || !long_phase(phase_)) return std::nullopt;
  ProgressLine l;
  l.phase = phase_;
  l.step = step_;
  l.elapsed_seconds = std::chrono::floor<std::chrono::seconds>(now - since_).count();
  if (wait_until_ && now < *wait_until_) {
    // Rounded up: "2 s" at the start of a two-second wait, never "0 s" while it lasts.
    l.planner_wait_seconds = std::chrono::ceil<std::chrono::seconds>(*wait_until_ - now).count();
    l.wait_reason = wait_reason_;
  }
  return l;
}

std::string ProgressModel::text(const ProgressLine& l) {
  std::string out = boost::describe::enum_to_string(l.phase, "?");
  if (l.step) out += " step " + std::to_string(*l.step);
  out += " · " + view::duration(l.elapsed_seconds);
  if (l.planner_wait_seconds) {
    out += " · waiting " + std::to_string(*l.planner_wait_seconds) +
           " s before asking the planner again: " + view::visible(l.wait_reason);
  }
  return out;
}

void Spinner::draw(const ProgressModel& model, ProgressClock::time_point now) {
  static constexpr const char* kFrames[] = {"|", "/", "-", "\\"};
  const auto l = model.line(now);
  if (!l) {
    clear();
    return;
  }
  std::fprintf(out_, "\r\033[K%s %s", kFrames[frame_++ % 4], ProgressModel::text(*l).c_str());
  std::fflush(out_);
  shown_ = true;
}

void Spinner::clear() {
  if (!shown_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  shown_ = false;
}

}  // namespace gdp::client
