// Properties 5 and 6 at the level of a whole session (daemon/session/session.h): the real workflow
// coroutine on an io_context, the real builtin planner on a real masked snapshot, a real SQLite
// store, and generated answers from several terminals (approve, deny, edits that pass or fail
// validation, stale versions, second answers, restricted scripts with and without confirmation).
// Only the container is a recording double, so hundreds of sessions need no engine; the same
// workflow runs against the real engine in tests/e2e/session_test.cpp.
#include "common/errors.h"
#include "daemon/ingest/snapshot.h"
#include "daemon/llm/builtin.h"
#include "daemon/session/session.h"
#include "daemon/store/hash.h"
#include "tests/support/test_support.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <mutex>
#include <set>

namespace {

using namespace gdp;
namespace asio = boost::asio;
namespace fs = std::filesystem;

// The container, recorded: what was validated and what ran, in order.
class RecordingSandbox final : public session::StepSandbox {
 public:
  struct Run {
    std::int64_t step;
    std::string content;
  };
  void warm_up() override {}
  proto::ValidationResult validate(const std::string& content, std::int64_t) override {
    proto::ValidationResult v;
    v.is_valid = content.find("SYNTAX(") == std::string::npos;
    if (!v.is_valid) v.syntax_errors.emplace_back("line 1, column 7: invalid syntax");
    v.security_level = content.find("# RESTRICTED") != std::string::npos ? proto::SecurityLevel::restricted
                                                                         : proto::SecurityLevel::safe;
    return v;
  }
  sandbox::StepRun run(const std::string& content, std::int64_t step) override {
    std::lock_guard lock(mutex);
    runs.push_back({step, content});
    sandbox::StepRun r;
    r.result.success = true;
    r.result.exit_code = 0;
    r.result.output_data = "ran";
    return r;
  }
  std::vector<std::string> missing_packages(const std::vector<std::string>&) override { return {}; }
  session::PackageResult install(const std::vector<std::string>&, std::int64_t) override { return {}; }
  void interrupt() override {}
  void stop() override {}

  std::mutex mutex;
  std::vector<Run> runs;
};

// One generated answer to whatever waits.
enum class Act {
  approve,
  deny,
  edit_valid,
  edit_broken,
  approve_stale,
  answer_twice,
  approve_restricted_unconfirmed
};
void showValue(Act act, std::ostream& os) {
  constexpr const char* kNames[] = {"approve",
                                    "deny",
                                    "edit_valid",
                                    "edit_broken",
                                    "approve_stale",
                                    "answer_twice",
                                    "approve_restricted_unconfirmed"};
  os << kNames[static_cast<int>(act)];
}

struct World {
  gdp::test::TempDir dir;
  asio::io_context io;
  asio::thread_pool workers{2};
  std::shared_ptr<session::ProjectStore> store;
  RecordingSandbox* sandbox = nullptr;
  std::shared_ptr<session::Session> s;

  World() {
    const fs::path input = dir.path() / "sales.csv";
    fs::copy_file(fs::path(GDP_SOURCE_DIR) / "examples" / "sales.csv", input);
    store::StoreConfig config;
    config.durable = false;  // logic, not durability, is under test here
    store = std::make_shared<session::ProjectStore>(store::ContextStore::open(dir.path(), config));
    auto record = store->with([&](store::ContextStore& st) {
      return st.create_session({input, store::sha256_file(input), "builtin", dir.path() / "output"});
    });
    session::SessionDeps deps;
    deps.loop = io.get_executor();
    deps.workers = &workers;
    deps.store = store;
    auto fake = std::make_unique<RecordingSandbox>();
    sandbox = fake.get();
    deps.sandbox = std::move(fake);
    deps.planner.planner = std::make_unique<planner::BuiltinPlanner>();
    deps.snapshot = [](const proto::SnapshotParams& p) {
      ingest::SnapshotOptions options;
      options.seed = p.seed;
      privacy::Vault vault;
      return privacy::Sanitizer().sanitize(ingest::build_snapshot(p.path, options), vault);
    };
    deps.slots = std::make_shared<session::ContainerSlots>(io.get_executor(), 1);
    proto::SnapshotParams source;
    source.path = input.string();
    source.seed = 7;
    s = std::make_shared<session::Session>(std::move(deps), std::move(record), source);
  }
  ~World() {
    workers.join();
    s.reset();
  }

  template <class Pred>
  void run_until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done()) {
      RC_ASSERT(std::chrono::steady_clock::now() < deadline);
      io.restart();
      io.run_for(std::chrono::milliseconds(2));
    }
  }

  // Runs an answer to its end: 0 when accepted, else the error code.
  template <class Call>
  std::int64_t answer(Call call) {
    bool done = false;
    std::int64_t code = 0;
    asio::co_spawn(io, call(), [&](std::exception_ptr e, auto) {
      done = true;
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const RpcError& r) {
        code = r.raw_code();
      }
    });
    run_until([&] { return done; });
    return code;
  }
};

}  // namespace

TEST_CASE("Properties 5 and 6 over whole sessions: only approved versions run, denials skip and go on",
          "[property][5][6][session]") {
  rc::prop("User Approval Requirement and Approval Denial Handling, per session", [] {
    const auto acts = *rc::gen::container<std::vector<Act>>(
        rc::gen::element(Act::approve, Act::deny, Act::edit_valid, Act::edit_broken, Act::approve_stale,
                         Act::answer_twice, Act::approve_restricted_unconfirmed));
    World w;
    w.s->start();
    std::set<std::pair<std::int64_t, std::string>> approved;  // (step, content) of accepted approvals
    std::set<std::int64_t> denied;
    std::size_t next = 0;
    const proto::DecidedBy by{4242, std::string("pts/9")};
    for (int answers = 0; answers < 200; ++answers) {
      w.run_until([&] { return !w.s->live() || w.s->view().pending.has_value(); });
      if (!w.s->live()) break;
      const auto pending = *w.s->view().pending;
      const auto step = pending.step;
      const bool valid = pending.validation.is_valid;
      const bool restricted = pending.needs_confirmation;
      Act act = next < acts.size() ? acts[next++] : (valid ? Act::approve : Act::deny);
      proto::ApproveParams approve{w.s->id(), {}, step, pending.version, true};
      proto::DenyParams deny{w.s->id(), {}, step, pending.version, std::string("not this one")};
      switch (act) {
        case Act::approve: {
          const auto code = w.answer([&] { return w.s->approve(approve, by); });
          RC_ASSERT(code == (valid ? 0 : 7001));
          if (code == 0) approved.insert({step, pending.script.content});
          break;
        }
        case Act::deny:
          RC_ASSERT(w.answer([&] { return w.s->deny(deny, by); }) == 0);
          denied.insert(step);
          break;
        case Act::edit_valid:
        case Act::edit_broken: {
          proto::EditParams edit{w.s->id(),
                                 {},
                                 step,
                                 pending.version,
                                 act == Act::edit_valid ? "print('edit " + std::to_string(answers) + "')\n" +
                                                              (answers % 2 == 1 ? "# RESTRICTED\n" : "")
                                                        : "x = SYNTAX(\n"};
          RC_ASSERT(w.answer([&] { return w.s->edit(edit, by); }) == 0);
          RC_ASSERT(w.s->view().pending->version == pending.version + 1);
          break;
        }
        case Act::approve_stale: {
          proto::ApproveParams stale = approve;
          stale.version = pending.version + 1;
          RC_ASSERT(w.answer([&] { return w.s->approve(stale, by); }) == 7001);
          break;
        }
        case Act::answer_twice: {
          if (!valid) break;
          RC_ASSERT(w.answer([&] { return w.s->approve(approve, by); }) == 0);
          approved.insert({step, pending.script.content});
          // Refused: ApprovalConflict while the session lives; InvalidState once it has completed.
          const auto code = w.answer([&] { return w.s->deny(deny, by); });
          RC_ASSERT(code == 7000 || code == 7001);
          break;
        }
        case Act::approve_restricted_unconfirmed: {
          proto::ApproveParams unconfirmed = approve;
          unconfirmed.confirm_restricted = false;
          const auto code = w.answer([&] { return w.s->approve(unconfirmed, by); });
          if (!valid || restricted) {
            RC_ASSERT(code == 7001);
          } else {
            RC_ASSERT(code == 0);
            approved.insert({step, pending.script.content});
          }
          break;
        }
      }
    }
    w.run_until([&] { return !w.s->live(); });
    // Property 6: denials never end the session; it completes.
    RC_ASSERT(w.s->view().status == proto::SessionStatus::completed);
    // Property 5: everything that ran is exactly an approved version of its step, once.
    std::set<std::int64_t> ran;
    for (const auto& r : w.sandbox->runs) {
      RC_ASSERT(approved.count({r.step, r.content}) == 1);
      RC_ASSERT(ran.insert(r.step).second);
      RC_ASSERT(denied.count(r.step) == 0);
    }
    RC_ASSERT(ran.size() == approved.size());
    // And the store holds each answer with who gave it.
    const auto decisions = w.store->with([&](store::ContextStore& st) { return st.decisions(w.s->id()); });
    for (const auto& d : decisions) RC_ASSERT(d.by.pid == 4242 && d.by.tty == "pts/9");
    std::size_t approvals = 0;
    for (const auto& d : decisions) approvals += d.decision == store::DecisionKind::approve ? 1U : 0U;
    RC_ASSERT(approvals == approved.size());
  });
}
