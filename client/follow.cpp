#include "client/follow.h"

#include "client/pager.h"
#include "client/progress.h"
#include "client/session_view.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace gdp::client {
namespace {

using proto::SessionEventKind;

// The temporary copy of a script is the person's to edit and no one else's to read; it goes away
// however the edit ends.
class PrivateScriptFile {
 public:
  explicit PrivateScriptFile(std::int64_t step) {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/gdp-step-" +
                       std::to_string(step) + "-XXXXXX.py";
    path_.assign(tmpl.begin(), tmpl.end());
    path_.push_back('\0');
    const mode_t old = umask(077);
    fd_ = mkstemps(path_.data(), 3);
    umask(old);
    if (fd_ < 0)
      throw ClientError(kDaemonError, "cannot create a temporary file in " + tmpl.substr(0, tmpl.rfind('/')) +
                                          ": " + std::strerror(errno) +
                                          "; point TMPDIR to a writable folder");
    fchmod(fd_, 0600);
  }
  ~PrivateScriptFile() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.data());
  }
  PrivateScriptFile(const PrivateScriptFile&) = delete;
  PrivateScriptFile& operator=(const PrivateScriptFile&) = delete;

  std::string path() const { return path_.data(); }
  void write(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      const auto n = ::write(fd_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw ClientError(kDaemonError, "cannot write " + path() + ": " + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
    close(fd_);
    fd_ = -1;
  }
  std::string read() const {
    std::ifstream in(path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::vector<char> path_;
  int fd_ = -1;
};

// Runs the editor through the shell so that EDITOR may carry arguments ("code --wait").
bool run_editor(const std::string& file) {
  const char* editor = std::getenv("VISUAL");
  if (editor == nullptr || *editor == '\0') editor = std::getenv("EDITOR");
  if (editor == nullptr || *editor == '\0') editor = "vi";
  const std::string command = std::string(editor) + " \"$1\"";
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), "sh", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string resume_hint(const std::string& id) {
  return "The session is kept; continue it with:  gdp resume " + id;
}

// Where an event line's text starts after its clock time ("11:29:20  ").
constexpr std::size_t kEventIndent = 10;

class Follower {
 public:
  Follower(const GlobalOptions& g, DaemonConnection& conn, std::string id, FollowOptions o)
      : g_(g), conn_(conn), id_(std::move(id)), o_(std::move(o)) {
    prompting_ = !g.out.json && isatty(STDIN_FILENO) != 0;
    spinning_ = !g.out.json && !o_.quiet && isatty(STDERR_FILENO) != 0;
  }

  int run(boost::json::object extra) {
    conn_.set_reply_timeout(g_.timeout);
    proto::AttachParams params{id_, o_.project, std::nullopt};
    const auto attached = conn_.call<proto::Attach>(params);
    session_ = attached.session;
    // Notifications that came before the reply are kept by the connection and read after the
    // replay; the seq check drops the ones the replay already had.
    for (const auto& e : attached.events) on_event(e, false);
    if (!outcome_ && session_.pending) need_approval(*session_.pending);
    while (!outcome_) step();
    spinner_.clear();
    if (g_.out.json) {
      extra["session"] = wire::to_json(session_);
      extra["events"] = std::move(events_);
      extra["outcome"] = *outcome_;
      g_.out.document(extra);
    }
    return code_;
  }

 private:
  enum class Ask { none, choice, confirm, reason };

  std::ostream& out() { return g_.out.json ? std::cerr : std::cout; }
  proto::SessionRef ref() const { return {id_, o_.project}; }

  void finish(const char* outcome, int code) {
    outcome_ = outcome;
    code_ = code;
  }

  void step() {
    const auto now = ProgressClock::now();
    std::optional<std::chrono::milliseconds> wait;
    if (spinning_ && ask_ == Ask::none && model_.line(now)) wait = std::chrono::milliseconds(1000);
    rpc::Message msg;
    // While following there is no reply to time out: a person may take hours to answer.
    switch (conn_.next_notification(wait, ask_ != Ask::none ? STDIN_FILENO : -1, msg)) {
      case DaemonConnection::Wake::notification:
        on_message(msg);
        break;
      case DaemonConnection::Wake::watched_fd:
        read_stdin();
        break;
      case DaemonConnection::Wake::timeout:
        break;
      case DaemonConnection::Wake::closed:
        error("gdpd closed the connection. " + resume_hint(id_));
        finish("connection_closed", kDaemonError);
        return;
    }
    if (spinning_ && ask_ == Ask::none && !outcome_) spinner_.draw(model_, ProgressClock::now());
  }

  // A line for the person: the progress line makes way for it. On a terminal it is wrapped, what
  // follows the first line indented under the clock time of event lines.
  void say(const std::string& line) {
    spinner_.clear();
    out() << wrap(line, g_.look.width, kEventIndent) << "\n" << std::flush;
  }

  // What went wrong, on stderr like every error of gdp's.
  void error(const std::string& message) {
    spinner_.clear();
    std::cout << std::flush;
    g_.out.error_line(message);
  }

  void on_message(const rpc::Message& msg) {
    if (msg.method == proto::DaemonShuttingDown::name) {
      std::string reason;
      try {
        reason = wire::from_json<proto::DaemonShuttingDownEvent>(msg.params).reason;
      } catch (const wire::TypeError&) {  // NOLINT(bugprone-empty-catch): the reason is a nicety
      }
      error("gdpd is shutting down" + (reason.empty() ? std::string() : " (" + view::visible(reason) + ")") +
            ". " + resume_hint(id_));
      finish("daemon_shutting_down", kDaemonError);
      return;
    }
    if (msg.method != proto::SessionEventNotice::name) return;
    proto::SessionEvent e;
    try {
      e = wire::from_json<proto::SessionEvent>(msg.params);
    } catch (const wire::TypeError& err) {
      throw ClientError(kProtocol, std::string("gdpd sent a malformed session.event (") + err.what() +
                                       "); are gdp and gdpd the same version?");
    }
    if (e.session_id == id_) on_event(e, true);
  }

  void on_event(const proto::SessionEvent& e, bool live) {
    if (e.seq <= last_seq_) return;
    last_seq_ = e.seq;
    model_.feed(e, ProgressClock::now());
    session_.phase = e.phase;
    if (g_.out.json) events_.push_back(wire::to_json(e));
    if (e.kind == SessionEventKind::decided && e.decision && waiting_ && e.decision->step == waiting_->step) {
      // Someone answered first (another terminal, or this one just now): the question is void.
      if (ask_ != Ask::none) std::cerr << "\n" << std::flush;
      waiting_.reset();
      ask_ = Ask::none;
    }
    print_event(e);
    if (e.kind == SessionEventKind::approval_needed && e.pending && live) need_approval(*e.pending);
    if (e.kind == SessionEventKind::finished) finished(e);
  }

  void print_event(const proto::SessionEvent& e) {
    const bool ours = e.kind == SessionEventKind::decided && e.decision && e.decision->by.pid == getpid();
    const bool failure =
        (e.kind == SessionEventKind::step_finished && e.result && !e.result->success) ||
        (e.kind == SessionEventKind::finished && e.status != proto::SessionStatus::completed);
    const bool shown_when_quiet = e.kind == SessionEventKind::decided || failure;
    if (g_.out.json || ours || e.kind == SessionEventKind::finished || (o_.quiet && !shown_when_quiet))
      return;
    say(view::event_line(e, false, g_.look));
    if (o_.verbose) {
      std::ostringstream detail;
      view::event_detail(detail, e);
      if (!detail.str().empty()) out() << detail.str() << std::flush;
    }
  }

  void finished(const proto::SessionEvent& e) {
    // The session as it ended says where the results are; the event's message when it cannot.
    try {
      proto::StatusParams params{id_, o_.project};
      if (auto s = conn_.call<proto::Status>(params).session) session_ = std::move(*s);
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the message below still says
    }
    const auto status = e.status.value_or(session_.status);
    session_.status = status;
    std::string line =
        "Session " + g_.look.paint(view::status_role(status), boost::describe::enum_to_string(status, "?")) +
        ": " + view::visible(e.message);
    if (session_.results_directory) line += "\nResults: " + view::visible(*session_.results_directory);
    if (!g_.out.json) say(line);
    finish("finished", status == proto::SessionStatus::completed ? kOk : kDaemonError);
  }

  void need_approval(const proto::PendingApproval& p) {
    const bool fresh = shown_.insert({p.step, p.version}).second;
    if (!fresh && ask_ != Ask::none) return;  // already being asked about
    waiting_ = p;
    spinner_.clear();
    if (g_.out.json) {
      if (fresh) {
        std::cerr << "gdp: step " << p.step << " waits for approval; answer with gdp approve " << id_
                  << " --step " << p.step << " (or gdp deny, gdp edit)\n";
      }
      return;
    }
    if (fresh) {
      // Taller than the terminal, it goes through the pager; the prompt comes when that is done.
      std::ostringstream text;
      view::approval(text, p, g_.look);
      page(text.str(), g_.pager && prompting_);
    }
    std::cout << std::flush;
    if (prompting_) return ask(Ask::choice);
    if (fresh) {
      std::cout << "Answer from another terminal:  gdp approve " << id_ << " --step " << p.step
                << "   |   gdp deny " << id_ << " --step " << p.step << " [--reason TEXT]   |   gdp edit "
                << id_ << " --step " << p.step << "\n"
                << std::flush;
    }
  }

  void ask(Ask what) {
    ask_ = what;
    switch (what) {
      case Ask::choice:
        std::cerr << "[a]pprove  [d]eny  [e]dit  [m]ore  [q] detach > ";
        break;
      case Ask::confirm:
        std::cerr << "This script is " << g_.out.look().paint(Role::error, "RESTRICTED")
                  << ". Type yes to approve it anyway: ";
        break;
      case Ask::reason:
        std::cerr << "Why? (one line for the planner, Enter for none): ";
        break;
      case Ask::none:
        break;
    }
    std::cerr << std::flush;
  }

  void read_stdin() {
    char buf[4096];
    const auto n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) return;
    if (n <= 0) {
      // No more answers can come from here; the step can still be answered from elsewhere.
      prompting_ = false;
      ask_ = Ask::none;
      if (waiting_) {
        say("\ngdp: no more input; answer from another terminal: gdp approve " + id_ + " --step " +
            std::to_string(waiting_->step) + " (or gdp deny, gdp edit)");
      }
      return;
    }
    input_.append(buf, static_cast<std::size_t>(n));
    for (auto nl = input_.find('\n'); nl != std::string::npos && ask_ != Ask::none; nl = input_.find('\n')) {
      const auto line = input_.substr(0, nl);
      input_.erase(0, nl + 1);
      answer(line);
      if (outcome_) return;
    }
  }

  void answer(const std::string& line) {
    switch (ask_) {
      case Ask::choice: {
        const auto first = line.find_first_not_of(" \t");
        const char c = first == std::string::npos ? '\0' : static_cast<char>(std::tolower(line[first]));
        if (c == 'a') {
          if (waiting_->needs_confirmation && !o_.confirm_restricted) return ask(Ask::confirm);
          return approve(false);
        }
        if (c == 'd') return ask(Ask::reason);
        if (c == 'e') return edit();
        if (c == 'm') return more();
        if (c == 'q') return detach();
        std::cerr << "Please answer a, d, e, m or q.\n";
        return ask(Ask::choice);
      }
      case Ask::confirm:
        if (line == "yes") return approve(true);
        std::cerr << "Not approved.\n";
        return ask(Ask::choice);
      case Ask::reason:
        return deny(line);
      case Ask::none:
        return;
    }
  }

  // An answer the daemon refused (someone else was first, the version is stale): say why and go on
  // following; if the step still waits, ask again.
  template <class Call>
  void send_answer(Call call) {
    ask_ = Ask::none;
    try {
      const auto decided = call();
      say("You " + view::decision_line(decided.decision, g_.look));
      waiting_.reset();
    } catch (const RpcError& e) {
      error(e.what());
      recheck();
    }
  }

  void recheck() {
    waiting_.reset();
    try {
      proto::StatusParams params{id_, o_.project};
      const auto now = conn_.call<proto::Status>(params).session;
      if (now && now->pending) need_approval(*now->pending);
    } catch (const RpcError&) {  // NOLINT(bugprone-empty-catch): the events that follow will tell
    }
  }

  void approve(bool confirmed) {
    send_answer([&] {
      proto::ApproveParams params{id_, o_.project, waiting_->step, waiting_->version, std::nullopt};
      if (confirmed || (waiting_->needs_confirmation && o_.confirm_restricted))
        params.confirm_restricted = true;
      return conn_.call<proto::Approve>(params);
    });
  }

  void deny(const std::string& reason) {
    send_answer([&] {
      proto::DenyParams params{id_, o_.project, waiting_->step, waiting_->version, std::nullopt};
      if (!reason.empty()) params.reason = reason;
      return conn_.call<proto::Deny>(params);
    });
  }

  void edit() {
    ask_ = Ask::none;
    spinner_.clear();
    try {
      bool editor_failed = false;
      const auto result = edit_in_editor(conn_, ref(), *waiting_, std::cout, editor_failed);
      if (editor_failed) error(kEditorFailed);
      if (!result) return ask(Ask::choice);
      print_edit_result(std::cout, id_, *result);
      // The new version comes back as its own approval_needed event and is asked about then.
      waiting_.reset();
    } catch (const RpcError& e) {
      error(e.what());
      recheck();
    }
  }

  // Everything about the waiting step, through the pager: the person asked for all of it. Events
  // that come meanwhile wait on the socket and are shown when the pager is done.
  void more() {
    try {
      proto::ShowParams params{id_, o_.project, waiting_->step, true, std::nullopt};
      const auto shown = conn_.call<proto::Show>(params);
      std::ostringstream text;
      view::step_versions(text, shown.versions, shown.decisions, g_.look);
      if (shown.analysis) view::analysis(text, *shown.analysis);
      spinner_.clear();
      page(text.str(), g_.pager, true);
    } catch (const RpcError& e) {
      error(e.what());
    }
    if (waiting_) ask(Ask::choice);
  }

  void detach() {
    ask_ = Ask::none;
    conn_.call<proto::Detach>(ref());
    say("Detached; the session goes on without this terminal. Attach again with:  gdp attach " + id_);
    finish("detached", kOk);
  }

  const GlobalOptions& g_;
  DaemonConnection& conn_;
  std::string id_;
  FollowOptions o_;
  bool prompting_ = false;
  bool spinning_ = false;
  proto::SessionView session_;
  std::int64_t last_seq_ = 0;
  ProgressModel model_;
  Spinner spinner_{stderr};
  std::optional<proto::PendingApproval> waiting_;
  std::set<std::pair<std::int64_t, std::int64_t>> shown_;  // (step, version) already put to the person
  Ask ask_ = Ask::none;
  std::string input_;
  boost::json::array events_;
  std::optional<std::string> outcome_;
  int code_ = kOk;
};

}  // namespace

int follow_session(const GlobalOptions& g, DaemonConnection& conn, const std::string& session_id,
                   const FollowOptions& options, boost::json::object extra) {
  return Follower(g, conn, session_id, options).run(std::move(extra));
}

std::optional<proto::EditResult> edit_in_editor(DaemonConnection& conn, const proto::SessionRef& ref,
                                                const proto::PendingApproval& pending, std::ostream& os,
                                                bool& editor_failed) {
  PrivateScriptFile file(pending.step);
  file.write(pending.script.content);
  editor_failed = !run_editor(file.path());
  if (editor_failed) return std::nullopt;
  auto content = file.read();
  if (content == pending.script.content) {
    os << "The script is unchanged; nothing was sent.\n" << std::flush;
    return std::nullopt;
  }
  proto::EditParams params{ref.session_id, ref.project, pending.step, pending.version, std::move(content)};
  return conn.call<proto::Edit>(params);
}

void print_edit_result(std::ostream& os, const std::string& session_id, const proto::EditResult& r) {
  os << "Sent your edit of step " << r.step << " as version " << r.version << ".\n";
  view::validation(os, r.validation);
  if (!r.validation.is_valid) {
    os << "Step " << r.step << " still waits: edit it again (gdp edit " << session_id << " --step " << r.step
       << ") or deny it (gdp deny " << session_id << " --step " << r.step << ").\n";
  } else {
    os << "It is shown again for approval before anything runs.\n";
  }
  os << std::flush;
}

}  // namespace gdp::client
