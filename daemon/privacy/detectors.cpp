// Value detectors: RE2 finds candidate shapes (a set match first, so a cell with nothing in it
// costs one DFA pass), then a validator decides. Numbers people write with separators (cards,
// phones, SSNs) share one candidate shape, a run of digit groups, and are validated on every
// contiguous range of its groups, so "ref 1234 4111 1111 1111 1111" still finds the card.
#include "daemon/privacy/detectors.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace gdp::privacy {

namespace {

struct DetectorInfo {
  std::string_view name, label;
  bool strong;
};

constexpr std::array<DetectorInfo, kDetectorCount> kInfo{{
#define GDP_X(e, n, l, s) {n, l, s},
    GDP_PRIVACY_DETECTORS(GDP_X)
#undef GDP_X
}};

const DetectorInfo& info(Detector d) {
  return kInfo[static_cast<std::size_t>(d)];
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string digits_of(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (is_digit(c)) out += c;
  }
  return out;
}

bool luhn_ok(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

int prefix_number(std::string_view digits, std::size_t n) {
  int v = 0;
  for (std::size_t i = 0; i < n && i < digits.size(); ++i) v = v * 10 + (digits[i] - '0');
  return v;
}

// Issuer identification number ranges and lengths of the card networks people actually carry.
bool card_iin_ok(std::string_view d) {
  const std::size_t n = d.size();
  const int p1 = prefix_number(d, 1), p2 = prefix_number(d, 2), p3 = prefix_number(d, 3),
            p4 = prefix_number(d, 4), p6 = prefix_number(d, 6);
  if (p1 == 4) return n == 13 || n == 16 || n == 19;                         // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // Mastercard
  if (p2 == 34 || p2 == 37) return n == 15;                                  // Amex
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925)) {
    return n >= 16 && n <= 19;  // Discover
  }
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;                                      // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) return n >= 14 && n <= 19;  // Diners
  if (p2 == 62) return n >= 16 && n <= 19;                                                      // UnionPay
  if (p2 == 50 || (p2 >= 56 && p2 <= 58) || p2 == 67 || p2 == 63) return n >= 12 && n <= 19;    // Maestro
  if (p4 >= 2200 && p4 <= 2204) return n == 16;                                                 // Mir
  return false;
}

// A run of digit groups split at separators, e.g. "+44 (20) 7946-0958".
struct Groups {
  struct Group {
    std::size_t begin, end;  // digits only, in the text
    char sep_before;         // '\0' for the first
    bool parenthesised;
  };
  std::vector<Group> groups;
  bool plus = false;  // a '+' right before the first group
};

Groups split_groups(std::string_view text) {
  Groups g;
  std::size_t i = 0;
  char sep = '\0';
  bool paren = false;
  while (i < text.size()) {
    const char c = text[i];
    if (is_digit(c)) {
      const std::size_t b = i;
      while (i < text.size() && is_digit(text[i])) ++i;
      const bool closes = i < text.size() && text[i] == ')';
      g.groups.push_back({b, i, sep, paren && closes});
      if (closes) ++i;
      sep = '\0';
      paren = false;
      continue;
    }
    if (c == '+' && g.groups.empty()) g.plus = true;
    if (c == '(') {
      paren = true;
    } else if (sep == '\0' || sep == ' ') {
      sep = c;  // "(20) 7946": the space after ')' is the separator unless something stronger follows
    }
    ++i;
  }
  return g;
}

// Phone numbering, E.164 and national. National formats are recognised by their grouping as
// people write them, not by digit count alone, so "2024-01-05 12" (a timestamp) is not a phone.
bool phone_ok(std::string_view text, const Groups& g, std::size_t first, std::size_t last, bool hinted) {
  const std::size_t count = last - first + 1;
  std::string digits;
  std::vector<std::size_t> sizes;
  char sep = '\0';
  bool mixed = false;
  for (std::size_t i = first; i <= last; ++i) {
    const auto& grp = g.groups[i];
    digits.append(text.substr(grp.begin, grp.end - grp.begin));
    sizes.push_back(grp.end - grp.begin);
    if (i > first && !g.groups[i - 1].parenthesised) {
      if (sep == '\0')
        sep = grp.sep_before;
      else if (grp.sep_before != sep)
        mixed = true;
    }
  }
  const std::size_t n = digits.size();
  const bool plus = first == 0 && g.plus;
  if (plus || (digits.starts_with("00") && count >= 2)) {
    const std::size_t national = plus ? n : n - 2;
    return national >= 8 && national <= 15 && digits[plus ? 0 : 2] != '0';
  }
  if (count == 1) {
    // A bare digit string is a phone where the column says so, or when it carries a national
    // trunk prefix and a phone's length (07959258886, 0178749911); other bare numbers are IDs.
    return (hinted && n >= 9 && n <= 13) || (digits[0] == '0' && digits[1] != '0' && n >= 10 && n <= 12);
  }
  // Four dot-separated groups are an IPv4 address or a version, never how people write phones.
  if (sep == '.' && count == 4) return false;
  // Brazil writes the area code apart and the line with a dash: 51 90669-7260.
  if (count == 3 && g.groups[first + 1].sep_before == ' ' && g.groups[last].sep_before == '-' &&
      last - first == 2 && g.groups[first].end - g.groups[first].begin == 2 &&
      g.groups[last].end - g.groups[last].begin == 4 &&
      (g.groups[first + 1].end - g.groups[first + 1].begin == 5 ||
       g.groups[first + 1].end - g.groups[first + 1].begin == 4)) {
    return true;
  }
  if (mixed && !g.groups[first].parenthesised) return false;
  if (sep != ' ' && sep != '-' && sep != '.' && sep != '/' && sep != '\0') return false;
  for (auto s : sizes) {
    if (s < 2 && !(s == 1 && digits[0] == '1' && sizes.size() == 4)) return false;
  }
  auto shape = [&](std::initializer_list<std::size_t> want) {
    return std::equal(sizes.begin(), sizes.end(), want.begin(), want.end());
  };
  const char lead = digits[0];
  // NANP: (415) 555-2671, 415-555-2671, 1 415 555 2671.
  if (shape({3, 3, 4}) && lead >= '2' && digits[3] >= '2') return true;
  if (shape({1, 3, 3, 4}) && lead == '1' && digits[1] >= '2' && digits[4] >= '2') return true;
  // Brazil: (11) 91234-5678, (21) 2345-6789.
  if (g.groups[first].parenthesised && sizes[0] == 2 && (shape({2, 5, 4}) || shape({2, 4, 4}))) return true;
  // Spain 612 345 678 / 91 123 45 67; India 98765 43210; Italian mobiles 342 034 2106.
  if (shape({3, 3, 4}) && lead == '3') return true;
  if (shape({3, 3, 3}) && lead >= '6') return true;
  if (shape({2, 3, 2, 2}) && lead >= '8') return true;
  if (shape({5, 5}) && lead >= '6') return true;
  // Trunk-prefixed national numbers (UK, DE, FR, NL, IT landlines, AU, JP): 0 then 9-11 digits,
  // in two to five groups (020 7946 0958, 030/12345678, 01 23 45 67 89, 03-1234-5678).
  if (lead == '0' && digits[1] != '0' && n >= 10 && n <= 12 && count <= 5) return true;
  return false;
}

bool ssn_ok(std::string_view digits) {
  if (digits.size() != 9) return false;
  const int area = prefix_number(digits, 3), group = prefix_number(digits.substr(3), 2),
            serial = prefix_number(digits.substr(5), 4);
  return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

// Country → IBAN length (ISO 13616 registry).
int iban_length(std::string_view cc) {
  static constexpr std::pair<std::string_view, int> kLengths[] = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
      {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
      {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
      {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
      {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
      {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
      {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
      {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SC", 31},
      {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
      {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}};
  for (const auto& [code, len] : kLengths) {
    if (code == cc) return len;
  }
  return 0;
}

bool iban_mod97_ok(std::string_view iban) {
  int rem = 0;
  auto feed = [&](char c) {
    if (is_digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else {
      const int v = (c & ~0x20) - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    }
  };
  for (char c : iban.substr(4)) feed(c);
  for (char c : iban.substr(0, 4)) feed(c);
  return rem == 1;
}

// The IBAN at the start of a candidate: exactly its country's length of letters and digits
// (spaces between groups allowed), so trailing words do not spoil it. Returns its byte length.
std::size_t iban_prefix(std::string_view text) {
  const std::string cc{static_cast<char>(text[0] & ~0x20), static_cast<char>(text[1] & ~0x20)};
  const int want = iban_length(cc);
  if (want == 0) return 0;
  std::string compact;
  std::size_t i = 0;
  for (; i < text.size() && static_cast<int>(compact.size()) < want; ++i) {
    if (text[i] == ' ') continue;
    if (!is_alnum(text[i])) return 0;
    compact += static_cast<char>(is_alpha(text[i]) ? text[i] & ~0x20 : text[i]);
  }
  if (static_cast<int>(compact.size()) != want) return 0;
  if (i < text.size() && is_alnum(text[i])) return 0;
  for (std::size_t k = 2; k < 4; ++k) {
    if (!is_digit(compact[k])) return 0;
  }
  return iban_mod97_ok(compact) ? i : 0;
}

bool ipv4_ok(std::string_view text) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= text.size()) {
    const std::size_t b = i;
    int v = 0;
    while (i < text.size() && is_digit(text[i])) v = v * 10 + (text[i++] - '0');
    const std::size_t len = i - b;
    if (len == 0 || len > 3 || v > 255 || (len > 1 && text[b] == '0')) return false;
    ++parts;
    if (i == text.size()) break;
    if (text[i] != '.') return false;
    ++i;
  }
  return parts == 4;
}

bool ipv6_ok(std::string_view text) {
  std::string s(text.substr(0, text.find('%')));
  if (s.size() < 3) return false;
  int hex_groups = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (is_hex(s[i])) {
      ++hex_groups;
      while (i < s.size() && is_hex(s[i])) ++i;
    } else {
      ++i;
    }
  }
  // "::1" and "fe80::1" are addresses; a lone "a::" in prose ("std::") is not worth masking.
  if (hex_groups < 2 && s != "::1") return false;
  in6_addr addr{};
  return inet_pton(AF_INET6, s.c_str(), &addr) == 1;
}

// Punctuation and spaces outside ASCII that text in other scripts puts next to an address:
// Latin-1 punctuation, general punctuation, CJK punctuation, full-width forms' punctuation.
bool separator_code_point(std::uint32_t cp) {
  return (cp >= 0xA0 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
         (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
         (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65);
}

// Decodes the UTF-8 sequence at text[i] (valid input: snapshot text is valid UTF-8); sets `len`.
std::uint32_t decode_at(std::string_view text, std::size_t i, std::size_t& len) {
  const auto c = static_cast<unsigned char>(text[i]);
  len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (i + len > text.size()) len = text.size() - i;
  std::uint32_t cp = len == 1 ? c : c & (0x3Fu >> (len - 1));
  for (std::size_t k = 1; k < len; ++k) cp = cp << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
  return cp;
}

std::size_t after_last_separator(std::string_view text) {
  std::size_t start = 0, len = 1;
  for (std::size_t i = 0; i < text.size(); i += len) {
    if (separator_code_point(decode_at(text, i, len))) start = i + len;
  }
  return start;
}

std::size_t before_first_separator(std::string_view text) {
  std::size_t len = 1;
  for (std::size_t i = 0; i < text.size(); i += len) {
    if (separator_code_point(decode_at(text, i, len))) return i;
  }
  return text.size();
}

// Shannon entropy in bits per character, times the length: random keys score high, words low.
double entropy_bits(std::string_view text) {
  std::array<int, 256> freq{};
  for (char c : text) ++freq[static_cast<unsigned char>(c)];
  double h = 0;
  for (int f : freq) {
    if (f == 0) continue;
    const double p = static_cast<double>(f) / static_cast<double>(text.size());
    h -= p * std::log2(p);
  }
  return h;
}

// What each RE2 pattern is a candidate for. Validators run in find().
enum class Shape : std::uint8_t { email, ipv6, mac, url_credentials, aws, google, github, slack, jwt };

struct PatternSpec {
  Shape shape;
  const char* regex;
};

// Candidate shapes. Deliberately loose: validation decides, and RE2 keeps every one linear. The
// patterns run in Latin-1 mode, byte by byte: a UTF-8 letter is bytes 0x80-0xFF, which keeps the
// automata small (Unicode classes would multiply DFA states), and matches land on byte offsets.
// Upper bounds on repetition are left off where the validator does not need them: RE2 expands
// {36,255} into 255 copies of the loop.
constexpr PatternSpec kPatterns[] = {
    {Shape::email,
     R"([A-Za-z0-9\x80-\xff._%+'\-]+@[A-Za-z0-9\x80-\xff](?:[A-Za-z0-9\x80-\xff\-]*[A-Za-z0-9\x80-\xff])?(?:\.[A-Za-z0-9\x80-\xff](?:[A-Za-z0-9\x80-\xff\-]*[A-Za-z0-9\x80-\xff])?)*\.(?:[A-Za-z]|[\x80-\xff]){2,})"},
    {Shape::ipv6,
     R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\d{1,3}(?:\.\d{1,3}){3})?(?:%[0-9A-Za-z]+)?)"},
    {Shape::mac,
     R"((?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}|(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}|(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4})"},
    {Shape::url_credentials, R"([A-Za-z][A-Za-z0-9+.\-]{1,15}://[^\s/?#@:]+:[^\s/?#@]*@[^\s/?#]+[^\s]*)"},
    {Shape::aws, R"((?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16})"},
    {Shape::google, R"(AIza[0-9A-Za-z_\-]{35})"},
    {Shape::github, R"((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"},
    {Shape::slack, R"(xox[abposr]-[A-Za-z0-9\-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+)"},
    {Shape::jwt, R"(eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*)"},
};

constexpr Detector detector_of(Shape s) {
  switch (s) {
    case Shape::email:
      return Detector::email;
    case Shape::ipv6:
      return Detector::ipv6;
    case Shape::mac:
      return Detector::mac;
    case Shape::url_credentials:
      return Detector::url_credentials;
    case Shape::aws:
      return Detector::aws_access_key;
    case Shape::google:
      return Detector::google_api_key;
    case Shape::github:
      return Detector::github_token;
    case Shape::slack:
      return Detector::slack_token;
    case Shape::jwt:
      return Detector::jwt;
  }
  return Detector::secret;
}

// Word boundaries RE2 cannot express for us cheaply: a match glued to letters or digits on
// either side is part of something longer (an order code, a hash) and not what it looks like.
// For numbers, "SKU-415-555-2671" and "10.0.19045" are glued too: a joiner between the match and
// more letters or digits.
bool bounded(std::string_view text, std::size_t b, std::size_t e, bool numeric) {
  auto joiner = [&](char c) { return numeric && (c == '.' || c == '-' || c == '/'); };
  if (b > 0) {
    const char c = text[b - 1];
    if (is_alnum(c) || c == '_' || (joiner(c) && b >= 2 && is_alnum(text[b - 2]))) return false;
  }
  if (e < text.size()) {
    const char c = text[e];
    if (is_alnum(c) || c == '_' || (joiner(c) && e + 1 < text.size() && is_alnum(text[e + 1]))) return false;
  }
  return true;
}

// Where to look again after a candidate at `b` did not validate: the next word, so a loose
// candidate that swallowed a real match ("ab12 DE89 3704 ...") does not hide it.
std::size_t next_word(std::string_view text, std::size_t b) {
  std::size_t i = b + 1;
  while (i < text.size() && is_alnum(text[i])) ++i;
  while (i < text.size() && !is_alnum(text[i]) && text[i] != '+' && text[i] != '(' && text[i] != '-') ++i;
  return i;
}

}  // namespace

std::string_view name(Detector d) {
  return info(d).name;
}
std::string_view label(Detector d) {
  return info(d).label;
}
bool strong(Detector d) {
  return info(d).strong;
}

std::optional<Detector> detector_by_name(std::string_view n) {
  for (auto d : all_detectors()) {
    if (name(d) == n) return d;
  }
  return std::nullopt;
}

const std::array<Detector, kDetectorCount>& all_detectors() {
  static const auto all = [] {
    std::array<Detector, kDetectorCount> out{};
    for (std::size_t i = 0; i < kDetectorCount; ++i) out[i] = static_cast<Detector>(i);
    return out;
  }();
  return all;
}

std::string normal_form(Detector d, std::string_view text) {
  switch (d) {
    case Detector::phone:
    case Detector::card:
    case Detector::ssn:
      return digits_of(text);
    case Detector::iban:
    case Detector::mac:
    case Detector::email:
    case Detector::ipv6: {
      std::string out;
      for (char c : text) {
        if (c == ' ' || ((d == Detector::mac) && (c == ':' || c == '-' || c == '.'))) continue;
        out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      }
      return out;
    }
    default:
      return std::string(text);
  }
}

namespace {

// One pass over a cell's bytes: which shapes could possibly be in it. Most cells (names, words,
// amounts, dates) rule out every pattern here and never reach RE2.
struct CellBytes {
  std::size_t digits = 0, colons = 0, dashes = 0, dots = 0, at = 0;
  bool scheme = false;        // "://"
  bool double_colon = false;  // "::", how short IPv6 addresses are written
};

CellBytes count_bytes(std::string_view text) {
  CellBytes c;
  for (std::size_t i = 0; i < text.size(); ++i) {
    switch (text[i]) {
      case ':':
        ++c.colons;
        if (i + 2 < text.size() && text[i + 1] == '/' && text[i + 2] == '/') c.scheme = true;
        if (i + 1 < text.size() && text[i + 1] == ':') c.double_colon = true;
        break;
      case '-':
        ++c.dashes;
        break;
      case '.':
        ++c.dots;
        break;
      case '@':
        ++c.at;
        break;
      default:
        if (is_digit(text[i])) ++c.digits;
    }
  }
  return c;
}

bool may_contain(Shape shape, const CellBytes& c, std::size_t size) {
  switch (shape) {
    case Shape::email:
      return c.at > 0 && c.dots > 0;
    case Shape::ipv6:
      return c.colons >= 7 || (c.colons >= 2 && c.double_colon);
    case Shape::mac:
      return c.colons >= 5 || c.dashes >= 5 || c.dots >= 2;
    case Shape::url_credentials:
      return c.scheme && c.at > 0;
    default:
      return size >= 16;  // key and token formats: one set match decides
  }
}

// Maximal runs of what numbers are written with: from a digit, '+' or '(' over digits and the
// separators " ().-/", ending on a digit or ')'. Cards, phones, SSNs and IPv4 addresses are found
// inside these by validation, without a regex.
template <class F>
void numeric_runs(std::string_view text, F&& on_run) {
  auto sep = [](char c) { return c == ' ' || c == '(' || c == ')' || c == '.' || c == '-' || c == '/'; };
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    const bool opener = (c == '+' || c == '(') && i + 1 < n && (is_digit(text[i + 1]) || text[i + 1] == '(');
    if (!is_digit(c) && !opener) {
      ++i;
      continue;
    }
    const std::size_t b = i;
    std::size_t end = 0;
    for (++i; i < n && (is_digit(text[i]) || sep(text[i])); ++i) {
      if (is_digit(text[i]) || text[i] == ')') end = i + 1;
    }
    if (is_digit(c) && end == 0) end = b + 1;
    if (end > b) on_run(b, end);
  }
}

// IBANs: at each word that starts with two letters and two digits, iban_prefix() reads exactly
// the country's length and checks mod-97. No regex: base64 blobs are full of such starts.
void find_ibans(std::string_view text, std::vector<Finding>& out) {
  for (std::size_t i = 0; i + 15 <= text.size(); ++i) {
    if (!is_alpha(text[i]) || !is_alpha(text[i + 1]) || !is_digit(text[i + 2]) || !is_digit(text[i + 3]))
      continue;
    if (i > 0 && is_alnum(text[i - 1])) continue;
    const std::size_t len = iban_prefix(text.substr(i));
    if (len == 0) continue;
    out.push_back({Detector::iban, i, i + len});
    i += len - 1;
  }
}

// PEM private keys: from "-----BEGIN ... PRIVATE KEY-----" to its END line, or to the end of the
// value when the END line is missing (a key cut off is still a key).
void find_private_keys(std::string_view text, std::vector<Finding>& out) {
  constexpr std::string_view kBegin = "-----BEGIN", kEnd = "-----END", kTail = "PRIVATE KEY-----";
  std::size_t pos = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    const auto line_end = std::min(text.find('\n', pos), text.size());
    const auto header = text.substr(pos, line_end - pos);
    if (header.find(kTail) == std::string_view::npos) {
      pos += kBegin.size();
      continue;
    }
    std::size_t end = text.size();
    for (auto e = text.find(kEnd, line_end); e != std::string_view::npos; e = text.find(kEnd, e + 1)) {
      const auto tail = text.find(kTail, e);
      const auto eol = std::min(text.find('\n', e), text.size());
      if (tail != std::string_view::npos && tail < eol) {
        end = tail + kTail.size();
        break;
      }
    }
    out.push_back({Detector::private_key, pos, end});
    pos = end;
  }
}

}  // namespace

struct Scanner::Impl {
  DetectorSet enabled;
  bool numbers = false;  // card, phone, ssn or ipv4 enabled
  // Gated patterns run alone when their cell passes may_contain; the token formats share one set.
  std::vector<std::pair<Shape, std::unique_ptr<re2::RE2>>> gated;
  re2::RE2::Set set{options(), re2::RE2::UNANCHORED};

  static re2::RE2::Options options() {
    re2::RE2::Options opts;
    opts.set_encoding(re2::RE2::Options::EncodingLatin1);
    opts.set_log_errors(false);
    opts.set_max_mem(std::int64_t{64} << 20);
    return opts;
  }
  std::vector<std::pair<Shape, std::unique_ptr<re2::RE2>>> tokens;  // by set index

  void run(Shape shape, const re2::RE2& re, std::string_view text, std::vector<Finding>& out) const;

  // Appends what the candidate [b, e) validates as; false if nothing.
  bool validate(Shape shape, std::string_view text, std::size_t b, std::size_t e,
                std::vector<Finding>& out) const;
  void validate_digits(std::string_view text, std::size_t b, std::size_t e, const NameHint& hint,
                       std::vector<Finding>& out) const;
};

Scanner::Scanner(DetectorSet enabled) : impl_(std::make_unique<Impl>()) {
  impl_->enabled = enabled;
  impl_->numbers = enabled.contains(Detector::card) || enabled.contains(Detector::phone) ||
                   enabled.contains(Detector::ssn) || enabled.contains(Detector::ipv4);
  const auto opts = Impl::options();
  for (const auto& spec : kPatterns) {
    if (!enabled.contains(detector_of(spec.shape))) continue;
    auto re = std::make_unique<re2::RE2>(spec.regex, opts);
    if (!re->ok()) throw DetectorError("privacy pattern does not compile: " + re->error());
    const bool token = spec.shape >= Shape::aws;
    if (!token) {
      impl_->gated.emplace_back(spec.shape, std::move(re));
      continue;
    }
    std::string err;
    if (impl_->set.Add(spec.regex, &err) < 0) throw DetectorError("privacy pattern does not compile: " + err);
    impl_->tokens.emplace_back(spec.shape, std::move(re));
  }
  if (!impl_->tokens.empty() && !impl_->set.Compile()) throw DetectorError("privacy patterns do not compile");
}

Scanner::~Scanner() = default;

void Scanner::Impl::validate_digits(std::string_view text, std::size_t b, std::size_t e, const NameHint& hint,
                                    std::vector<Finding>& out) const {
  const std::string_view cand = text.substr(b, e - b);
  const Groups g = split_groups(cand);
  const std::size_t n = g.groups.size();
  // From each group, the longest range of up to eight groups that validates wins (no number people
  // write has more), then the search resumes after it.
  constexpr std::size_t kMaxGroups = 8;
  std::size_t from = 0;
  while (from < n) {
    bool found = false;
    for (std::size_t last = std::min(n, from + kMaxGroups); last-- > from && !found;) {
      const std::size_t first = from;
      const auto& fg = g.groups[first];
      const auto& lg = g.groups[last];
      std::size_t begin = fg.begin, end = lg.end;
      if (first == 0 && g.plus && begin > 0) begin = cand.find('+');
      if (fg.parenthesised && begin > 0 && cand[begin - 1] == '(') --begin;
      if (lg.parenthesised) ++end;
      bool dotted = last - first == 3;
      std::size_t count = 0;
      for (std::size_t i = first; i <= last; ++i) {
        count += g.groups[i].end - g.groups[i].begin;
        if (i > first && g.groups[i].sep_before != '.') dotted = false;
      }
      // The shortest of what is looked for: an IPv4 address, or eight digits for anything else.
      if (!dotted && count < 8) continue;
      std::string digits;
      bool card_seps = true;
      for (std::size_t i = first; i <= last; ++i) {
        digits.append(cand.substr(g.groups[i].begin, g.groups[i].end - g.groups[i].begin));
        if (i > first && g.groups[i].sep_before != ' ' && g.groups[i].sep_before != '-') card_seps = false;
      }
      std::optional<Detector> hit;
      if (dotted) {
        if (enabled.contains(Detector::ipv4) && !hint.version && ipv4_ok(cand.substr(begin, end - begin))) {
          hit = Detector::ipv4;
        }
      } else if (enabled.contains(Detector::card) && card_seps && !g.plus && digits.size() >= 12 &&
                 digits.size() <= 19 && card_iin_ok(digits) && luhn_ok(digits)) {
        hit = Detector::card;
      } else if (enabled.contains(Detector::ssn) && ssn_ok(digits) &&
                 ((last - first == 2 && g.groups[first + 1].sep_before == '-' &&
                   g.groups[last].sep_before == '-' && fg.end - fg.begin == 3 &&
                   g.groups[first + 1].end - g.groups[first + 1].begin == 2) ||
                  (first == last && hint.holds == Detector::national_id))) {
        hit = Detector::ssn;
      } else if (enabled.contains(Detector::phone) && phone_ok(cand, g, first, last, hint.phone)) {
        hit = Detector::phone;
      }
      if (hit && bounded(text, b + begin, b + end, true)) {
        out.push_back({*hit, b + begin, b + end});
        from = last + 1;
        found = true;
      }
    }
    if (!found) ++from;
  }
}

bool Scanner::Impl::validate(Shape shape, std::string_view text, std::size_t b, std::size_t e,
                             std::vector<Finding>& out) const {
  const std::string_view m = text.substr(b, e - b);
  switch (shape) {
    case Shape::email: {
      // The pattern runs byte-wise, so it cannot tell a letter of another script from its
      // punctuation: "連絡先：taro@example.jp" must start after the full-width colon.
      const auto at = m.find('@');
      const auto local_start = after_last_separator(m.substr(0, at));
      const auto domain_end = at + 1 + before_first_separator(m.substr(at + 1));
      const auto local = m.substr(local_start, at - local_start);
      const auto domain = m.substr(at + 1, domain_end - at - 1);
      const auto dot = domain.rfind('.');
      if (local.empty() || local.front() == '.' || local.back() == '.' ||
          local.find("..") != std::string_view::npos || dot == std::string_view::npos ||
          domain.size() - dot < 3) {
        return false;
      }
      out.push_back({Detector::email, b + local_start, b + domain_end});
      return true;
    }
    case Shape::ipv6:
      if (!ipv6_ok(m) || !bounded(text, b, e, false) || (b > 0 && text[b - 1] == ':') ||
          (e < text.size() && text[e] == ':')) {
        return false;
      }
      break;
    case Shape::mac:
    case Shape::aws:
    case Shape::google:
    case Shape::github:
    case Shape::jwt:
      if (!bounded(text, b, e, false)) return false;
      break;
    default:
      break;
  }
  out.push_back({detector_of(shape), b, e});
  return true;
}

void Scanner::Impl::run(Shape shape, const re2::RE2& re, std::string_view text,
                        std::vector<Finding>& out) const {
  std::size_t pos = 0;
  re2::StringPiece match;
  while (pos < text.size() && re.Match(text, pos, text.size(), re2::RE2::UNANCHORED, &match, 1)) {
    const auto b = static_cast<std::size_t>(match.data() - text.data());
    const auto e = b + match.size();
    const bool ok = validate(shape, text, b, e, out);
    pos = ok && e > b ? e : next_word(text, b);
  }
}

void Scanner::find(std::string_view text, const NameHint& hint, std::vector<Finding>& out) const {
  if (text.size() < 4) return;
  std::vector<Finding> found;
  // A private key is masked whole, so only the text around it is worth scanning for the rest.
  if (impl_->enabled.contains(Detector::private_key) && text.find("-----BEGIN") != std::string_view::npos) {
    find_private_keys(text, found);
    if (!found.empty()) {
      std::size_t at = 0;
      const auto keys = found;
      for (const auto& key : keys) {
        scan_part(text, at, key.begin, hint, found);
        at = key.end;
      }
      scan_part(text, at, text.size(), hint, found);
      return resolve(found, out);
    }
  }
  scan(text, hint, found);
  resolve(found, out);
}

void Scanner::scan_part(std::string_view text, std::size_t begin, std::size_t end, const NameHint& hint,
                        std::vector<Finding>& out) const {
  std::vector<Finding> part;
  scan(text.substr(begin, end - begin), hint, part);
  for (auto& f : part) out.push_back({f.detector, f.begin + begin, f.end + begin});
}

void Scanner::scan(std::string_view text, const NameHint& hint, std::vector<Finding>& found) const {
  if (text.size() < 4) return;
  const auto bytes = count_bytes(text);
  if (impl_->enabled.contains(Detector::iban) && bytes.digits >= 8) find_ibans(text, found);
  if (impl_->numbers && bytes.digits >= 4) {
    numeric_runs(text,
                 [&](std::size_t b, std::size_t e) { impl_->validate_digits(text, b, e, hint, found); });
  }
  for (const auto& [shape, re] : impl_->gated) {
    if (may_contain(shape, bytes, text.size())) impl_->run(shape, *re, text, found);
  }
  if (!impl_->tokens.empty() && text.size() >= 16) {
    std::vector<int> hits;
    re2::RE2::Set::ErrorInfo error{};
    if (!impl_->set.Match(text, &hits, &error) && error.kind != re2::RE2::Set::kNoError) {
      throw DetectorError("a value of " + std::to_string(text.size()) + " bytes could not be scanned");
    }
    for (int idx : hits) {
      const auto& [shape, re] = impl_->tokens[static_cast<std::size_t>(idx)];
      impl_->run(shape, *re, text, found);
    }
  }
}

void Scanner::resolve(std::vector<Finding>& found, std::vector<Finding>& out) {
  // Overlaps (an email inside a URL's credentials, a card inside an IBAN-looking run): the longer
  // match wins; on a tie the more specific shape (an IPv4 address over a phone), then the earlier.
  std::sort(found.begin(), found.end(), [](const Finding& x, const Finding& y) {
    if (x.end - x.begin != y.end - y.begin) return x.end - x.begin > y.end - y.begin;
    if ((x.detector == Detector::phone) != (y.detector == Detector::phone))
      return y.detector == Detector::phone;
    return x.begin < y.begin;
  });
  std::vector<Finding> kept;
  for (const auto& f : found) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(),
                                      [&](const Finding& k) { return f.begin < k.end && k.begin < f.end; });
    if (!overlaps) kept.push_back(f);
  }
  std::sort(kept.begin(), kept.end(), [](const Finding& x, const Finding& y) { return x.begin < y.begin; });
  out.insert(out.end(), kept.begin(), kept.end());
}

bool Scanner::looks_random(std::string_view text) {
  // Trim, then: long enough to be a key, no spaces (not prose), a mix of character classes, and
  // near the entropy of random base64/hex rather than of words.
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.size() < 16 || text.find(' ') != std::string_view::npos) return false;
  int classes = 0;
  bool lower = false, upper = false, digit = false;
  for (char c : text) {
    lower |= c >= 'a' && c <= 'z';
    upper |= c >= 'A' && c <= 'Z';
    digit |= is_digit(c);
  }
  classes = int{lower} + int{upper} + int{digit};
  if (classes < 2) return false;
  return entropy_bits(text) >= 3.0;
}

}  // namespace gdp::privacy
