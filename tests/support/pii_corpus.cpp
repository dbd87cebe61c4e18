// The labelled corpus (pii_corpus.h). Values are made the way real ones are: cards from issuers'
// IIN ranges with a Luhn digit, IBANs with each country's BBAN length and mod-97 check digits,
// phone numbers from each country's numbering plan in the separators people use, national IDs
// with their own check digits, keys and tokens of the documented shapes. All randomness comes from
// one std::mt19937_64 per table, seeded from the corpus seed and the table's index.
#include "tests/support/pii_corpus.h"

#include "daemon/ingest/record.h"
#include "daemon/ingest/types.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <utility>

namespace gdp::test::pii {

namespace {

using Names = std::vector<std::string_view>;

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine_); }
  std::int64_t between64(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(engine_);
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_) < p; }
  std::uint8_t byte() { return static_cast<std::uint8_t>(between(0, 255)); }

  template <class C>
  std::size_t index(const C& c) {
    return static_cast<std::size_t>(between(0, static_cast<int>(std::size(c)) - 1));
  }
  template <class C>
  const auto& pick(const C& c) {
    return c[index(c)];
  }
  std::string_view pick(std::initializer_list<std::string_view> options) {
    return *(options.begin() + between(0, static_cast<int>(options.size()) - 1));
  }

  std::string chars(std::string_view alphabet, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += alphabet[index(alphabet)];
    return out;
  }
  std::string digits(int n) { return chars("0123456789", n); }
  template <class T>
  void shuffle(std::vector<T>& v) {
    std::shuffle(v.begin(), v.end(), engine_);
  }
  // A digit string whose first digit is not zero.
  std::string number(int n) { return std::to_string(between(1, 9)) + digits(n - 1); }

 private:
  std::mt19937_64 engine_;
};

constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kHex = "0123456789abcdef";

std::string pad(std::int64_t value, int width) {
  std::string s = std::to_string(value);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return s;
}

// Cuts `s` into groups of the given sizes (the last group takes the rest) joined by `sep`.
std::string group(std::string_view s, std::initializer_list<std::size_t> sizes, std::string_view sep) {
  std::string out;
  std::size_t at = 0;
  for (auto it = sizes.begin(); it != sizes.end() && at < s.size(); ++it) {
    if (!out.empty()) out += sep;
    const bool last = std::next(it) == sizes.end();
    out += s.substr(at, last ? std::string_view::npos : *it);
    at += *it;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string without_space(std::string_view s) {
  std::string out;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  return out;
}

bool contains(std::string_view hay, std::string_view needle) {
  return !needle.empty() && hay.find(needle) != std::string_view::npos;
}

// Replaces "{slot}" markers: fill(slot) returns the text to put there.
std::string expand(std::string_view pattern, const std::function<std::string(std::string_view)>& fill) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    const auto close = pattern.find('}', i);
    if (pattern[i] == '{' && close != std::string_view::npos) {
      out += fill(pattern.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

// ---- check digits ---------------------------------------------------------------------------------

int luhn_check_digit(std::string_view payload) {
  int sum = 0;
  bool twice = true;  // the digit left of the check digit is doubled
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return (10 - sum % 10) % 10;
}

std::string with_luhn(std::string payload) {
  return payload + static_cast<char>('0' + luhn_check_digit(payload));
}

int mod97(std::string_view alnum) {
  int r = 0;
  for (char c : alnum) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      r = (r * 10 + (c - '0')) % 97;
    } else {
      r = (r * 100 + (std::toupper(static_cast<unsigned char>(c)) - 'A' + 10)) % 97;
    }
  }
  return r;
}

struct IbanFormat {
  std::string_view country;
  Names banks;            // bank codes in letters, where the BBAN starts with one
  std::string_view bban;  // after the bank code: n digit, a letter, c letter or digit
};

const std::vector<IbanFormat>& iban_formats() {
  static const std::vector<IbanFormat> formats = {
      {"DE", {}, "nnnnnnnnnnnnnnnnnn"},
      {"FR", {}, "nnnnnnnnnnnnnnnnnnnnnnn"},
      {"ES", {}, "nnnnnnnnnnnnnnnnnnnn"},
      {"IT", {}, "annnnnnnnnnnnnnnnnnnnnn"},
      {"NL", {"ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB"}, "nnnnnnnnnn"},
      {"GB", {"NWBK", "BARC", "HBUK", "LOYD", "MIDL"}, "nnnnnnnnnnnnnn"},
      {"BE", {}, "nnnnnnnnnnnn"},
      {"AT", {}, "nnnnnnnnnnnnnnnn"},
      {"CH", {}, "nnnnnnnnnnnnnnnnn"},
      {"PL", {}, "nnnnnnnnnnnnnnnnnnnnnnnn"},
      {"PT", {}, "nnnnnnnnnnnnnnnnnnnnn"},
      {"BR", {}, "nnnnnnnnnnnnnnnnnnnnnnnac"},
      {"IE", {"AIBK", "BOFI"}, "nnnnnnnnnnnnnn"},
      {"SE", {}, "nnnnnnnnnnnnnnnnnnnn"},
      {"DK", {}, "nnnnnnnnnnnnnn"},
      {"NO", {}, "nnnnnnnnnnn"},
      {"FI", {}, "nnnnnnnnnnnnnn"},
  };
  return formats;
}

const IbanFormat* iban_format(std::string_view country) {
  for (const auto& f : iban_formats())
    if (f.country == country) return &f;
  return nullptr;
}

std::size_t iban_length(const IbanFormat& f) {
  return 4 + (f.banks.empty() ? 0 : f.banks.front().size()) + f.bban.size();
}

// Verhoeff, as Aadhaar numbers use.
int verhoeff_check_digit(std::string_view payload) {
  static constexpr int d[10][10] = {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
                                    {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
                                    {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
                                    {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
                                    {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
  static constexpr int p[8][10] = {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
                                   {5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
                                   {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
                                   {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
  static constexpr int inv[10] = {0, 4, 3, 2, 1, 5, 6, 7, 8, 9};
  int c = 0;
  std::size_t i = 0;
  for (auto it = payload.rbegin(); it != payload.rend(); ++it, ++i) c = d[c][p[(i + 1) % 8][*it - '0']];
  return inv[c];
}

// ---- base64 ---------------------------------------------------------------------------------------

std::string base64(const std::vector<std::uint8_t>& bytes, bool url) {
  const std::string_view alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(v >> s) & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    const unsigned v = (unsigned{bytes[i]} << 16) | (rest == 2 ? unsigned{bytes[i + 1]} << 8 : 0U);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) out += alphabet[(v >> 6) & 63];
    if (!url) out += rest == 2 ? "=" : "==";
  }
  return out;
}

std::string base64url(std::string_view text) {
  return base64({text.begin(), text.end()}, true);
}

std::vector<std::uint8_t> random_bytes(Rng& rng, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = rng.byte();
  return out;
}

// ---- locales --------------------------------------------------------------------------------------

// Column names people give each kind of column, per language.
struct ColumnNames {
  Names first_name, last_name, full_name, email, phone, mobile, dob, address, iban, card, ip, notes, secret;
  Names order_id, order_ref, quantity, price, city, status, created_at, customer_id, product;
};

struct Locale {
  std::string_view tag;      // "de-DE"
  std::string_view country;  // phone numbering plan, IBAN country
  std::string_view table;    // the file name stem
  Names first, last;
  // For email addresses where the names are not in Latin script; empty where they are.
  Names first_latin = {};
  Names last_latin = {};
  Names cities;
  Names domains;
  std::string_view dob_format;  // %d %m %Y
  std::string_view currency;
  bool decimal_comma;
  const ColumnNames* columns;
  const Names* notes;        // sentences with {email}, {phone}, {mobile}, {card}, {iban}, {ip}
  const Names* clean_notes;  // sentences with nothing personal ({order}, {date}, {version}, {amount})
  std::string (*address)(Rng&);
};

const ColumnNames kEnglishColumns = {
    .first_name = {"first_name", "FirstName", "given_name"},
    .last_name = {"last_name", "surname", "family_name"},
    .full_name = {"full_name", "customer_name", "contact_person"},
    .email = {"email", "email_address", "E-mail"},
    .phone = {"phone", "phone_number", "telephone", "home_phone"},
    .mobile = {"mobile", "cell_phone", "mobile_number"},
    .dob = {"date_of_birth", "dob", "birth_date", "birthdate"},
    .address = {"address", "street_address", "billing_address", "home_address"},
    .iban = {"iban", "bank_account"},
    .card = {"card_number", "credit_card", "cc_number", "payment_card"},
    .ip = {"ip_address", "last_login_ip", "client_ip"},
    .notes = {"notes", "comments", "remarks", "agent_notes"},
    .secret = {"password", "api_secret", "client_secret", "access_token", "auth_token"},
    .order_id = {"order_id", "order_number"},
    .order_ref = {"order_ref", "reference"},
    .quantity = {"quantity", "qty", "units"},
    .price = {"price", "unit_price", "amount"},
    .city = {"city", "town"},
    .status = {"status", "order_status"},
    .created_at = {"created_at", "updated_at"},
    .customer_id = {"customer_id", "account_id"},
    .product = {"product", "item"},
};

const ColumnNames kGermanColumns = {
    .first_name = {"Vorname", "vorname"},
    .last_name = {"Nachname", "Familienname"},
    .full_name = {"Kundenname", "vollstaendiger_name"},
    .email = {"E-Mail", "email", "E-Mail-Adresse"},
    .phone = {"Telefon", "Telefonnummer", "Festnetz"},
    .mobile = {"Handy", "Mobilnummer", "Mobiltelefon"},
    .dob = {"Geburtsdatum", "geburtsdatum"},
    .address = {"Anschrift", "Adresse", "Strasse"},
    .iban = {"IBAN", "Bankverbindung"},
    .card = {"Kreditkarte", "Kartennummer"},
    .ip = {"IP-Adresse", "ip"},
    .notes = {"Bemerkungen", "Notizen", "Kommentar"},
    .secret = {"Passwort", "api_secret", "Zugangstoken"},
    .order_id = {"Bestellnummer", "Auftragsnummer"},
    .order_ref = {"Vorgang", "Referenz"},
    .quantity = {"Menge", "Anzahl"},
    .price = {"Preis", "Betrag"},
    .city = {"Ort", "Stadt"},
    .status = {"Status"},
    .created_at = {"Erstellt_am", "Zeitstempel"},
    .customer_id = {"Kundennummer"},
    .product = {"Artikel", "Produkt"},
};

const ColumnNames kFrenchColumns = {
    .first_name = {"prénom", "prenom"},
    .last_name = {"nom", "nom_de_famille"},
    .full_name = {"nom_complet", "client"},
    .email = {"email", "courriel", "adresse_mail"},
    .phone = {"téléphone", "telephone", "tel_fixe"},
    .mobile = {"portable", "mobile", "tel_portable"},
    .dob = {"date_de_naissance", "date_naissance"},
    .address = {"adresse", "adresse_postale"},
    .iban = {"iban", "rib"},
    .card = {"carte_bancaire", "numero_carte"},
    .ip = {"adresse_ip", "ip"},
    .notes = {"remarques", "commentaires", "notes"},
    .secret = {"mot_de_passe", "api_secret", "jeton"},
    .order_id = {"numero_commande", "num_commande"},
    .order_ref = {"reference", "ref_dossier"},
    .quantity = {"quantite", "qte"},
    .price = {"prix", "montant"},
    .city = {"ville"},
    .status = {"statut", "etat"},
    .created_at = {"date_creation", "horodatage"},
    .customer_id = {"numero_client"},
    .product = {"article", "produit"},
};

const ColumnNames kSpanishColumns = {
    .first_name = {"nombre"},
    .last_name = {"apellido", "apellidos"},
    .full_name = {"nombre_completo", "cliente"},
    .email = {"correo", "email", "correo_electronico"},
    .phone = {"teléfono", "telefono", "tel_fijo"},
    .mobile = {"móvil", "movil", "celular"},
    .dob = {"fecha_nacimiento", "fecha_de_nacimiento"},
    .address = {"dirección", "direccion", "domicilio"},
    .iban = {"iban", "cuenta_bancaria"},
    .card = {"tarjeta", "numero_tarjeta"},
    .ip = {"direccion_ip", "ip"},
    .notes = {"observaciones", "comentarios", "notas"},
    .secret = {"contraseña", "api_secret", "token"},
    .order_id = {"numero_pedido", "pedido"},
    .order_ref = {"referencia", "expediente"},
    .quantity = {"cantidad", "unidades"},
    .price = {"precio", "importe"},
    .city = {"ciudad", "localidad"},
    .status = {"estado"},
    .created_at = {"fecha_alta", "marca_tiempo"},
    .customer_id = {"id_cliente"},
    .product = {"articulo", "producto"},
};

const ColumnNames kItalianColumns = {
    .first_name = {"nome"},
    .last_name = {"cognome"},
    .full_name = {"nome_completo", "cliente"},
    .email = {"email", "posta_elettronica"},
    .phone = {"telefono", "tel_fisso"},
    .mobile = {"cellulare", "mobile"},
    .dob = {"data_di_nascita", "data_nascita"},
    .address = {"indirizzo", "residenza"},
    .iban = {"iban", "conto_corrente"},
    .card = {"carta_di_credito", "numero_carta"},
    .ip = {"indirizzo_ip", "ip"},
    .notes = {"note", "commenti", "osservazioni"},
    .secret = {"password", "api_secret", "chiave_segreta"},
    .order_id = {"numero_ordine", "ordine"},
    .order_ref = {"riferimento", "pratica"},
    .quantity = {"quantita", "pezzi"},
    .price = {"prezzo", "importo"},
    .city = {"citta", "comune"},
    .status = {"stato"},
    .created_at = {"data_creazione", "timestamp"},
    .customer_id = {"codice_cliente"},
    .product = {"articolo", "prodotto"},
};

const ColumnNames kDutchColumns = {
    .first_name = {"voornaam"},
    .last_name = {"achternaam"},
    .full_name = {"volledige_naam", "klantnaam"},
    .email = {"email", "e-mailadres"},
    .phone = {"telefoon", "telefoonnummer", "vast_nummer"},
    .mobile = {"mobiel", "mobiel_nummer"},
    .dob = {"geboortedatum"},
    .address = {"adres", "straat", "woonadres"},
    .iban = {"iban", "rekeningnummer"},
    .card = {"creditcard", "kaartnummer"},
    .ip = {"ip_adres", "ip"},
    .notes = {"opmerkingen", "notities", "commentaar"},
    .secret = {"wachtwoord", "api_secret", "toegangstoken"},
    .order_id = {"ordernummer", "bestelnummer"},
    .order_ref = {"referentie", "dossier"},
    .quantity = {"aantal", "hoeveelheid"},
    .price = {"prijs", "bedrag"},
    .city = {"plaats", "woonplaats"},
    .status = {"status"},
    .created_at = {"aangemaakt_op", "tijdstempel"},
    .customer_id = {"klantnummer"},
    .product = {"artikel", "product"},
};

const ColumnNames kPortugueseColumns = {
    .first_name = {"primeiro_nome", "nome"},
    .last_name = {"sobrenome"},
    .full_name = {"nome_completo", "cliente"},
    .email = {"email", "e-mail"},
    .phone = {"telefone", "fone"},
    .mobile = {"celular", "whatsapp"},
    .dob = {"data_nascimento", "data_de_nascimento"},
    .address = {"endereço", "endereco", "logradouro"},
    .iban = {"iban", "conta_bancaria"},
    .card = {"cartao", "numero_cartao"},
    .ip = {"endereco_ip", "ip"},
    .notes = {"observacoes", "comentarios", "notas"},
    .secret = {"senha", "api_secret", "token_acesso"},
    .order_id = {"numero_pedido", "pedido"},
    .order_ref = {"referencia", "protocolo"},
    .quantity = {"quantidade", "qtd"},
    .price = {"preco", "valor"},
    .city = {"cidade", "municipio"},
    .status = {"situacao", "status"},
    .created_at = {"criado_em", "data_hora"},
    .customer_id = {"codigo_cliente"},
    .product = {"produto", "item"},
};

const Names kEnglishNotes = {
    "Customer asked us to use {email} from now on.", "Please call back on {phone} after 5pm.",
    "Refund of {amount} to card {card} approved.",   "Wire the deposit to {iban} before {date}.",
    "Two failed logins from {ip}, account locked.",  "Updated contact: {email} / {mobile}",
    "Paid by card {card}, receipt sent to {email}",  "Reachable on {mobile} (WhatsApp).",
};
const Names kEnglishClean = {
    "Delivered on {date}, no issues.",     "Order {order} split into two parcels.",
    "Customer upgraded to app {version}.", "Discount of {amount} applied at checkout.",
    "Left with the neighbour at no. 12.",  "Gift wrap requested, 2 items.",
};
const Names kGermanNotes = {
    "Kunde bittet um Rückruf unter {phone}.",
    "Neue E-Mail-Adresse: {email}",
    "Erstattung über {amount} auf Karte {card} veranlasst.",
    "Bitte Anzahlung auf {iban} bis {date} überweisen.",
    "Login von {ip} blockiert.",
    "Erreichbar unter {mobile} oder {email}.",
};
const Names kGermanClean = {
    "Am {date} zugestellt, alles in Ordnung.",
    "Bestellung {order} in zwei Paketen versandt.",
    "App auf Version {version} aktualisiert.",
    "Rabatt von {amount} gewährt.",
    "Beim Nachbarn abgegeben.",
};
const Names kFrenchNotes = {
    "Le client souhaite être rappelé au {phone}.",
    "Nouvelle adresse e-mail : {email}",
    "Remboursement de {amount} sur la carte {card} effectué.",
    "Merci de virer l'acompte sur {iban} avant le {date}.",
    "Connexion suspecte depuis {ip}.",
    "Joignable au {mobile} ou par mail {email}.",
};
const Names kFrenchClean = {
    "Livré le {date}, RAS.",
    "Commande {order} expédiée en deux colis.",
    "Mise à jour de l'appli en {version}.",
    "Remise de {amount} appliquée.",
    "Laissé chez la gardienne.",
};
const Names kSpanishNotes = {
    "El cliente pide que le llamen al {phone}.",
    "Nuevo correo: {email}",
    "Reembolso de {amount} a la tarjeta {card} aprobado.",
    "Transferir la señal a {iban} antes del {date}.",
    "Acceso bloqueado desde {ip}.",
    "Contacto: {mobile} / {email}",
};
const Names kSpanishClean = {
    "Entregado el {date}, sin incidencias.",
    "Pedido {order} enviado en dos paquetes.",
    "Actualizó la app a la versión {version}.",
    "Descuento de {amount} aplicado.",
    "Dejado en conserjería.",
};
const Names kItalianNotes = {
    "Il cliente chiede di essere richiamato al {phone}.",
    "Nuova email: {email}",
    "Rimborso di {amount} sulla carta {card} approvato.",
    "Bonificare l'acconto su {iban} entro il {date}.",
    "Accesso sospetto da {ip}.",
    "Reperibile al {mobile} o a {email}.",
};
const Names kItalianClean = {
    "Consegnato il {date}, nessun problema.",
    "Ordine {order} spedito in due colli.",
    "App aggiornata alla versione {version}.",
    "Sconto di {amount} applicato.",
    "Lasciato al portiere.",
};
const Names kDutchNotes = {
    "Klant wil teruggebeld worden op {phone}.",
    "Nieuw e-mailadres: {email}",
    "Terugbetaling van {amount} op kaart {card} goedgekeurd.",
    "Aanbetaling overmaken naar {iban} vóór {date}.",
    "Inlogpoging vanaf {ip} geblokkeerd.",
    "Bereikbaar op {mobile} of {email}.",
};
const Names kDutchClean = {
    "Bezorgd op {date}, geen problemen.",
    "Bestelling {order} in twee pakketten verzonden.",
    "App bijgewerkt naar versie {version}.",
    "Korting van {amount} toegepast.",
    "Afgegeven bij de buren.",
};
const Names kPortugueseNotes = {
    "Cliente pediu retorno no {phone}.",
    "Novo e-mail: {email}",
    "Estorno de {amount} no cartão {card} aprovado.",
    "Depositar o sinal na conta {iban} até {date}.",
    "Acesso suspeito a partir de {ip}.",
    "Contato: {mobile} / {email}",
};
const Names kPortugueseClean = {
    "Entregue em {date}, sem problemas.",
    "Pedido {order} enviado em dois volumes.",
    "Atualizou o app para a versão {version}.",
    "Desconto de {amount} aplicado.",
    "Deixado na portaria.",
};
// Japanese runs digits straight into the text, with no spaces around them.
const Names kJapaneseNotes = {
    "お客様より{phone}へ折り返し希望。", "新しいメールアドレス：{email}",
    "カード{card}へ{amount}返金済み。",  "{date}までに{iban}へ手付金を振込。",
    "{ip}からの不審なログインを検知。",  "連絡先：{mobile}／{email}",
};
const Names kJapaneseClean = {
    "{date}に配達済み、問題なし。",
    "注文{order}は2個口で発送。",
    "アプリを{version}に更新。",
    "{amount}値引き適用。",
    "置き配希望。",
};

std::string address_us(Rng& r) {
  static constexpr std::string_view streets[] = {"Main", "Oak",   "Maple", "Washington", "Lake",   "Hill",
                                                 "Park", "Cedar", "Elm",   "Sunset",     "Lincoln"};
  static constexpr std::string_view suffixes[] = {"St", "Ave", "Blvd", "Rd", "Ln", "Dr", "Street"};
  static constexpr std::string_view places[] = {"Springfield, IL", "Austin, TX",   "Portland, OR",
                                                "Denver, CO",      "Columbus, OH", "Seattle, WA",
                                                "Boston, MA",      "Miami, FL"};
  std::string s = std::to_string(r.between(1, 9899)) + " " + std::string(r.pick(streets)) + " " +
                  std::string(r.pick(suffixes));
  if (r.chance(0.3))
    s += ", Apt " + std::to_string(r.between(1, 40)) + std::string(1, "ABCD"[r.between(0, 3)]);
  if (r.chance(0.7)) s += ", " + std::string(r.pick(places)) + " " + r.number(5);
  return s;
}

std::string address_gb(Rng& r) {
  static constexpr std::string_view streets[] = {"High Street",   "Station Road", "Church Lane",
                                                 "Victoria Road", "Green Lane",   "Baker Street",
                                                 "Park Avenue",   "Mill Road"};
  static constexpr std::string_view places[] = {"London SW1A", "Manchester M1", "Birmingham B33",
                                                "Leeds LS1",   "Edinburgh EH1", "Cardiff CF10",
                                                "Bristol BS1"};
  std::string s = std::to_string(r.between(1, 240)) + " " + std::string(r.pick(streets));
  if (r.chance(0.8))
    s += ", " + std::string(r.pick(places)) + " " + r.digits(1) + r.chars("ABDEFGHJLNPQRSTUWXYZ", 2);
  return s;
}

std::string address_de(Rng& r) {
  static constexpr std::string_view streets[] = {
      "Hauptstraße", "Bahnhofstraße", "Goethestraße",    "Schillerstr.", "Lindenallee",
      "Am Markt",    "Kirchweg",      "Berliner Straße", "Gartenstraße", "Friedrichstraße"};
  static constexpr std::string_view places[] = {
      "Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main", "Stuttgart", "Leipzig"};
  std::string s = std::string(r.pick(streets)) + " " + std::to_string(r.between(1, 180));
  if (r.chance(0.15)) s += "a";
  if (r.chance(0.8)) s += ", " + r.number(5) + " " + std::string(r.pick(places));
  return s;
}

std::string address_fr(Rng& r) {
  static constexpr std::string_view streets[] = {
      "rue de la Paix",  "avenue Victor Hugo", "boulevard Saint-Germain", "rue du Faubourg Saint-Honoré",
      "place Bellecour", "chemin des Vignes",  "rue de la République"};
  static constexpr std::string_view places[] = {"Paris",    "Lyon",     "Marseille",
                                                "Toulouse", "Bordeaux", "Lille"};
  std::string s =
      std::to_string(r.between(1, 150)) + (r.chance(0.1) ? " bis " : " ") + std::string(r.pick(streets));
  if (r.chance(0.8))
    s += ", " + std::to_string(r.between(10, 95)) + r.digits(3) + " " + std::string(r.pick(places));
  return s;
}

std::string address_es(Rng& r) {
  static constexpr std::string_view streets[] = {"Calle Mayor",     "Avenida de la Constitución",
                                                 "Calle de Alcalá", "Paseo de Gracia",
                                                 "Gran Vía",        "Calle Real"};
  static constexpr std::string_view places[] = {"Madrid",   "Barcelona", "Sevilla",
                                                "Valencia", "Bilbao",    "Málaga"};
  std::string s = std::string(r.pick(streets)) + " " + std::to_string(r.between(1, 120));
  if (r.chance(0.5))
    s += ", " + std::to_string(r.between(1, 9)) + "º " + std::string(1, "ABCD"[r.between(0, 3)]);
  if (r.chance(0.7)) s += ", " + pad(r.between(1001, 52999), 5) + " " + std::string(r.pick(places));
  return s;
}

std::string address_it(Rng& r) {
  static constexpr std::string_view streets[] = {
      "Via Roma",      "Via Garibaldi", "Corso Vittorio Emanuele II",
      "Piazza Navona", "Via Dante",     "Viale dei Mille"};
  static constexpr std::string_view places[] = {"Roma", "Milano", "Napoli", "Torino", "Bologna", "Firenze"};
  std::string s = std::string(r.pick(streets)) + " " + std::to_string(r.between(1, 200));
  if (r.chance(0.75)) s += ", " + pad(r.between(100, 98168), 5) + " " + std::string(r.pick(places));
  return s;
}

std::string address_nl(Rng& r) {
  static constexpr std::string_view streets[] = {"Keizersgracht", "Dorpsstraat", "Kerkstraat",
                                                 "Stationsweg",   "Molenstraat", "Prinsengracht"};
  static constexpr std::string_view places[] = {"Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven"};
  std::string s = std::string(r.pick(streets)) + " " + std::to_string(r.between(1, 400));
  if (r.chance(0.7))
    s += ", " + std::to_string(r.between(1000, 9999)) + " " + r.chars("ABCDEFGHJKLMNPRSTVWXZ", 2) + " " +
         std::string(r.pick(places));
  return s;
}

std::string address_br(Rng& r) {
  static constexpr std::string_view streets[] = {"Rua Augusta", "Avenida Paulista", "Rua das Flores",
                                                 "Rua XV de Novembro", "Avenida Atlântica"};
  static constexpr std::string_view places[] = {"São Paulo - SP", "Rio de Janeiro - RJ", "Curitiba - PR",
                                                "Belo Horizonte - MG"};
  std::string s = std::string(r.pick(streets)) + ", " + std::to_string(r.between(10, 3000));
  if (r.chance(0.4)) s += " - apto " + std::to_string(r.between(11, 180));
  if (r.chance(0.7)) s += ", " + std::string(r.pick(places)) + ", " + r.digits(5) + "-" + r.digits(3);
  return s;
}

std::string address_jp(Rng& r) {
  static constexpr std::string_view places[] = {"東京都千代田区丸の内", "大阪府大阪市北区梅田",
                                                "東京都渋谷区神南", "京都府京都市中京区烏丸通",
                                                "神奈川県横浜市西区みなとみらい"};
  std::string s = r.chance(0.4) ? "〒" + r.digits(3) + "-" + r.digits(4) + " " : "";
  return s + std::string(r.pick(places)) + std::to_string(r.between(1, 9)) + "-" +
         std::to_string(r.between(1, 20)) + "-" + std::to_string(r.between(1, 30));
}

std::string address_in(Rng& r) {
  static constexpr std::string_view homes[] = {"Flat", "House No.", "Plot"};
  static constexpr std::string_view streets[] = {"MG Road", "Brigade Road", "Linking Road", "Park Street",
                                                 "Anna Salai"};
  static constexpr std::string_view places[] = {"Bengaluru 5600", "Mumbai 4000", "Kolkata 7000",
                                                "New Delhi 1100", "Chennai 6000"};
  return std::string(r.pick(homes)) + " " + std::to_string(r.between(1, 400)) + ", " +
         std::string(r.pick(streets)) + ", " + std::string(r.pick(places)) + r.digits(2);
}

std::string address_au(Rng& r) {
  static constexpr std::string_view streets[] = {"George St", "Collins Street", "Queen St", "Hay Street",
                                                 "King William St"};
  static constexpr std::string_view places[] = {"Sydney NSW 2000", "Melbourne VIC 3000", "Brisbane QLD 4000",
                                                "Perth WA 6000", "Adelaide SA 5000"};
  std::string s = r.chance(0.3) ? "Unit " + std::to_string(r.between(1, 30)) + "/" : "";
  return s + std::to_string(r.between(1, 500)) + " " + std::string(r.pick(streets)) + ", " +
         std::string(r.pick(places));
}

const std::vector<Locale>& locales() {
  static const std::vector<Locale> all = {
      {.tag = "en-US",
       .country = "US",
       .table = "customers",
       .first = {"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
                 "Elizabeth", "William", "Barbara", "Chris", "Ashley"},
       .last = {"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
                "Martinez", "Wilson", "Anderson", "O'Brien", "Taylor"},
       .cities = {"Springfield", "Austin", "Portland", "Denver", "Columbus", "Seattle", "Boston"},
       .domains = {"gmail.com", "yahoo.com", "outlook.com", "aol.com", "icloud.com", "acme-corp.com"},
       .dob_format = "%m/%d/%Y",
       .currency = "$",
       .decimal_comma = false,
       .columns = &kEnglishColumns,
       .notes = &kEnglishNotes,
       .clean_notes = &kEnglishClean,
       .address = address_us},
      {.tag = "en-GB",
       .country = "GB",
       .table = "members",
       .first = {"Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Sophie",
                 "Thomas", "Grace"},
       .last = {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts",
                "Walker", "Hughes", "Wright"},
       .cities = {"London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol"},
       .domains = {"btinternet.com", "gmail.com", "hotmail.co.uk", "sky.com", "outlook.com"},
       .dob_format = "%d/%m/%Y",
       .currency = "£",
       .decimal_comma = false,
       .columns = &kEnglishColumns,
       .notes = &kEnglishNotes,
       .clean_notes = &kEnglishClean,
       .address = address_gb},
      {.tag = "de-DE",
       .country = "DE",
       .table = "kunden",
       .first = {"Lukas", "Anna", "Jürgen", "Sophie", "Maximilian", "Marie", "Felix", "Lena", "Paul",
                 "Katharina", "Björn", "Ursula"},
       .last = {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
                "Hoffmann", "Schäfer", "Groß"},
       .cities = {"Berlin", "München", "Hamburg", "Köln", "Frankfurt", "Stuttgart", "Düsseldorf"},
       .domains = {"web.de", "gmx.de", "t-online.de", "gmail.com", "posteo.de", "firma-gmbh.de"},
       .dob_format = "%d.%m.%Y",
       .currency = "€",
       .decimal_comma = true,
       .columns = &kGermanColumns,
       .notes = &kGermanNotes,
       .clean_notes = &kGermanClean,
       .address = address_de},
      {.tag = "fr-FR",
       .country = "FR",
       .table = "clients",
       .first = {"Jean", "Marie", "Pierre", "Camille", "Louis", "Léa", "Hugo", "Chloé", "François", "Manon",
                 "Élodie", "Théo"},
       .last = {"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
                "Moreau", "Lefèvre", "Girard"},
       .cities = {"Paris", "Lyon", "Marseille", "Toulouse", "Nice", "Nantes", "Bordeaux"},
       .domains = {"orange.fr", "free.fr", "laposte.net", "gmail.com", "sfr.fr", "wanadoo.fr"},
       .dob_format = "%d/%m/%Y",
       .currency = "€",
       .decimal_comma = true,
       .columns = &kFrenchColumns,
       .notes = &kFrenchNotes,
       .clean_notes = &kFrenchClean,
       .address = address_fr},
      {.tag = "es-ES",
       .country = "ES",
       .table = "clientes",
       .first = {"Antonio", "María", "José", "Carmen", "Manuel", "Lucía", "Javier", "Ana", "Sofía",
                 "Alejandro", "Íñigo", "Pilar"},
       .last = {"García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
                "Gómez", "Martín", "Jiménez", "Muñoz"},
       .cities = {"Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga"},
       .domains = {"gmail.com", "hotmail.es", "yahoo.es", "telefonica.net", "outlook.es"},
       .dob_format = "%d/%m/%Y",
       .currency = "€",
       .decimal_comma = true,
       .columns = &kSpanishColumns,
       .notes = &kSpanishNotes,
       .clean_notes = &kSpanishClean,
       .address = address_es},
      {.tag = "it-IT",
       .country = "IT",
       .table = "clienti",
       .first = {"Giuseppe", "Maria", "Giovanni", "Anna", "Antonio", "Francesca", "Marco", "Chiara", "Luca",
                 "Giulia", "Niccolò", "Elena"},
       .last = {"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
                "Greco", "Bruno", "De Luca"},
       .cities = {"Roma", "Milano", "Napoli", "Torino", "Palermo", "Bologna"},
       .domains = {"libero.it", "gmail.com", "alice.it", "virgilio.it", "tiscali.it"},
       .dob_format = "%d/%m/%Y",
       .currency = "€",
       .decimal_comma = true,
       .columns = &kItalianColumns,
       .notes = &kItalianNotes,
       .clean_notes = &kItalianClean,
       .address = address_it},
      {.tag = "nl-NL",
       .country = "NL",
       .table = "klanten",
       .first = {"Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Levi", "Sophie", "Finn", "Tess", "Bram",
                 "Anouk"},
       .last = {"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
                "Smit", "Meijer", "de Boer", "Mulder"},
       .cities = {"Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen"},
       .domains = {"ziggo.nl", "kpnmail.nl", "gmail.com", "hotmail.nl", "xs4all.nl"},
       .dob_format = "%d-%m-%Y",
       .currency = "€",
       .decimal_comma = true,
       .columns = &kDutchColumns,
       .notes = &kDutchNotes,
       .clean_notes = &kDutchClean,
       .address = address_nl},
      {.tag = "pt-BR",
       .country = "BR",
       .table = "clientes",
       .first = {"João", "Maria", "José", "Ana", "Pedro", "Juliana", "Lucas", "Fernanda", "Gabriel", "Camila",
                 "Thiago", "Letícia"},
       .last = {"Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
                "Gomes", "Ribeiro", "Conceição"},
       .cities = {"São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Salvador", "Recife"},
       .domains = {"uol.com.br", "bol.com.br", "gmail.com", "terra.com.br", "hotmail.com"},
       .dob_format = "%d/%m/%Y",
       .currency = "R$",
       .decimal_comma = true,
       .columns = &kPortugueseColumns,
       .notes = &kPortugueseNotes,
       .clean_notes = &kPortugueseClean,
       .address = address_br},
      {.tag = "ja-JP",
       .country = "JP",
       .table = "kokyaku",
       .first = {"太郎", "花子", "翔太", "美咲", "健", "陽菜", "大輔", "さくら", "拓也", "結衣"},
       .last = {"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"},
       .first_latin = {"taro", "hanako", "shota", "misaki", "ken", "hina", "daisuke", "sakura", "takuya",
                       "yui"},
       .last_latin = {"sato", "suzuki", "takahashi", "tanaka", "ito", "watanabe", "yamamoto", "nakamura",
                      "kobayashi", "kato"},
       .cities = {"東京", "大阪", "横浜", "名古屋", "札幌", "福岡"},
       .domains = {"docomo.ne.jp", "yahoo.co.jp", "gmail.com", "ezweb.ne.jp", "softbank.ne.jp"},
       .dob_format = "%Y/%m/%d",
       .currency = "¥",
       .decimal_comma = false,
       .columns = &kEnglishColumns,
       .notes = &kJapaneseNotes,
       .clean_notes = &kJapaneseClean,
       .address = address_jp},
      {.tag = "en-IN",
       .country = "IN",
       .table = "subscribers",
       .first = {"Aarav", "Priya", "Rahul", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rohan", "Divya",
                 "Sanjay", "Lakshmi"},
       .last = {"Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Das", "Mehta",
                "Joshi", "Rao"},
       .cities = {"Mumbai", "Delhi", "Bengaluru", "Chennai", "Kolkata", "Pune", "Hyderabad"},
       .domains = {"gmail.com", "rediffmail.com", "yahoo.co.in", "outlook.com"},
       .dob_format = "%d-%m-%Y",
       .currency = "₹",
       .decimal_comma = false,
       .columns = &kEnglishColumns,
       .notes = &kEnglishNotes,
       .clean_notes = &kEnglishClean,
       .address = address_in},
      {.tag = "en-AU",
       .country = "AU",
       .table = "patrons",
       .first = {"Jack", "Charlotte", "William", "Olivia", "Noah", "Mia", "Lachlan", "Chloe", "Cooper",
                 "Ruby", "Mitchell", "Zoe"},
       .last = {"Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson", "Martin",
                "White", "Kelly", "Ryan"},
       .cities = {"Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide", "Hobart"},
       .domains = {"bigpond.com", "gmail.com", "optusnet.com.au", "outlook.com.au"},
       .dob_format = "%d/%m/%Y",
       .currency = "A$",
       .decimal_comma = false,
       .columns = &kEnglishColumns,
       .notes = &kEnglishNotes,
       .clean_notes = &kEnglishClean,
       .address = address_au},

  };
  return all;
}

const Locale& locale(std::string_view tag) {
  for (const auto& l : locales())
    if (l.tag == tag) return l;
  throw std::logic_error("no locale " + std::string(tag));
}

// ---- personal values ------------------------------------------------------------------------------

// Latin letters for an email's local part: umlauts and accents the way people type them.
std::string ascii(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> table[] = {
      {"ä", "ae"}, {"ö", "oe"}, {"ü", "ue"}, {"ß", "ss"}, {"é", "e"}, {"è", "e"}, {"ê", "e"},
      {"ë", "e"},  {"É", "e"},  {"à", "a"},  {"á", "a"},  {"â", "a"}, {"ã", "a"}, {"ç", "c"},
      {"í", "i"},  {"Í", "i"},  {"ì", "i"},  {"ï", "i"},  {"ó", "o"}, {"ò", "o"}, {"ô", "o"},
      {"õ", "o"},  {"ú", "u"},  {"ù", "u"},  {"ñ", "n"},  {"'", ""},  {" ", ""}};
  std::string out;
  for (std::size_t i = 0; i < name.size();) {
    bool replaced = false;
    for (const auto& [from, to] : table) {
      if (name.substr(i, from.size()) == from) {
        out += to;
        i += from.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += static_cast<char>(std::tolower(static_cast<unsigned char>(name[i++])));
  }
  return out;
}

std::string email(Rng& r, const Locale& l) {
  const auto fi = r.index(l.first);
  const auto li = r.index(l.last);
  const std::string first = l.first_latin.empty() ? ascii(l.first[fi]) : std::string(l.first_latin[fi]);
  const std::string last = l.last_latin.empty() ? ascii(l.last[li]) : std::string(l.last_latin[li]);
  std::string local;
  switch (r.between(0, 4)) {
    case 0:
      local = first + "." + last;
      break;
    case 1:
      local = first.substr(0, 1) + last;
      break;
    case 2:
      local = first + "_" + last + std::to_string(r.between(1, 99));
      break;
    case 3:
      local = last + "." + first + std::to_string(r.between(1960, 2005));
      break;
    default:
      local = first + last.substr(0, 1) + std::to_string(r.between(1, 999));
      break;
  }
  if (r.chance(0.05)) local += "+shop";
  std::string out = local + "@" + std::string(r.pick(l.domains));
  // Some people type their address capitalised; the normal form is lower case.
  if (r.chance(0.1)) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string person_name(Rng& r, const Locale& l, std::string_view part) {
  if (part == "first") return std::string(r.pick(l.first));
  if (part == "last") return std::string(r.pick(l.last));
  if (l.tag == "ja-JP")
    return std::string(r.pick(l.last)) + (r.chance(0.5) ? " " : "") + std::string(r.pick(l.first));
  return std::string(r.pick(l.first)) + " " + std::string(r.pick(l.last));
}

std::string format_date(std::string_view format, int y, int m, int d) {
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '%' && i + 1 < format.size()) {
      const char f = format[++i];
      out += f == 'Y' ? pad(y, 4) : f == 'm' ? pad(m, 2) : pad(d, 2);
    } else {
      out += format[i];
    }
  }
  return out;
}

std::string date_between(Rng& r, std::string_view format, int from_year, int to_year) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int m = r.between(1, 12);
  return format_date(format, r.between(from_year, to_year), m, r.between(1, days[m - 1]));
}

// A phone number from the country's numbering plan, written the way people there write it.
// International forms carry the country code (+49 ...), national ones the trunk prefix (0...).
std::string phone(Rng& r, std::string_view country, bool international) {
  const bool mobile = r.chance(0.6);
  if (country == "US" || country == "CA") {
    static constexpr std::string_view us[] = {"201", "212", "213", "305", "312", "415", "503", "617",
                                              "646", "702", "713", "718", "804", "917", "971", "303"};
    static constexpr std::string_view ca[] = {"416", "604", "514", "403", "613", "902"};
    const std::string area(country == "CA" ? r.pick(ca) : r.pick(us));
    std::string exchange;
    do exchange = std::to_string(r.between(2, 9)) + r.digits(2);
    while (exchange.substr(1) == "11" || exchange == "555");
    const std::string line = r.digits(4);
    if (international) {
      switch (r.between(0, 3)) {
        case 0:
          return "+1 " + area + "-" + exchange + "-" + line;
        case 1:
          return "+1" + area + exchange + line;
        case 2:
          return "+1 (" + area + ") " + exchange + "-" + line;
        default:
          return "+1 " + area + " " + exchange + " " + line;
      }
    }
    switch (r.between(0, 4)) {
      case 0:
        return "(" + area + ") " + exchange + "-" + line;
      case 1:
        return area + "-" + exchange + "-" + line;
      case 2:
        return area + "." + exchange + "." + line;
      case 3:
        return area + " " + exchange + " " + line;
      default:
        return "1-" + area + "-" + exchange + "-" + line;
    }
  }
  if (country == "GB") {
    if (mobile) {
      const std::string nsn = "7" + std::to_string(r.between(4, 9)) + r.digits(8);
      if (international) return r.chance(0.5) ? "+44 " + group(nsn, {4, 6}, " ") : "+44" + nsn;
      return "0" + group(nsn, {4, 6}, r.chance(0.8) ? " " : "");
    }
    const std::string nsn = "20" + std::string(1, "378"[r.between(0, 2)]) + r.digits(7);
    if (international) return "+44 " + group(nsn, {2, 4, 4}, " ");
    return "0" + group(nsn, {2, 4, 4}, " ");
  }
  if (country == "DE") {
    if (mobile) {
      static constexpr std::string_view prefixes[] = {"151", "152", "157", "160", "162", "170",
                                                      "171", "172", "175", "176", "177", "179"};
      const std::string prefix(r.pick(prefixes));
      const std::string nsn = prefix + r.digits(prefix[1] == '5' || prefix == "176" ? 8 : 7);
      if (international) return r.chance(0.5) ? "+49 " + prefix + " " + nsn.substr(3) : "+49" + nsn;
      return "0" + prefix + std::string(r.pick({" ", "-", "/", ""})) + nsn.substr(3);
    }
    static constexpr std::string_view areas[] = {"30", "40", "89", "69", "221", "211", "711"};
    const std::string area(r.pick(areas));
    const std::string subscriber = r.number(area.size() == 2 ? r.between(7, 8) : 7);
    if (international) return "+49 " + area + " " + subscriber;
    switch (r.between(0, 2)) {
      case 0:
        return "0" + area + " " + subscriber;
      case 1:
        return "0" + area + "/" + subscriber;
      default:
        return "(0" + area + ") " + subscriber;
    }
  }
  if (country == "FR") {
    const std::string nsn =
        std::string(1, mobile ? "67"[r.between(0, 1)] : "12345"[r.between(0, 4)]) + r.digits(8);
    if (international) return r.chance(0.5) ? "+33 " + group(nsn, {1, 2, 2, 2, 2}, " ") : "+33" + nsn;
    return "0" + group(nsn, {1, 2, 2, 2, 2}, r.pick({" ", ".", ""}));
  }
  if (country == "ES") {
    const std::string nsn = mobile ? "6" + r.digits(8) : "9" + std::to_string(r.between(1, 8)) + r.digits(7);
    const std::string grouped = mobile ? group(nsn, {3, 3, 3}, " ") : group(nsn, {2, 3, 2, 2}, " ");
    if (international) return r.chance(0.6) ? "+34 " + grouped : "+34" + nsn;
    return r.chance(0.7) ? grouped : nsn;
  }
  if (country == "IT") {
    const std::string nsn = mobile ? "3" + std::to_string(r.between(2, 9)) + r.digits(8)
                                   : std::string(r.pick({"06", "02"})) + r.digits(8);
    const std::string grouped = mobile ? group(nsn, {3, 3, 4}, " ") : group(nsn, {2, 4, 4}, " ");
    if (international) return r.chance(0.6) ? "+39 " + grouped : "+39" + nsn;
    return r.chance(0.7) ? grouped : nsn;
  }
  if (country == "NL") {
    if (mobile) {
      const std::string subscriber = r.number(8);
      if (international) return r.chance(0.5) ? "+31 6 " + subscriber : "+316" + subscriber;
      return r.chance(0.5) ? "06-" + subscriber : "06 " + group(subscriber, {4, 4}, " ");
    }
    const std::string subscriber = r.number(7);
    if (international) return "+31 20 " + group(subscriber, {3, 4}, " ");
    return r.chance(0.5) ? "020-" + subscriber : "020 " + group(subscriber, {3, 4}, " ");
  }
  if (country == "IN") {
    if (mobile) {
      const std::string nsn = std::to_string(r.between(6, 9)) + r.digits(9);
      if (international) {
        switch (r.between(0, 2)) {
          case 0:
            return "+91 " + group(nsn, {5, 5}, " ");
          case 1:
            return "+91-" + nsn;
          default:
            return "+91" + nsn;
        }
      }
      return r.chance(0.5) ? group(nsn, {5, 5}, " ") : "0" + group(nsn, {5, 5}, " ");
    }
    const std::string subscriber = std::to_string(r.between(2, 6)) + r.digits(7);
    if (international) return "+91 11 " + group(subscriber, {4, 4}, " ");
    return r.chance(0.5) ? "011 " + group(subscriber, {4, 4}, " ") : "011-" + subscriber;
  }
  if (country == "AU") {
    if (mobile) {
      const std::string nsn = "4" + r.digits(8);
      if (international) return r.chance(0.5) ? "+61 " + group(nsn, {3, 3, 3}, " ") : "+61" + nsn;
      return "0" + group(nsn, {3, 3, 3}, r.chance(0.8) ? " " : "");
    }
    const std::string area(1, "2378"[r.between(0, 3)]);
    const std::string subscriber = std::to_string(r.between(3, 9)) + r.digits(7);
    if (international) return "+61 " + area + " " + group(subscriber, {4, 4}, " ");
    return (r.chance(0.5) ? "(0" + area + ") " : "0" + area + " ") + group(subscriber, {4, 4}, " ");
  }
  if (country == "BR") {
    static constexpr std::string_view areas[] = {"11", "21", "31", "41", "51", "61", "71", "81", "85", "19"};
    const std::string area(r.pick(areas));
    const std::string subscriber = mobile ? "9" + r.digits(8) : std::to_string(r.between(2, 5)) + r.digits(7);
    const std::string dashed =
        subscriber.substr(0, subscriber.size() - 4) + "-" + subscriber.substr(subscriber.size() - 4);
    if (international) return r.chance(0.6) ? "+55 " + area + " " + dashed : "+55" + area + subscriber;
    return r.chance(0.7) ? "(" + area + ") " + dashed : area + " " + dashed;
  }
  if (country == "JP") {
    const std::string area =
        mobile ? std::string(r.pick({"90", "80", "70"})) : std::string(r.pick({"3", "6"}));
    const std::string subscriber = r.digits(8);
    const std::string rest = subscriber.substr(0, 4) + "-" + subscriber.substr(4);
    if (international)
      return r.chance(0.6) ? "+81 " + area + "-" + rest
                           : "+81 " + area + " " + group(subscriber, {4, 4}, " ");
    return r.chance(0.8) ? "0" + area + "-" + rest : "0" + area + subscriber;
  }
  throw std::logic_error("no numbering plan for " + std::string(country));
}

std::string card(Rng& r) {
  std::string prefix;
  int length = 16;
  const int brand = r.between(0, 99);
  if (brand < 30) {
    prefix = "4";
    length = r.chance(0.9) ? 16 : (r.chance(0.5) ? 13 : 19);
  } else if (brand < 50) {
    prefix = r.chance(0.7) ? std::to_string(r.between(51, 55)) : std::to_string(r.between(2221, 2720));
  } else if (brand < 62) {
    prefix = r.chance(0.5) ? "34" : "37";
    length = 15;
  } else if (brand < 72) {
    switch (r.between(0, 2)) {
      case 0:
        prefix = "6011";
        break;
      case 1:
        prefix = std::to_string(r.between(644, 649));
        break;
      default:
        prefix = "65";
        break;
    }
  } else if (brand < 80) {
    prefix = std::to_string(r.between(3528, 3589));
  } else if (brand < 88) {
    prefix = r.chance(0.5) ? "36" : std::to_string(r.between(300, 305));
    length = 14;
  } else {
    prefix = "62";
    length = r.chance(0.8) ? 16 : 19;
  }
  const std::string digits = with_luhn(prefix + r.digits(length - 1 - static_cast<int>(prefix.size())));
  const int style = r.between(0, 9);
  if (style < 4) return digits;
  const std::string sep = style < 8 ? " " : "-";
  if (length == 15) return group(digits, {4, 6, 5}, sep);
  if (length == 14) return group(digits, {4, 6, 4}, sep);
  if (length == 13) return group(digits, {4, 4, 5}, sep);
  return group(digits, {4, 4, 4, 4, 3}, sep);
}

std::string iban(Rng& r, std::string_view country) {
  const IbanFormat* f = iban_format(country);
  if (f == nullptr) f = &iban_formats()[r.index(iban_formats())];
  std::string bban = f->banks.empty() ? "" : std::string(r.pick(f->banks));
  for (char c : f->bban) {
    bban += c == 'n'   ? r.chars("0123456789", 1)
            : c == 'a' ? r.chars(kUpper, 1)
                       : r.chars("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1);
  }
  const std::string rearranged = bban + std::string(f->country) + "00";
  const std::string compact = std::string(f->country) + pad(98 - mod97(rearranged), 2) + bban;
  if (r.chance(0.55)) return compact;
  std::string grouped;
  for (std::size_t i = 0; i < compact.size(); i += 4) {
    if (i > 0) grouped += ' ';
    grouped += compact.substr(i, 4);
  }
  return grouped;
}

std::string ssn(Rng& r) {
  int area;
  do area = r.between(1, 899);
  while (area == 666);
  const std::string s = pad(area, 3) + pad(r.between(1, 99), 2) + pad(r.between(1, 9999), 4);
  return r.chance(0.85) ? group(s, {3, 2, 4}, "-") : s;
}

std::string ipv4(Rng& r) {
  if (r.chance(0.15)) {
    switch (r.between(0, 2)) {
      case 0:
        return "10." + std::to_string(r.between(0, 255)) + "." + std::to_string(r.between(0, 255)) + "." +
               std::to_string(r.between(1, 254));
      case 1:
        return "192.168." + std::to_string(r.between(0, 255)) + "." + std::to_string(r.between(1, 254));
      default:
        return "172." + std::to_string(r.between(16, 31)) + "." + std::to_string(r.between(0, 255)) + "." +
               std::to_string(r.between(1, 254));
    }
  }
  static constexpr int first[] = {23,  31,  45,  62,  77,  81,  85,  91,  93,  109, 141,
                                  151, 176, 185, 188, 193, 195, 203, 212, 217, 8,   34,
                                  52,  54,  98,  104, 66,  73,  126, 133, 177, 200, 201};
  return std::to_string(r.pick(first)) + "." + std::to_string(r.between(0, 255)) + "." +
         std::to_string(r.between(0, 255)) + "." + std::to_string(r.between(1, 254));
}

std::string ipv6(Rng& r) {
  std::array<unsigned, 8> g{};
  if (r.chance(0.2)) {
    g[0] = 0xfe80;  // link-local: the interface ID is the interesting part
    for (int i = 4; i < 8; ++i) g[static_cast<std::size_t>(i)] = static_cast<unsigned>(r.between(0, 0xffff));
  } else {
    static constexpr std::pair<unsigned, unsigned> prefixes[] = {{0x2001, 0x0db8}, {0x2a00, 0x1450},
                                                                 {0x2606, 0x4700}, {0x2a02, 0x810d},
                                                                 {0x2600, 0x1f18}, {0x2405, 0x0200}};
    const auto [a, b] = r.pick(prefixes);
    g[0] = a;
    g[1] = b;
    const bool zeros = r.chance(0.6);
    for (std::size_t i = 2; i < 8; ++i)
      g[i] = zeros && i >= 3 && i <= 5 ? 0 : static_cast<unsigned>(r.between(0, 0xffff));
  }
  const bool upper = r.chance(0.1);
  auto hex = [&](unsigned v, bool full) {
    char buf[8];
    std::snprintf(buf, sizeof buf, full ? (upper ? "%04X" : "%04x") : (upper ? "%X" : "%x"), v);
    return std::string(buf);
  };
  std::string out;
  if (r.chance(0.3)) {  // full form, every group four digits
    for (std::size_t i = 0; i < 8; ++i) {
      if (i > 0) out += ':';
      out += hex(g[i], true);
    }
    return out;
  }
  // Canonical compression (RFC 5952): the longest run of two or more zero groups becomes "::".
  std::size_t best = 8, best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    std::size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) best = i, best_len = j - i;
    i = j == i ? i + 1 : j;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ":";
    out += hex(g[i], false);
  }
  return out;
}

std::string mac(Rng& r) {
  static constexpr std::string_view ouis[] = {"001B63", "3C5AB4", "F4F5D8", "005056", "B827EB",
                                              "DCA632", "000C29", "ACDE48", "28CFE9"};
  const std::string hexdigits = std::string(r.pick(ouis)) + r.chars("0123456789ABCDEF", 6);
  const int style = r.between(0, 19);
  if (style < 8) return group(hexdigits, {2, 2, 2, 2, 2, 2}, ":");
  if (style < 13) return lower(group(hexdigits, {2, 2, 2, 2, 2, 2}, ":"));
  if (style < 17) return group(hexdigits, {2, 2, 2, 2, 2, 2}, "-");
  return lower(group(hexdigits, {4, 4, 4}, "."));  // Cisco
}

Planted url_with_credentials(Rng& r) {
  static constexpr std::string_view schemes[] = {"https",       "postgres", "postgresql", "mysql",
                                                 "mongodb+srv", "redis",    "ftp",        "amqp"};
  static constexpr std::string_view users[] = {"admin", "app",    "deploy",  "svc_etl",
                                               "root",  "backup", "jenkins", "report"};
  static constexpr std::string_view hosts[] = {
      "db.internal.example.com", "prod-db-01.acme.io", "cache.eu-west-1.example.net",
      "files.example.org",       "mq.corp.local",      "cluster0.ab1cd.mongodb.net"};
  const std::string password =
      r.chars(kBase62, r.between(6, 12)) + r.chars("!%*-_.~", 1) + r.chars(kBase62, r.between(2, 5));
  const std::string scheme(r.pick(schemes));
  std::string url =
      scheme + "://" + std::string(r.pick(users)) + ":" + password + "@" + std::string(r.pick(hosts));
  if (r.chance(0.5)) url += ":" + std::to_string(r.pick(std::array{5432, 3306, 6379, 21, 5672, 8443}));
  url += r.pick({"/", "/app", "/prod?sslmode=require", "/backups/", "/vhost", ""});
  return {Detector::url_credentials, "url_credentials", url, {password}, {}};
}

std::string aws_key(Rng& r) {
  return "AKIA" + r.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
}
std::string google_key(Rng& r) {
  return "AIza" + r.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 35);
}
std::string github_token(Rng& r) {
  if (r.chance(0.2)) return "github_pat_" + r.chars(kBase62, 22) + "_" + r.chars(kBase62, 59);
  return std::string(r.pick({"ghp_", "gho_", "ghs_"})) + r.chars(kBase62, 36);
}
std::string slack_token(Rng& r) {
  if (r.chance(0.6))
    return "xoxb-" + r.number(r.between(10, 13)) + "-" + r.number(r.between(10, 13)) + "-" +
           r.chars(kBase62, 24);
  return "xoxp-" + r.number(r.between(10, 12)) + "-" + r.number(r.between(10, 12)) + "-" +
         r.number(r.between(10, 13)) + "-" + r.chars(kHex, 32);
}

std::string uuid(Rng& r) {
  return r.chars(kHex, 8) + "-" + r.chars(kHex, 4) + "-4" + r.chars(kHex, 3) + "-" + r.chars("89ab", 1) +
         r.chars(kHex, 3) + "-" + r.chars(kHex, 12);
}

std::string jwt(Rng& r, const Locale& l) {
  const bool rsa = r.chance(0.4);
  const std::string header = rsa ? R"({"alg":"RS256","typ":"JWT","kid":")" + r.chars(kHex, 16) + "\"}"
                                 : std::string(R"({"alg":"HS256","typ":"JWT"})");
  const std::int64_t iat = r.between64(1700000000, 1760000000);
  const std::string payload = R"({"sub":")" + uuid(r) + R"(","name":")" + person_name(r, l, "full") +
                              R"(","iat":)" + std::to_string(iat) + R"(,"exp":)" +
                              std::to_string(iat + 3600) + "}";
  return base64url(header) + "." + base64url(payload) + "." + base64(random_bytes(r, rsa ? 256 : 32), true);
}

Planted private_key(Rng& r) {
  static constexpr std::pair<std::string_view, std::size_t> kinds[] = {{"RSA PRIVATE KEY", 1190},
                                                                       {"PRIVATE KEY", 1218},
                                                                       {"EC PRIVATE KEY", 121},
                                                                       {"OPENSSH PRIVATE KEY", 400}};
  const auto [type, size] = r.pick(kinds);
  const std::string body = base64(random_bytes(r, size), false);
  const std::size_t width = type == "OPENSSH PRIVATE KEY" ? 70 : 64;
  std::string pem = "-----BEGIN " + std::string(type) + "-----\n";
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < body.size(); i += width) {
    lines.push_back(body.substr(i, width));
    pem += lines.back() + "\n";
  }
  pem += "-----END " + std::string(type) + "-----";
  if (r.chance(0.3)) pem += "\n";
  // A key is out when no line of its body is: the body is what matters, not the armour.
  std::erase_if(lines, [](const std::string& line) { return line.size() < 16; });
  return {Detector::private_key, "private_key", pem, lines, {}};
}

std::string generic_secret(Rng& r) {
  return r.chars(kBase62, r.between(32, 40));
}

// A national ID of the locale's country with its own check digits, and the kind it is.
std::pair<std::string, std::string> national_id(Rng& r, std::string_view country) {
  if (country == "GB") {
    const std::string s = r.chars("ABCEGHJKLMNOPRSTWXYZ", 1) + r.chars("ABCEGHJKLMNPRSTWXYZ", 1) +
                          r.digits(6) + r.chars("ABCD", 1);
    return {r.chance(0.5) ? group(s, {2, 2, 2, 2, 1}, " ") : s, "national_id.nino"};
  }
  if (country == "DE") {  // Steuer-ID: ISO 7064 MOD 11,10
    const std::string payload = r.number(10);
    int product = 10;
    for (char c : payload) {
      int sum = (c - '0' + product) % 10;
      if (sum == 0) sum = 10;
      product = (sum * 2) % 11;
    }
    const int check = (11 - product) % 10;
    const std::string id = payload + std::to_string(check);
    return {r.chance(0.5) ? id : group(id, {2, 3, 3, 3}, " "), "national_id.steuer_id"};
  }
  if (country == "FR") {  // NIR: 13 digits and a mod-97 key
    const std::string n = std::to_string(r.between(1, 2)) + pad(r.between(40, 99), 2) +
                          pad(r.between(1, 12), 2) + pad(r.between(1, 95), 2) + pad(r.between(1, 990), 3) +
                          pad(r.between(1, 999), 3);
    const long long value = std::stoll(n);
    const std::string key = pad(97 - value % 97, 2);
    return {r.chance(0.5) ? n + key : group(n + key, {1, 2, 2, 2, 3, 3, 2}, " "), "national_id.nir"};
  }
  if (country == "ES") {
    static constexpr std::string_view letters = "TRWAGMYFPDXBNJZSQVHLCKE";
    if (r.chance(0.8)) {
      const std::string n = r.digits(8);
      return {n + letters[static_cast<std::size_t>(std::stoi(n) % 23)], "national_id.dni"};
    }
    const int lead = r.between(0, 2);
    const std::string n = r.digits(7);
    return {std::string(1, "XYZ"[lead]) + n +
                letters[static_cast<std::size_t>(std::stoi(std::to_string(lead) + n) % 23)],
            "national_id.nie"};
  }
  if (country == "IT") {  // codice fiscale, check character over odd/even positions
    static constexpr int odd[36] = {1,  0,  5, 7, 9,  13, 15, 17, 19, 21, 1,  0,  5,  7,  9,  13, 15, 17,
                                    19, 21, 2, 4, 18, 20, 11, 3,  6,  8,  12, 14, 16, 10, 22, 25, 24, 23};
    std::string cf = r.chars("BCDFGLMNPRSTVZ", 3) + r.chars("BCDFGLMNPRSTVZ", 2) + r.chars("AEIOU", 1) +
                     pad(r.between(40, 99), 2) + r.chars("ABCDEHLMPRST", 1) +
                     pad(r.between(1, 28) + (r.chance(0.5) ? 40 : 0), 2) +
                     std::string(r.pick({"H501", "F205", "F839", "L219", "A944"}));
    int sum = 0;
    for (std::size_t i = 0; i < cf.size(); ++i) {
      const char c = cf[i];
      const int idx = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : 10 + (c - 'A');
      sum += i % 2 == 0 ? odd[idx] : (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'A');
    }
    cf += static_cast<char>('A' + sum % 26);
    return {cf, "national_id.codice_fiscale"};
  }
  if (country == "NL") {  // BSN: the 11-proof
    while (true) {
      const std::string n = r.number(8);
      int sum = 0;
      for (std::size_t i = 0; i < 8; ++i) sum += (n[i] - '0') * static_cast<int>(9 - i);
      const int last = sum % 11;
      if (last < 10) return {n + std::to_string(last), "national_id.bsn"};
    }
  }
  if (country == "PL") {  // PESEL
    const std::string n =
        pad(r.between(40, 99), 2) + pad(r.between(1, 12), 2) + pad(r.between(1, 28), 2) + r.digits(4);
    static constexpr int w[] = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
    int sum = 0;
    for (std::size_t i = 0; i < 10; ++i) sum += (n[i] - '0') * w[i];
    return {n + std::to_string((10 - sum % 10) % 10), "national_id.pesel"};
  }
  if (country == "BR") {  // CPF: two mod-11 digits
    std::string n = r.digits(9);
    for (int round = 0; round < 2; ++round) {
      int sum = 0;
      const int top = static_cast<int>(n.size()) + 1;
      for (std::size_t i = 0; i < n.size(); ++i) sum += (n[i] - '0') * (top - static_cast<int>(i));
      const int rest = sum % 11;
      n += std::to_string(rest < 2 ? 0 : 11 - rest);
    }
    return {
        r.chance(0.7) ? n.substr(0, 3) + "." + n.substr(3, 3) + "." + n.substr(6, 3) + "-" + n.substr(9) : n,
        "national_id.cpf"};
  }
  if (country == "IN") {  // Aadhaar: Verhoeff
    const std::string payload = std::to_string(r.between(2, 9)) + r.digits(10);
    const std::string n = payload + std::to_string(verhoeff_check_digit(payload));
    return {r.chance(0.7) ? group(n, {4, 4, 4}, " ") : n, "national_id.aadhaar"};
  }
  if (country == "AU") {  // TFN: weights 1 4 3 7 5 8 6 9 10, sum divisible by 11
    while (true) {
      const std::string n = r.number(8);
      static constexpr int w[] = {1, 4, 3, 7, 5, 8, 6, 9};
      int sum = 0;
      for (std::size_t i = 0; i < 8; ++i) sum += (n[i] - '0') * w[i];
      if (const int last = sum % 11; last < 10) {
        const std::string id = n + std::to_string(last);
        return {r.chance(0.6) ? group(id, {3, 3, 3}, " ") : id, "national_id.tfn"};
      }
    }
  }
  if (country == "JP") {  // My Number
    const std::string payload = r.digits(11);
    int sum = 0;
    for (int n = 1; n <= 11; ++n) {
      const int q = n <= 6 ? n + 1 : n - 5;
      sum += (payload[static_cast<std::size_t>(11 - n)] - '0') * q;
    }
    const int rest = sum % 11;
    const std::string id = payload + std::to_string(rest <= 1 ? 0 : 11 - rest);
    return {r.chance(0.5) ? group(id, {4, 4, 4}, " ") : id, "national_id.my_number"};
  }
  return {ssn(r), "national_id.ssn"};
}

Names national_id_columns(std::string_view country) {
  if (country == "GB") return {"national_insurance_number", "nino", "ni_number"};
  if (country == "DE") return {"steuer_id", "Steuer-ID", "national_id"};
  if (country == "FR") return {"numero_securite_sociale", "nir", "num_secu"};
  if (country == "ES") return {"dni", "DNI", "nif"};
  if (country == "IT") return {"codice_fiscale", "cod_fiscale"};
  if (country == "NL") return {"bsn", "BSN", "burgerservicenummer"};
  if (country == "PL") return {"pesel", "PESEL"};
  if (country == "BR") return {"cpf", "CPF"};
  if (country == "IN") return {"aadhaar", "aadhaar_number"};
  if (country == "AU") return {"tfn", "tax_file_number"};
  if (country == "JP") return {"my_number", "individual_number"};
  return {"ssn", "SSN", "social_security_number"};
}

// ---- decoy values ---------------------------------------------------------------------------------

// 16 digits starting with 4 or 5, as shops number orders: one in ten passes Luhn by chance.
std::string order_number(Rng& r) {
  return std::to_string(r.between(4, 5)) + r.digits(15);
}
std::string order_ref(Rng& r) {
  return std::string(r.pick({"ORD-", "SO-", "INV-"})) + std::to_string(r.between(2019, 2025)) + "-" +
         pad(r.between(1, 999999), 6);
}
std::string imei(Rng& r) {
  return with_luhn(std::string(r.pick({"35", "86", "01"})) + r.digits(12));
}
std::string semver(Rng& r) {
  std::string v = std::to_string(r.between(0, 12)) + "." + std::to_string(r.between(0, 30)) + "." +
                  std::to_string(r.between(0, 40));
  if (r.chance(0.1)) v = "v" + v;
  if (r.chance(0.1)) v += std::string(r.pick({"-rc.1", "-beta.2", "+build.7"}));
  return v;
}
// Four-part builds; the third part is a build number past 255, so this cannot be an IPv4 address.
std::string build_number(Rng& r) {
  return std::to_string(r.pick(std::array{10, 6, 17, 22, 5})) + "." + std::to_string(r.between(0, 4)) + "." +
         std::to_string(r.between(1000, 30000)) + "." + std::to_string(r.between(1, 5000));
}
// Four small parts, shaped exactly like an IPv4 address: only the column name says it is a version.
std::string dotted_version(Rng& r) {
  return std::to_string(r.between(1, 9)) + "." + std::to_string(r.between(0, 20)) + "." +
         std::to_string(r.between(0, 20)) + "." + std::to_string(r.between(0, 99));
}
std::string iso_timestamp(Rng& r) {
  std::string s = date_between(r, "%Y-%m-%d", 2022, 2025) + "T" + pad(r.between(0, 23), 2) + ":" +
                  pad(r.between(0, 59), 2) + ":" + pad(r.between(0, 59), 2);
  if (r.chance(0.3)) s += "." + pad(r.between(0, 999), 3);
  return s + std::string(r.pick({"Z", "+01:00", "+00:00"}));
}
std::string epoch_seconds(Rng& r) {
  return std::to_string(r.between64(1600000000, 1760000000));
}
std::string epoch_millis(Rng& r) {
  return std::to_string(r.between64(1600000000000, 1760000000000));
}
std::string sku(Rng& r) {
  if (r.chance(0.5)) return "SKU-" + r.chars(kUpper, 2) + "-" + r.digits(5);
  return r.chars(kUpper, 2) + "-" + r.digits(4) + "-" + std::string(r.pick({"BLK", "WHT", "RED", "BLU"})) +
         "-" + std::string(r.pick({"S", "M", "L", "XL"}));
}
std::string ean13(Rng& r) {
  static constexpr std::string_view prefixes[] = {"400", "401", "412", "440", "500", "506", "300",
                                                  "340", "376", "840", "800", "871", "490", "789"};
  const std::string payload = std::string(r.pick(prefixes)) + r.digits(9);
  int sum = 0;
  for (std::size_t i = 0; i < 12; ++i) sum += (payload[i] - '0') * (i % 2 == 0 ? 1 : 3);
  return payload + std::to_string((10 - sum % 10) % 10);
}
std::string price(Rng& r, const Locale& l) {
  const int cents = r.between(99, 99999);
  return std::to_string(cents / 100) + (l.decimal_comma ? "," : ".") + pad(cents % 100, 2);
}
std::string amount(Rng& r, const Locale& l) {
  if (l.currency == "¥") return "¥" + std::to_string(r.between(5, 300) * 100);
  return std::string(l.currency) + price(r, l);
}
std::string status(Rng& r) {
  return std::string(r.pick({"shipped", "pending", "delivered", "cancelled", "returned", "processing"}));
}
std::string sha256(Rng& r) {
  return r.chars(kHex, 64);
}
std::string clock_time(Rng& r) {
  return pad(r.between(6, 22), 2) + ":" + pad(r.between(0, 3) * 15, 2) + ":00";
}
std::string product_name(Rng& r) {
  return std::string(r.pick({"Widget Pro 3000", "USB-C Cable 2m", "Espresso Beans 1kg", "Yoga Mat Blue",
                             "Wireless Mouse M185", "Desk Lamp LED", "Notebook A5 dotted",
                             "Water Bottle 750ml", "Running Shoes Gr. 42", "Phone Case Clear"}));
}
std::string user_agent(Rng& r) {
  switch (r.between(0, 5)) {
    case 0:  // Chrome's reduced user agent: "120.0.0.0" is also a valid IPv4 address
      return "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" +
             std::to_string(r.between(118, 126)) + ".0.0.0 Safari/537.36";
    case 1:
      return "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/17." +
             std::to_string(r.between(0, 5)) + " Safari/605.1.15";
    case 2: {
      const std::string v = std::to_string(r.between(115, 125));
      return "Mozilla/5.0 (X11; Linux x86_64; rv:" + v + ".0) Gecko/20100101 Firefox/" + v + ".0";
    }
    case 3:
      return "Mozilla/5.0 (iPhone; CPU iPhone OS 17_" + std::to_string(r.between(1, 5)) +
             " like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 "
             "Safari/604.1";
    case 4:
      return "okhttp/4." + std::to_string(r.between(9, 12)) + "." + std::to_string(r.between(0, 3));
    default:
      return "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240305.019)";
  }
}

}  // namespace

// ---- public checks --------------------------------------------------------------------------------

std::string digits_of(std::string_view text) {
  std::string out;
  for (char c : text)
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  return out;
}

bool luhn_valid(std::string_view text) {
  const std::string d = digits_of(text);
  return d.size() >= 2 && luhn_check_digit(std::string_view(d).substr(0, d.size() - 1)) == d.back() - '0';
}

bool iban_valid(std::string_view text) {
  std::string s = without_space(text);
  if (s.size() < 5) return false;
  const IbanFormat* f = iban_format(s.substr(0, 2));
  if (f == nullptr || s.size() != iban_length(*f)) return false;
  return mod97(s.substr(4) + s.substr(0, 4)) == 1;
}

bool ean13_valid(std::string_view text) {
  const std::string d = digits_of(text);
  if (d.size() != 13) return false;
  int sum = 0;
  for (std::size_t i = 0; i < 13; ++i) sum += (d[i] - '0') * (i % 2 == 0 ? 1 : 3);
  return sum % 10 == 0;
}

// ---- tables ---------------------------------------------------------------------------------------

namespace {

struct Value {
  std::string text;  // as the file holds it
  std::vector<Planted> planted;
};

struct ColumnPlan {
  std::string name;
  std::string kind;
  Role role = Role::decoy;
  std::optional<Detector> expected;
  std::function<Value(Rng&)> make;
  double null_rate = 0.03;
  bool json_number = false;  // JSON tables: the value is a number, not a string
  std::optional<Planted> header;
};

bool known_secret_format(Detector d) {
  return d == Detector::aws_access_key || d == Detector::google_api_key || d == Detector::github_token ||
         d == Detector::slack_token || d == Detector::jwt || d == Detector::private_key;
}

// A column named like a secret may hold a known key format; masking it as <SECRET_n> hides it just
// as well, so that label counts too.
bool secret_like(std::string_view column) {
  const std::string n = lower(column);
  for (std::string_view word : {"key", "token", "secret", "password", "passwort", "credential", "bearer"})
    if (contains(n, word)) return true;
  return false;
}

ColumnPlan whole(std::string name, std::string kind, Detector d, std::function<Planted(Rng&)> make) {
  const bool secret_ok = known_secret_format(d) && secret_like(name);
  ColumnPlan plan{std::move(name), std::move(kind), Role::personal, d, {}, 0.05, false, {}};
  plan.make = [make = std::move(make), secret_ok](Rng& r) {
    Planted p = make(r);
    if (secret_ok) p.also.push_back(Detector::secret);
    std::string text = p.text;
    return Value{std::move(text), {std::move(p)}};
  };
  return plan;
}

ColumnPlan whole(std::string name, std::string kind, Detector d, std::function<std::string(Rng&)> make,
                 std::vector<Detector> also = {}) {
  auto planted = [d, kind, make = std::move(make), also = std::move(also)](Rng& r) {
    return Planted{d, kind, make(r), {}, also};
  };
  return whole(std::move(name), kind, d, std::function<Planted(Rng&)>(planted));
}

ColumnPlan decoy(std::string name, std::string kind, std::function<std::string(Rng&)> make,
                 bool json_number = false) {
  ColumnPlan plan{std::move(name), std::move(kind), Role::decoy, {}, {}, 0.03, json_number, {}};
  plan.make = [make = std::move(make)](Rng& r) { return Value{make(r), {}}; };
  return plan;
}

// Fills a sentence's slots, planting what is personal: {email}, {phone}, {mobile}, {card}, {iban},
// {ip}, {ipv6}, {mac}, {url}, {aws}, {google}, {github}, {slack}, {jwt}; the others ({order},
// {date}, {version}, {amount}, {uuid}, {ms}) hold nothing personal.
Value fill(std::string_view pattern, Rng& r, const Locale& l) {
  Value v;
  v.text = expand(pattern, [&](std::string_view slot) -> std::string {
    auto plant = [&](Detector d, std::string kind, std::string text) {
      v.planted.push_back({d, std::move(kind), text, {}, {}});
      return text;
    };
    if (slot == "email") return plant(Detector::email, "email", email(r, l));
    if (slot == "phone") return plant(Detector::phone, "phone.national", phone(r, l.country, false));
    if (slot == "mobile") return plant(Detector::phone, "phone.e164", phone(r, l.country, true));
    if (slot == "card") return plant(Detector::card, "card", card(r));
    if (slot == "iban") return plant(Detector::iban, "iban", iban(r, l.country));
    if (slot == "ip") return plant(Detector::ipv4, "ipv4", ipv4(r));
    if (slot == "ipv6") return plant(Detector::ipv6, "ipv6", ipv6(r));
    if (slot == "mac") return plant(Detector::mac, "mac", mac(r));
    if (slot == "aws") return plant(Detector::aws_access_key, "aws_access_key", aws_key(r));
    if (slot == "google") return plant(Detector::google_api_key, "google_api_key", google_key(r));
    if (slot == "github") return plant(Detector::github_token, "github_token", github_token(r));
    if (slot == "slack") return plant(Detector::slack_token, "slack_token", slack_token(r));
    if (slot == "jwt") return plant(Detector::jwt, "jwt", jwt(r, l));
    if (slot == "url") {
      v.planted.push_back(url_with_credentials(r));
      return v.planted.back().text;
    }
    if (slot == "order") return r.chance(0.5) ? order_ref(r) : "#" + r.number(r.between(5, 8));
    if (slot == "date") return date_between(r, l.dob_format, 2023, 2025);
    if (slot == "version") return semver(r);
    if (slot == "amount") return amount(r, l);
    if (slot == "uuid") return uuid(r);
    if (slot == "ms") return std::to_string(r.between(3, 900));
    throw std::logic_error("unknown slot " + std::string(slot));
  });
  return v;
}

ColumnPlan free_text(std::string name, const Names& personal, const Names& clean, const Locale& l) {
  ColumnPlan plan{std::move(name), "free_text", Role::free_text, {}, {}, 0.08, false, {}};
  plan.make = [&personal, &clean, &l](Rng& r) {
    return fill(r.chance(0.6) ? r.pick(personal) : r.pick(clean), r, l);
  };
  return plan;
}

// A pivoted export: one column per contact, named by the contact's email address.
ColumnPlan email_header(Rng& r, const Locale& l) {
  const std::string address = email(r, l);
  ColumnPlan plan{address, "email.header", Role::sensitive_header, Detector::email, {}, 0.1, true, {}};
  plan.header = Planted{Detector::email, "email.header", address, {}, {}};
  plan.make = [](Rng& g) { return Value{std::to_string(g.between(0, 40)), {}}; };
  return plan;
}

struct TechKind {
  std::string_view kind;
  Detector detector;
  Names names;  // some say what the column holds, some (ci_variable) do not
};

const std::vector<TechKind>& tech_kinds() {
  static const std::vector<TechKind> kinds = {
      {"ipv6", Detector::ipv6, {"ipv6_address", "client_ipv6", "last_login_ipv6"}},
      {"mac", Detector::mac, {"mac_address", "device_mac", "wifi_mac"}},
      {"url_credentials",
       Detector::url_credentials,
       {"db_url", "connection_string", "webhook_url", "backup_target"}},
      {"aws_access_key", Detector::aws_access_key, {"aws_access_key_id", "iam_access_key", "ci_variable"}},
      {"google_api_key", Detector::google_api_key, {"google_api_key", "maps_api_key", "integration_value"}},
      {"github_token", Detector::github_token, {"github_token", "gh_token", "ci_credential"}},
      {"slack_token", Detector::slack_token, {"slack_token", "slack_bot_token", "notify_with"}},
      {"jwt", Detector::jwt, {"session_jwt", "id_token", "bearer"}},
      {"private_key", Detector::private_key, {"ssh_private_key", "tls_key", "deploy_key"}},
      {"secret", Detector::secret, {}},  // named in the locale's language
  };
  return kinds;
}

ColumnPlan tech_column(const TechKind& t, std::string name, const Locale& l) {
  const Locale* loc = &l;
  switch (t.detector) {
    case Detector::ipv6:
      return whole(std::move(name), "ipv6", t.detector, ipv6);
    case Detector::mac:
      return whole(std::move(name), "mac", t.detector, mac);
    case Detector::url_credentials:
      return whole(std::move(name), "url_credentials", t.detector,
                   std::function<Planted(Rng&)>(url_with_credentials));
    case Detector::aws_access_key:
      return whole(std::move(name), "aws_access_key", t.detector, aws_key);
    case Detector::google_api_key:
      return whole(std::move(name), "google_api_key", t.detector, google_key);
    case Detector::github_token:
      return whole(std::move(name), "github_token", t.detector, github_token);
    case Detector::slack_token:
      return whole(std::move(name), "slack_token", t.detector, slack_token);
    case Detector::jwt:
      return whole(std::move(name), "jwt", t.detector, [loc](Rng& r) { return jwt(r, *loc); });
    case Detector::private_key:
      return whole(std::move(name), "private_key", t.detector, std::function<Planted(Rng&)>(private_key));
    default:
      return whole(std::move(name), "secret", Detector::secret, generic_secret);
  }
}

// One customer table of a locale: people, contact data, payment data, three kinds of keys or
// device data (rotating over the tables), free text, a header that is an email, and decoys.
//
// Column names: each list of spellings is walked one step per round from a start the seed picks,
// so `rounds` rounds use every spelling of the lists that have no more than `rounds` of them.
std::vector<ColumnPlan> locale_plan(const Locale& l, std::size_t index, Rng& r, std::uint64_t seed,
                                    int round) {
  const ColumnNames& n = *l.columns;
  const Locale* loc = &l;
  auto name = [&](const Names& options) {
    std::uint64_t start = seed;
    for (char c : options.front())
      start = (start ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;  // FNV-1a
    return std::string(options[(start + static_cast<std::uint64_t>(round)) % options.size()]);
  };
  std::vector<ColumnPlan> p;

  p.push_back(whole(name(n.first_name), "person_name.first", Detector::person_name,
                    [loc](Rng& g) { return person_name(g, *loc, "first"); }));
  p.push_back(whole(name(n.last_name), "person_name.last", Detector::person_name,
                    [loc](Rng& g) { return person_name(g, *loc, "last"); }));
  if (index % 2 == 0 || l.tag == "en-AU" || l.tag == "ja-JP") {
    // en-AU's is just "name" (the name alone does not say it is a person's); ja-JP's is in Japanese.
    const std::string column = l.tag == "en-AU" ? "name" : l.tag == "ja-JP" ? "氏名" : name(n.full_name);
    p.push_back(whole(column, "person_name.full", Detector::person_name,
                      [loc](Rng& g) { return person_name(g, *loc, "full"); }));
  }
  p.push_back(whole(name(n.email), "email", Detector::email, [loc](Rng& g) { return email(g, *loc); }));
  p.push_back(whole(name(n.phone), "phone.national", Detector::phone, [loc](Rng& g) {
    return phone(g, loc->country == "US" && g.chance(0.2) ? "CA" : loc->country, false);
  }));
  p.push_back(whole(name(n.mobile), "phone.e164", Detector::phone,
                    [loc](Rng& g) { return phone(g, loc->country, true); }));
  const std::string dob_format(r.chance(0.3) ? "%Y-%m-%d" : l.dob_format);
  p.push_back(whole(name(n.dob), "date_of_birth", Detector::date_of_birth,
                    [dob_format](Rng& g) { return date_between(g, dob_format, 1935, 2006); }));
  p.push_back(whole(name(n.address), "address", Detector::address, l.address));
  if (l.country == "US") {
    p.push_back(whole(name(national_id_columns("US")), "ssn", Detector::ssn, ssn, {Detector::national_id}));
  } else {
    for (std::string_view country : l.country == "GB" ? Names{"GB", "PL"} : Names{l.country}) {
      const std::string c(country);
      p.push_back(
          whole(name(national_id_columns(country)), "national_id", Detector::national_id, [c](Rng& g) {
            auto [text, kind] = national_id(g, c);
            return Planted{Detector::national_id, kind, text, {}, {}};
          }));
    }
  }
  p.push_back(whole(name(n.iban), "iban", Detector::iban, [loc](Rng& g) {
    return iban(g,
                loc->country == "US" || loc->country == "JP" || loc->country == "IN" || loc->country == "AU"
                    ? std::string_view("XX")
                    : loc->country);
  }));
  p.push_back(whole(name(n.card), "card", Detector::card, card));
  p.push_back(whole(name(n.ip), "ipv4", Detector::ipv4, ipv4));
  for (std::size_t k = 0; k < 3; ++k) {
    const auto& t = tech_kinds()[(3 * index + k) % tech_kinds().size()];
    p.push_back(tech_column(t, name(t.names.empty() ? n.secret : t.names), l));
  }
  std::vector<std::string_view> notes(n.notes.begin(), n.notes.end());
  r.shuffle(notes);
  p.push_back(free_text(std::string(notes[0]), *l.notes, *l.clean_notes, l));
  p.push_back(free_text(std::string(notes[1]), *l.notes, *l.clean_notes, l));
  p.push_back(email_header(r, l));

  p.push_back(decoy(name(n.order_id), "order_id", order_number));
  p.push_back(decoy(name(n.order_ref), "order_ref", order_ref));
  p.push_back(decoy(name({"imei", "device_imei", "IMEI"}), "imei", imei));
  if (r.chance(0.35)) {
    p.push_back(decoy("firmware_version", "version.dotted", dotted_version));
  } else {
    p.push_back(decoy(name({"app_version", "version"}), "version.semver", semver));
  }
  p.push_back(decoy(name({"os_build", "build"}), "version.build", build_number));
  p.push_back(decoy(name(n.created_at), "timestamp.iso", iso_timestamp));
  if (r.chance(0.5)) {
    p.push_back(decoy(name({"event_time", "last_seen", "ts"}), "timestamp.epoch_s", epoch_seconds));
  } else {
    p.push_back(decoy(name({"event_time_ms", "last_seen_ms", "ts_ms"}), "timestamp.epoch_ms", epoch_millis));
  }
  p.push_back(decoy(name({"sku", "product_code", "item_code"}), "sku", sku));
  p.push_back(decoy(name({"ean", "barcode", "gtin"}), "ean13", ean13));
  p.push_back(decoy(name(n.quantity), "quantity", [](Rng& g) { return std::to_string(g.between(1, 250)); }));
  p.push_back(decoy(name(n.price), "price", [loc](Rng& g) { return price(g, *loc); }));
  p.push_back(decoy(name(n.city), "city", [loc](Rng& g) { return std::string(g.pick(loc->cities)); }));
  p.push_back(decoy(name(n.status), "status", status));
  std::vector<ColumnPlan> extra;
  extra.push_back(decoy(name(n.customer_id), "customer_id", [](Rng& g) {
    return g.chance(0.5) ? "C" + g.digits(6) : std::to_string(g.between(100000, 999999));
  }));
  extra.push_back(decoy(name({"request_id", "uuid"}), "uuid", uuid));
  extra.push_back(decoy(name({"checksum", "sha256"}), "sha256", sha256));
  extra.push_back(decoy(name({"shift_start", "pickup_time"}), "clock_time", clock_time));
  extra.push_back(decoy(name({"user_agent", "browser"}), "user_agent", user_agent));
  extra.push_back(decoy(name({"country", "country_code"}), "country", [loc](Rng& g) {
    return g.chance(0.9) ? std::string(loc->country) : std::string("DE");
  }));
  r.shuffle(extra);
  // en-GB's products sit in a column called just "name": a product's, not a person's.
  extra.insert(extra.begin(),
               decoy(l.tag == "en-GB" ? std::string("name") : name(n.product), "product_name", product_name));
  for (std::size_t k = 0; k < 2; ++k) p.push_back(std::move(extra[k]));

  // Exports order their columns every which way; so does the corpus.
  r.shuffle(p);
  return p;
}

// An application's event log as JSON Lines, flattened to dotted keys by ingest: sessions, devices,
// credentials and integrations, people from every locale, and log messages with data inside.
std::vector<ColumnPlan> events_plan(Rng& r) {
  static const Names log_personal = {
      "Failed login for {email} from {ip}",
      "Connecting to {url}",
      "GET /api/v1/orders/{order} 200 from {ipv6}",
      "export AWS_ACCESS_KEY_ID={aws}",
      "Authorization: Bearer {jwt}",
      "CI used token {github} for job {uuid}",
      "Slack auth with {slack} rejected: invalid_auth",
      "Maps request with key={google} over quota",
      "Device {mac} joined from {ip}",
      "Password reset link sent to {email}",
  };
  static const Names log_clean = {
      "Cache warmed in {ms} ms",
      "Deployed build {version} to eu-west-1",
      "Job {uuid} finished in {ms} ms",
      "Health check ok ({ms} ms)",
      "Rate limit 1000/min reached for tenant 42",
  };
  auto any = [](Rng& g) -> const Locale& { return g.pick(locales()); };
  std::vector<ColumnPlan> p;
  p.push_back(decoy("event.id", "uuid", uuid));
  p.push_back(decoy("event.time", "timestamp.iso", iso_timestamp));
  p.push_back(decoy("event.ts_ms", "timestamp.epoch_ms", epoch_millis, true));
  p.push_back(decoy("event.type", "status", [](Rng& g) {
    return std::string(g.pick({"login", "logout", "purchase", "password_reset", "api_call"}));
  }));
  p.push_back(decoy(
      "user.id", "customer_id", [](Rng& g) { return std::to_string(g.between(1, 9999999)); }, true));
  p.push_back(whole("user.email", "email", Detector::email, [any](Rng& g) { return email(g, any(g)); }));
  p.push_back(whole("user.full_name", "person_name.full", Detector::person_name,
                    [any](Rng& g) { return person_name(g, any(g), "full"); }));
  p.push_back(whole("user.phone", "phone.e164", Detector::phone,
                    [any](Rng& g) { return phone(g, any(g).country, true); }));
  p.push_back(whole("user.birth_date", "date_of_birth", Detector::date_of_birth,
                    [](Rng& g) { return date_between(g, "%Y-%m-%d", 1940, 2006); }));
  p.push_back(
      whole("user.address", "address", Detector::address, [any](Rng& g) { return any(g).address(g); }));
  p.push_back(whole("client.ip", "ipv4", Detector::ipv4, ipv4));
  p.push_back(whole("client.ipv6", "ipv6", Detector::ipv6, ipv6));
  p.push_back(decoy("client.user_agent", "user_agent", user_agent));
  p.push_back(whole("device.mac", "mac", Detector::mac, mac));
  p.push_back(decoy("device.imei", "imei", imei));
  p.push_back(decoy("app.version", "version.semver", semver));
  p.push_back(decoy("os.build", "version.build", build_number));
  const Locale& en = locale("en-US");
  for (const auto& t : tech_kinds()) {
    static const std::map<std::string_view, std::string_view> keys = {
        {"url_credentials", "db.url"},
        {"aws_access_key", "integrations.aws_access_key_id"},
        {"google_api_key", "integrations.maps_key"},
        {"github_token", "auth.github_token"},
        {"slack_token", "integrations.slack"},
        {"jwt", "auth.jwt"},
        {"private_key", "deploy.private_key"},
        {"secret", "config.client_secret"}};
    if (const auto it = keys.find(t.kind); it != keys.end())
      p.push_back(tech_column(t, std::string(it->second), en));
  }
  p.push_back(whole("payment.card", "card", Detector::card, card));
  p.push_back(whole("payment.iban", "iban", Detector::iban, [](Rng& g) { return iban(g, "XX"); }));
  p.push_back(decoy("order.id", "order_id", order_number, true));
  p.push_back(decoy("order.sku", "sku", sku));
  p.push_back(decoy(
      "order.total", "price", [](Rng& g) { return price(g, locale("en-US")); }, true));
  p.push_back(decoy("geo.city", "city", [any](Rng& g) { return std::string(g.pick(any(g).cities)); }));
  ColumnPlan message{"message", "free_text", Role::free_text, {}, {}, 0.02, false, {}};
  message.make = [&en](Rng& g) {
    return fill(g.chance(0.65) ? g.pick(log_personal) : g.pick(log_clean), g, en);
  };
  p.push_back(std::move(message));
  // A JSON key that is itself an address: {"recipients": {"jane@example.com": "cc"}}.
  ColumnPlan recipients = email_header(r, en);
  recipients.name = "recipients." + recipients.name;
  recipients.make = [](Rng& g) { return Value{std::string(g.pick({"to", "cc", "bcc"})), {}}; };
  recipients.json_number = false;
  p.push_back(std::move(recipients));
  return p;
}

std::string shown(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return {};
  return boost::json::serialize(v);
}

// Builds the snapshot ingest would: values typed by ingest's own ColumnInference (a compact card
// number becomes a JSON integer, as it would from a CSV), a profile per column, 100 rows.
LabelledTable assemble(std::string name, std::string tag, proto::FileFormat format,
                       std::vector<ColumnPlan> plans, Rng& r, std::size_t rows = 100) {
  const bool json = format == proto::FileFormat::json;
  LabelledTable t;
  t.name = std::move(name);
  t.locale = std::move(tag);
  auto& snap = t.snapshot;
  snap.file_format = format;
  snap.sample_size = static_cast<std::int64_t>(rows);
  snap.total_rows = static_cast<std::int64_t>(rows) * r.between(20, 5000);
  snap.extraction_method = proto::ExtractionMethod::random;
  snap.seed = r.between64(1, std::int64_t{1} << 40);
  snap.rows.resize(rows);
  std::set<std::string> names;
  std::size_t bytes = 0;
  for (auto& plan : plans) {
    const std::string base = plan.name;
    for (int k = 2; !names.insert(plan.name).second; ++k) {
      plan.name = base;
      plan.name += '_';
      plan.name += std::to_string(k);
    }
    if (plan.header) plan.header->text = plan.name;
    std::vector<Value> values;
    std::vector<ingest::ValueKind> kinds;
    for (std::size_t i = 0; i < rows; ++i) {
      if (r.chance(plan.null_rate)) {
        values.push_back({json ? "null" : std::string(r.pick({"", "NA", "null", "N/A"})), {}});
        kinds.push_back(json ? ingest::ValueKind::null : ingest::ValueKind::text);
      } else {
        values.push_back(plan.make(r));
        kinds.push_back(!json              ? ingest::ValueKind::text
                        : plan.json_number ? ingest::ValueKind::number
                                           : ingest::ValueKind::string);
      }
    }
    ingest::ColumnInference inference;
    for (std::size_t i = 0; i < rows; ++i) inference.add(values[i].text, kinds[i]);
    const auto stats = inference.finish();
    proto::ColumnProfile profile;
    profile.name = plan.name;
    profile.type = std::string(ingest::to_string(stats.type));
    profile.null_count = static_cast<std::int64_t>(stats.null_count);
    profile.distinct_estimate = static_cast<std::int64_t>(stats.distinct_estimate);
    profile.min = stats.min;
    profile.max = stats.max;
    profile.date_format = stats.date_format;
    snap.schema[plan.name] = profile.type;
    snap.columns.push_back(std::move(profile));

    Column column{plan.name, plan.kind, plan.role, plan.expected, plan.header, {}};
    for (std::size_t i = 0; i < rows; ++i) {
      auto typed = inference.typed_value(values[i].text, kinds[i], stats);
      // Ingest may have typed a whole value: "+14155552671" is the number 14155552671 in the snapshot.
      const std::string text = shown(typed);
      for (auto& p : values[i].planted)
        if (p.text == values[i].text) p.text = text;
      snap.rows[i][plan.name] = std::move(typed);
      column.cells.push_back(std::move(values[i].planted));
      bytes += values[i].text.size() + 1;
    }
    t.columns.push_back(std::move(column));
  }
  snap.source = {"/data/" + t.name, static_cast<std::int64_t>(bytes / rows) * snap.total_rows, "utf-8",
                 json ? "JSON Lines" : "','-delimited, header row"};
  return t;
}

// Independent, well-mixed seeds per table (splitmix64).
std::uint64_t table_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<LabelledTable> make_corpus(std::uint64_t seed, int rounds) {
  std::vector<LabelledTable> corpus;
  std::uint64_t index = 0;
  for (int round = 1; round <= rounds; ++round) {
    const std::string suffix = round == 1 ? "" : "." + std::to_string(round);
    std::size_t position = 0;
    for (const auto& l : locales()) {
      Rng r(table_seed(seed, index++));
      corpus.push_back(assemble(std::string(l.table) + "_" + std::string(l.tag) + suffix + ".csv",
                                std::string(l.tag), proto::FileFormat::csv,
                                locale_plan(l, position++, r, seed, round), r));
    }
    Rng r(table_seed(seed, index++));
    corpus.push_back(
        assemble("events" + suffix + ".jsonl", "mixed", proto::FileFormat::json, events_plan(r), r));
  }
  return corpus;
}

LabelledTable make_wide_table(std::uint64_t seed, std::size_t columns) {
  Rng r(table_seed(seed, 1000));
  auto plans = locale_plan(locale("de-DE"), 2, r, seed, 0);
  for (auto& p : locale_plan(locale("en-US"), 0, r, seed, 0)) plans.push_back(std::move(p));
  for (auto& p : locale_plan(locale("fr-FR"), 3, r, seed, 0)) plans.push_back(std::move(p));
  r.shuffle(plans);
  plans.resize(std::min(columns, plans.size()));
  return assemble("wide.csv", "mixed", proto::FileFormat::csv, std::move(plans), r);
}

// ---- scoring --------------------------------------------------------------------------------------

CorpusStats corpus_stats(const std::vector<LabelledTable>& corpus) {
  CorpusStats s;
  s.tables = corpus.size();
  auto count = [&](const Planted& p) {
    ++s.planted;
    s.kinds.insert(p.kind);
    s.detectors.insert(p.detector);
    if (p.detector == Detector::card) s.planted_cards.push_back(p.text);
    if (p.detector == Detector::iban) s.planted_ibans.push_back(p.text);
  };
  for (const auto& t : corpus) {
    s.locales.insert(t.locale);
    for (const auto& c : t.columns) {
      if (c.role == Role::decoy) ++s.decoy_columns;
      if (c.header) {
        ++s.labelled_cells;
        count(*c.header);
      }
      for (const auto& cell : c.cells) {
        ++s.cells;
        if (!cell.empty()) ++s.labelled_cells;
        for (const auto& p : cell) count(p);
      }
    }
  }
  return s;
}

namespace {

// The detectors whose placeholders ("<EMAIL_3>", "<EMAIL_3 domain=example.com>") appear in a text.
std::set<Detector> placeholders(std::string_view text) {
  std::set<Detector> out;
  for (auto i = text.find('<'); i != std::string_view::npos; i = text.find('<', i + 1)) {
    auto j = i + 1;
    while (j < text.size() && (std::isupper(static_cast<unsigned char>(text[j])) ||
                               std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '_')) {
      ++j;
    }
    if (j >= text.size() || (text[j] != '>' && text[j] != ' ')) continue;
    const auto body = text.substr(i + 1, j - i - 1);
    const auto underscore = body.rfind('_');
    if (underscore == std::string_view::npos || underscore + 1 == body.size() ||
        !std::all_of(body.begin() + static_cast<std::ptrdiff_t>(underscore) + 1, body.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      continue;
    }
    for (Detector d : privacy::all_detectors())
      if (privacy::label(d) == body.substr(0, underscore)) out.insert(d);
  }
  return out;
}

// Whether `needle` is still in `out`, as written or in a normal form: lower case, without spaces,
// or (for long numbers) the same digits written with other separators.
bool survives(std::string_view needle, std::string_view out) {
  if (needle.empty()) return false;
  if (contains(out, needle) || contains(lower(out), lower(needle)) ||
      contains(without_space(out), without_space(needle))) {
    return true;
  }
  const std::string digits = digits_of(needle);
  if (digits.size() < 7) return false;
  // Runs of digits and the separators numbers are written with; a placeholder ends a run.
  std::string run;
  for (std::size_t i = 0; i <= out.size(); ++i) {
    const char c = i < out.size() ? out[i] : '\0';
    if (c != '\0' && (std::isdigit(static_cast<unsigned char>(c)) ||
                      std::string_view(" -./()+").find(c) != std::string_view::npos)) {
      run += c;
    } else {
      if (contains(digits_of(run), digits)) return true;
      run.clear();
    }
  }
  return false;
}

bool masked(const Planted& p, std::string_view out, std::string_view labels_from,
            std::string_view names = {}) {
  const std::string_view haystack = names.empty() ? out : names;
  if (survives(p.text, haystack)) return false;
  for (const auto& f : p.fragments)
    if (survives(f, haystack)) return false;
  const auto labels = placeholders(labels_from);
  if (labels.count(p.detector)) return true;
  return std::any_of(p.also.begin(), p.also.end(), [&](Detector d) { return labels.count(d) > 0; });
}

std::string excerpt(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 90)) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  if (text.size() > 90) out += "...";
  return out;
}

void example(std::vector<std::string>& into, std::string what) {
  if (into.size() < 8) into.push_back(std::move(what));
}

DetectorScore& score(QualityReport& report, Detector d) {
  return report.detectors[static_cast<std::size_t>(d)];
}

// Scores one cell (or one column name): per detector planted there, masked or missed; per
// placeholder there that nothing planted calls for, a false positive.
void score_cell(QualityReport& report, const std::string& where, const std::vector<Planted>& planted,
                std::string_view out, std::string_view names = {}) {
  std::set<Detector> labelled, accepted;
  for (const auto& p : planted) {
    labelled.insert(p.detector);
    accepted.insert(p.detector);
    accepted.insert(p.also.begin(), p.also.end());
  }
  for (Detector d : labelled) {
    auto& s = score(report, d);
    ++s.labelled;
    const Planted* missed = nullptr;
    for (const auto& p : planted)
      if (p.detector == d && !masked(p, out, out, names)) missed = &p;
    if (missed == nullptr) {
      ++s.tp;
    } else {
      ++s.fn;
      example(s.missed, where + " [" + missed->kind + "]: \"" + excerpt(missed->text) + "\" -> \"" +
                            excerpt(out) + "\"");
    }
  }
  for (Detector d : placeholders(out)) {
    if (accepted.count(d)) continue;
    auto& s = score(report, d);
    ++s.fp;
    example(s.false_hits, where + ": \"" + excerpt(out) + "\"");
  }
}

// The output key of each of the table's columns: its own name where the sanitizer kept it, else
// the renamed keys in order (headers that are personal data come out renamed, in place).
std::vector<std::optional<std::string>> output_keys(const LabelledTable& t, const boost::json::object& row) {
  std::set<std::string> names;
  for (const auto& c : t.columns) names.insert(c.name);
  std::vector<std::string> renamed;
  for (const auto& kv : row)
    if (!names.count(std::string(kv.key()))) renamed.emplace_back(kv.key());
  std::vector<std::optional<std::string>> keys;
  std::size_t next = 0;
  for (const auto& c : t.columns) {
    if (row.contains(c.name)) {
      keys.emplace_back(c.name);
    } else if (next < renamed.size()) {
      keys.emplace_back(renamed[next++]);
    } else {
      keys.emplace_back();
    }
  }
  return keys;
}

void score_table(QualityReport& report, const LabelledTable& t, const proto::DataSnapshot& out) {
  // Everywhere a column name shows: a header that is an email must be gone from all of it.
  std::string names;
  for (const auto& row : out.rows)
    for (const auto& kv : row) names += std::string(kv.key()) + "\n";
  for (const auto& [k, v] : out.schema) names += k + "\n";
  for (const auto& c : out.columns) names += c.name + "\n";
  for (const auto& f : out.sanitized_fields) names += f.field + "\n";
  if (out.stratify_by) names += *out.stratify_by;

  std::map<std::string, std::set<std::string>> listed;
  for (const auto& f : out.sanitized_fields) listed[f.field].insert(f.detector);

  const auto keys = out.rows.empty() ? std::vector<std::optional<std::string>>(t.columns.size())
                                     : output_keys(t, out.rows.front());
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    const Column& column = t.columns[c];
    const std::string where = t.name + " / " + column.name;
    const std::string key = keys[c].value_or("");
    score_cell(report, where + " (column name)",
               column.header ? std::vector<Planted>{*column.header} : std::vector<Planted>{}, key,
               column.header ? std::string_view(names) : std::string_view());

    for (std::size_t r = 0; r < column.cells.size(); ++r) {
      std::string text;
      if (r < out.rows.size() && keys[c]) {
        if (const auto* v = out.rows[r].if_contains(*keys[c])) text = shown(*v);
      }
      score_cell(report, where + " [row " + std::to_string(r + 1) + "]", column.cells[r], text);
    }

    const auto it = listed.find(column.name);
    if (column.role == Role::decoy) {
      ++report.decoy_columns;
      if (it != listed.end()) {
        std::string detectors;
        for (const auto& d : it->second) detectors += (detectors.empty() ? "" : ", ") + d;
        report.flagged_decoys.push_back(where + " (" + column.kind + ") as " + detectors);
      }
    }
    if (column.role == Role::personal && column.expected) {
      ++report.personal_columns;
      std::set<std::string> accepted = {std::string(privacy::name(*column.expected))};
      for (const auto& cell : column.cells)
        for (const auto& p : cell)
          for (Detector d : p.also) accepted.insert(std::string(privacy::name(d)));
      const bool ok =
          it != listed.end() && std::any_of(it->second.begin(), it->second.end(),
                                            [&](const std::string& d) { return accepted.count(d) > 0; });
      if (ok) {
        ++report.personal_columns_listed;
      } else {
        std::string got = "nothing";
        if (it != listed.end()) {
          got.clear();
          for (const auto& d : it->second) got += (got.empty() ? "" : ", ") + d;
        }
        report.unlisted_personal.push_back(where + " (" + column.kind + "): listed as " + got);
      }
      // The profile keeps min and max for numbers and dates: values of the column themselves.
      const auto& in = t.snapshot.columns[c];
      for (const auto& profile : out.columns) {
        if (profile.name != key) continue;
        if ((in.min && profile.min == in.min) || (in.max && profile.max == in.max)) {
          report.statistics_leaks.push_back(where + ": min " + in.min.value_or("-") + ", max " +
                                            in.max.value_or("-"));
        }
      }
    }
  }
}

}  // namespace

QualityReport evaluate(const std::vector<LabelledTable>& corpus, const privacy::Sanitizer& sanitizer) {
  QualityReport report;
  for (const auto& t : corpus) {
    privacy::Vault vault;
    try {
      const auto sanitized = sanitizer.sanitize(t.snapshot, vault);
      score_table(report, t, sanitized.snapshot());
    } catch (const std::exception& e) {
      // Failing closed sends nothing, but it is not detection either: every planted datum counts as missed.
      report.errors.push_back(t.name + ": " + e.what());
      proto::DataSnapshot empty = t.snapshot;
      for (auto& row : empty.rows) row.clear();
      score_table(report, t, empty);
    }
  }
  return report;
}

double recall_bar(Detector d) {
  switch (d) {
    case Detector::card:
    case Detector::iban:
    case Detector::email:
    case Detector::ipv4:
    case Detector::ipv6:
    case Detector::aws_access_key:
    case Detector::google_api_key:
    case Detector::github_token:
    case Detector::slack_token:
    case Detector::jwt:
    case Detector::private_key:
      return 0.99;
    case Detector::phone:
      return 0.95;
    default:
      return 0.0;
  }
}

std::string format_report(const QualityReport& report) {
  std::ostringstream out;
  char line[200];
  std::snprintf(line, sizeof line, "%-16s %9s %7s %6s %6s %10s %8s  %s\n", "detector", "labelled", "TP", "FP",
                "FN", "precision", "recall", "bar");
  out << line;
  std::size_t labelled = 0;
  for (Detector d : privacy::all_detectors()) {
    const auto& s = report[d];
    labelled += s.labelled;
    const double bar = recall_bar(d);
    std::string verdict = "-";
    if (bar > 0)
      verdict = (bar == 0.99 ? ">=0.99 " : ">=0.95 ") + std::string(s.recall() >= bar ? "ok" : "FAILED");
    std::snprintf(line, sizeof line, "%-16s %9zu %7zu %6zu %6zu %10.3f %8.3f  %s\n",
                  std::string(privacy::name(d)).c_str(), s.labelled, s.tp, s.fp, s.fn, s.precision(),
                  s.recall(), verdict.c_str());
    out << line;
  }
  std::snprintf(line, sizeof line, "%zu labelled cells\n", labelled);
  out << line;
  std::snprintf(line, sizeof line, "decoy columns flagged: %zu of %zu (%.2f%%, bar <= %.0f%%) %s\n",
                report.flagged_decoys.size(), report.decoy_columns,
                100.0 * report.decoy_false_positive_rate(), 100.0 * kDecoyColumnBar,
                report.decoy_false_positive_rate() <= kDecoyColumnBar ? "ok" : "FAILED");
  out << line;
  for (const auto& f : report.flagged_decoys) out << "  " << f << "\n";
  out << "personal columns listed in sanitized_fields with the expected detector: "
      << report.personal_columns_listed << " of " << report.personal_columns << "\n";
  for (const auto& u : report.unlisted_personal) out << "  " << u << "\n";
  out << "masked personal columns whose min/max statistics came through: " << report.statistics_leaks.size()
      << "\n";
  for (const auto& l : report.statistics_leaks) out << "  " << l << "\n";
  for (const auto& e : report.errors) out << "sanitizer error: " << e << "\n";
  for (Detector d : privacy::all_detectors()) {
    const auto& s = report[d];
    if (!s.missed.empty()) {
      out << "missed " << privacy::name(d) << " (" << s.fn << "), e.g.:\n";
      for (const auto& m : s.missed) out << "  " << m << "\n";
    }
    if (!s.false_hits.empty()) {
      out << "false " << privacy::name(d) << " (" << s.fp << "), e.g.:\n";
      for (const auto& m : s.false_hits) out << "  " << m << "\n";
    }
  }
  return out.str();
}

}  // namespace gdp::test::pii
