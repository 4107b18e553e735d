// The SQLite driver's tracking table (created, or adopted from dbmate or
// Rails) and dropping every object (`fresh`).
#include <fmt/format.h>

#include <map>

#include "drivers/sqlite/sqlite_driver_impl.h"

namespace migrate::sqlite {
namespace {

using namespace sqlite_api;

std::string quote_identifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

Result<std::set<std::string>> SqliteDriver::tracking_columns() {
  std::set<std::string> columns;
  try {
    std::string name;
    soci::statement st = (session_->prepare << "SELECT name FROM pragma_table_info(:t)",
                          soci::use(options_.table), soci::into(name));
    st.execute();
    while (st.fetch()) columns.insert(name);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kSql,
                fmt::format("cannot inspect table '{}': {}", options_.table, e.what()));
  }
  return columns;
}

Result<void> SqliteDriver::ensure_tracking_table() {
  if (auto r = ready(Need::kWrite); !r) return r;
  auto columns = tracking_columns();
  if (!columns) return tl::unexpected(columns.error());
  if (columns->empty()) {
    return exec_native(fmt::format(
        "CREATE TABLE {} (version TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL DEFAULT '', "
        "checksum TEXT NOT NULL DEFAULT '', batch INTEGER NOT NULL DEFAULT 0, applied_at TEXT "
        "NOT NULL DEFAULT '', duration_ms INTEGER NOT NULL DEFAULT 0, backup_id TEXT)",
        options_.table));
  }
  if (!columns->count("version")) {
    return fail(ErrorCode::kRefused,
                fmt::format("table '{}' exists but has no 'version' column", options_.table),
                "choose another tracking table with --table");
  }
  // Adopting a dbmate/Rails table: add what is missing, keep the rows.
  static const std::map<std::string, std::string> kAddedColumns = {
      {"name", "TEXT NOT NULL DEFAULT ''"},          {"checksum", "TEXT NOT NULL DEFAULT ''"},
      {"batch", "INTEGER NOT NULL DEFAULT 0"},       {"applied_at", "TEXT NOT NULL DEFAULT ''"},
      {"duration_ms", "INTEGER NOT NULL DEFAULT 0"}, {"backup_id", "TEXT"}};
  for (const auto& [column, type] : kAddedColumns) {
    if (columns->count(column)) continue;
    auto r =
        exec_native(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", options_.table, column, type));
    if (!r) return r;
  }
  return {};
}

Result<std::vector<AppliedMigration>> SqliteDriver::applied_migrations() {
  if (auto r = ready(Need::kRead); !r) return tl::unexpected(r.error());
  auto columns = tracking_columns();
  if (!columns) return tl::unexpected(columns.error());
  if (columns->empty()) return std::vector<AppliedMigration>{};
  return rows_->read(*columns);
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteDriver::schema_objects() {
  std::vector<std::pair<std::string, std::string>> objects;
  try {
    std::string type, name;
    soci::statement st = (session_->prepare << "SELECT type, name FROM sqlite_master WHERE type IN "
                                               "('view', 'trigger', 'table') AND name NOT LIKE "
                                               "'sqlite_%' ORDER BY type = 'table', name",
                          soci::into(type), soci::into(name));
    st.execute();
    while (st.fetch()) objects.emplace_back(type, name);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kSql, fmt::format("cannot list schema objects: {}", e.what()));
  }
  return objects;
}

Result<void> SqliteDriver::drop_all_objects() {
  if (auto r = ready(Need::kWrite); !r) return r;
  auto objects = schema_objects();
  if (!objects) return tl::unexpected(objects.error());
  // Foreign keys would make the drop order matter. The pragma is a no-op
  // inside a transaction, so it is switched off around it and put back.
  int foreign_keys = 0;
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &foreign_keys);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, 0, nullptr);
  auto result = begin();
  for (size_t i = 0; result && i < objects->size(); ++i) {
    const auto& [type, name] = (*objects)[i];
    result = exec_native(fmt::format("DROP {} IF EXISTS {}", type, quote_identifier(name)));
    if (!result) {
      result = fail(ErrorCode::kSql,
                    fmt::format("cannot drop {} '{}': {}", type, name, result.error().message));
    }
  }
  if (result)
    result = commit();
  else
    (void)rollback();
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, foreign_keys, nullptr);
  return result;
}

}  // namespace migrate::sqlite
