// The labelled personal-data corpus behind the sanitizer's quality bars: seeded tables shaped like
// what ingest produces (100 sampled rows, values typed by ingest's own ColumnInference, schema and
// column profiles filled), where every cell knows which personal data was planted in it, next to
// decoy columns that look like personal data and are not (order numbers that pass Luhn by chance,
// IMEIs, version strings, timestamps, EAN-13 codes). evaluate() runs a Sanitizer over the tables
// and scores it per detector, so the quality test and the benchmark print the same report.
#pragma once

#include "common/models.h"
#include "daemon/privacy/detectors.h"
#include "daemon/privacy/sanitizer.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace gdp::test::pii {

using privacy::Detector;

inline constexpr std::uint64_t kDefaultSeed = 20240611;

// One piece of personal data planted in a cell (or in a column name).
struct Planted {
  Detector detector;  // the detector that should mask it
  std::string kind;   // what the generator made: "card", "phone.e164", "national_id.bsn", ...
  std::string text;   // as it appears in the cell; the whole cell for whole-value columns
  // Parts that must not survive either, even when `text` as a whole is gone: a PEM key's body
  // lines, the password of a URL with credentials.
  std::vector<std::string> fragments;
  // Other placeholder labels that mask it acceptably: an SSN in a column named "ssn" may come out
  // as <NATIONAL_ID_n>, an AWS key in a column named "aws_key" as <SECRET_n>.
  std::vector<Detector> also;
};

enum class Role {
  personal,          // every non-null value is one personal datum of `expected`
  free_text,         // sentences, some with personal data embedded (labelled per cell)
  sensitive_header,  // the column name itself is personal data (an email); the values are not
  decoy,             // must not be flagged: order IDs, IMEIs, versions, timestamps, prices, cities...
};

struct Column {
  std::string name;  // as in the snapshot's rows, schema and profiles
  std::string kind;  // the generator: "card", "imei", "notes", ...
  Role role = Role::decoy;
  std::optional<Detector> expected;         // personal columns: what the column holds
  std::optional<Planted> header;            // sensitive_header columns: the name's datum
  std::vector<std::vector<Planted>> cells;  // per row; empty for null and clean cells
};

struct LabelledTable {
  std::string name;    // "kunden_de-DE.csv"
  std::string locale;  // "de-DE"
  proto::DataSnapshot snapshot;
  std::vector<Column> columns;  // in the snapshot's column order
};

// The quality corpus: per round, one table per locale (en-US, en-GB, de-DE, fr-FR, es-ES, it-IT,
// nl-NL, pt-BR, ja-JP, en-IN, en-AU), CSV-shaped, plus a JSON-shaped event log full of keys and
// tokens. Each has 100 rows and about 30 columns. The same seed always gives the same corpus.
// Each table uses one of several spellings per column name ("Vorname" or "vorname", "dni" or
// "nif"), the next one each round, so a detector cannot look good on one lucky draw of names.
inline constexpr int kDefaultRounds = 3;
std::vector<LabelledTable> make_corpus(std::uint64_t seed = kDefaultSeed, int rounds = kDefaultRounds);

// The benchmark's snapshot: `columns` columns (personal, free text and decoys mixed) of 100 rows.
LabelledTable make_wide_table(std::uint64_t seed = kDefaultSeed, std::size_t columns = 50);

// The checks the generator's values pass, so the test can show the corpus is what it says.
bool luhn_valid(std::string_view digits);  // non-digits are skipped
bool iban_valid(std::string_view iban);    // spaces are skipped; per-country length and mod-97
bool ean13_valid(std::string_view digits);
std::string digits_of(std::string_view text);

struct CorpusStats {
  std::size_t tables = 0;
  std::size_t cells = 0;           // non-header cells, null or not
  std::size_t labelled_cells = 0;  // cells (and header names) with at least one planted datum
  std::size_t planted = 0;         // planted data in all
  std::set<std::string> kinds;     // distinct planted kinds
  std::set<std::string> locales;
  std::set<Detector> detectors;  // detectors with at least one planted datum
  std::size_t decoy_columns = 0;
  std::vector<std::string> planted_cards;  // every planted card's text, to check Luhn on
  std::vector<std::string> planted_ibans;
};
CorpusStats corpus_stats(const std::vector<LabelledTable>& corpus);

struct DetectorScore {
  std::size_t labelled = 0;  // labelled cells holding this detector's data
  std::size_t tp = 0;        // ... masked: nothing planted survives and the right placeholder is there
  std::size_t fn = 0;
  std::size_t fp = 0;               // cells carrying this detector's placeholder that hold none of its data
  std::vector<std::string> missed;  // a few examples, "table / column [row]: planted -> output"
  std::vector<std::string> false_hits;

  double recall() const {
    return labelled == 0 ? 1.0 : static_cast<double>(tp) / static_cast<double>(labelled);
  }
  double precision() const {
    return tp + fp == 0 ? 1.0 : static_cast<double>(tp) / static_cast<double>(tp + fp);
  }
};

struct QualityReport {
  std::array<DetectorScore, privacy::kDetectorCount> detectors;
  std::size_t decoy_columns = 0;
  std::vector<std::string> flagged_decoys;  // "table / column (detector)"
  std::size_t personal_columns = 0;
  std::size_t personal_columns_listed = 0;  // listed in sanitized_fields with the expected detector
  std::vector<std::string> unlisted_personal;
  // Personal columns whose profile min/max came out as they went in (numbers and dates carry the
  // values themselves there).
  std::vector<std::string> statistics_leaks;
  std::vector<std::string> errors;  // tables the sanitizer refused

  const DetectorScore& operator[](Detector d) const { return detectors[static_cast<std::size_t>(d)]; }
  double decoy_false_positive_rate() const {
    return decoy_columns == 0
               ? 0.0
               : static_cast<double>(flagged_decoys.size()) / static_cast<double>(decoy_columns);
  }
};

// Sanitizes every table (a fresh Vault per table, as a session per file) and scores the output.
QualityReport evaluate(const std::vector<LabelledTable>& corpus, const privacy::Sanitizer& sanitizer);

// The report as a table, with the bars beside the detectors that have one, and examples of misses.
std::string format_report(const QualityReport& report);

// The recall bar a detector has to meet (0 when the requirement sets none).
double recall_bar(Detector detector);
inline constexpr double kDecoyColumnBar = 0.01;

}  // namespace gdp::test::pii
