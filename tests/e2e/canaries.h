// The canary dataset: unique personal values of every kind planted in a CSV and a JSON file (in
// cells, inside free text, in headers, in JSON keys), and the check that none of them appears in
// some output in any normal form (digits only, lower case, spaces removed). Used on what a
// snapshot shows and on every byte a planner is sent.
#pragma once

#include "tests/support/test_support.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gdp::test::canary {
namespace json = boost::json;

inline std::string two(int i) {
  return std::string(1, static_cast<char>('0' + i / 10 % 10)) + static_cast<char>('0' + i % 10);
}

inline char luhn_digit(const std::string& body) {  // the check digit that makes body+digit pass Luhn
  int sum = 0;
  for (std::size_t k = 0; k < body.size(); ++k) {
    int d = body[body.size() - 1 - k] - '0';
    if (k % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

inline std::string iban_de(const std::string& bban18) {  // a German IBAN with correct check digits
  std::string rearranged = bban18 + "131400";            // D=13 E=14, check digits 00
  int rem = 0;
  for (char c : rearranged) rem = (rem * 10 + (c - '0')) % 97;
  return "DE" + two(98 - rem) + bban18;
}

inline std::string csv_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct Canaries {
  std::vector<std::string> all;
  std::string add(std::string v) {
    all.push_back(v);
    return v;
  }
};

// Every form of a canary that must not appear: as written, digits only, lower case, no spaces.
inline void require_absent(const std::string& sent, const Canaries& canaries) {
  std::string lower = sent, compact;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (char c : sent) {
    if (c != ' ') compact += c;
  }
  for (const auto& c : canaries.all) {
    std::string digits, c_lower = c, c_compact;
    for (char ch : c) {
      if (ch >= '0' && ch <= '9') digits += ch;
      if (ch != ' ') c_compact += ch;
    }
    std::transform(c_lower.begin(), c_lower.end(), c_lower.begin(),
                   [](unsigned char x) { return std::tolower(x); });
    INFO("canary: " << c);
    CHECK(sent.find(c) == std::string::npos);
    CHECK(lower.find(c_lower) == std::string::npos);
    CHECK(compact.find(c_compact) == std::string::npos);
    if (digits.size() >= 7) CHECK(sent.find(digits) == std::string::npos);
  }
}

struct Files {
  std::filesystem::path csv, json;
};

// Writes people.csv and people.json into `dir`, recording every planted value in `c`.
inline Files write_files(const TempDir& dir, Canaries& c) {
  // A CSV with a header that is itself an email, one column per kind, and free text.
  const std::string header_canary = c.add("header.canary@example-canary.org");
  std::string csv =
      "id,email,phone,card,iban,ssn,ip,ipv6,mac,db_url,aws,first_name,last_name,date_of_birth,"
      "address,dni,password,api_key,notes,quantity," +
      header_canary + "\n";
  for (int i = 1; i <= 40; ++i) {
    const std::string n = two(i);
    std::string card = "45391488034364" + n.substr(0, 1);
    card += luhn_digit(card);
    card = card.substr(0, 4) + " " + card.substr(4, 4) + " " + card.substr(8, 4) + " " + card.substr(12);
    std::string card2 = "52000828282828" + n.substr(1);
    card2 += luhn_digit(card2);
    const std::string notes = "Called " + c.add("+44 20 7946 03" + n) + " re card " + c.add(card2) +
                              ", mail " + c.add("note" + n + ".canary@example-canary.org") + ", refund to " +
                              c.add(iban_de("3704004405320130" + n)) + " from " +
                              c.add("198.51.100." + std::to_string(i));
    csv += std::to_string(i) + "," + c.add("person" + n + ".canary@example-canary.org") + "," +
           c.add("+1 (415) 555-01" + n) + "," + c.add(card) + "," +
           c.add(iban_de("5001051754" + n + "123456")) + "," + c.add("078-05-11" + n) + "," +
           c.add("203.0.113." + std::to_string(i)) + "," + c.add("2001:db8:85a3::8a2e:370:" + n + "aa") +
           "," + c.add("3C:22:FB:7A:19:" + n) + "," +
           c.add("postgres://canary" + n + ":Pw" + n + "secret@db.internal/app") + "," +
           c.add("AKIAQCANARY7EXAMP" + n + "X") + "," +
           c.add("Zebulon" + std::string(1, static_cast<char>('a' + i % 26))) + "," +
           c.add("Quackenbush" + std::string(1, static_cast<char>('a' + i % 26))) + "," +
           c.add("19" + std::to_string(40 + i) + "-07-" + two(1 + i % 28)) + "," +
           csv_quote(c.add(std::to_string(100 + i) + " Evergreen Terrace, Springfield")) + "," +
           c.add("X12345" + n + "L") + "," + c.add("Tr0ub4dor&3canary" + n) + "," +
           c.add("9fK2xQ7LmZ4pR8sT1vW3yB6nC0dE5g" + n) + "," + csv_quote(notes) + "," +
           std::to_string(i % 7) + "," + std::to_string(i) + "\n";
  }
  const auto csv_path = dir / "people.csv";
  std::ofstream(csv_path) << csv;

  // JSON: keys that are personal values, nested records, a PEM key, tokens in free text.
  std::string records = "[";
  for (int i = 1; i <= 30; ++i) {
    const std::string n = two(i);
    json::object contacts;
    contacts[c.add("key" + n + ".canary@example-canary.org")] = "friend";
    json::object rec{{"id", i},
                     {"customer",
                      {{"email", c.add("json" + n + ".canary@example-canary.org")},
                       {"address", c.add(n + " Rue de la Paix, 75002 Paris")}}},
                     {"contacts", contacts},
                     {"deploy_key", c.add("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA" + n +
                                          "\n-----END OPENSSH PRIVATE KEY-----")},
                     {"comment", "token " + c.add("ghp_CanaryCanaryCanaryCanaryCanaryCana" + n) + " and " +
                                     c.add("xoxb-1234567890" + n + "-CanaryToken") + " and " +
                                     c.add("AIzaSyCanaryCanaryCanaryCanaryCanary" + n + "x")},
                     {"score", i * 3}};
    records += (i > 1 ? "," : "") + json::serialize(rec);
  }
  records += "]";
  const auto json_path = dir / "people.json";
  std::ofstream(json_path) << records;

  return {csv_path, json_path};
}

}  // namespace gdp::test::canary
