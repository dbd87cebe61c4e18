// Name detectors: what a column name or JSON key says its values are, in the languages and
// spellings files come in (first_name, FirstName, "Nachname", "prénom", "fecha_nacimiento").
// A name is folded to lower-case ASCII (accents dropped), split into words at separators and
// camelCase, and matched by words, so "keyword" is not a key and "product_name" is not a person.
#include "daemon/privacy/detectors.h"

#include <algorithm>
#include <initializer_list>

namespace gdp::privacy {

namespace {

// Folds the Latin letters with diacritics that column names use to ASCII, lower-cases, and
// splits into words. Other non-ASCII letters stay (as bytes) inside words.
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  char prev = '\0';
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xC3 && i + 1 < text.size()) {  // U+00C0..U+00FF
      const auto lo = static_cast<unsigned char>(text[i + 1]);
      ++i;
      const unsigned cp = 0xC0 + (lo & 0x3F);
      static constexpr std::string_view kFold =  // U+00C0.. U+00FF, '?' for non-letters
          "aaaaaaaceeeeiiiidnooooo?ouuuuyts"
          "aaaaaaaceeeeiiiidnooooo?ouuuuyty";
      const char f = kFold[cp - 0xC0];
      if (cp == 0xDF) {
        cur += "ss";
      } else if (f != '?') {
        cur += f;
      } else {
        flush();
      }
      prev = 'a';
      continue;
    }
    if (c >= 0x80) {
      cur += static_cast<char>(c);
      prev = 'a';
      continue;
    }
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit = c >= '0' && c <= '9';
    if (!upper && !lower && !digit) {
      flush();
      prev = '\0';
      continue;
    }
    // camelCase: a capital after a small letter starts a word ("firstName", "IPAddress" stays).
    if (upper && prev >= 'a' && prev <= 'z') flush();
    cur += static_cast<char>(upper ? c + 32 : c);
    prev = static_cast<char>(c);
  }
  flush();
  return words;
}

bool any_of(const std::vector<std::string>& words, std::initializer_list<std::string_view> set) {
  return std::any_of(words.begin(), words.end(),
                     [&](const std::string& w) { return std::find(set.begin(), set.end(), w) != set.end(); });
}

bool joined_contains(const std::string& joined, std::initializer_list<std::string_view> parts) {
  return std::any_of(parts.begin(), parts.end(),
                     [&](std::string_view p) { return joined.find(p) != std::string::npos; });
}

}  // namespace

NameHint classify_name(std::string_view column) {
  NameHint hint;
  // Only the last part of a dotted JSON path names the value ("customer.address.city" is a city).
  const auto dot = column.rfind('.');
  const auto leaf_words = words_of(dot == std::string_view::npos ? column : column.substr(dot + 1));
  const auto all_words = words_of(column);
  if (leaf_words.empty()) return hint;
  std::string joined;
  for (const auto& w : leaf_words) joined += w;

  // Things that are named like personal data but hold something else.
  const bool network =
      any_of(leaf_words, {"ip", "ipv4", "ipv6", "ipaddress", "mac", "email", "mail", "url", "web", "server",
                          "host", "wallet", "hostname", "domain", "uri", "link"});
  const bool thing = any_of(
      leaf_words,
      {"product", "company",  "item", "file",         "filename",     "brand",  "model",    "project",
       "team",    "store",    "shop", "category",     "event",        "city",   "country",  "street",
       "bank",    "business", "app",  "display",      "column",       "field",  "table",    "sheet",
       "tag",     "group",    "org",  "organisation", "organization", "vendor", "supplier", "merchant"});

  hint.version = any_of(leaf_words, {"version", "ver", "release", "build", "firmware", "semver", "revision"});
  hint.phone = any_of(leaf_words, {"phone",       "telephone", "tel",      "mobile",         "cell",
                                   "cellphone",   "fax",       "telefon",  "telefono",       "telefone",
                                   "movil",       "celular",   "handy",    "portable",       "gsm",
                                   "msisdn",      "whatsapp",  "telefoon", "telefoonnummer", "telefonnummer",
                                   "mobilnummer", "tlf",       "telf"}) ||
               joined_contains(joined, {"phone", "telefon", "telefono"});

  // National identifiers: long names by substring, short abbreviations only as whole words.
  if (any_of(leaf_words, {"ssn",  "sin", "nin",   "nino", "dni",      "nie",    "nif",      "bsn",  "cpf",
                          "tin",  "nir", "pesel", "curp", "aadhaar",  "aadhar", "passport", "nhs",  "amka",
                          "oib",  "egn", "jmbg",  "cnp",  "insee",    "svnr",   "ahv",      "hetu", "pps",
                          "ppsn", "rut", "cuil",  "cuit", "steuerid", "tfn",    "mynumber"}) ||
      joined_contains(joined, {"socialsecurity",
                               "nationalid",
                               "nationalidentity",
                               "nationalinsurance",
                               "taxid",
                               "taxnumber",
                               "taxpayer",
                               "codicefiscale",
                               "burgerservice",
                               "personnummer",
                               "fodselsnummer",
                               "henkilotunnus",
                               "personalausweis",
                               "ausweisnummer",
                               "steuernummer",
                               "steueridentifikation",
                               "idcardnumber",
                               "identitycard",
                               "identitynumber",
                               "documentodeidentidad",
                               "numerosecu",
                               "securitesociale",
                               "previdenza",
                               "driverslicense",
                               "driverlicense",
                               "driverlicence",
                               "drivinglicence",
                               "passnummer",
                               "sozialversicherung",
                               "steuerid",
                               "ninumber",
                               "codfiscale",
                               "individualnumber",
                               "taxfilenumber",
                               "kojinbango",
                               "personalnumber",
                               "personalid",
                               "identificacion",
                               "identidad",
                               "numsecu",
                               "numerosecurite",
                               "mynumber",
                               "kojinbangou"})) {
    hint.holds = Detector::national_id;
    return hint;
  }
  if (any_of(leaf_words, {"dob"}) ||
      joined_contains(joined, {"birth", "geburt", "nacimiento", "naissance", "nascita", "nascimento",
                               "geboorte", "urodzenia", "fodselsdato", "fodelsedatum", "syntymaaika"})) {
    hint.holds = Detector::date_of_birth;
    return hint;
  }
  // "e-mailadres", "Mailadresse", "courriel": the address of a mailbox, not of a house.
  if (!network && joined.find("mail") == std::string::npos && joined.find("courriel") == std::string::npos) {
    // "adres" covers adresse, woonadres, postadres; "residen" residence, residenza, Residenz.
    if (any_of(leaf_words, {"addr", "street", "straat", "strasse", "calle", "osoite", "domicilio",
                            "anschrift", "logradouro", "rua", "ulica", "gata", "gade", "katu"}) ||
        joined_contains(joined, {"address", "adres", "direccion", "indirizzo", "endereco", "residen",
                                 "wohnort", "anschrift", "domicil", "adresa", "住所", "주소", "адрес"})) {
      hint.holds = Detector::address;
      return hint;
    }
  }
  // Secrets: a password is masked whatever it looks like; keys and tokens when they look random.
  if (any_of(leaf_words, {"password", "passwd", "pwd", "passphrase", "passwort", "contrasena", "contrasenya",
                          "motdepasse", "senha", "wachtwoord", "haslo", "salasana"}) ||
      joined_contains(joined, {"password", "passwort", "motdepasse"})) {
    hint.holds = Detector::secret;
    hint.password = true;
    return hint;
  }
  if (any_of(leaf_words, {"secret",        "token",   "apikey", "credential", "credentials", "auth",
                          "authorization", "bearer",  "cookie", "session",    "sessionid",   "signature",
                          "hmac",          "salt",    "otp",    "privatekey", "accesskey",   "clientsecret",
                          "key",           "jeton",   "cle",    "clave",      "chiave",      "schlussel",
                          "schluessel",    "sleutel", "geheim", "segreto",    "secreto"}) ||
      joined_contains(joined, {"token", "secret", "apikey", "accesskey"})) {
    hint.holds = Detector::secret;
    return hint;
  }

  // Person names: a name word with a person word, or a word that only means a person's name.
  const bool name_word =
      any_of(leaf_words, {"name", "nom", "nombre", "nome", "naam", "navn", "namn", "imie", "nimi", "names"});
  const bool person_word =
      any_of(all_words,
             {"first",         "last",      "given",   "family",   "middle",    "full",      "maiden",
              "customer",      "contact",   "client",  "patient",  "employee",  "person",    "holder",
              "cardholder",    "owner",     "user",    "member",   "student",   "passenger", "guest",
              "recipient",     "sender",    "buyer",   "seller",   "applicant", "candidate", "beneficiary",
              "author",        "manager",   "teacher", "parent",   "mother",    "father",    "spouse",
              "child",         "emergency", "complet", "completo", "famille",   "de",        "volledige",
              "vollstandiger", "kunden",    "cliente", "klant",    "pelno"});
  const bool person_only =
      any_of(leaf_words,
             {"firstname",      "lastname",     "surname",    "fullname",   "forename",  "givenname",
              "familyname",     "middlename",   "maidenname", "vorname",    "nachname",  "familienname",
              "apellido",       "apellidos",    "prenom",     "cognome",    "sobrenome", "voornaam",
              "achternaam",     "nazwisko",     "fornavn",    "efternavn",  "etternavn", "fornamn",
              "efternamn",      "etunimi",      "sukunimi",   "patronymic", "otchestvo", "nomcomplet",
              "nombrecompleto", "nomecompleto", "氏名",       "名前",       "姓名",      "성명",
              "이름",           "フルネーム",   "имя",        "фамилия",    "фио"}) ||
      joined_contains(
          joined,
          {"firstname",         "lastname",      "fullname",      "surname",         "vorname",
           "nachname",          "apellido",      "prenom",        "cognome",         "kundenname",
           "klantnaam",         "volledigenaam", "contactperson", "ansprechpartner", "vollstaendigername",
           "vollstandigername", "primeironome",  "ultimonome",    "nomecompleto",    "personadecontacto"});
  if (!thing && (person_only || (name_word && person_word))) {
    hint.holds = Detector::person_name;
  } else if (!thing && leaf_words.size() == 1 &&
             (name_word || any_of(leaf_words, {"customer", "client", "cliente", "kunde", "klant", "patient",
                                               "passenger", "contact", "holder", "owner"}))) {
    // "name" or "cliente" alone: a person's name only if the values look like one (see Sanitizer).
    hint.ambiguous_name = true;
  }
  return hint;
}

}  // namespace gdp::privacy
