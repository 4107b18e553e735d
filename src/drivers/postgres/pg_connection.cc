#include "drivers/postgres/pg_connection.h"

#include <fmt/format.h>

#include "util/strings.h"

namespace migrate::postgres {

std::string connection_error(PGconn* conn) {
  return std::string(trim_end(PQerrorMessage(conn)));
}

tl::unexpected<Error> sql_failure(PGconn* conn, std::string_view what) {
  return fail(ErrorCode::kSql, fmt::format("cannot {}: {}", what, connection_error(conn)));
}

Result<ResultPtr> exec(PGconn* conn, const std::string& sql, std::string_view what) {
  ResultPtr result(PQexec(conn, sql.c_str()));
  auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return sql_failure(conn, what);
  return result;
}

ResultPtr exec_params(PGconn* conn, const char* sql, const std::string& param) {
  const char* values[] = {param.c_str()};
  return ResultPtr(PQexecParams(conn, sql, 1, nullptr, values, nullptr, nullptr, 0));
}

std::string value(const PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column),
                     static_cast<size_t>(PQgetlength(result, row, column)));
}

std::string quote_identifier(PGconn* conn, const std::string& name) {
  char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
  std::string result = quoted ? quoted : name;
  PQfreemem(quoted);
  return result;
}

}  // namespace migrate::postgres
