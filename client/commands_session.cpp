// submit, attach, approve, deny, edit, show, log, resume, cancel: the approval workflow. A session
// lives in gdpd; these commands start one, follow it (client/follow.h), answer it from any terminal
// and look into it. What they print is rendered by client/session_view.h.
#include "client/commands.h"
#include "client/follow.h"
#include "client/pager.h"
#include "client/rpc_client.h"
#include "client/session_view.h"
#include "client/source.h"

#include <boost/program_options.hpp>

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <sstream>

namespace gdp::client {
namespace po = boost::program_options;

int parse_options(const GlobalOptions& g, const char* command, const std::vector<std::string>& args,
                  const po::options_description& opts, const char* positional, po::variables_map& vm) {
  po::options_description all;
  all.add(opts);
  po::positional_options_description pos;
  if (positional != nullptr) {
    all.add_options()(positional, po::value<std::string>());
    pos.add(positional, 1);
  }
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return g.out.error(kUsage, std::string(e.what()) + "; see gdp " + command + " --help");
  }
  return kOk;
}

std::optional<std::string> project_option(const po::variables_map& vm) {
  if (!vm.count("project")) return std::nullopt;
  return std::filesystem::absolute(vm["project"].as<std::string>()).lexically_normal().string();
}

namespace {

// Each command's options, with the descriptions its --help shows. Every command about one session
// takes --project.
void project_options(po::options_description& opts) {
  opts.add_options()("project", po::value<std::string>()->value_name("DIR"),
                     "the project folder the session belongs to (default: the current folder for submit; "
                     "any project for the others)");
}

void follow_options(po::options_description& opts) {
  project_options(opts);
  // clang-format off
  opts.add_options()
      ("confirm-restricted", "approve a restricted script at the prompt without typing yes a second time")
      ("quiet", "show only decisions, failures and the end, not every event")
      ("verbose", "also show each step's output and logs as it finishes");
  // clang-format on
}

// submit and resume may also --detach: start, and follow later (or never).
void detach_option(po::options_description& opts) {
  opts.add_options()("detach", "start and return at once; follow later with gdp attach SESSION");
}

void step_option(po::options_description& opts) {
  opts.add_options()("step", po::value<std::int64_t>()->value_name("N"),
                     "the step to answer; refused when it is not the one waiting (default: the waiting one)");
}

void decision_options(po::options_description& opts) {
  project_options(opts);
  step_option(opts);
  opts.add_options()("version", po::value<std::int64_t>()->value_name("V"),
                     "the script version to answer; refused when a newer one waits (default: the latest)");
}

void submit_options(po::options_description& opts) {
  follow_options(opts);
  detach_option(opts);
  opts.add_options()("output", po::value<std::string>()->value_name("DIR"),
                     "where the results go (default: a folder next to the input file)");
  source_options(opts);
}

void attach_options(po::options_description& opts) {
  follow_options(opts);
}

void resume_options(po::options_description& opts) {
  follow_options(opts);
  detach_option(opts);
}

void approve_options(po::options_description& opts) {
  decision_options(opts);
  opts.add_options()("confirm-restricted", "approve a restricted script without being asked to type yes");
}

void deny_options(po::options_description& opts) {
  decision_options(opts);
  opts.add_options()("reason", po::value<std::string>()->value_name("TEXT"),
                     "why, in a line the planner reads before it proposes another script");
}

void edit_options(po::options_description& opts) {
  project_options(opts);
  step_option(opts);
}

void show_options(po::options_description& opts) {
  project_options(opts);
  // clang-format off
  opts.add_options()
      ("step", po::value<std::int64_t>()->value_name("N"), "every version of step N, line-numbered, and its decisions")
      ("analysis", "the planner's analysis of the data and the masked snapshot's shape")
      ("sent", "exactly what was sent to a remote planner, request by request");
  // clang-format on
}

// The options of a command, from its adder.
po::options_description options_of(void (*add)(po::options_description&)) {
  po::options_description opts;
  add(opts);
  return opts;
}

// Parses and checks that SESSION was given; returns kOk or the usage error's exit code.
int parse_session(const GlobalOptions& g, const char* command, const std::vector<std::string>& args,
                  const po::options_description& opts, po::variables_map& vm, std::string& session_id) {
  if (const int code = parse_options(g, command, args, opts, "session", vm); code != kOk) return code;
  if (!vm.count("session")) {
    return g.out.error(
        kUsage, std::string("which session? usage: gdp ") + command + " SESSION (gdp status lists them)");
  }
  session_id = vm["session"].as<std::string>();
  return kOk;
}

template <class T>
std::optional<T> optional_value(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<T>();
}

// The result as the one JSON document under --json, else as `human` prints it.
template <class Result, class Print>
int print_result(const GlobalOptions& g, const Result& result, Print human) {
  if (g.out.json) {
    g.out.document(wire::to_json(result));
  } else {
    human(result);
    std::cout << std::flush;
  }
  return kOk;
}

int follow_options_into(const GlobalOptions& g, const po::variables_map& vm, FollowOptions& o) {
  o.project = project_option(vm);
  o.quiet = vm.count("quiet") != 0;
  o.verbose = vm.count("verbose") != 0;
  o.confirm_restricted = vm.count("confirm-restricted") != 0;
  if (o.quiet && o.verbose)
    return g.out.error(kUsage, "--quiet and --verbose cannot go together; choose one");
  return kOk;
}

int submit(const GlobalOptions& g, const std::vector<std::string>& args) {
  // The file and its sampling options are gdp plan's (parse_source); the rest are the session's.
  po::options_description opts;
  follow_options(opts);
  detach_option(opts);
  opts.add_options()("output", po::value<std::string>());
  po::variables_map vm;
  std::vector<std::string> source_args;
  try {
    auto parsed = po::command_line_parser(args).options(opts).allow_unregistered().run();
    po::store(parsed, vm);
    po::notify(vm);
    source_args = po::collect_unrecognized(parsed.options, po::include_positional);
  } catch (const po::error& e) {
    return g.out.error(kUsage, std::string(e.what()) + "; see gdp submit --help");
  }
  FollowOptions follow;
  if (const int code = follow_options_into(g, vm, follow); code != kOk) return code;
  proto::SubmitParams params;
  if (const int code = parse_source(g, "submit", source_args, params.source); code != kOk) return code;
  params.project = follow.project.value_or(std::filesystem::current_path().lexically_normal().string());
  follow.project = params.project;
  if (vm.count("output")) {
    params.output = std::filesystem::absolute(vm["output"].as<std::string>()).lexically_normal().string();
  }

  DaemonConnection conn(g.socket_path, g.timeout);
  conn.set_reply_timeout(std::max(g.timeout, kReadTimeout));
  proto::SubmitResult result;
  {
    const ForwardedKey key(params.api_key);
    result = call_reading(g, params.source, [&] { return conn.call<proto::Submit>(params); });
  }
  for (const auto& w : result.warnings) g.out.warning(w);
  const auto& id = result.session.session_id;
  if (vm.count("detach")) {
    if (g.out.json) {
      g.out.document(wire::to_json(result));
    } else {
      std::cout << id << "\n";
      std::cerr << "Submitted. Follow it with:  gdp attach " << id << "\n";
    }
    return kOk;
  }
  if (!g.out.json) {
    std::cout << "Session " << id << " on " << view::visible(result.session.input_file) << "\n"
              << "Planner: " << view::visible(result.note) << "\n"
              << std::flush;
  }
  return follow_session(g, conn, id, follow, {{"submit", wire::to_json(result)}});
}

// SESSION and the options of a command that follows it.
int parse_follow(const GlobalOptions& g, const char* command, const std::vector<std::string>& args,
                 bool may_detach, po::variables_map& vm, std::string& id, FollowOptions& follow) {
  if (const int code =
          parse_session(g, command, args, options_of(may_detach ? resume_options : attach_options), vm, id);
      code != kOk) {
    return code;
  }
  return follow_options_into(g, vm, follow);
}

int attach(const GlobalOptions& g, const std::vector<std::string>& args) {
  po::variables_map vm;
  std::string id;
  FollowOptions follow;
  if (const int code = parse_follow(g, "attach", args, false, vm, id, follow); code != kOk) return code;
  DaemonConnection conn(g.socket_path, g.timeout);
  return follow_session(g, conn, id, follow);
}

int resume(const GlobalOptions& g, const std::vector<std::string>& args) {
  po::variables_map vm;
  std::string id;
  FollowOptions follow;
  if (const int code = parse_follow(g, "resume", args, true, vm, id, follow); code != kOk) return code;
  DaemonConnection conn(g.socket_path, g.timeout);
  proto::ResumeParams params{id, follow.project, std::nullopt};
  proto::SessionView resumed;
  {
    const ForwardedKey key(params.api_key);
    resumed = conn.call<proto::Resume>(params);
  }
  if (vm.count("detach")) {
    if (g.out.json) {
      g.out.document(wire::to_json(resumed));
    } else {
      std::cout << "Resumed " << id << ". Follow it with:  gdp attach " << id << "\n";
    }
    return kOk;
  }
  return follow_session(g, conn, id, follow, {{"resume", wire::to_json(resumed)}});
}

// The step a session waits on, if any.
std::optional<proto::PendingApproval> waiting_step(DaemonConnection& conn, const proto::SessionRef& ref) {
  proto::StatusParams params{ref.session_id, ref.project};
  auto s = conn.call<proto::Status>(params).session;
  return s ? s->pending : std::nullopt;
}

int print_decision(const GlobalOptions& g, const proto::DecisionResult& r) {
  return print_result(g, r, [&g](const proto::DecisionResult& d) {
    std::cout << "You " << view::decision_line(d.decision, g.look) << "\n";
  });
}

int approve(const GlobalOptions& g, const std::vector<std::string>& args) {
  const auto opts = options_of(approve_options);
  po::variables_map vm;
  proto::ApproveParams params;
  if (const int code = parse_session(g, "approve", args, opts, vm, params.session_id); code != kOk)
    return code;
  params.project = project_option(vm);
  params.step = optional_value<std::int64_t>(vm, "step");
  params.version = optional_value<std::int64_t>(vm, "version");
  if (vm.count("confirm-restricted")) params.confirm_restricted = true;
  DaemonConnection conn(g.socket_path, g.timeout);
  try {
    return print_decision(g, conn.call<proto::Approve>(params));
  } catch (const RpcError& e) {
    // A restricted script needs a second, explicit yes: asked here when a person is at the terminal.
    if (e.code() != ErrorCode::InvalidState || params.confirm_restricted || g.out.json) throw;
    const auto pending = waiting_step(conn, {params.session_id, params.project});
    if (!pending || !pending->needs_confirmation || (params.step && *params.step != pending->step)) throw;
    if (!isatty(STDIN_FILENO)) {
      throw ClientError(kDaemonError, std::string(e.what()) + "\nStep " + std::to_string(pending->step) +
                                          " is restricted: approve it with --confirm-restricted");
    }
    std::cerr << "Step " << pending->step << " (" << view::visible(pending->script.script_id)
              << ") is RESTRICTED. Type yes to approve it anyway: " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer) || answer != "yes") {
      std::cerr << "Not approved.\n";
      return kDaemonError;
    }
    params.confirm_restricted = true;
    return print_decision(g, conn.call<proto::Approve>(params));
  }
}

int deny(const GlobalOptions& g, const std::vector<std::string>& args) {
  const auto opts = options_of(deny_options);
  po::variables_map vm;
  proto::DenyParams params;
  if (const int code = parse_session(g, "deny", args, opts, vm, params.session_id); code != kOk) return code;
  params.project = project_option(vm);
  params.step = optional_value<std::int64_t>(vm, "step");
  params.version = optional_value<std::int64_t>(vm, "version");
  params.reason = optional_value<std::string>(vm, "reason");
  DaemonConnection conn(g.socket_path, g.timeout);
  return print_decision(g, conn.call<proto::Deny>(params));
}

int edit(const GlobalOptions& g, const std::vector<std::string>& args) {
  const auto opts = options_of(edit_options);
  po::variables_map vm;
  proto::SessionRef ref;
  if (const int code = parse_session(g, "edit", args, opts, vm, ref.session_id); code != kOk) return code;
  ref.project = project_option(vm);
  const auto step = optional_value<std::int64_t>(vm, "step");
  DaemonConnection conn(g.socket_path, g.timeout);
  const auto pending = waiting_step(conn, ref);
  if (!pending || (step && *step != pending->step)) {
    const auto which = step ? "step " + std::to_string(*step) : std::string("no step");
    return g.out.error(kDaemonError, (step ? which + " does not wait" : which + " waits") +
                                         " for approval in session " + ref.session_id + "; see gdp show " +
                                         ref.session_id);
  }
  // The editor owns the terminal for as long as it likes; the answer comes after.
  conn.set_reply_timeout(g.timeout);
  auto& human = g.out.json ? std::cerr : std::cout;
  bool editor_failed = false;
  const auto result = edit_in_editor(conn, ref, *pending, human, editor_failed);
  if (editor_failed) return g.out.error(kDaemonError, kEditorFailed);
  if (g.out.json) {
    g.out.document(result ? wire::to_json(*result)
                          : boost::json::value(boost::json::object{{"unchanged", true}}));
  } else if (result) {
    print_edit_result(std::cout, ref.session_id, *result);
  }
  return kOk;
}

int show(const GlobalOptions& g, const std::vector<std::string>& args) {
  const auto opts = options_of(show_options);
  po::variables_map vm;
  proto::ShowParams params;
  if (const int code = parse_session(g, "show", args, opts, vm, params.session_id); code != kOk) return code;
  params.project = project_option(vm);
  params.step = optional_value<std::int64_t>(vm, "step");
  if (vm.count("analysis")) params.analysis = true;
  if (vm.count("sent")) params.sent = true;
  DaemonConnection conn(g.socket_path, g.timeout);
  return print_result(g, conn.call<proto::Show>(params), [&](const proto::ShowResult& r) {
    // A step's versions can be long: the whole view goes through the pager when it is.
    std::ostringstream text;
    view::session(text, r.session, g.look);
    if (params.step) view::step_versions(text, r.versions, r.decisions, g.look);
    if (r.analysis) view::analysis(text, *r.analysis);
    if (r.snapshot) view::snapshot_shape(text, *r.snapshot);
    if (params.sent) view::sent_requests(text, r.sent);
    page(text.str(), g.pager);
  });
}

// gdp log and gdp cancel: SESSION [--project DIR], one call, its result printed.
template <class Method, class Print>
int session_call(const GlobalOptions& g, const char* command, const std::vector<std::string>& args,
                 Print human) {
  po::variables_map vm;
  proto::SessionRef ref;
  if (const int code = parse_session(g, command, args, options_of(project_options), vm, ref.session_id);
      code != kOk) {
    return code;
  }
  ref.project = project_option(vm);
  DaemonConnection conn(g.socket_path, g.timeout);
  return print_result(g, conn.call<Method>(ref), human);
}

int log(const GlobalOptions& g, const std::vector<std::string>& args) {
  return session_call<proto::Log>(g, "log", args, [&g](const proto::LogResult& r) {
    // On a terminal, a long event wraps under its text, past the full timestamp.
    constexpr std::size_t kIndent = 22;
    for (const auto& e : r.events)
      std::cout << wrap(view::event_line(e, true, g.look), g.look.width, kIndent) << "\n";
  });
}

int cancel(const GlobalOptions& g, const std::vector<std::string>& args) {
  return session_call<proto::Cancel>(
      g, "cancel", args, [&g](const proto::SessionView& s) { view::session(std::cout, s, g.look); });
}

const Command kCommands[] = {
    {"submit", "start a session on a file: each proposed script is shown and runs only once approved",
     "submit FILE [--method M] [--by COLUMN] [--seed N] [--sample-size N] [--yes-large] [--project DIR] "
     "[--output DIR] [--detach] [--confirm-restricted] [--quiet|--verbose]",
     "gdp submit examples/sales.csv", submit, submit_options},
    {"attach", "follow a session and answer its approvals here",
     "attach SESSION [--project DIR] [--confirm-restricted] [--quiet|--verbose]",
     "gdp attach 20261127T101500Z_3fa9c2", attach, attach_options},
    {"approve", "approve the step a session waits on, from any terminal",
     "approve SESSION [--step N] [--version V] [--confirm-restricted] [--project DIR]",
     "gdp approve 20261127T101500Z_3fa9c2 --step 2", approve, approve_options},
    {"deny", "deny the step a session waits on; the planner is told why",
     "deny SESSION [--step N] [--version V] [--reason TEXT] [--project DIR]",
     "gdp deny 20261127T101500Z_3fa9c2 --reason 'keep the empty rows'", deny, deny_options},
    {"edit", "edit the waiting script in $EDITOR; the new version is checked and shown again",
     "edit SESSION [--step N] [--project DIR]", "gdp edit 20261127T101500Z_3fa9c2", edit, edit_options},
    {"show", "show a session: its steps, one step's versions, the analysis, what was sent",
     "show SESSION [--step N] [--analysis] [--sent] [--project DIR]",
     "gdp show 20261127T101500Z_3fa9c2 --step 1", show, show_options},
    {"log", "list every event of a session with its time", "log SESSION [--project DIR]",
     "gdp log 20261127T101500Z_3fa9c2", log, project_options},
    {"resume", "continue a session its daemon left behind, then follow it",
     "resume SESSION [--project DIR] [--detach] [--confirm-restricted] [--quiet|--verbose]",
     "gdp resume 20261127T101500Z_3fa9c2", resume, resume_options},
    {"cancel", "stop a session; finished steps and their results are kept", "cancel SESSION [--project DIR]",
     "gdp cancel 20261127T101500Z_3fa9c2", cancel, project_options},
};

}  // namespace

std::span<const Command> session_commands() {
  return kCommands;
}

}  // namespace gdp::client
