// The personal-data detectors. Value detectors find and validate what they see in text: a shape
// found by RE2 (linear time, never backtracking on user data) and then a real check where one
// exists (Luhn and the issuer prefix for cards, per-country length and mod-97 for IBANs, octet
// ranges, per-country phone numbering). Name detectors decide from a column name or JSON key in
// several languages (person names, dates of birth, addresses, national IDs, secrets).
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::privacy {

// X(enumerator, wire name, placeholder label, strong). A strong detector's chance of matching a
// value that is not what it says is negligible (an email, a key with a fixed prefix), so a lone
// whole-value match is masked even in a column that is otherwise something else; a weak one's
// is not (one order number in ten passes Luhn), see Sanitizer.
#define GDP_PRIVACY_DETECTORS(X)                                 \
  X(email, "email", "EMAIL", true)                               \
  X(phone, "phone", "PHONE", false)                              \
  X(card, "card", "CARD", false)                                 \
  X(iban, "iban", "IBAN", true)                                  \
  X(ssn, "ssn", "SSN", false)                                    \
  X(ipv4, "ipv4", "IPV4", false)                                 \
  X(ipv6, "ipv6", "IPV6", true)                                  \
  X(mac, "mac", "MAC", false)                                    \
  X(url_credentials, "url_credentials", "URL_CREDENTIALS", true) \
  X(aws_access_key, "aws_access_key", "AWS_KEY", true)           \
  X(google_api_key, "google_api_key", "GOOGLE_API_KEY", true)    \
  X(github_token, "github_token", "GITHUB_TOKEN", true)          \
  X(slack_token, "slack_token", "SLACK_TOKEN", true)             \
  X(jwt, "jwt", "JWT", true)                                     \
  X(private_key, "private_key", "PRIVATE_KEY", true)             \
  X(secret, "secret", "SECRET", false)                           \
  X(person_name, "person_name", "NAME", false)                   \
  X(date_of_birth, "date_of_birth", "DATE_OF_BIRTH", false)      \
  X(address, "address", "ADDRESS", false)                        \
  X(national_id, "national_id", "NATIONAL_ID", false)

enum class Detector : std::uint8_t {
#define GDP_X(e, name, label, strong) e,
  GDP_PRIVACY_DETECTORS(GDP_X)
#undef GDP_X
};

inline constexpr std::size_t kDetectorCount = 0
#define GDP_X(e, name, label, strong) +1
    GDP_PRIVACY_DETECTORS(GDP_X)
#undef GDP_X
    ;

std::string_view name(Detector detector);   // "email"
std::string_view label(Detector detector);  // "EMAIL", as in <EMAIL_3>
bool strong(Detector detector);
std::optional<Detector> detector_by_name(std::string_view name);
const std::array<Detector, kDetectorCount>& all_detectors();

class DetectorSet {
 public:
  static DetectorSet all() {
    DetectorSet set;
    set.bits_.set();
    return set;
  }
  static DetectorSet none() { return {}; }
  bool contains(Detector d) const { return bits_.test(static_cast<std::size_t>(d)); }
  void set(Detector d, bool on) { bits_.set(static_cast<std::size_t>(d), on); }

 private:
  std::bitset<kDetectorCount> bits_;
};

// One validated match in a text: bytes [begin, end).
struct Finding {
  Detector detector;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// What a column's name (or a JSON key's dotted path) says it holds.
struct NameHint {
  std::optional<Detector> holds;  // person_name, date_of_birth, address, national_id, secret, ...
  bool password = false;          // a password column: every value is masked, random-looking or not
  bool phone = false;             // "phone", "tel", "mobile": bare digit strings count as phones
  bool version = false;           // "version": dotted numbers are versions, not IPv4 addresses
  bool ambiguous_name = false;    // just "name": a person's only when the values look like one
};
NameHint classify_name(std::string_view column);

// The normal form placeholders are keyed by: digits only for numbers people write with spaces
// or dashes (phones, cards, IBANs, SSNs), lower case for emails and hosts, the text otherwise.
std::string normal_form(Detector detector, std::string_view text);

// Thrown when a detector cannot finish on a value (RE2 out of memory on a huge cell).
class DetectorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Finds every validated match of the enabled value detectors in a text. Built once (the RE2
// programs are compiled at construction) and shared by all threads: find() is const.
class Scanner {
 public:
  explicit Scanner(DetectorSet enabled);
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // Appends the findings in `text` to `out`, ordered by begin, non-overlapping (where two
  // overlap, the longer wins). `hint` lets a column's name admit weak shapes (a bare digit
  // string in a "phone" column) or rule some out (IPv4 in a "version" column).
  void find(std::string_view text, const NameHint& hint, std::vector<Finding>& out) const;

  // Whether a high-entropy token (random keys, hashes of passwords) makes up `text`.
  static bool looks_random(std::string_view text);

 private:
  void scan(std::string_view text, const NameHint& hint, std::vector<Finding>& found) const;
  void scan_part(std::string_view text, std::size_t begin, std::size_t end, const NameHint& hint,
                 std::vector<Finding>& out) const;
  // Keeps the non-overlapping findings (the longer wins) in text order, appended to `out`.
  static void resolve(std::vector<Finding>& found, std::vector<Finding>& out);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gdp::privacy
