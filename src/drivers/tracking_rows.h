// Reading and writing tracking-table rows through SOCI: the part of the
// tracking table that is the same SQL on every database. Creating and
// adopting the table differ per database and stay in each driver.
#pragma once

#include <soci/soci.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/error.h"
#include "migrate/migration.h"

namespace migrate {

class TrackingRows {
 public:
  TrackingRows(soci::session& sql, std::string table) : sql_(sql), table_(std::move(table)) {}

  // Reads every row; `columns` are the columns the table has (an adopted
  // dbmate/Rails table may have only `version` until it is upgraded).
  Result<std::vector<AppliedMigration>> read(const std::set<std::string>& columns);
  Result<void> insert(const AppliedMigration& row);
  Result<void> remove(std::string_view version);

  // The columns README.md lists under "Tracking table", in order.
  static const std::vector<std::string>& all_columns();

  // Creates or adopts the table, given the columns it has now (nullopt: it
  // does not exist): `create` makes it; a table with `version` only (dbmate,
  // Rails) gets the missing ones of `added` (column, type) through
  // `add_column_sql(column, type)`; one without `version` is refused.
  using Columns = std::optional<std::set<std::string>>;
  static Result<void> create_or_adopt(
      const Columns& columns, std::string_view table, const std::string& create,
      const std::vector<std::pair<std::string, std::string>>& added,
      const std::function<std::string(const std::string&, const std::string&)>& add_column_sql,
      const std::function<Result<void>(const std::string&)>& run);
  // The rows, given the columns the table has: none when it does not exist.
  Result<std::vector<AppliedMigration>> read_if_exists(const Columns& columns);

 private:
  soci::session& sql_;
  std::string table_;
  // The INSERT is prepared once and reused: `up` records a row per migration.
  std::unique_ptr<soci::statement> insert_;
  AppliedMigration pending_;
  long long pending_batch_ = 0, pending_duration_ = 0;
  std::string pending_backup_id_;
  soci::indicator pending_backup_indicator_ = soci::i_null;
};

}  // namespace migrate
