// The approval rules of a session, as a state machine with no I/O (Properties 5, 6, 7, 19): the
// session layer feeds it what happens (a script version proposed and validated, an answer from
// some terminal, a step started or finished), stores each transition, and asks it what may run.
//
// - Nothing runs without an explicit approval of the exact version that would run.
// - A version that failed validation cannot be approved; an edit must be validated again (a new
//   version) and shown again before it can run.
// - A restricted script needs a second, explicit confirmation with the approval.
// - The first valid answer to a version wins; a second answer, or one naming a step or version
//   that is not the one waiting, is refused with a clear error.
// - A denial skips the step and the session goes on.
#pragma once

#include "common/models.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace gdp::session {

BOOST_DEFINE_ENUM_CLASS(StepState, awaiting_approval, invalid, approved, denied, running, succeeded, failed)
BOOST_DEFINE_ENUM_CLASS(AnswerKind, approve, deny)

struct Answer {
  AnswerKind kind = AnswerKind::approve;
  std::int64_t step = 0;
  std::int64_t version = 0;  // the version the person saw; 0: whatever is waiting now
  std::optional<std::string> reason;
  bool confirm_restricted = false;  // the second confirmation a restricted script needs
};

class Approvals {
 public:
  // A new version of `step` (the planner's, a revision, or the user's edit), with its validation.
  // A step that already ran or was denied takes no new version (InvalidState).
  void propose(std::int64_t step, std::int64_t version, const proto::ValidationResult& validation);

  // An answer from any terminal. Returns the version decided on. Throws RpcError:
  // ApprovalConflict when the version was already decided (the first answer won), InvalidState
  // for a step or version that is not waiting, a version that failed validation, or a restricted
  // script approved without confirm_restricted.
  std::int64_t answer(const Answer& answer);

  // Whether `step` may run now: its waiting version was approved and it has not started.
  bool may_run(std::int64_t step) const;
  // The step runs / ran; started() throws InvalidState unless may_run(step).
  void started(std::int64_t step);
  void finished(std::int64_t step, bool success);

  StepState state(std::int64_t step) const;  // InvalidState for an unknown step
  // The step waiting for an answer, if any (the lowest, when several are).
  std::optional<std::int64_t> waiting() const;

 private:
  struct Step {
    std::int64_t version = 0;
    StepState state = StepState::awaiting_approval;
    proto::SecurityLevel level = proto::SecurityLevel::safe;
  };
  Step& at(std::int64_t step);
  const Step& at(std::int64_t step) const;

  std::map<std::int64_t, Step> steps_;
};

}  // namespace gdp::session
