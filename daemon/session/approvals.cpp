#include "daemon/session/approvals.h"

#include "common/errors.h"

namespace gdp::session {

namespace {

std::string name(StepState s) {
  return boost::describe::enum_to_string(s, "?");
}

std::string step_text(std::int64_t step, std::int64_t version) {
  return "step " + std::to_string(step) + " (version " + std::to_string(version) + ")";
}

}  // namespace

// One lookup for both constnesses.
template <class Steps>
auto& find_step(Steps& steps, std::int64_t step) {
  const auto it = steps.find(step);
  if (it == steps.end()) {
    throw RpcError(ErrorCode::InvalidState, "this session has no step " + std::to_string(step) +
                                                "; `gdp status SESSION` shows its steps");
  }
  return it->second;
}

Approvals::Step& Approvals::at(std::int64_t step) {
  return find_step(steps_, step);
}

const Approvals::Step& Approvals::at(std::int64_t step) const {
  return find_step(steps_, step);
}

void Approvals::propose(std::int64_t step, std::int64_t version, const proto::ValidationResult& validation) {
  auto& s = steps_[step];
  if (s.version != 0 && s.state != StepState::awaiting_approval && s.state != StepState::invalid) {
    throw RpcError(ErrorCode::InvalidState,
                   "step " + std::to_string(step) + " is " + name(s.state) + "; it takes no new version");
  }
  if (version <= s.version) {
    throw RpcError(ErrorCode::InvalidState, "version " + std::to_string(version) + " of step " +
                                                std::to_string(step) + " is not newer than " +
                                                std::to_string(s.version));
  }
  s.version = version;
  s.state = validation.is_valid ? StepState::awaiting_approval : StepState::invalid;
  s.level = validation.security_level;
}

std::int64_t Approvals::answer(const Answer& a) {
  auto& s = at(a.step);
  const std::int64_t version = a.version == 0 ? s.version : a.version;
  if (version != s.version) {
    throw RpcError(ErrorCode::InvalidState, "version " + std::to_string(version) + " of step " +
                                                std::to_string(a.step) + " is not the one waiting (" +
                                                std::to_string(s.version) + " is); look at it again first");
  }
  switch (s.state) {
    case StepState::awaiting_approval:
      break;
    case StepState::invalid:
      if (a.kind == AnswerKind::deny) break;  // a broken script can always be skipped
      throw RpcError(ErrorCode::InvalidState,
                     step_text(a.step, version) + " failed validation and cannot run; edit it or deny it");
    default:
      throw RpcError(ErrorCode::ApprovalConflict, step_text(a.step, version) +
                                                      " was already answered: it is " + name(s.state) +
                                                      ". The first answer counts.");
  }
  if (a.kind == AnswerKind::approve) {
    if (s.level == proto::SecurityLevel::restricted && !a.confirm_restricted) {
      throw RpcError(ErrorCode::InvalidState,
                     step_text(a.step, version) +
                         " is restricted (see its warnings): approving it needs a second confirmation "
                         "(answer yes again on the terminal, or add --confirm-restricted)");
    }
    s.state = StepState::approved;
  } else {
    s.state = StepState::denied;
  }
  return version;
}

bool Approvals::may_run(std::int64_t step) const {
  const auto it = steps_.find(step);
  return it != steps_.end() && it->second.state == StepState::approved;
}

void Approvals::started(std::int64_t step) {
  if (!may_run(step)) {
    throw RpcError(ErrorCode::InvalidState,
                   "step " + std::to_string(step) + " has no approval to run (it is " +
                       (steps_.count(step) != 0U ? name(steps_.at(step).state) : std::string("unknown")) +
                       ")");
  }
  at(step).state = StepState::running;
}

void Approvals::finished(std::int64_t step, bool success) {
  auto& s = at(step);
  if (s.state != StepState::running) {
    throw RpcError(ErrorCode::InvalidState, "step " + std::to_string(step) + " is not running");
  }
  s.state = success ? StepState::succeeded : StepState::failed;
}

StepState Approvals::state(std::int64_t step) const {
  return at(step).state;
}

std::optional<std::int64_t> Approvals::waiting() const {
  for (const auto& [n, s] : steps_) {
    if (s.state == StepState::awaiting_approval || s.state == StepState::invalid) return n;
  }
  return std::nullopt;
}

}  // namespace gdp::session
