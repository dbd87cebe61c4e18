#include "daemon/store/sqlite.h"

#include "common/errors.h"

#include <utility>

namespace gdp::store {

namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  std::string message = "the project's context store failed (" + std::string(what) + "): ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (db != nullptr) {
    if (const char* file = sqlite3_db_filename(db, "main"); file != nullptr && *file != '\0') {
      message += " [";
      message += file;
      message += "]";
    }
  }
  throw RpcError(ErrorCode::Transaction, message,
                 {{"sqlite_code", rc}, {"sqlite_error", sqlite3_errstr(rc)}});
}

}  // namespace

Database::Database(const std::filesystem::path& file, bool create) : file_(file) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // sqlite3_open_v2 hands back a handle even on failure, to carry the message.
    std::string message =
        "cannot open " + file.string() + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw RpcError(ErrorCode::Transaction, message, {{"sqlite_code", rc}});
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), file_(std::move(other.file_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    file_ = std::move(other.file_);
  }
  return *this;
}

void Database::check(int rc, std::string_view what, int ok_a, int ok_b) const {
  if (rc != ok_a && rc != ok_b) fail(db_, rc, what);
}

void Database::exec(std::string_view sql) {
  std::string owned(sql);
  check(sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, nullptr), sql.substr(0, 60));
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr), sql.substr(0, 60));
  return {*this, stmt};
}

std::int64_t Database::scalar(std::string_view sql) {
  Statement stmt = prepare(sql);
  return stmt.step() ? stmt.integer(0) : 0;
}

std::string Database::text_scalar(std::string_view sql) {
  Statement stmt = prepare(sql);
  return stmt.step() ? stmt.text(0) : std::string();
}

Statement& Statement::bind(int index, std::int64_t value) {
  db_->check(sqlite3_bind_int64(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  db_->check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
             "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  db_->check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT), "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  db_->check(sqlite3_bind_null(stmt_, index), "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  db_->check(rc, sqlite3_sql(stmt_), SQLITE_ROW, SQLITE_DONE);
  return rc == SQLITE_ROW;
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
                      : std::string();
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::string Statement::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p != nullptr ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

Transaction::Transaction(Database& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace gdp::store
