// gdpd's log: levelled lines on stderr ("gdpd[pid] 2026-11-27T10:15:00Z info: ..."). Under systemd
// stderr goes to the journal; with --foreground it is the terminal; daemonised it is
// STATE_DIR/gdpd.log. Never log secrets or user data: log what happened and to whom.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace gdp::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

std::optional<Level> parse_level(std::string_view name);
void set_level(Level level);
bool enabled(Level level);
void write(Level level, std::string_view message);

// Usage: GDP_LOG(info) << "accepted client pid " << pid;  The stream is built only when enabled.
class Line {
 public:
  explicit Line(Level level) : level_(level) {}
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line() { write(level_, out_.str()); }
  template <class T>
  Line& operator<<(const T& v) {
    out_ << v;
    return *this;
  }

 private:
  Level level_;
  std::ostringstream out_;
};

}  // namespace gdp::log

// A one-pass for loop rather than if/else, so the macro nests safely under an unbraced if.
#define GDP_LOG(level)                                                                    \
  for (bool gdp_log_once_ = ::gdp::log::enabled(::gdp::log::Level::level); gdp_log_once_; \
       gdp_log_once_ = false)                                                             \
  ::gdp::log::Line(::gdp::log::Level::level)
