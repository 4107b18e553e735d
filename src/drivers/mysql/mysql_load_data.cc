#include "drivers/mysql/mysql_load_data.h"

#include <fmt/format.h>
#include <mysql.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace migrate::mysql {
namespace {

// Types whose dumped text LOAD DATA stores as the INSERT stores the literal.
constexpr std::array<std::string_view, 22> kTextTypes = {
    "tinyint", "smallint", "mediumint", "int",       "bigint",     "decimal",  "float", "double",
    "char",    "varchar",  "tinytext",  "text",      "mediumtext", "longtext", "enum",  "set",
    "date",    "time",     "datetime",  "timestamp", "year",       "json"};
// Binary types, dumped as 0x... (--hex-blob) or '' when empty.
constexpr std::array<std::string_view, 6> kBinaryTypes = {"binary", "varbinary",  "tinyblob",
                                                          "blob",   "mediumblob", "longblob"};

bool one_of(std::string_view value, auto const& list) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The connector's LOAD DATA LOCAL callbacks, serving a ByteSource whatever
// file name the server asks for.
struct Infile {
  ByteSource* rows = nullptr;
  std::optional<Error> error;
};

int infile_init(void** state, const char*, void* userdata) {
  *state = userdata;
  return 0;
}

int infile_read(void* state, char* buffer, unsigned int size) {
  auto* infile = static_cast<Infile*>(state);
  auto n = infile->rows->read(buffer, size);
  if (!n) {
    infile->error = n.error();
    return -1;
  }
  return static_cast<int>(*n);
}

void infile_end(void*) {}

int infile_error(void* state, char* message, unsigned int size) {
  auto* infile = static_cast<Infile*>(state);
  std::string text = infile->error ? infile->error->message : "cannot read the rows";
  std::snprintf(message, size, "%s", text.c_str());
  return 2000;  // CR_UNKNOWN_ERROR
}

Result<bool> recalculates_by_default(st_mysql* conn, const std::string& table) {
  auto rows = query(conn,
                    "SELECT CREATE_OPTIONS FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "DATABASE() AND TABLE_NAME = " +
                        quote_literal(conn, table),
                    fmt::format("read the options of table '{}'", table));
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return fail(ErrorCode::kGeneral, fmt::format("no table '{}'", table));
  return (*rows)[0][0].value_or("").find("stats_auto_recalc") == std::string::npos;
}

Result<void> first_warning(st_mysql* conn, const std::string& table) {
  unsigned count = mysql_warning_count(conn);
  auto rows = query(conn, "SHOW WARNINGS LIMIT 1", "read the warnings");
  std::string first = rows && !rows->empty() && rows->front().size() > 2
                          ? rows->front()[2].value_or("")
                          : std::string("(not readable)");
  return fail(ErrorCode::kSql,
              fmt::format("loading the rows of table '{}' gave {} warning(s), the first: {}", table,
                          count, first));
}

}  // namespace

Result<std::optional<std::string>> load_data_statement(st_mysql* conn, const std::string& table) {
  auto columns = query(conn,
                       "SELECT COLUMN_NAME, DATA_TYPE, IS_GENERATED, EXTRA FROM "
                       "information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
                       "TABLE_NAME = " +
                           quote_literal(conn, table) + " ORDER BY ORDINAL_POSITION",
                       fmt::format("read the columns of table '{}'", table));
  if (!columns) return tl::unexpected(columns.error());
  if (columns->empty()) return std::optional<std::string>();
  std::string targets, decode;
  for (size_t i = 0; i < columns->size(); ++i) {
    const auto& column = (*columns)[i];
    std::string name = quote_identifier(column[0].value_or(""));
    std::string type = column[1].value_or("");
    if (column[2].value_or("NEVER") != "NEVER" ||
        column[3].value_or("").find("INVISIBLE") != std::string::npos)
      return std::optional<std::string>();
    std::string target = name;
    if (one_of(type, kBinaryTypes)) {
      target = fmt::format("@c{}", i);
      decode +=
          fmt::format("{}{} = IF(LEFT({}, 2) = '0x', UNHEX(SUBSTRING({}, 3)), CAST({} AS BINARY))",
                      decode.empty() ? " SET " : ", ", name, target, target, target, target);
    } else if (!one_of(type, kTextTypes)) {
      return std::optional<std::string>();
    }
    targets += (targets.empty() ? "" : ", ") + target;
  }
  return fmt::format(
      "LOAD DATA LOCAL INFILE 'migrate-dump-rows' INTO TABLE {} CHARACTER SET utf8mb4 FIELDS "
      "TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\\'' ESCAPED BY '\\\\' LINES TERMINATED BY "
      "'\\n' ({}){}",
      quote_identifier(table), targets, decode);
}

Result<void> load_data(st_mysql* conn, const std::string& statement, const std::string& table,
                       ByteSource& rows) {
  Infile infile{&rows, std::nullopt};
  mysql_set_local_infile_handler(conn, infile_init, infile_read, infile_end, infile_error, &infile);
  Result<void> result;
  if (mysql_real_query(conn, statement.data(), statement.size()) != 0) {
    result =
        fail(ErrorCode::kSql, fmt::format("cannot load the rows of table '{}': {}", table,
                                          infile.error ? infile.error->message : error_text(conn)));
  } else if (mysql_warning_count(conn) > 0) {
    result = first_warning(conn, table);
  }
  mysql_set_local_infile_default(conn);
  return result;
}

Result<bool> pause_statistics(st_mysql* conn, const std::string& table) {
  auto by_default = recalculates_by_default(conn, table);
  if (!by_default) return tl::unexpected(by_default.error());
  if (!*by_default) return false;
  // Best effort: without it the load is slower, not different.
  return exec(conn,
              "ALTER TABLE " + quote_identifier(table) +
                  " STATS_AUTO_RECALC = 0, ALGORITHM = INSTANT",
              "pause statistics")
      .has_value();
}

Result<void> resume_statistics(st_mysql* conn, const std::string& table) {
  std::string name = quote_identifier(table);
  if (auto r =
          exec(conn, "ALTER TABLE " + name + " STATS_AUTO_RECALC = DEFAULT, ALGORITHM = INSTANT",
               fmt::format("restore the statistics option of table '{}'", table));
      !r)
    return r;
  return exec(conn, "ANALYZE TABLE " + name, fmt::format("analyze table '{}'", table));
}

}  // namespace migrate::mysql
