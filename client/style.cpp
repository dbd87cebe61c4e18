#include "client/style.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace gdp::client {
namespace {

// SGR parameters of each role; plain 8-colour codes, which every colour terminal has.
const char* sgr(Role role) {
  switch (role) {
    case Role::heading:
      return "1";
    case Role::ok:
      return "32";
    case Role::warn:
      return "33";
    case Role::error:
      return "1;31";
    case Role::dim:
      return "2";
    case Role::keyword:
      return "35";
    case Role::builtin:
      return "36";
    case Role::string:
      return "32";
    case Role::comment:
      return "2;3";
    case Role::number:
      return "33";
    case Role::decorator:
      return "34";
  }
  return "0";
}

// A positive number from the environment, when the variable holds one.
std::optional<std::size_t> env_count(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  char* end = nullptr;
  const auto n = std::strtoul(value, &end, 10);
  if (*end != '\0' || n == 0) return std::nullopt;
  return n;
}

}  // namespace

std::optional<ColorMode> parse_color_mode(std::string_view word) {
  if (word == "auto") return ColorMode::automatic;
  if (word == "always") return ColorMode::always;
  if (word == "never") return ColorMode::never;
  return std::nullopt;
}

bool color_wanted(ColorMode mode, bool is_tty, const char* no_color, const char* term) {
  switch (mode) {
    case ColorMode::always:
      return true;
    case ColorMode::never:
      return false;
    case ColorMode::automatic:
      break;
  }
  if (!is_tty) return false;
  if (no_color != nullptr && *no_color != '\0') return false;
  return term == nullptr || std::string_view(term) != "dumb";
}

bool color_for_fd(ColorMode mode, int fd) {
  return color_wanted(mode, isatty(fd) != 0, std::getenv("NO_COLOR"), std::getenv("TERM"));
}

std::string Look::paint(Role role, std::string_view text) const {
  if (!color || text.empty()) return std::string(text);
  return std::string("\x1b[") + sgr(role) + "m" + std::string(text) + "\x1b[0m";
}

std::string strip_escapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      // A CSI sequence: parameters and intermediates up to its final byte (0x40-0x7E).
      i += 2;
      while (i < text.size() &&
             (static_cast<unsigned char>(text[i]) < 0x40 || static_cast<unsigned char>(text[i]) > 0x7E)) {
        ++i;
      }
      continue;
    }
    out += text[i];
  }
  return out;
}

std::size_t terminal_columns(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return env_count("COLUMNS").value_or(80);
}

std::size_t terminal_lines(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws.ws_row;
  return env_count("LINES").value_or(24);
}

std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string wrap(std::string_view text, std::size_t width, std::size_t indent) {
  if (width == 0) return std::string(text);
  // A hanging indent that leaves less than a few columns would make a tower of one-word lines.
  indent = std::min(indent, width / 2);
  std::string out;
  bool first_paragraph = true;
  while (true) {
    const auto nl = text.find('\n');
    const auto paragraph = text.substr(0, nl);
    if (!first_paragraph) out += '\n';
    first_paragraph = false;
    std::size_t used = 0;  // display width of the line being filled
    bool line_start = true;
    std::string_view rest = paragraph;
    while (true) {
      const auto space = rest.find(' ');
      const auto word = rest.substr(0, space);
      const auto w = display_width(strip_escapes(word));  // colour takes no room
      if (line_start) {
        out += word;
        used += w;
        line_start = false;
      } else if (used + 1 + w <= width) {
        out += ' ';
        out += word;
        used += 1 + w;
      } else {
        out += '\n';
        out.append(indent, ' ');
        out += word;
        used = indent + w;
      }
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace gdp::client
