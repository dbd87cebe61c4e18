// How gdp dresses its text for a terminal: whether it uses colour at all, the few styles it has,
// how wide the terminal is and how text is wrapped to it. Nothing else in the client writes an
// escape code: with colour off every function here returns its text unchanged, so what a script
// or a test reads without a terminal is exactly what it was before colour existed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gdp::client {

// --color=auto|always|never
enum class ColorMode { automatic, always, never };
std::optional<ColorMode> parse_color_mode(std::string_view word);

// The decision, from what it depends on: auto means a terminal, NO_COLOR unset or empty
// (https://no-color.org) and a TERM other than "dumb"; always wins over NO_COLOR because it is the
// person's own choice on this command line. nullptr stands for an unset variable.
bool color_wanted(ColorMode mode, bool is_tty, const char* no_color, const char* term);
// The same for a file descriptor, with the process's environment.
bool color_for_fd(ColorMode mode, int fd);

enum class Role {
  heading,  // section titles
  ok,       // valid, safe, approved, completed
  warn,     // caution, edited, cancelled
  error,    // "error:", invalid, restricted, denied, failed
  dim,      // what matters less: line numbers, clock times
  // The syntax highlight classes of a script.
  keyword,
  builtin,
  string,
  comment,
  number,
  decorator,
};

// How a view for a person is drawn: in colour or not, wrapped at a width or not (0). The default
// is plain and unwrapped: what pipes and tests see.
struct Look {
  bool color = false;
  std::size_t width = 0;

  // `text` in `role`'s style; `text` itself when colour is off.
  std::string paint(Role role, std::string_view text) const;
};

// `text` without the escape sequences paint() adds (CSI sequences), to measure or compare it.
std::string strip_escapes(std::string_view text);

// The terminal's size on `fd` (TIOCGWINSZ), else $COLUMNS / $LINES, else 80 columns, 24 lines.
std::size_t terminal_columns(int fd);
std::size_t terminal_lines(int fd);

// Display width of UTF-8 text, counting code points (good enough for messages and table cells).
std::size_t display_width(std::string_view s);

// `text` wrapped at `width` columns on spaces; the lines after the first start with `indent`
// spaces. A word longer than a line stays whole on its own line, newlines in `text` are kept, and
// width 0 means no wrapping at all. Escape codes take no room. No final newline is added.
std::string wrap(std::string_view text, std::size_t width, std::size_t indent = 0);

}  // namespace gdp::client
