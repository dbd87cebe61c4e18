// The sanitizer over whole snapshots: column decisions, in-text masking, names, statistics,
// strict mode, failing closed, consistent placeholders, and the type that guards the planner.
#include "daemon/privacy/sanitizer.h"
#include "common/errors.h"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

namespace gdp::privacy {
namespace {

namespace json = boost::json;

// SanitizedSnapshot can come only from the Sanitizer.
static_assert(!std::is_constructible_v<SanitizedSnapshot, proto::DataSnapshot>);
static_assert(!std::is_constructible_v<SanitizedSnapshot, proto::DataSnapshot, bool>);

// A snapshot whose rows are given as JSON, with the columns in the order of the first row.
proto::DataSnapshot make(std::string_view rows_json) {
  proto::DataSnapshot snap;
  const auto parsed = json::parse(rows_json);
  for (const auto& row : parsed.as_array()) snap.rows.push_back(row.as_object());
  for (const auto& kv : snap.rows.front()) {
    proto::ColumnProfile col;
    col.name = kv.key();
    col.type = kv.value().is_string() ? "string" : "integer";
    if (kv.value().is_int64()) col.min = col.max = json::serialize(kv.value());
    snap.columns.push_back(col);
    snap.schema[col.name] = col.type;
  }
  snap.total_rows = snap.sample_size = static_cast<std::int64_t>(snap.rows.size());
  return snap;
}

std::string at(const proto::DataSnapshot& s, std::size_t row, std::string_view col) {
  const auto* v = s.rows[row].if_contains(col);
  if (v == nullptr) return "<absent>";
  return v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
}

const proto::SanitizedField* field(const proto::DataSnapshot& s, std::string_view name,
                                   std::string_view det) {
  for (const auto& f : s.sanitized_fields) {
    if (f.field == name && f.detector == det) return &f;
  }
  return nullptr;
}

TEST_CASE("a column of emails is masked with consistent placeholders", "[privacy][sanitizer]") {
  Vault vault;
  auto out =
      Sanitizer().sanitize(make(R"([{"id":1,"mail":"ada@example.com"},{"id":2,"mail":"bob@example.org"},
                                           {"id":3,"mail":"ADA@example.com"},{"id":4,"mail":"n/a"}])"),
                           vault);
  const auto& s = out.snapshot();
  CHECK(out.masked());
  CHECK(at(s, 0, "mail") == "<EMAIL_1>");
  CHECK(at(s, 1, "mail") == "<EMAIL_2>");
  CHECK(at(s, 2, "mail") == "<EMAIL_1>");  // same address, other case
  CHECK(at(s, 3, "mail") == "n/a");        // a missing value is not an email
  CHECK(at(s, 0, "id") == "1");
  REQUIRE(field(s, "mail", "email") != nullptr);
  CHECK(field(s, "mail", "email")->count == 3);
  CHECK(s.sanitized_fields.size() == 1);

  // The same vault (one session) keeps the numbers; a new one starts again.
  auto again = Sanitizer().sanitize(make(R"([{"m":"bob@example.org"}])"), vault);
  CHECK(at(again.snapshot(), 0, "m") == "<EMAIL_2>");
  Vault other;
  CHECK(at(Sanitizer().sanitize(make(R"([{"m":"bob@example.org"}])"), other).snapshot(), 0, "m") ==
        "<EMAIL_1>");
}

TEST_CASE("order numbers that pass Luhn by chance are not cards", "[privacy][sanitizer]") {
  // 16-digit order numbers starting with 4: about one in ten passes Luhn.
  std::string rows = "[";
  std::uint64_t n = 4000123400001000;
  int luhn_valid = 0;
  for (int i = 0; i < 100; ++i, n += 7) {
    const std::string s = std::to_string(n);
    int sum = 0;
    for (std::size_t k = 0; k < s.size(); ++k) {
      int d = s[s.size() - 1 - k] - '0';
      if (k % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    luhn_valid += sum % 10 == 0;
    rows += std::string(i ? "," : "") + R"({"order":")" + s + R"("})";
  }
  rows += "]";
  REQUIRE(luhn_valid >= 5);
  Vault vault;
  auto out = Sanitizer().sanitize(make(rows), vault);
  CHECK(out.snapshot().sanitized_fields.empty());
  CHECK(at(out.snapshot(), 0, "order") == "4000123400001000");
}

TEST_CASE("personal data inside free text is masked where it stands", "[privacy][sanitizer]") {
  Vault vault;
  auto out = Sanitizer().sanitize(
      make(
          R"([{"notes":"Customer ada@example.com called from +44 20 7946 0958 about card 4111 1111 1111 1111."},
               {"notes":"no issue"},{"notes":"refund to DE89 3704 0044 0532 0130 00 please"}])"),
      vault);
  const auto& s = out.snapshot();
  CHECK(at(s, 0, "notes") == "Customer <EMAIL_1> called from <PHONE_1> about card <CARD_1>.");
  CHECK(at(s, 1, "notes") == "no issue");
  CHECK(at(s, 2, "notes") == "refund to <IBAN_1> please");
  CHECK(field(s, "notes", "email")->count == 1);
  CHECK(field(s, "notes", "iban")->count == 1);
}

TEST_CASE("a header that is an email is masked in every place the name appears", "[privacy][sanitizer]") {
  Vault vault;
  auto snap = make(R"([{"id":1,"ada@example.com":5},{"id":2,"ada@example.com":7}])");
  snap.stratify_by = "ada@example.com";
  auto out = Sanitizer().sanitize(std::move(snap), vault);
  const auto& s = out.snapshot();
  const auto dump = json::serialize(json::value_from(s.schema)) + s.columns[1].name + *s.stratify_by;
  CHECK(dump.find("ada@") == std::string::npos);
  CHECK(at(s, 0, "<EMAIL_1>") == "5");
  CHECK(s.schema.count("<EMAIL_1>") == 1);
  CHECK(s.columns[1].name == "<EMAIL_1>");
  CHECK(*s.stratify_by == "<EMAIL_1>");
  REQUIRE(field(s, "<EMAIL_1>", "email") != nullptr);
  CHECK(field(s, "<EMAIL_1>", "email")->action == proto::MaskAction::name_masked);
}

TEST_CASE("a card number in an integer column becomes a placeholder, and the statistics go",
          "[privacy][sanitizer]") {
  Vault vault;
  auto out =
      Sanitizer().sanitize(make(R"([{"amount":12},{"amount":4111111111111111},{"amount":30}])"), vault);
  const auto& s = out.snapshot();
  // Most values are amounts, so the column is not "cards", but a strong-enough lone card in a
  // column of varied shapes is still masked.
  CHECK(at(s, 1, "amount") == "<CARD_1>");
  CHECK_FALSE(s.columns[0].min.has_value());
  CHECK_FALSE(s.columns[0].max.has_value());
}

TEST_CASE("named columns: people, birthdays, addresses, IDs, passwords, keys", "[privacy][sanitizer]") {
  Vault vault;
  auto out = Sanitizer().sanitize(
      make(R"([{"Vorname":"Jürgen","date_of_birth":"1980-02-01","Adresse":"Hauptstr. 5, 10115 Berlin",
                "dni":"12345678Z","password":"hunter2","api_key":"9fK2xQ7LmZ4pR8sT1vW3yB6nC0dE5gH","key":"A",
                "name":"Ada Lovelace","product_name":"Blue Widget"},
               {"Vorname":"Ana","date_of_birth":"1975-12-30","Adresse":"Calle Mayor 1","dni":"87654321X",
                "password":"letmein","api_key":"","key":"B","name":"Grace Hopper","product_name":"Red Gadget"}])"),
      vault);
  const auto& s = out.snapshot();
  CHECK(at(s, 0, "Vorname") == "<NAME_1>");
  CHECK(at(s, 1, "date_of_birth") == "<DATE_OF_BIRTH_2>");
  CHECK(at(s, 0, "Adresse") == "<ADDRESS_1>");
  CHECK(at(s, 0, "dni") == "<NATIONAL_ID_1>");
  CHECK(at(s, 0, "password") == "<SECRET_1>");
  CHECK(at(s, 1, "password") == "<SECRET_2>");
  CHECK(at(s, 0, "api_key") == "<SECRET_3>");
  CHECK(at(s, 0, "key") == "A");
  CHECK(at(s, 0, "name") == "<NAME_3>");  // after Vorname's two
  CHECK(at(s, 0, "product_name") == "Blue Widget");
  CHECK(field(s, "date_of_birth", "date_of_birth")->count == 2);
}

TEST_CASE("strict mode drops flagged columns entirely", "[privacy][sanitizer]") {
  SanitizerConfig config;
  config.strict = true;
  Vault vault;
  auto out = Sanitizer(config).sanitize(
      make(R"([{"id":1,"email":"ada@example.com","notes":"mail bob@example.org"}])"), vault);
  const auto& s = out.snapshot();
  CHECK(at(s, 0, "email") == "<absent>");
  CHECK(s.schema.count("email") == 0);
  CHECK(s.columns.size() == 2);
  CHECK(field(s, "email", "email")->action == proto::MaskAction::dropped);
  CHECK(at(s, 0, "notes") == "mail <EMAIL_1>");  // free text is still masked in place
}

TEST_CASE("undecodable bytes in a sensitive column stop the send", "[privacy][sanitizer]") {
  Vault vault;
  auto bad =
      make(R"([{"email":"ada@example.com"},{"email":"bob@example.org"},{"email":"c\ufffd@example.net"}])");
  try {
    (void)Sanitizer().sanitize(bad, vault);
    FAIL("no error");
  } catch (const RpcError& e) {
    CHECK(e.code() == ErrorCode::DataSanitization);
    CHECK(std::string(e.what()).find("column \"email\", row 3") != std::string::npos);
    CHECK(e.data().at("row").as_int64() == 3);
  }
  SanitizerConfig strict;
  strict.strict = true;
  CHECK(Sanitizer(strict).sanitize(bad, vault).snapshot().rows[0].empty());
}

TEST_CASE("switched-off detectors and shape hints follow the configuration", "[privacy][sanitizer]") {
  SanitizerConfig config;
  config.enabled.set(Detector::email, false);
  config.shape_hints = true;
  Vault vault;
  auto out = Sanitizer(config).sanitize(make(R"([{"a":"ada@example.com","p":"+44 20 7946 0958"}])"), vault);
  CHECK(at(out.snapshot(), 0, "a") == "ada@example.com");
  CHECK(at(out.snapshot(), 0, "p") == "<PHONE_1 len=16>");
  SanitizerConfig hints;
  hints.shape_hints = true;
  CHECK(at(Sanitizer(hints).sanitize(make(R"([{"a":"Ada@Example.com"}])"), vault).snapshot(), 0, "a") ==
        "<EMAIL_1 domain=example.com>");
}

TEST_CASE("pass_through marks the snapshot as not masked", "[privacy][sanitizer]") {
  auto out = Sanitizer::pass_through(make(R"([{"a":"ada@example.com"}])"));
  CHECK_FALSE(out.masked());
  CHECK(at(out.snapshot(), 0, "a") == "ada@example.com");
}

// A card number with a valid Luhn digit, as people write it.
rc::Gen<std::string> gen_card() {
  return rc::gen::map(rc::gen::container<std::vector<int>>(15, rc::gen::inRange(0, 10)),
                      [](std::vector<int> d) {
                        d[0] = 4;
                        int sum = 0;
                        for (std::size_t k = 0; k < 15; ++k) {
                          int v = d[14 - k];
                          if (k % 2 == 0) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
                          sum += v;
                        }
                        d.push_back((10 - sum % 10) % 10);
                        std::string s;
                        for (std::size_t k = 0; k < 16; ++k)
                          s += static_cast<char>('0' + d[k]) + std::string(k % 4 == 3 && k < 15 ? " " : "");
                        return s;
                      });
}

TEST_CASE("any card or email planted in any prose is masked and gone", "[privacy][sanitizer][property]") {
  const bool ok = rc::check("planted values never survive", [] {
    const auto card = *gen_card();
    const auto user = *rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::inRange('a', 'z')));
    const auto email = user + "@mail" + std::to_string(*rc::gen::inRange(0, 1000)) + ".example.com";
    const auto words = *rc::gen::container<std::vector<std::string>>(
        rc::gen::container<std::string>(rc::gen::element('a', 'b', 'x', ' ', ',', '.')));
    std::string text;
    for (const auto& w : words) text += w + " ";
    text += card + " and " + email + " " + text;
    proto::DataSnapshot snap;
    snap.rows.push_back({{"notes", text}});
    snap.columns.push_back({"notes", "string", 0, 1, {}, {}, {}});
    Vault vault;
    const auto out = json::serialize(Sanitizer().sanitize(std::move(snap), vault).snapshot().rows[0]);
    std::string digits;
    for (char c : card) {
      if (c != ' ') digits += c;
    }
    RC_ASSERT(out.find(card) == std::string::npos);
    RC_ASSERT(out.find(digits) == std::string::npos);
    RC_ASSERT(out.find(email) == std::string::npos);
  });
  CHECK(ok);
}

}  // namespace
}  // namespace gdp::privacy
