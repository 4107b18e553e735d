#include "support/sqlite_db.h"

#include <sqlite3.h>

#include <stdexcept>

namespace migrate::testing {
namespace {

struct Db {
  sqlite3* handle = nullptr;
  explicit Db(const std::filesystem::path& path) {
    if (sqlite3_open(path.c_str(), &handle) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path.string());
    sqlite3_busy_timeout(handle, 10000);
  }
  ~Db() { sqlite3_close(handle); }
};

}  // namespace

Rows query(const std::filesystem::path& db_path, const std::string& sql) {
  Db db(db_path);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.handle, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    throw std::runtime_error(sqlite3_errmsg(db.handle));
  Rows rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const unsigned char* text = sqlite3_column_text(stmt, i);
      row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db.handle));
  return rows;
}

std::string query_one(const std::filesystem::path& db, const std::string& sql) {
  auto rows = query(db, sql);
  if (rows.empty() || rows[0].empty()) throw std::runtime_error("no rows: " + sql);
  return rows[0][0];
}

std::vector<std::string> schema_objects(const std::filesystem::path& db) {
  std::vector<std::string> names;
  for (const auto& row : query(db,
                               "SELECT type || ':' || name FROM sqlite_master WHERE name NOT LIKE "
                               "'sqlite_%' ORDER BY 1"))
    names.push_back(row[0]);
  return names;
}

void exec(const std::filesystem::path& db_path, const std::string& sql) {
  Db db(db_path);
  char* message = nullptr;
  if (sqlite3_exec(db.handle, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "error";
    sqlite3_free(message);
    throw std::runtime_error(text);
  }
}

}  // namespace migrate::testing
