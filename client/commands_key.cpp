// key set, key clear, key status: the user's Gemini API key in the kernel keyring. These talk to
// the kernel directly, not to gdpd: gdpd reads the same keyring as the same user when a session
// needs the key. The key is read without echo (or from stdin), never from the command line, and
// never printed.
#include "client/commands.h"
#include "client/rpc_client.h"
#include "common/api_key.h"
#include "common/keyring.h"
#include "common/secret.h"

#include <termios.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace gdp::client {
namespace {

// What a signal handler needs to give the terminal its echo back: Ctrl-C, a kill or a hang-up
// while the prompt is up must not leave the user's shell typing blind.
struct SavedTerminal {
  int fd = -1;
  termios state{};
};
SavedTerminal saved_terminal;
volatile std::sig_atomic_t terminal_saved = 0;

constexpr int kRestoreSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

extern "C" void restore_terminal_and_die(int signo) {
  // Only async-signal-safe calls: restore, end the prompt's line, then die of the same signal.
  if (terminal_saved != 0) tcsetattr(saved_terminal.fd, TCSAFLUSH, &saved_terminal.state);
  const char newline = '\n';
  [[maybe_unused]] auto ignored = write(STDERR_FILENO, &newline, 1);
  signal(signo, SIG_DFL);
  raise(signo);
}

// Echo off for its lifetime; the terminal and the signal dispositions come back on every path
// (return, exception, or one of kRestoreSignals). Ctrl-Z is ignored meanwhile: a stopped job's
// terminal would stay silent in the shell.
class EchoOff {
 public:
  explicit EchoOff(int fd) {
    if (tcgetattr(fd, &saved_terminal.state) != 0) return;
    saved_terminal.fd = fd;
    terminal_saved = 1;
    struct sigaction handler {};
    handler.sa_handler = restore_terminal_and_die;
    sigemptyset(&handler.sa_mask);
    for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
      sigaction(kRestoreSignals[i], &handler, &old_[i]);
    }
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGTSTP, &ignore, &old_tstp_);
    termios quiet = saved_terminal.state;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;  // the Enter still moves to a new line
    tcsetattr(fd, TCSAFLUSH, &quiet);
    active_ = true;
  }
  ~EchoOff() {
    if (!active_) return;
    tcsetattr(saved_terminal.fd, TCSAFLUSH, &saved_terminal.state);
    terminal_saved = 0;
    for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
      sigaction(kRestoreSignals[i], &old_[i], nullptr);
    }
    sigaction(SIGTSTP, &old_tstp_, nullptr);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  bool active_ = false;
  struct sigaction old_[std::size(kRestoreSignals)]{};
  struct sigaction old_tstp_ {};
};

// Reads from `fd` straight into locked memory until a newline (a terminal) or the end (a file).
SecretKey read_key(int fd, bool one_line) {
  SecretKey key(4096);
  std::size_t n = 0;
  for (;;) {
    if (n == key.capacity()) {
      throw ClientError(kUsage, "the input is longer than 4 KiB; a Gemini API key is 39 characters");
    }
    const auto got = read(fd, key.data() + n, key.capacity() - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw ClientError(kUsage, std::string("cannot read the key: ") + std::strerror(errno));
    if (got == 0) break;
    n += static_cast<std::size_t>(got);
    key.resize(n);
    if (one_line && key.view().back() == '\n') break;
  }
  key.resize(n);
  key.trim_trailing_whitespace();
  return key;
}

std::string where(const keyring::Keyring& ring) {
  return "your " + std::string(keyring::place_name(ring.place())) + " keyring";
}

bool environment_key() {
  const char* env = std::getenv("GEMINI_API_KEY");
  return env != nullptr && *env != '\0';
}

// `stored`: a key is in the keyring now, so when the kernel would forget it is worth saying.
void print_notes(const keyring::Keyring& ring, bool stored) {
  if (!ring.fallback_reason().empty()) std::cerr << "gdp: note: " << ring.fallback_reason() << "\n";
  if (stored && ring.place() == keyring::Place::persistent) {
    if (const auto expiry = keyring::persistent_expiry()) {
      std::cerr << "gdp: note: the kernel keeps the key until the next reboot, or until "
                << std::chrono::duration_cast<std::chrono::hours>(*expiry).count() / 24
                << " days pass without gdp or gdpd using it (persistent_keyring_expiry)\n";
    }
  }
  if (environment_key()) {
    std::cerr
        << "gdp: note: GEMINI_API_KEY is set in this shell; gdp submit run from here sends that key for "
           "its session instead of the keyring's\n";
  }
}

boost::json::object ring_facts(const keyring::Keyring& ring) {
  boost::json::object o{{"keyring", keyring::place_name(ring.place())}, {"fallback_reason", nullptr}};
  if (!ring.fallback_reason().empty()) o["fallback_reason"] = ring.fallback_reason();
  return o;
}

int key_set(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (!args.empty()) {
    // Not even echoed back: it may be the key.
    std::string message =
        "gdp key set takes no key on the command line: arguments are visible to every process on this "
        "machine (ps, /proc/PID/cmdline) and are saved in your shell's history. Run `gdp key set` and paste "
        "the key at the hidden prompt, or `gdp key set < FILE`";
    if (args.front().rfind("AIza", 0) == 0) {
      message += ". If that was a real key, delete it from your shell history and consider rotating it";
    }
    return g.out.error(kUsage, message);
  }
  const bool tty = isatty(STDIN_FILENO) != 0;
  SecretKey key;
  if (tty) {
    // Echo off before the prompt shows: a key pasted the moment the prompt appears must neither
    // be echoed nor be flushed away with the typed-ahead input.
    EchoOff quiet(STDIN_FILENO);
    std::cerr << "Gemini API key (typing is not shown): " << std::flush;
    key = read_key(STDIN_FILENO, true);
  } else {
    key = read_key(STDIN_FILENO, false);
  }
  api_key::check_format(key.view(), tty ? "what you entered" : "the text on stdin");
  // A KeyringError (keyctl blocked here, say) reaches main(), which prints it with exit code 1.
  const auto ring = keyring::Keyring::open();
  ring.set(key.view());
  if (g.out.json) {
    auto doc = ring_facts(ring);
    doc["stored"] = true;
    g.out.document(doc);
  } else {
    std::cout << "Stored the Gemini API key in " << where(ring)
              << ". gdpd uses it for sessions submitted without GEMINI_API_KEY.\n";
    print_notes(ring, true);
  }
  return kOk;
}

int key_clear(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (int code = 0; stray_arguments(g, args, code)) return code;
  const auto ring = keyring::Keyring::open();
  const bool removed = ring.clear();
  if (g.out.json) {
    auto doc = ring_facts(ring);
    doc["removed"] = removed;
    g.out.document(doc);
  } else {
    std::cout << (removed ? "Removed the Gemini API key from " : "No Gemini API key was stored in ")
              << where(ring) << ".\n";
  }
  return kOk;
}

int key_status(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (int code = 0; stray_arguments(g, args, code)) return code;
  const auto ring = keyring::Keyring::open();
  const auto status = ring.status();
  std::optional<std::int64_t> age;
  std::optional<std::string> warning;
  if (status.created) {
    age = api_key::age_days(*status.created, std::chrono::system_clock::now());
    warning = api_key::rotation_warning(*age, api_key::kDefaultMaxAgeDays);
  }
  if (g.out.json) {
    auto doc = ring_facts(ring);
    doc["present"] = status.present;
    doc["created"] = nullptr;
    doc["age_days"] = nullptr;
    if (status.created) {
      doc["created"] =
          std::chrono::duration_cast<std::chrono::seconds>(status.created->time_since_epoch()).count();
      doc["age_days"] = *age;
    }
    doc["max_age_days"] = api_key::kDefaultMaxAgeDays;
    doc["rotation_warning"] = nullptr;
    if (warning) doc["rotation_warning"] = *warning;
    doc["environment_key"] = environment_key();
    doc["persistent_expiry_seconds"] = nullptr;
    if (const auto expiry = keyring::persistent_expiry();
        expiry && ring.place() == keyring::Place::persistent) {
      doc["persistent_expiry_seconds"] = expiry->count();
    }
    g.out.document(doc);
    return kOk;
  }
  if (!status.present) {
    std::cout << "No Gemini API key in " << where(ring) << ": sessions use the built-in planner unless "
              << "GEMINI_API_KEY is set.\n"
              << api_key::kHowToGetOne << "\n";
  } else {
    std::cout << "Gemini API key: set " << *age << (*age == 1 ? " day" : " days") << " ago, in "
              << where(ring) << " (key " << status.serial << "; the key itself is never shown).\n";
    if (warning) std::cerr << "gdp: WARNING: " << *warning << "\n";
  }
  print_notes(ring, status.present);
  return kOk;
}

int key(const GlobalOptions& g, const std::vector<std::string>& args) {
  const std::vector<std::string> rest(args.empty() ? args.end() : args.begin() + 1, args.end());
  if (!args.empty() && args.front() == "set") return key_set(g, rest);
  if (!args.empty() && args.front() == "clear") return key_clear(g, rest);
  if (!args.empty() && args.front() == "status") return key_status(g, rest);
  return g.out.error(kUsage, "usage: gdp key set|clear|status; see gdp key --help");
}

const Command kCommands[] = {
    {"key",
     "keep your Gemini API key in the kernel keyring: set (asks without echo, or reads stdin), clear, status",
     "key set|clear|status", "gdp key set", key},
};

}  // namespace

std::span<const Command> key_commands() {
  return kCommands;
}

}  // namespace gdp::client
