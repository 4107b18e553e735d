#include "drivers/mysql/mysql_foreign_keys.h"

#include <fmt/format.h>

namespace migrate::mysql {
namespace {

// "foreign key `n` of table `t` in database `s` references table `r`", for each.
std::string describe(const std::vector<IncomingForeignKey>& keys) {
  std::string text;
  for (const auto& key : keys) {
    text += fmt::format("{}foreign key {} of table {} in database {} references table {}",
                        text.empty() ? "" : "; ", quote_identifier(key.name),
                        quote_identifier(key.table), quote_identifier(key.schema),
                        quote_identifier(key.referenced));
  }
  return text;
}

}  // namespace

Result<std::vector<IncomingForeignKey>> incoming_foreign_keys(st_mysql* conn,
                                                              const std::string& database) {
  std::string schema = quote_literal(conn, database);
  auto rows = query(conn,
                    "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME "
                    "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE "
                    "UNIQUE_CONSTRAINT_SCHEMA = " +
                        schema + " AND CONSTRAINT_SCHEMA <> " + schema + " ORDER BY 1, 2, 3",
                    "list the foreign keys of other databases that reference this one");
  if (!rows) return tl::unexpected(rows.error());
  std::vector<IncomingForeignKey> keys;
  for (const auto& row : *rows) {
    keys.push_back(IncomingForeignKey{row[0].value_or(""), row[1].value_or(""), row[2].value_or(""),
                                      row[3].value_or("")});
  }
  return keys;
}

Result<void> refuse_incoming_foreign_keys(st_mysql* conn, const std::string& database) {
  auto keys = incoming_foreign_keys(conn, database);
  if (!keys) return tl::unexpected(keys.error());
  if (keys->empty()) return {};
  const auto& first = keys->front();
  return fail(ErrorCode::kRefused,
              fmt::format("another database references this one's tables: {}; a restore "
                          "replaces those tables, and the key would follow the old ones or "
                          "point at rows the backup may not hold; the database was not changed",
                          describe(*keys)),
              fmt::format("drop that foreign key (ALTER TABLE {}.{} DROP FOREIGN KEY {}), "
                          "restore, then create it again",
                          quote_identifier(first.schema), quote_identifier(first.table),
                          quote_identifier(first.name)));
}

}  // namespace migrate::mysql
