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

// migrate's own queries name catalog objects (tables, functions, operators)
// without a schema. A database whose search_path lists a schema before
// pg_catalog (ALTER DATABASE ... SET search_path = evil, pg_catalog) would
// have them resolve to that schema's look-alikes, running its owner's code
// with migrate's rights (CVE-2018-1058). Every connection makes pg_catalog
// the first schema searched as soon as it opens:
//  - the migrations' own session drops pg_catalog from the database's path
//    when something comes before it, so that PostgreSQL searches it first
//    implicitly. Naming it first instead would make it the schema new
//    objects go to; this way the migrations keep the path they rely on. It
//    is done again after each RESET ALL, which brings the database's back.
inline constexpr const char* kCatalogFirst =
    "SELECT pg_catalog.set_config('search_path', pg_catalog.array_to_string(ARRAY("
    "SELECT e FROM pg_catalog.unnest(pg_catalog.string_to_array("
    "pg_catalog.current_setting('search_path'), ',')) e "
    "WHERE pg_catalog.btrim(e, ' \"') OPERATOR(pg_catalog.<>) 'pg_catalog'), ','), false) "
    "WHERE pg_catalog.array_position(pg_catalog.current_schemas(false), 'pg_catalog') "
    "OPERATOR(pg_catalog.>) 1";
//  - the others (lock, helpers, scratch databases) need no other schema.
inline constexpr const char* kCatalogOnly = "SET search_path = pg_catalog";

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
