// The seed's DataSanitizer: every snapshot passes through here before anything can leave the
// machine. It decides per column (a column is sensitive when most of its non-null values validate
// for one detector, or when its name says what it holds) and per cell inside free text, masks with
// typed placeholders that stay the same for the same value within a session (<EMAIL_3>), fills
// sanitized_fields, and fails closed with DataSanitizationError when a value cannot be handled.
//
// The planner interface takes a SanitizedSnapshot, and only Sanitizer can make one: an unmasked
// DataSnapshot cannot reach a planner by accident.
#pragma once

#include "common/models.h"
#include "daemon/privacy/detectors.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gdp::privacy {

struct SanitizerConfig {
  // Detectors switched off by configuration (privacy.disable = phone,ipv4).
  DetectorSet enabled = DetectorSet::all();
  // Drop sensitive columns from the snapshot instead of masking their values.
  bool strict = false;
  // Harmless shape hints inside placeholders: an email's domain, a value's length.
  bool shape_hints = false;
};

// Assigns placeholders: the same value (in its normal form: an email lower-cased, a phone's or a
// card's digits) gets the same number within a session. It keeps keyed hashes, never the values.
class Vault {
 public:
  Vault();
  // The number for this detector and normalised value: 1, 2, 3... in order of first appearance.
  std::uint64_t number(Detector detector, std::string_view normal_form);

 private:
  std::array<std::uint8_t, 16> key_{};  // random per vault, so the hashes say nothing off this daemon
  std::array<std::uint64_t, kDetectorCount> next_{};
  // SipHash of (detector, normal form) -> number. A collision (odds about n^2 / 2^65) would give two
  // values one placeholder: a planner would see a false duplicate, nothing would leak.
  std::unordered_map<std::uint64_t, std::uint64_t> numbers_;
};

// A snapshot that went through the sanitizer. Only Sanitizer constructs one.
class SanitizedSnapshot {
 public:
  const proto::DataSnapshot& snapshot() const& { return snapshot_; }
  proto::DataSnapshot snapshot() && { return std::move(snapshot_); }
  // False only when sanitizing was switched off with gdpd's --no-sanitize: clients warn then.
  bool masked() const { return masked_; }

 private:
  friend class Sanitizer;
  SanitizedSnapshot(proto::DataSnapshot snapshot, bool masked)
      : snapshot_(std::move(snapshot)), masked_(masked) {}

  proto::DataSnapshot snapshot_;
  bool masked_;
};

namespace detail {
struct Cell;  // one non-null value of a column; sanitizer.cpp
}

class Sanitizer {
 public:
  explicit Sanitizer(SanitizerConfig config = {});

  // Masks rows, column names, schema and column statistics. Throws RpcError(DataSanitization)
  // naming the column and row when a value cannot be handled safely.
  SanitizedSnapshot sanitize(proto::DataSnapshot snapshot, Vault& vault) const;

  // For gdpd --no-sanitize only: passes the snapshot through, marked as not masked.
  static SanitizedSnapshot pass_through(proto::DataSnapshot snapshot);

 private:
  // Whether most of a column's first values are, whole, one strong detector's format.
  bool strong_format(const std::vector<detail::Cell>& cells, const NameHint& hint) const;

  SanitizerConfig config_;
  std::shared_ptr<const Scanner> scanner_;
};

}  // namespace gdp::privacy
