// The sanitizer: decide per column, then mask per cell, then mask names. See sanitizer.h.
#include "daemon/privacy/sanitizer.h"

#include "common/errors.h"
#include "daemon/ingest/types.h"

#include <boost/json/serialize.hpp>
#include "daemon/privacy/siphash.h"

#include <sys/random.h>

#include <algorithm>
#include <map>
#include <unordered_map>

namespace gdp::privacy {

namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD: bytes that did not decode

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// The text a cell shows a detector: strings as they are, numbers as JSON writes them (a card
// number in an integer column is still a card number). Booleans and nulls hold nothing.
std::optional<std::string> cell_text(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64() || v.is_uint64() || v.is_double()) return boost::json::serialize(v);
  return std::nullopt;
}

// A value's shape with digits and letters abstracted: "ORD-2024-0001" → "aaa-9999-9999". When most
// of a column shares one shape, the column holds codes of one kind, and a weak detector that fires
// on a few of them (one order number in ten passes Luhn) is chance, not personal data.
std::string skeleton(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 48)) {
    if (c >= '0' && c <= '9')
      out += '9';
    else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
      out += 'a';
    else
      out += c;
  }
  return out;
}

// "Ada Lovelace", "José María García-López", "O'Brien": capitalised words of letters.
bool looks_like_person_name(std::string_view text) {
  int words = 0;
  bool at_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ' ') {
      at_start = true;
      continue;
    }
    const bool upper = (c >= 'A' && c <= 'Z') || c == 0xC3;  // Latin-1 capitals start with 0xC3 too
    const bool letter = upper || (c >= 'a' && c <= 'z') || c >= 0x80 || c == '-' || c == '\'' || c == '.';
    if (!letter) return false;
    if (at_start) {
      if (!upper) return false;
      ++words;
      at_start = false;
    }
  }
  return words >= 1 && words <= 5;
}

}  // namespace

namespace detail {
struct Cell {
  std::size_t row;
  std::string text;
  std::vector<Finding> findings;
};
}  // namespace detail

namespace {

using detail::Cell;

struct ColumnPlan {
  std::string name;
  NameHint hint;
  std::vector<Cell> cells;  // non-null values, in row order
  std::optional<Detector> flagged;
  std::optional<std::string> codes;         // the shape most values share, when most do
  std::map<Detector, std::int64_t> masked;  // per detector, cells masked
};

std::string placeholder(Detector d, std::string_view text, Vault& vault, const SanitizerConfig& config) {
  std::string out = "<";
  out += label(d);
  out += '_';
  out += std::to_string(vault.number(d, normal_form(d, text)));
  if (config.shape_hints) {
    const auto at = text.rfind('@');
    if (d == Detector::email && at != std::string_view::npos) {
      out += " domain=";
      out += normal_form(Detector::email, text.substr(at + 1));
    } else {
      out += " len=" + std::to_string(text.size());
    }
  }
  out += '>';
  return out;
}

// Replaces each finding's span with its placeholder.
std::string mask_spans(std::string_view text, const std::vector<Finding>& findings, Vault& vault,
                       const SanitizerConfig& config) {
  std::string out;
  std::size_t at = 0;
  for (const auto& f : findings) {
    out.append(text.substr(at, f.begin - at));
    out += placeholder(f.detector, text.substr(f.begin, f.end - f.begin), vault, config);
    at = f.end;
  }
  out.append(text.substr(at));
  return out;
}

[[noreturn]] void fail(const std::string& column, std::size_t row, const std::string& what) {
  throw RpcError(ErrorCode::DataSanitization,
                 "column \"" + column + "\", row " + std::to_string(row + 1) + " of the sample: " + what +
                     ". Nothing was sent. Fix the file (its encoding, or that value), or set "
                     "privacy.strict = true to drop such columns instead of masking them",
                 {{"column", column}, {"row", static_cast<std::int64_t>(row) + 1}});
}

}  // namespace

bool Sanitizer::strong_format(const std::vector<Cell>& cells, const NameHint& hint) const {
  constexpr std::size_t kLook = 8;
  const std::size_t n = std::min(cells.size(), kLook);
  std::size_t strong_whole = 0;
  std::vector<Finding> found;
  for (std::size_t i = 0; i < n; ++i) {
    found.clear();
    try {
      scanner_->find(cells[i].text, hint, found);
    } catch (const DetectorError&) {
      return true;  // let the full scan report it where it stands
    }
    const auto t = trim(cells[i].text);
    const auto offset = static_cast<std::size_t>(t.data() - cells[i].text.data());
    if (found.size() == 1 && strong(found[0].detector) && found[0].begin == offset &&
        found[0].end == offset + t.size()) {
      ++strong_whole;
    }
  }
  return n > 0 && 2 * strong_whole > n;
}

Vault::Vault() {
  if (getrandom(key_.data(), key_.size(), 0) != static_cast<ssize_t>(key_.size())) {
    throw RpcError(ErrorCode::DataSanitization, "no randomness for the placeholder key; nothing was sent");
  }
}

std::uint64_t Vault::number(Detector detector, std::string_view normal) {
  std::string message(1, static_cast<char>(detector));
  message.append(normal);
  auto [it, fresh] = numbers_.try_emplace(siphash24(key_, message), 0);
  if (fresh) it->second = ++next_[static_cast<std::size_t>(detector)];
  return it->second;
}

Sanitizer::Sanitizer(SanitizerConfig config)
    : config_(config), scanner_(std::make_shared<const Scanner>(config.enabled)) {}

SanitizedSnapshot Sanitizer::pass_through(proto::DataSnapshot snapshot) {
  return SanitizedSnapshot(std::move(snapshot), false);
}

SanitizedSnapshot Sanitizer::sanitize(proto::DataSnapshot snap, Vault& vault) const {
  // Every column, in file order, then keys only some JSON records had.
  std::vector<ColumnPlan> plans;
  // Looked up by the rows' keys as they are (string_views), without a string per cell.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
  };
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index;
  auto add_column = [&](const std::string& name) {
    if (index.try_emplace(name, plans.size()).second)
      plans.push_back({name, classify_name(name), {}, {}, {}, {}});
  };
  for (const auto& c : snap.columns) add_column(c.name);
  for (const auto& row : snap.rows) {
    for (const auto& kv : row) add_column(std::string(kv.key()));
  }

  const auto enabled = [&](Detector d) { return config_.enabled.contains(d); };
  for (std::size_t r = 0; r < snap.rows.size(); ++r) {
    for (const auto& kv : snap.rows[r]) {
      auto text = cell_text(kv.value());
      if (!text || ingest::is_null_marker(*text)) continue;
      plans[index.find(std::string_view(kv.key()))->second].cells.push_back({r, std::move(*text), {}});
    }
  }

  // What the whole-file pass proved about a column's values: every one a date, a time, a
  // boolean or a float, none of which can hold an address, a number people dial or a key.
  std::unordered_map<std::string_view, std::string_view> types;
  for (const auto& c : snap.columns) types.emplace(c.name, c.type);
  auto inert = [&](const ColumnPlan& plan) {
    const auto it = types.find(plan.name);
    return it != types.end() && (it->second == "date" || it->second == "datetime" ||
                                 it->second == "boolean" || it->second == "float");
  };

  // Decide each column.
  for (auto& plan : plans) {
    const auto& hint = plan.hint;
    const std::size_t n = plan.cells.size();
    auto most = [&](std::size_t count) { return n > 0 && 2 * count > n; };
    // A name that says what the column holds settles it (all values are masked) unless the
    // values are plainly something else: an "e-mailadres" column of emails. A look at the first
    // few values tells, without scanning a column whose every value is masked anyway.
    if (hint.holds && *hint.holds != Detector::secret && enabled(*hint.holds) &&
        !strong_format(plan.cells, hint)) {
      plan.flagged = hint.holds;
      continue;
    }
    if (inert(plan) && !(hint.ambiguous_name || hint.holds)) continue;
    std::size_t random = 0, person = 0;
    std::array<std::size_t, kDetectorCount> whole{};
    bool weak_whole = false;  // only then does the column's dominant shape matter
    for (auto& cell : plan.cells) {
      try {
        scanner_->find(cell.text, hint, cell.findings);
      } catch (const DetectorError& e) {
        fail(plan.name, cell.row, e.what());
      }
      const auto t = trim(cell.text);
      const auto offset = static_cast<std::size_t>(t.data() - cell.text.data());
      if (cell.findings.size() == 1 && cell.findings[0].begin == offset &&
          cell.findings[0].end == offset + t.size()) {
        ++whole[static_cast<std::size_t>(cell.findings[0].detector)];
        weak_whole |= !strong(cell.findings[0].detector);
      }
      if (hint.holds == Detector::secret && Scanner::looks_random(t)) ++random;
      if (hint.ambiguous_name && looks_like_person_name(t)) ++person;
    }
    if (weak_whole) {
      std::unordered_map<std::string, std::size_t> shapes;
      for (const auto& cell : plan.cells) ++shapes[skeleton(trim(cell.text))];
      const auto top = std::max_element(shapes.begin(), shapes.end(),
                                        [](const auto& x, const auto& y) { return x.second < y.second; });
      if (most(top->second)) plan.codes = top->first;
    }

    const auto best = std::max_element(whole.begin(), whole.end());
    const auto best_detector = static_cast<Detector>(best - whole.begin());
    if (most(*best) && strong(best_detector)) {
      // Values of an unmistakable format say more than a name: a "bearer" column of JWTs.
      plan.flagged = best_detector;
    } else if (hint.holds && enabled(*hint.holds)) {
      if (*hint.holds != Detector::secret || hint.password || most(random)) plan.flagged = hint.holds;
    } else if (hint.ambiguous_name && enabled(Detector::person_name) && most(person)) {
      plan.flagged = Detector::person_name;
    }
    if (!plan.flagged && most(*best)) plan.flagged = best_detector;
  }

  // Mask or drop.
  std::vector<std::string> dropped;
  for (auto& plan : plans) {
    if (plan.flagged) {
      const Detector d = *plan.flagged;
      for (const auto& cell : plan.cells) {
        if (cell.text.find(kReplacementChar) != std::string::npos ||
            cell.text.find('\0') != std::string::npos) {
          if (config_.strict) break;
          fail(plan.name, cell.row,
               "a value in a column of " + std::string(name(d)) +
                   " holds bytes that did not decode, so gdp cannot tell which part is personal");
        }
      }
      plan.masked[d] = static_cast<std::int64_t>(plan.cells.size());
      if (config_.strict) {
        dropped.push_back(plan.name);
        continue;
      }
      for (const auto& cell : plan.cells) {
        snap.rows[cell.row][plan.name] = placeholder(d, trim(cell.text), vault, config_);
      }
      continue;
    }
    for (auto& cell : plan.cells) {
      std::vector<Finding> keep;
      const auto t = trim(cell.text);
      const auto offset = static_cast<std::size_t>(t.data() - cell.text.data());
      if (plan.hint.holds == Detector::secret && enabled(Detector::secret) && Scanner::looks_random(t)) {
        keep.push_back({Detector::secret, offset, offset + t.size()});
      } else {
        for (const auto& f : cell.findings) {
          const bool whole_value = f.begin == offset && f.end == offset + t.size();
          if (whole_value && !strong(f.detector) && plan.codes == skeleton(t)) continue;
          keep.push_back(f);
        }
      }
      if (keep.empty()) continue;
      for (const auto& f : keep) ++plan.masked[f.detector];
      snap.rows[cell.row][plan.name] = mask_spans(cell.text, keep, vault, config_);
    }
  }

  // Names that are themselves personal data (a header that is an email, a JSON key that is one).
  std::unordered_map<std::string, std::string> renamed;
  std::vector<proto::SanitizedField> fields;
  for (const auto& plan : plans) {
    std::vector<Finding> findings;
    try {
      scanner_->find(plan.name, NameHint{}, findings);
    } catch (const DetectorError& e) {
      fail(plan.name, 0, e.what());
    }
    if (findings.empty()) continue;
    const auto masked_name = mask_spans(plan.name, findings, vault, config_);
    renamed.emplace(plan.name, masked_name);
    for (const auto& f : findings) {
      fields.push_back({masked_name, std::string(name(f.detector)), 1, proto::MaskAction::name_masked});
    }
  }
  auto shown = [&](const std::string& n) {
    const auto it = renamed.find(n);
    return it == renamed.end() ? n : it->second;
  };
  for (const auto& plan : plans) {
    for (const auto& [d, count] : plan.masked) {
      const auto action =
          config_.strict && plan.flagged ? proto::MaskAction::dropped : proto::MaskAction::masked;
      fields.push_back({shown(plan.name), std::string(name(d)), count, action});
    }
  }

  // Apply drops and renames everywhere a column name or a value of a masked column appears.
  const auto is_dropped = [&](const std::string& n) {
    return std::find(dropped.begin(), dropped.end(), n) != dropped.end();
  };
  if (!renamed.empty() || !dropped.empty()) {
    for (auto& row : snap.rows) {
      boost::json::object out;
      out.reserve(row.size());
      for (auto& kv : row) {
        const std::string key(kv.key());
        if (!is_dropped(key)) out[shown(key)] = std::move(kv.value());
      }
      row = std::move(out);
    }
    std::map<std::string, std::string> schema;
    for (auto& [k, v] : snap.schema) {
      if (!is_dropped(k)) schema.emplace(shown(k), v);
    }
    snap.schema = std::move(schema);
    std::erase_if(snap.columns, [&](const proto::ColumnProfile& c) { return is_dropped(c.name); });
    if (snap.stratify_by) snap.stratify_by = shown(*snap.stratify_by);
  }
  for (auto& c : snap.columns) {
    const auto it = index.find(c.name);
    // Statistics of a masked column (the smallest date of birth, the largest card number) are
    // values of it too.
    if (it != index.end() && !plans[it->second].masked.empty()) {
      c.min.reset();
      c.max.reset();
    }
    c.name = shown(c.name);
  }
  snap.sanitized_fields = std::move(fields);
  return SanitizedSnapshot(std::move(snap), true);
}

}  // namespace gdp::privacy
