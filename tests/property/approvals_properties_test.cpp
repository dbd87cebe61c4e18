// The seed's Properties 5 and 6 over the approval rules (daemon/session/approvals.h), for generated
// sequences of proposals, answers from several terminals (stale, repeated, for steps that are not
// waiting) and attempts to run: nothing runs without an approval of exactly the version that would
// run, and a denial skips its step while the others go on.
#include "common/errors.h"
#include "daemon/session/approvals.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <map>
#include <set>

namespace {

using namespace gdp;
using session::Answer;
using session::AnswerKind;
using session::Approvals;
using session::StepState;

constexpr std::int64_t kSteps = 4;

// What the test knows independently of the class: every accepted answer.
struct Model {
  std::map<std::int64_t, std::int64_t> version;  // the newest version proposed
  std::map<std::int64_t, bool> valid, restricted;
  std::set<std::pair<std::int64_t, std::int64_t>> approved, denied;
  std::set<std::int64_t> started;
};

proto::ValidationResult validation(bool valid, bool restricted) {
  proto::ValidationResult v;
  v.is_valid = valid;
  v.security_level = restricted ? proto::SecurityLevel::restricted : proto::SecurityLevel::safe;
  return v;
}

// Runs one generated operation against both; returns false when the class refused it.
bool apply(Approvals& a, Model& m) {
  const auto step = *rc::gen::inRange<std::int64_t>(1, kSteps + 1);
  switch (*rc::gen::inRange(0, 4)) {
    case 0: {  // a new version: the planner's, a revision or an edit
      const bool valid = *rc::gen::inRange(0, 4) != 0;
      const bool restricted = *rc::gen::inRange(0, 4) == 0;
      try {
        a.propose(step, m.version[step] + 1, validation(valid, restricted));
      } catch (const RpcError& e) {
        RC_ASSERT(e.code() == ErrorCode::InvalidState);
        return false;
      }
      ++m.version[step];
      m.valid[step] = valid;
      m.restricted[step] = restricted;
      return true;
    }
    case 1: {  // an answer from some terminal, perhaps about a version it saw a while ago
      Answer ans;
      ans.kind = *rc::gen::element(AnswerKind::approve, AnswerKind::deny);
      ans.step = step;
      ans.version = std::max<std::int64_t>(0, m.version[step] - *rc::gen::inRange<std::int64_t>(-1, 2));
      ans.confirm_restricted = *rc::gen::arbitrary<bool>();
      try {
        const auto decided = a.answer(ans);
        RC_ASSERT(decided == m.version[step]);  // only ever the version waiting
        const auto key = std::make_pair(step, decided);
        RC_ASSERT(m.approved.count(key) + m.denied.count(key) == 0U);  // the first answer wins
        if (ans.kind == AnswerKind::approve) {
          RC_ASSERT(m.valid[step]);                                  // never an invalid script
          RC_ASSERT(!m.restricted[step] || ans.confirm_restricted);  // restricted: confirmed twice
          m.approved.insert(key);
        } else {
          m.denied.insert(key);
        }
        return true;
      } catch (const RpcError& e) {
        RC_ASSERT(e.code() == ErrorCode::InvalidState || e.code() == ErrorCode::ApprovalConflict);
        return false;
      }
    }
    default: {  // try to run it, and finish it
      try {
        a.started(step);
      } catch (const RpcError& e) {
        RC_ASSERT(e.code() == ErrorCode::InvalidState);
        return false;
      }
      // Property 5: what runs is exactly a version someone approved, and it runs once.
      RC_ASSERT(m.approved.count({step, m.version[step]}) == 1U);
      RC_ASSERT(m.started.insert(step).second);
      a.finished(step, *rc::gen::arbitrary<bool>());
      return true;
    }
  }
}

}  // namespace

TEST_CASE("Property 5: nothing runs without an explicit approval of exactly the version that runs",
          "[property][Property 5]") {
  rc::prop("User Approval Requirement", [] {
    Approvals a;
    Model m;
    const auto operations = *rc::gen::inRange(1, 80);
    for (int i = 0; i < operations; ++i) apply(a, m);
    for (std::int64_t step = 1; step <= kSteps; ++step) {
      if (m.version[step] == 0) continue;
      const auto s = a.state(step);
      if (s == StepState::running || s == StepState::succeeded || s == StepState::failed) {
        RC_ASSERT(m.approved.count({step, m.version[step]}) == 1U);
      }
      RC_ASSERT(a.may_run(step) == (s == StepState::approved));
    }
  });
}

TEST_CASE("Property 6: a denied step is skipped and the session goes on with the next one",
          "[property][Property 6]") {
  rc::prop("Approval Denial Handling", [] {
    Approvals a;
    const auto steps = *rc::gen::inRange<std::int64_t>(1, 12);
    std::set<std::int64_t> denied;
    for (std::int64_t step = 1; step <= steps; ++step) {
      a.propose(step, 1, validation(true, false));
      RC_ASSERT(a.waiting() == std::optional<std::int64_t>(step));
      Answer ans;
      ans.step = step;
      ans.kind = *rc::gen::element(AnswerKind::approve, AnswerKind::deny);
      ans.reason = "not this";
      a.answer(ans);
      if (ans.kind == AnswerKind::deny) {
        denied.insert(step);
        RC_ASSERT(a.state(step) == StepState::denied);
        RC_ASSERT(!a.may_run(step));
        try {
          a.started(step);
          RC_FAIL("a denied step ran");
        } catch (const RpcError& e) {
          RC_ASSERT(e.code() == ErrorCode::InvalidState);
        }
        continue;  // skipped: the next step is proposed as if nothing happened
      }
      a.started(step);
      a.finished(step, true);
    }
    RC_ASSERT(!a.waiting().has_value());
    for (std::int64_t step = 1; step <= steps; ++step) {
      RC_ASSERT(a.state(step) == (denied.count(step) != 0U ? StepState::denied : StepState::succeeded));
    }
  });
}
