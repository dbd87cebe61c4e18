// The value and name detectors, one behaviour at a time: what each finds, what validation
// refuses, and the decoys that look like personal data and are not.
#include "daemon/privacy/detectors.h"
#include "daemon/privacy/siphash.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace gdp::privacy {
namespace {

// "detector:matched text" for every finding, in order.
std::vector<std::string> scan(std::string_view text, const NameHint& hint = {}) {
  static const Scanner scanner(DetectorSet::all());
  std::vector<Finding> found;
  scanner.find(text, hint, found);
  std::vector<std::string> out;
  for (const auto& f : found) {
    out.push_back(std::string(name(f.detector)) + ":" + std::string(text.substr(f.begin, f.end - f.begin)));
  }
  return out;
}

using V = std::vector<std::string>;

TEST_CASE("emails are found alone and inside text", "[privacy][detectors]") {
  CHECK(scan("ada@example.com") == V{"email:ada@example.com"});
  CHECK(scan("write to Ada.Lovelace+news@mail.example.co.uk today") ==
        V{"email:Ada.Lovelace+news@mail.example.co.uk"});
  CHECK(scan("josé@exämple.de") == V{"email:josé@exämple.de"});
  CHECK(scan("not an email: a@b, x@y.z1, .a@b.com.").size() <= 1);
  CHECK(scan("@handle and user@ and @example.com").empty());
}

TEST_CASE("cards need an issuer prefix, a network length and the Luhn digit", "[privacy][detectors]") {
  CHECK(scan("4111111111111111") == V{"card:4111111111111111"});
  CHECK(scan("paid with 4111 1111 1111 1111 yesterday") == V{"card:4111 1111 1111 1111"});
  CHECK(scan("5500-0000-0000-0004") == V{"card:5500-0000-0000-0004"});
  CHECK(scan("378282246310005") == V{"card:378282246310005"});    // Amex, 15
  CHECK(scan("6011111111111117") == V{"card:6011111111111117"});  // Discover
  CHECK(scan("3530111333300000") == V{"card:3530111333300000"});  // JCB
  CHECK(scan("2223000048400011") == V{"card:2223000048400011"});  // Mastercard 2-series
  CHECK(scan("4111111111111112").empty());                        // Luhn fails
  CHECK(scan("9111111111111111").empty());                        // no such issuer
  CHECK(scan("ref 1234 4111 1111 1111 1111") == V{"card:4111 1111 1111 1111"});
  // An IMEI passes Luhn but no card network issues 15 digits starting 35.
  CHECK(scan("353918058181374").empty());
}

TEST_CASE("IBANs need their country's length and mod-97", "[privacy][detectors]") {
  CHECK(scan("DE89370400440532013000") == V{"iban:DE89370400440532013000"});
  CHECK(scan("IBAN: GB82 WEST 1234 5698 7654 32, thanks") == V{"iban:GB82 WEST 1234 5698 7654 32"});
  CHECK(scan("fr1420041010050500013m02606") == V{"iban:fr1420041010050500013m02606"});
  CHECK(scan("DE89370400440532013001").empty());  // check digits wrong
  CHECK(scan("DE8937040044053201300").empty());   // one short
  CHECK(scan("ab12 cd DE89 3704 0044 0532 0130 00") == V{"iban:DE89 3704 0044 0532 0130 00"});
}

TEST_CASE("phone numbers: E.164 and national formats of many countries", "[privacy][detectors]") {
  for (std::string p :
       {"+1 415 555 2671",   "+14155552671",     "+44 20 7946 0958",  "+49 30 12345678", "+33 1 23 45 67 89",
        "+34 612 345 678",   "+39 312 345 6789", "+31 6 12345678",    "+91 98765 43210", "+61 4 1234 5678",
        "+55 11 91234-5678", "+81 3-1234-5678",  "0044 20 7946 0958", "(415) 555-2671",  "415-555-2671",
        "415.555.2671",      "1 415 555 2671",   "020 7946 0958",     "07700 900123",    "030 12345678",
        "030/12345678",      "01 23 45 67 89",   "06 12345678",       "612 345 678",     "91 123 45 67",
        "98765 43210",       "0412 345 678",     "(11) 91234-5678",   "03-1234-5678",    "090-1234-5678"}) {
    INFO(p);
    CHECK(scan(p) == V{"phone:" + p});
  }
  CHECK(scan("call me on +44 20 7946 0958 tomorrow") == V{"phone:+44 20 7946 0958"});
}

TEST_CASE("things shaped like numbers that are not phones", "[privacy][detectors]") {
  CHECK(scan("2024-01-05 12:30:00").empty());
  CHECK(scan("05.01.2024 12:30").empty());
  CHECK(scan("1704451200").empty());     // epoch seconds
  CHECK(scan("1704451200000").empty());  // epoch milliseconds
  CHECK(scan("SKU-415-555-2671").empty());
  CHECK(scan("4006381333931").empty());  // EAN-13
  CHECK(scan("10.0.19045.3803").empty());
  CHECK(scan("1.2.3").empty());
  CHECK(scan("qty 12, price 34.50").empty());
  // A bare number is a phone only in a column named for phones.
  NameHint phone;
  phone.phone = true;
  CHECK(scan("4155552671", phone) == V{"phone:4155552671"});
  CHECK(scan("4155552671").empty());
}

TEST_CASE("US social security numbers", "[privacy][detectors]") {
  CHECK(scan("123-45-6789") == V{"ssn:123-45-6789"});
  CHECK(scan("SSN 078-05-1120 on file") == V{"ssn:078-05-1120"});
  CHECK(scan("666-45-6789").empty());
  CHECK(scan("000-12-3456").empty());
  CHECK(scan("123-00-6789").empty());
  NameHint id;
  id.holds = Detector::national_id;
  CHECK(scan("123456789", id) == V{"ssn:123456789"});
}

TEST_CASE("network addresses", "[privacy][detectors]") {
  CHECK(scan("192.168.1.20") == V{"ipv4:192.168.1.20"});
  CHECK(scan("from 8.8.8.8, then 10.0.0.1") == V{"ipv4:8.8.8.8", "ipv4:10.0.0.1"});
  CHECK(scan("256.1.1.1").empty());
  CHECK(scan("01.2.3.4").empty());
  NameHint version;
  version.version = true;
  CHECK(scan("1.2.3.4", version).empty());
  CHECK(scan("2001:db8::8a2e:370:7334") == V{"ipv6:2001:db8::8a2e:370:7334"});
  CHECK(scan("2001:0db8:0000:0000:0000:ff00:0042:8329") == V{"ipv6:2001:0db8:0000:0000:0000:ff00:0042:8329"});
  CHECK(scan("fe80::1%eth0") == V{"ipv6:fe80::1%eth0"});
  CHECK(scan("std::vector and 12:30:45").empty());
  CHECK(scan("00:1A:2B:3C:4D:5E") == V{"mac:00:1A:2B:3C:4D:5E"});
  CHECK(scan("00-1a-2b-3c-4d-5e") == V{"mac:00-1a-2b-3c-4d-5e"});
  CHECK(scan("001a.2b3c.4d5e") == V{"mac:001a.2b3c.4d5e"});
}

TEST_CASE("URLs with credentials and known secret formats", "[privacy][detectors]") {
  CHECK(scan("postgres://admin:s3cret@db.internal:5432/app") ==
        V{"url_credentials:postgres://admin:s3cret@db.internal:5432/app"});
  CHECK(scan("https://example.com/path?q=1").empty());
  CHECK(scan("key AKIAIOSFODNN7EXAMPLE here") == V{"aws_access_key:AKIAIOSFODNN7EXAMPLE"});
  CHECK(scan("AIzaSyD-1234567890abcdefghijklmnopqrstu") ==
        V{"google_api_key:AIzaSyD-1234567890abcdefghijklmnopqrstu"});
  CHECK(scan("ghp_abcdefghijklmnopqrstuvwxyz0123456789") ==
        V{"github_token:ghp_abcdefghijklmnopqrstuvwxyz0123456789"});
  CHECK(scan("xoxb-123456789012-1234567890123-AbCdEfGhIjKl") ==
        V{"slack_token:xoxb-123456789012-1234567890123-AbCdEfGhIjKl"});
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_"
      "XgL0n3I9PlFUP0THsR8U";
  CHECK(scan("Bearer " + jwt) == V{"jwt:" + jwt});
  const std::string pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAKC\n-----END RSA PRIVATE KEY-----";
  CHECK(scan("key:\n" + pem + "\ntrailer") == V{"private_key:" + pem});
  // Cut off before its end, the rest of the value is still the key.
  CHECK(scan("-----BEGIN PRIVATE KEY-----\nMIIEow") == V{"private_key:-----BEGIN PRIVATE KEY-----\nMIIEow"});
}

TEST_CASE("random-looking tokens", "[privacy][detectors]") {
  CHECK(Scanner::looks_random("9fK2xQ7LmZ4pR8sT1vW3yB6nC0dE5gH"));
  CHECK(Scanner::looks_random("5f4dcc3b5aa765d61d8327deb882cf99"));
  CHECK_FALSE(Scanner::looks_random("correct horse battery staple"));
  CHECK_FALSE(Scanner::looks_random("aaaaaaaaaaaaaaaaaaaa"));
  CHECK_FALSE(Scanner::looks_random("short1A"));
}

TEST_CASE("column names say what they hold, in several languages", "[privacy][detectors]") {
  auto holds = [](std::string_view n) {
    const auto h = classify_name(n);
    return h.holds ? std::string(name(*h.holds)) : std::string(h.ambiguous_name ? "ambiguous" : "-");
  };
  for (auto n : {"first_name", "LastName", "surname", "full name", "Vorname", "Nachname", "apellido",
                 "prénom", "nom_de_famille", "cognome", "customer.name", "contactName", "achternaam"}) {
    INFO(n);
    CHECK(holds(n) == "person_name");
  }
  for (auto n : {"product_name", "company name", "file_name", "city"}) {
    INFO(n);
    CHECK(holds(n) == "-");
  }
  CHECK(holds("name") == "ambiguous");
  CHECK(holds("Nombre") == "ambiguous");
  for (auto n : {"dob", "date_of_birth", "BirthDate", "Geburtsdatum", "fecha_nacimiento", "date de naissance",
                 "data_di_nascita", "geboortedatum"}) {
    INFO(n);
    CHECK(holds(n) == "date_of_birth");
  }
  for (auto n :
       {"address", "street_address", "Adresse", "dirección", "indirizzo", "home.address", "Straße"}) {
    INFO(n);
    CHECK(holds(n) == "address");
  }
  CHECK(holds("ip_address") == "-");
  CHECK(holds("email_address") == "-");
  for (auto n : {"ssn", "national_id", "DNI", "codice_fiscale", "BSN", "pesel", "passport_number", "tax_id",
                 "Sozialversicherungsnummer"}) {
    INFO(n);
    CHECK(holds(n) == "national_id");
  }
  for (auto n :
       {"password", "api_key", "apiKey", "client_secret", "access_token", "Passwort", "config.auth.token"}) {
    INFO(n);
    CHECK(holds(n) == "secret");
  }
  CHECK(classify_name("password").password);
  CHECK_FALSE(classify_name("api_key").password);
  CHECK(holds("keyword") == "-");
  CHECK(classify_name("Mobile Phone").phone);
  CHECK(classify_name("telefono").phone);
  CHECK(classify_name("app_version").version);
}

TEST_CASE("normal forms key placeholders", "[privacy][detectors]") {
  CHECK(normal_form(Detector::phone, "+1 (415) 555-2671") == "14155552671");
  CHECK(normal_form(Detector::email, "Ada@Example.COM") == "ada@example.com");
  CHECK(normal_form(Detector::iban, "gb82 west 1234") == "gb82west1234");
  CHECK(normal_form(Detector::card, "4111-1111 1111 1111") == "4111111111111111");
}

TEST_CASE("SipHash-2-4 matches the reference vectors", "[privacy][detectors]") {
  // The paper's test: key 00 01 .. 0f, messages 00 01 .. (n-1).
  std::array<std::uint8_t, 16> key{};
  for (std::uint8_t i = 0; i < 16; ++i) key[i] = i;
  std::string msg;
  CHECK(siphash24(key, msg) == 0x726fdb47dd0e0e31ULL);
  for (char i = 0; i < 15; ++i) msg += i;
  CHECK(siphash24(key, msg) == 0xa129ca6149be45e5ULL);
}

TEST_CASE("emails next to the punctuation of other scripts", "[privacy][detectors]") {
  CHECK(scan("連絡先：taro@example.jp。") == V{"email:taro@example.jp"});
  CHECK(scan("«ana@example.pt»") == V{"email:ana@example.pt"});
}

TEST_CASE("switched-off detectors find nothing", "[privacy][detectors]") {
  auto set = DetectorSet::all();
  set.set(Detector::email, false);
  const Scanner scanner(set);
  std::vector<Finding> found;
  scanner.find("ada@example.com 4111111111111111", {}, found);
  REQUIRE(found.size() == 1);
  CHECK(found[0].detector == Detector::card);
}

}  // namespace
}  // namespace gdp::privacy
