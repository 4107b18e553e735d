// Talking to PostgreSQL through libpq: the result holder and the few query
// helpers that the driver, the lock, snapshots, fingerprints, scratch
// databases and the restore share (the counterpart of
// drivers/mysql/mysql_connection.h). New connections are made in pg_tools.h,
// which knows where they go.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>

#include "migrate/error.h"

namespace migrate::postgres {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
// Owns a PGresult; PQclear() when it goes.
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's last message on `conn`, without its trailing newline.
std::string connection_error(PGconn* conn);

// kSql "cannot <what>: <connection_error>".
tl::unexpected<Error> sql_failure(PGconn* conn, std::string_view what);

// Runs `sql` (one or more statements) and returns the last result when it
// succeeded (rows or a command); sql_failure() otherwise.
Result<ResultPtr> exec(PGconn* conn, const std::string& sql, std::string_view what);

// Runs `sql` with one text parameter ($1) and returns its result whatever
// its status: the caller tells the outcomes apart.
ResultPtr exec_params(PGconn* conn, const char* sql, const std::string& param);

// The text of a field, embedded zero bytes and all.
std::string value(const PGresult* result, int row, int column);

// `name` quoted as an identifier for `conn`'s encoding; `name` itself when
// libpq cannot quote it.
std::string quote_identifier(PGconn* conn, const std::string& name);

}  // namespace migrate::postgres
