#include "drivers/mysql/mysql_move.h"

#include <fmt/format.h>

#include "util/log.h"

namespace migrate::mysql {

Result<std::optional<std::vector<std::string>>> prepare_move(st_mysql* conn,
                                                             const std::string& from) {
  std::string schema = quote_literal(conn, from);
  auto tables =
      query(conn,
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + schema +
                " AND TABLE_TYPE <> 'VIEW' ORDER BY 1",
            "list the staged tables");
  if (!tables) return tl::unexpected(tables.error());
  std::string qualifier = quote_identifier(from) + ".";
  std::vector<std::string> names;
  for (const auto& row : *tables) {
    std::string name = row[0].value_or("");
    auto shown = query(conn, "SHOW CREATE TABLE " + qualifier + quote_identifier(name),
                       "read a staged table's definition");
    if (!shown) return tl::unexpected(shown.error());
    if (!shown->empty() && shown->front()[1].value_or("").find(qualifier) != std::string::npos) {
      log::debug(fmt::format("restore: table '{}' names its database; replaying instead", name));
      return std::optional<std::vector<std::string>>();
    }
    names.push_back(std::move(name));
  }
  auto triggers = query(conn,
                        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE "
                        "TRIGGER_SCHEMA = " +
                            schema,
                        "list the staged triggers");
  if (!triggers) return tl::unexpected(triggers.error());
  for (const auto& row : *triggers) {
    if (auto r = exec(conn, "DROP TRIGGER " + qualifier + quote_identifier(row[0].value_or("")),
                      "drop a staged trigger");
        !r)
      return tl::unexpected(r.error());
  }
  return std::optional<std::vector<std::string>>(std::move(names));
}

namespace {

// "a.x TO b.x" for each of `tables`, comma separated, appended to `sql`.
void append_renames(std::string& sql, const std::string& from, const std::string& to,
                    const std::vector<std::string>& tables) {
  for (const auto& name : tables) {
    sql +=
        fmt::format("{}{}.{} TO {}.{}", sql.ends_with("TABLE ") ? "" : ", ", quote_identifier(from),
                    quote_identifier(name), quote_identifier(to), quote_identifier(name));
  }
}

}  // namespace

Result<void> move_tables(st_mysql* conn, const std::string& from, const std::string& to,
                         const std::vector<std::string>& tables) {
  if (tables.empty()) return {};
  std::string sql = "RENAME TABLE ";
  append_renames(sql, from, to, tables);
  return exec(conn, sql, "move the restored tables into the database");
}

Result<void> swap_tables(st_mysql* conn, const std::string& live, const std::string& trash,
                         const std::string& from, const std::vector<std::string>& tables) {
  auto rows = query(conn,
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                        quote_literal(conn, live) + " AND TABLE_TYPE <> 'VIEW' ORDER BY 1",
                    "list the database's tables");
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::string> old;
  for (const auto& row : *rows) old.push_back(row[0].value_or(""));
  if (old.empty() && tables.empty()) return {};
  std::string sql = "RENAME TABLE ";
  append_renames(sql, live, trash, old);
  append_renames(sql, from, live, tables);
  return exec(conn, sql, "swap the restored tables into the database");
}

}  // namespace migrate::mysql
