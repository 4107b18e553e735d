#include "drivers/tracking_rows.h"

#include <fmt/format.h>

namespace migrate {
namespace {

tl::unexpected<Error> sql_failure(std::string_view what, const std::exception& e) {
  return fail(ErrorCode::kSql, fmt::format("{}: {}", what, e.what()));
}

// `column` when the table has it, else a constant of the same type.
std::string column_or(const std::set<std::string>& columns, const std::string& column,
                      std::string_view fallback) {
  return columns.count(column) ? fmt::format("coalesce({}, {})", column, fallback)
                               : std::string(fallback);
}

tl::unexpected<Error> no_version_column(std::string_view table) {
  return fail(ErrorCode::kRefused,
              fmt::format("table '{}' exists but has no 'version' column", table),
              "choose another tracking table with --table");
}

}  // namespace

Result<void> TrackingRows::create_or_adopt(
    const Columns& columns, std::string_view table, const std::string& create,
    const std::vector<std::pair<std::string, std::string>>& added,
    const std::function<std::string(const std::string&, const std::string&)>& add_column_sql,
    const std::function<Result<void>(const std::string&)>& run) {
  if (!columns) return run(create);
  if (!columns->count("version")) return no_version_column(table);
  // Adopting a dbmate/Rails table: add what is missing, keep the rows.
  for (const auto& [column, type] : added) {
    if (columns->count(column)) continue;
    if (auto r = run(add_column_sql(column, type)); !r) {
      return fail(ErrorCode::kSql, fmt::format("cannot add column '{}' to '{}': {}", column, table,
                                               r.error().message));
    }
  }
  return {};
}

Result<std::vector<AppliedMigration>> TrackingRows::read_if_exists(const Columns& columns) {
  if (!columns) return std::vector<AppliedMigration>{};
  if (!columns->count("version")) return no_version_column(table_);
  return read(*columns);
}

const std::vector<std::string>& TrackingRows::all_columns() {
  static const std::vector<std::string> columns = {"version",    "name",        "checksum", "batch",
                                                   "applied_at", "duration_ms", "backup_id"};
  return columns;
}

Result<std::vector<AppliedMigration>> TrackingRows::read(const std::set<std::string>& columns) {
  std::string query = fmt::format(
      "SELECT version, {}, {}, {}, {}, {}, {} FROM {}", column_or(columns, "name", "''"),
      column_or(columns, "checksum", "''"), column_or(columns, "batch", "0"),
      column_or(columns, "applied_at", "''"), column_or(columns, "duration_ms", "0"),
      column_or(columns, "backup_id", "''"), table_);
  try {
    std::vector<AppliedMigration> rows;
    AppliedMigration row;
    long long batch = 0, duration = 0;
    std::string backup_id;
    soci::statement st = (sql_.prepare << query, soci::into(row.version), soci::into(row.name),
                          soci::into(row.checksum), soci::into(batch), soci::into(row.applied_at),
                          soci::into(duration), soci::into(backup_id));
    st.execute();
    while (st.fetch()) {
      row.batch = batch;
      row.duration_ms = duration;
      row.backup_id = backup_id.empty() ? std::nullopt : std::optional<std::string>(backup_id);
      rows.push_back(row);
    }
    return rows;
  } catch (const std::exception& e) {
    return sql_failure(fmt::format("cannot read tracking table '{}'", table_), e);
  }
}

Result<void> TrackingRows::insert(const AppliedMigration& row) {
  try {
    if (!insert_) {
      insert_ = std::make_unique<soci::statement>(
          (sql_.prepare << fmt::format(
               "INSERT INTO {} (version, name, checksum, batch, applied_at, duration_ms, "
               "backup_id) VALUES (:version, :name, :checksum, :batch, :applied_at, "
               ":duration, :backup_id)",
               table_),
           soci::use(pending_.version), soci::use(pending_.name), soci::use(pending_.checksum),
           soci::use(pending_batch_), soci::use(pending_.applied_at), soci::use(pending_duration_),
           soci::use(pending_backup_id_, pending_backup_indicator_)));
    }
    pending_ = row;
    pending_batch_ = row.batch;
    pending_duration_ = row.duration_ms;
    pending_backup_id_ = row.backup_id.value_or("");
    pending_backup_indicator_ = row.backup_id ? soci::i_ok : soci::i_null;
    insert_->execute(true);
    return {};
  } catch (const std::exception& e) {
    insert_.reset();
    return sql_failure(fmt::format("cannot record migration {} in '{}'", row.version, table_), e);
  }
}

Result<void> TrackingRows::remove(std::string_view version) {
  try {
    std::string v(version);
    sql_ << fmt::format("DELETE FROM {} WHERE version = :version", table_), soci::use(v);
    return {};
  } catch (const std::exception& e) {
    return sql_failure(fmt::format("cannot remove migration {} from '{}'", version, table_), e);
  }
}

}  // namespace migrate
