// gdp's terminal manners (client/style.h, client/highlight.h): when colour is used, how text is
// wrapped, and that colour only ever adds escape codes: stripped of them, a coloured view is
// exactly the plain one, so what a person approves in colour is what a script reads without it.
#include "client/highlight.h"
#include "client/session_view.h"
#include "client/style.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <sstream>

namespace {

using namespace gdp;
using client::Look;
using client::Role;

// Python-like text: the characters the tokenizer decides on (quotes, #, backslashes, @, digits,
// prefixes), words, keywords, control characters and UTF-8.
rc::Gen<std::string> python_piece() {
  return rc::gen::oneOf(
      rc::gen::element<std::string>("'", "\"", "'''", "\"\"\"", "#", "\\", "@", " ", "\t", "f", "rb", "0x1F",
                                    "3.5e-2", ".5", "def", "import", "print", "len", "None", "x", "_y1", "(",
                                    ")", ":", "=", "é", "漢", "😀", "\x1b", "\r", "\x7f"),
      rc::gen::map(rc::gen::inRange(0, 0x100), [](int c) { return std::string(1, static_cast<char>(c)); }));
}

rc::Gen<std::string> python_text() {
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(python_piece()),
                      [](const std::vector<std::string>& pieces) {
                        std::string out;
                        for (const auto& p : pieces) out += p;
                        return out;
                      });
}

rc::Gen<std::vector<std::string>> python_lines() {
  return rc::gen::resize(30, rc::gen::container<std::vector<std::string>>(python_text()));
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

const Look kColor{true, 0};

// The styled pieces of one highlighted line: (SGR parameters, text) in order, plain text as "".
std::vector<std::pair<std::string, std::string>> pieces(const std::string& line) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string style;
  for (std::size_t i = 0; i < line.size();) {
    if (line.compare(i, 2, "\x1b[") == 0) {
      const auto m = line.find('m', i);
      style = line.substr(i + 2, m - i - 2);
      if (style == "0") style.clear();
      i = m + 1;
      continue;
    }
    if (out.empty() || out.back().first != style) out.emplace_back(style, "");
    out.back().second += line[i++];
  }
  return out;
}

// The style a role paints with, read back from paint() itself.
std::string sgr(Role role) {
  const auto painted = kColor.paint(role, "x");
  return painted.substr(2, painted.find('m') - 2);
}

// What `text` is styled with in `line`, or "none" when it is not a piece of its own.
std::string style_of(const std::string& line, const std::string& text) {
  for (const auto& [style, piece] : pieces(line)) {
    if (piece == text) return style;
  }
  return "none";
}

}  // namespace

TEST_CASE("colour: auto means a terminal without NO_COLOR or TERM=dumb and always or never are obeyed",
          "[term]") {
  using client::color_wanted;
  using client::ColorMode;
  CHECK(color_wanted(ColorMode::automatic, true, nullptr, "xterm-256color"));
  CHECK(color_wanted(ColorMode::automatic, true, nullptr, nullptr));
  CHECK(color_wanted(ColorMode::automatic, true, "", "xterm"));  // empty NO_COLOR is unset
  CHECK_FALSE(color_wanted(ColorMode::automatic, false, nullptr, "xterm"));
  CHECK_FALSE(color_wanted(ColorMode::automatic, true, "1", "xterm"));
  CHECK_FALSE(color_wanted(ColorMode::automatic, true, "0", "xterm"));  // any value at all
  CHECK_FALSE(color_wanted(ColorMode::automatic, true, nullptr, "dumb"));
  CHECK(color_wanted(ColorMode::always, false, "1", "dumb"));
  CHECK_FALSE(color_wanted(ColorMode::never, true, nullptr, "xterm"));

  CHECK(client::parse_color_mode("auto") == ColorMode::automatic);
  CHECK(client::parse_color_mode("always") == ColorMode::always);
  CHECK(client::parse_color_mode("never") == ColorMode::never);
  CHECK_FALSE(client::parse_color_mode("yes").has_value());
}

TEST_CASE("colour: off paint returns the text and on it only adds codes that strip_escapes removes",
          "[term]") {
  rc::prop("paint is plain text without colour and strips back to it with colour", [] {
    // As every view prints it: what comes from the daemon has its control characters made visible.
    const auto text = client::view::visible(*python_text());
    const auto role =
        *rc::gen::element(Role::heading, Role::ok, Role::warn, Role::error, Role::dim, Role::keyword,
                          Role::builtin, Role::string, Role::comment, Role::number, Role::decorator);
    RC_ASSERT(Look{}.paint(role, text) == text);
    RC_ASSERT(client::strip_escapes(kColor.paint(role, text)) == text);
    RC_ASSERT(text.empty() || kColor.paint(role, text) != text);
  });
}

TEST_CASE("wrap: lines fit the width on word boundaries and no word is lost or cut", "[term]") {
  rc::prop("wrapped text is the same words, every line within the width unless one word is wider", [] {
    const auto words = *rc::gen::container<std::vector<std::string>>(
        rc::gen::map(rc::gen::resize(14, rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(
                                             rc::gen::element<std::string>("a", "b", "é", "漢", "-", ".")))),
                     [](const std::vector<std::string>& g) {
                       std::string w;
                       for (const auto& x : g) w += x;
                       return w;
                     }));
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
    const auto width = *rc::gen::inRange<std::size_t>(10, 60);
    const auto indent = *rc::gen::inRange<std::size_t>(0, 6);
    const auto wrapped = client::wrap(text, width, indent);

    std::vector<std::string> got;
    std::istringstream lines(wrapped);
    std::size_t n = 0;
    for (std::string line; std::getline(lines, line); ++n) {
      if (n > 0) {
        RC_ASSERT(line.substr(0, indent) == std::string(indent, ' '));
        line.erase(0, indent);
      }
      const auto one_word = line.find(' ') == std::string::npos;
      RC_ASSERT(client::display_width(line) + (n > 0 ? indent : 0) <= width || one_word);
      std::istringstream ws(line);
      for (std::string w; ws >> w;) got.push_back(w);
    }
    RC_ASSERT(got == words);
    RC_ASSERT(client::wrap(text, 0, indent) == text);
    // Colour takes no room: painted words break where the plain ones do.
    std::string painted;
    for (const auto& w : words) painted += (painted.empty() ? "" : " ") + kColor.paint(Role::string, w);
    RC_ASSERT(client::strip_escapes(client::wrap(painted, width, indent)) == wrapped);
  });
  CHECK(client::wrap("one two three four", 9) == "one two\nthree\nfour");
  CHECK(client::wrap("one two three", 9, 2) == "one two\n  three");
  CHECK(client::wrap("short\nkept as it is", 80) == "short\nkept as it is");
  CHECK(client::wrap("averyveryverylongword x", 5) == "averyveryverylongword\nx");
}

TEST_CASE("highlight: stripped of its escape codes a highlighted script is exactly the plain one",
          "[term][property]") {
  rc::prop("strip(highlighted) == plain, for any Python-like text over many lines", [] {
    const auto lines = *python_lines();
    client::PythonHighlighter coloured(kColor);
    for (const auto& line : lines) {
      const auto visible = client::view::visible(line);
      RC_ASSERT(client::strip_escapes(coloured.line(visible)) == visible);
    }
    // The numbered view as a whole, coloured and plain.
    std::ostringstream plain;
    std::ostringstream colour;
    client::view::script_lines(plain, joined(lines));
    client::view::script_lines(colour, joined(lines), kColor);
    RC_ASSERT(client::strip_escapes(colour.str()) == plain.str());
  });
}

TEST_CASE("highlight: keywords builtins strings comments numbers and decorators", "[term]") {
  client::PythonHighlighter h(kColor);
  const auto def = h.line("def f(x):  # the 'answer'");
  CHECK(style_of(def, "def") == sgr(Role::keyword));
  CHECK(style_of(def, "# the 'answer'") == sgr(Role::comment));
  CHECK(style_of(def, "f") == "none");

  const auto call = h.line("print(len(\"a # b\"), 3.5e3, f'{x}')");
  CHECK(style_of(call, "print") == sgr(Role::builtin));
  CHECK(style_of(call, "len") == sgr(Role::builtin));
  CHECK(style_of(call, "\"a # b\"") == sgr(Role::string));  // a # in a string is no comment
  CHECK(style_of(call, "3.5e3") == sgr(Role::number));
  CHECK(style_of(call, "f'{x}'") == sgr(Role::string));  // the prefix belongs to the string

  CHECK(style_of(h.line("  @app.route"), "@app.route") == sgr(Role::decorator));
  CHECK(style_of(h.line("x = a @ b"), "@") == "none");  // matrix product, not a decorator

  // A triple-quoted string is carried across lines, and ends where its closing quotes are.
  CHECK(style_of(h.line("s = rb\"\"\"one"), "rb\"\"\"one") == sgr(Role::string));
  CHECK(style_of(h.line("if # not code"), "if # not code") == sgr(Role::string));
  const auto end = h.line("three\"\"\" if x else None");
  CHECK(style_of(end, "three\"\"\"") == sgr(Role::string));
  CHECK(style_of(end, "if") == sgr(Role::keyword));
  CHECK(style_of(end, "None") == sgr(Role::keyword));

  // So is a one-quote string whose line ends with a backslash; an escaped quote does not close it.
  CHECK(style_of(h.line("t = 'a\\'b\\"), "'a\\'b\\") == sgr(Role::string));
  const auto after = h.line("c' + str(1)");
  CHECK(style_of(after, "c'") == sgr(Role::string));
  CHECK(style_of(after, "str") == sgr(Role::builtin));
  // An unterminated string ends with its line.
  CHECK(style_of(h.line("u = 'open"), "'open") == sgr(Role::string));
  CHECK(style_of(h.line("for i in x:"), "for") == sgr(Role::keyword));
}

TEST_CASE("colour: the approval view in colour strips to the plain view and without colour it is plain",
          "[term][property]") {
  rc::prop("approval(look=colour) stripped == approval()", [] {
    proto::PendingApproval p;
    p.step = *rc::gen::inRange<std::int64_t>(1, 100);
    p.version = *rc::gen::inRange<std::int64_t>(1, 10);
    p.kind = *rc::gen::element(proto::StepKind::script, proto::StepKind::packages);
    p.script.script_id = *python_text();
    p.script.content = joined(*python_lines());
    p.script.description = *python_text();
    p.validation.is_valid = *rc::gen::arbitrary<bool>();
    p.validation.security_warnings =
        *rc::gen::resize(3, rc::gen::container<std::vector<std::string>>(python_text()));
    p.validation.security_level = *rc::gen::element(proto::SecurityLevel::safe, proto::SecurityLevel::caution,
                                                    proto::SecurityLevel::restricted);
    p.needs_confirmation = p.validation.security_level == proto::SecurityLevel::restricted;
    std::ostringstream plain;
    std::ostringstream colour;
    client::view::approval(plain, p);
    client::view::approval(colour, p, kColor);
    RC_ASSERT(client::strip_escapes(colour.str()) == plain.str());
    RC_ASSERT(plain.str().find('\x1b') == std::string::npos);  // control characters are made visible

    // The same script as gdp show --step and [m]ore print it, with a decision on it.
    proto::ScriptVersionView v{p.step, p.version, *python_text(), p.script, p.validation, "0f", "now"};
    proto::DecisionInfo d;
    d.decision = *rc::gen::element(proto::Decision::approve, proto::Decision::deny, proto::Decision::edit);
    d.reason = *python_text();
    std::ostringstream plain_versions;
    std::ostringstream colour_versions;
    client::view::step_versions(plain_versions, {v}, {d});
    client::view::step_versions(colour_versions, {v}, {d}, kColor);
    RC_ASSERT(client::strip_escapes(colour_versions.str()) == plain_versions.str());
  });
}

TEST_CASE("colour: the security level and decisions carry their colour", "[term]") {
  proto::PendingApproval p;
  p.script.content = "print(1)\n";
  p.validation.security_level = proto::SecurityLevel::restricted;
  std::ostringstream os;
  client::view::approval(os, p, kColor);
  CHECK(os.str().find(kColor.paint(Role::error, "restricted")) != std::string::npos);
  p.validation.security_level = proto::SecurityLevel::safe;
  std::ostringstream safe;
  client::view::approval(safe, p, kColor);
  CHECK(safe.str().find(kColor.paint(Role::ok, "safe")) != std::string::npos);

  proto::DecisionInfo d;
  d.decision = proto::Decision::deny;
  CHECK(client::view::decision_line(d, kColor).starts_with(kColor.paint(Role::error, "denied")));
  CHECK(client::view::decision_line(d).starts_with("denied step"));
}

TEST_CASE("wrap: a narrow terminal wraps the description and warnings but never a script line", "[term]") {
  proto::PendingApproval p;
  const std::string long_line = "x = " + std::string(100, '1') + "  # a line longer than the terminal";
  p.script.content = long_line + "\n";
  p.script.description = "This description is long enough to need wrapping on a terminal forty columns wide.";
  p.validation.security_warnings = {"a warning that also goes on for longer than forty columns do"};
  std::ostringstream os;
  client::view::approval(os, p, Look{false, 40});
  const auto text = os.str();
  CHECK(text.find("   1  " + long_line + "\n") != std::string::npos);
  CHECK(text.find("This description is long enough to need\nwrapping") != std::string::npos);
  CHECK(text.find("  warning: a warning that also goes on\n           for longer") != std::string::npos);
}
