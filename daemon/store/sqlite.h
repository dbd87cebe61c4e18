// A thin RAII layer over the SQLite C API: a connection, prepared statements, and transactions
// that roll back unless committed. Every failure becomes RpcError(Transaction) carrying SQLite's
// own message and the statement that failed, so a store error says what went wrong and where.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gdp::store {

class Statement;

class Database {
 public:
  // Opens (creating when `create`) the file. busy_timeout lets two gdpd processes (a test's
  // daemon and a stray one) wait for each other instead of failing at once.
  Database(const std::filesystem::path& file, bool create);
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows of interest.
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  // The first column of the first row of a query that returns one value.
  std::int64_t scalar(std::string_view sql);
  std::string text_scalar(std::string_view sql);

  std::int64_t changes() const { return sqlite3_changes64(db_); }
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& file() const { return file_; }

  // Throws RpcError(Transaction) for a result code that is not `ok_a` or `ok_b`.
  void check(int rc, std::string_view what, int ok_a = SQLITE_OK, int ok_b = SQLITE_OK) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
};

// A prepared statement. bind() indexes from 1 as SQLite does; column() from 0.
class Statement {
 public:
  Statement(const Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Advances to the next row; false when there is none.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  void reset();

  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::string blob(int column) const;

 private:
  const Database* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE: takes the write lock at the start, so a transaction never fails half way
// because another writer got there first. Rolls back unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace gdp::store
