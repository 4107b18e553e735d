#include "drivers/postgres/postgres_driver.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <optional>
#include <set>
#include <utility>

#include "core/pg_service_file.h"
#include "drivers/postgres/pg_connection.h"
#include "drivers/postgres/pg_tools.h"
#include "drivers/postgres/postgres_batch.h"
#include "drivers/postgres/postgres_conninfo.h"
#include "drivers/postgres/postgres_errors.h"
#include "drivers/postgres/postgres_lock.h"
#include "drivers/postgres/postgres_scratch.h"
#include "drivers/postgres/postgres_snapshot.h"
#include "drivers/tracking_rows.h"
#include "util/log.h"
#include "util/strings.h"

namespace migrate {
namespace {

using postgres::ResultPtr;

// SOCI serves the tracking table (prepared statements with typed binding and
// NULL indicators, shared with the other drivers in tracking_rows.cc);
// libpq, reached through the one session so that there is one connection,
// serves the rest: pipelines, COPY, error fields and notices, which SOCI does
// not expose. This is the one place that reaches past SOCI for it.
PGconn* native_connection(soci::session& session) {
  return static_cast<soci::postgresql_session_backend*>(session.get_backend())->conn_;
}

// Server notices: what a migration says (RAISE NOTICE) is shown; what our
// own statements cause ("relation already exists, skipping") is debug.
void on_notice(void* user_statement, const PGresult* notice) {
  std::string severity = postgres::error_field(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string message = fmt::format("server {}: {}", severity,
                                    postgres::error_field(notice, PG_DIAG_MESSAGE_PRIMARY));
  if (severity == "WARNING")
    log::warn(message);
  else if (*static_cast<bool*>(user_statement) && (severity == "NOTICE" || severity == "INFO"))
    log::info(message);
  else
    log::debug(message);
}

// Columns added when adopting a table that has only `version`.
const std::vector<std::pair<std::string, std::string>>& added_columns() {
  static const std::vector<std::pair<std::string, std::string>> columns = {
      {"name", "text NOT NULL DEFAULT ''"},         {"checksum", "text NOT NULL DEFAULT ''"},
      {"batch", "bigint NOT NULL DEFAULT 0"},       {"applied_at", "text NOT NULL DEFAULT ''"},
      {"duration_ms", "bigint NOT NULL DEFAULT 0"}, {"backup_id", "text"}};
  return columns;
}

// DROP statements for everything `fresh` removes from the schemas on the
// search path, objects owned by extensions excepted. Objects go with CASCADE
// and IF EXISTS, so an object already gone with another does not matter;
// triggers and indexes go with their tables, owned sequences with their
// columns, multirange and array types with their base types.
constexpr const char* kDropStatementsQuery = R"sql(
-- PostgreSQL's own schemas are never emptied, even when the path names them.
WITH s AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY (current_schemas(false))
             AND nspname <> 'information_schema' AND nspname !~ '^pg_'),
ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT stmt FROM (
  SELECT CASE c.relkind WHEN 'v' THEN 1 WHEN 'm' THEN 2 WHEN 'f' THEN 3 WHEN 'S' THEN 5 ELSE 4 END,
         format('DROP %s IF EXISTS %I.%I CASCADE',
                CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                     WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                s.nspname, c.relname)
  FROM pg_class c JOIN s ON s.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    AND (c.oid, 'pg_class'::regclass) NOT IN (SELECT objid, classid FROM ext)
    AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
  UNION ALL
  SELECT 6, format('DROP %s IF EXISTS %I.%I(%s) CASCADE',
                   CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE'
                        ELSE 'FUNCTION' END,
                   s.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
  FROM pg_proc p JOIN s ON s.oid = p.pronamespace
  WHERE (p.oid, 'pg_proc'::regclass) NOT IN (SELECT objid, classid FROM ext)
  UNION ALL
  SELECT 7, format('DROP %s IF EXISTS %I.%I CASCADE',
                   CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, s.nspname, t.typname)
  FROM pg_type t JOIN s ON s.oid = t.typnamespace
  WHERE (t.typtype IN ('e', 'd', 'r')
         OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
    AND (t.oid, 'pg_type'::regclass) NOT IN (SELECT objid, classid FROM ext)
) AS objects(ord, stmt)
ORDER BY ord, stmt
)sql";

// RESET ALL brings back the database's search_path: pg_catalog goes first again.
const std::string& reset_session_sql() {
  static const std::string sql =
      std::string("RESET ALL; RESET SESSION AUTHORIZATION; RESET ROLE; ") + postgres::kCatalogFirst;
  return sql;
}

class PostgresDriver final : public Driver {
 public:
  PostgresDriver(const DatabaseUrl& url, std::unique_ptr<postgres::AdvisoryLock> lock,
                 std::string table, std::unique_ptr<soci::session> session, DriverOptions options)
      : url_(url),
        session_(std::move(session)),
        conn_(native_connection(*session_)),
        options_(std::move(options)),
        table_(std::move(table)),
        rows_(*session_, table_),
        lock_(std::move(lock)) {
    PQsetNoticeReceiver(conn_, on_notice, &in_user_statement_);
  }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  bool transactional_ddl() const override { return true; }
  std::string server_version() override {
    const char* version = PQparameterStatus(conn_, "server_version");
    std::string text = version ? version : "unknown";
    return "PostgreSQL " + text.substr(0, text.find(' '));  // "15.4 (Debian 15.4-1)"
  }

  Result<void> acquire_lock(std::chrono::milliseconds timeout) override {
    lock_timeout_ = timeout;  // a restore waits as long for the tables' locks
    return lock_->acquire(timeout);
  }
  void release_lock() override { lock_->release(); }

  Result<void> ensure_tracking_table() override;
  Result<std::vector<AppliedMigration>> applied_migrations() override;
  // A migration's row is written once its file ran: the session's settings
  // go back to the connection's own first, so that what one file SET
  // (search_path emptied by a pg_dump-made file, a role, a timeout) never
  // carries into the next. In a migration's transaction the reset commits
  // with it.
  // (RESET ALL leaves the role and the session authorization.) The row goes
  // in over libpq, so that a failure says what failed in the server's words.
  Result<void> record_applied(const AppliedMigration& row) override {
    if (auto r = run(reset_session_sql()); !r) return r;
    return record_applied_all(std::span(&row, 1));
  }
  Result<void> remove_applied(std::string_view version) override {
    if (auto r = run(reset_session_sql()); !r) return r;
    return rows_.remove(version);
  }
  Result<void> record_applied_all(std::span<const AppliedMigration> rows) override;

  Result<void> begin() override { return run("BEGIN"); }
  Result<void> commit() override;
  Result<void> rollback() override {
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return {};
    return run("ROLLBACK");
  }
  Result<void> execute(const Statement& statement) override;
  BatchResult execute_batch(std::span<const SqlScript* const> scripts) override;
  Result<void> drop_all_objects() override;

  std::string_view name() const override { return kPostgresDriverName; }
  std::string snapshot_format() const override { return "postgres-sql"; }
  Result<std::uint64_t> database_size() override { return postgres::database_size(conn_); }
  Result<SnapshotInfo> snapshot(ByteSink& sink, const std::filesystem::path& scratch_dir) override {
    return postgres::snapshot(conn_, connection_params(), sink, scratch_dir);
  }
  Result<void> restore(ByteSource& source, const std::filesystem::path&,
                       const ContentFingerprint* expected) override {
    auto restored = postgres::restore(conn_, connection_params(), source, expected);
    if (!restored) return tl::unexpected(restored.error());
    restored_ = std::move(*restored);
    return {};
  }
  // Right after a restore, the fingerprint its transaction read from the
  // database before it committed: reading every table again would double the
  // restore's cost for the same answer. Any other call reads afresh.
  Result<ContentFingerprint> fingerprint() override {
    if (auto restored = std::exchange(restored_, std::nullopt)) return *std::move(restored);
    return postgres::fingerprint(conn_);
  }
  Result<ContentFingerprint> fingerprint_snapshot(
      ByteSource& source, const std::filesystem::path& scratch_dir) override {
    return postgres::fingerprint_snapshot(conn_, connection_params(), source, scratch_dir);
  }
  std::vector<Check> doctor_checks() override;

 private:
  // Runs one of our own statements (no rows wanted).
  Result<void> run(const std::string& sql) { return execute(Statement{sql, 0}, false); }
  Result<void> execute(const Statement& statement, bool from_user);
  // What execute() reports for a statement that failed with `result` (null
  // when libpq gave none).
  Error statement_failure(const PGresult* result, const Statement& statement) const;
  // The tracking table's columns; nullopt when it does not exist.
  Result<std::optional<std::set<std::string>>> tracking_columns();
  Result<std::vector<std::string>> drop_statements();
  tl::unexpected<Error> no_version_column() const {
    return fail(ErrorCode::kRefused,
                fmt::format("table '{}' exists but has no 'version' column", options_.table),
                "choose another tracking table with --table");
  }
  postgres::ConnectionParams connection_params() const {
    return {*postgres::build_conninfo(url_, postgres::Password::kOmit), url_.password,
            url_.database, lock_timeout_, options_.postgres_tool_dir};
  }

  DatabaseUrl url_;
  std::unique_ptr<soci::session> session_;
  PGconn* conn_;  // owned by session_
  std::chrono::milliseconds lock_timeout_{0};
  DriverOptions options_;
  std::string table_;  // options_.table, schema-qualified when it was not
  TrackingRows rows_;
  std::unique_ptr<postgres::AdvisoryLock> lock_;
  bool in_user_statement_ = false;              // for on_notice
  std::optional<ContentFingerprint> restored_;  // see fingerprint()
};

Result<void> PostgresDriver::execute(const Statement& statement) {
  return execute(statement, true);
}

Result<void> PostgresDriver::execute(const Statement& statement, bool from_user) {
  restored_.reset();  // the database may change: fingerprint() reads afresh
  in_user_statement_ = from_user;
  ResultPtr result(PQexec(conn_, statement.text.c_str()));
  in_user_statement_ = false;
  switch (PQresultStatus(result.get())) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return {};
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT: {
      // The splitter cannot carry COPY's inline data; end the copy cleanly.
      if (PQresultStatus(result.get()) == PGRES_COPY_IN) {
        PQputCopyEnd(conn_, "COPY FROM STDIN is not supported by migrate");
      } else {
        char* buffer = nullptr;
        while (PQgetCopyData(conn_, &buffer, 0) > 0) PQfreemem(buffer);
      }
      while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
      return fail(ErrorCode::kSql,
                  "COPY ... FROM STDIN / TO STDOUT cannot run in a migration: there is no client "
                  "stream (use INSERT, or COPY with a server-side file)");
    }
    default:
      break;
  }
  return tl::unexpected(statement_failure(result.get(), statement));
}

Error PostgresDriver::statement_failure(const PGresult* result, const Statement& statement) const {
  if (PQstatus(conn_) == CONNECTION_BAD) {
    return {ErrorCode::kConnection,
            fmt::format("lost the connection to '{}': {}", url_.masked(),
                        postgres::connection_message(PQerrorMessage(conn_), url_)),
            {}};
  }
  if (!result) return {ErrorCode::kSql, std::string(trim_end(PQerrorMessage(conn_))), {}};
  return {ErrorCode::kSql, postgres::describe_error(result, statement), {}};
}

BatchResult PostgresDriver::execute_batch(std::span<const SqlScript* const> scripts) {
  // One statement gains nothing from a pipeline: it keeps the simple protocol.
  std::size_t statements = 0;
  for (const SqlScript* script : scripts) statements += script->statements.size();
  if (statements <= 1 || !postgres::pipelinable(scripts)) return Driver::execute_batch(scripts);
  in_user_statement_ = true;
  auto finished = postgres::run_pipeline(
      conn_, scripts, [this](const PGresult* result, const Statement& statement) {
        return statement_failure(result, statement);
      });
  in_user_statement_ = false;
  return finished;
}

Result<void> PostgresDriver::record_applied_all(std::span<const AppliedMigration> rows) {
  return postgres::insert_rows(conn_, table_, rows,
                               [this](const PGresult* result, const Statement& statement) {
                                 return statement_failure(result, statement);
                               });
}

std::vector<Driver::Check> PostgresDriver::doctor_checks() {
  std::vector<Check> checks = {
      {"libpq", true, fmt::format("client library {}", postgres::version_text(PQlibVersion()))}};
  // The tool backups run: present, and not older than the server. (Restores
  // replay the dump over libpq: no psql.)
  auto tool = postgres::find_tool("pg_dump", PQserverVersion(conn_), options_.postgres_tool_dir);
  checks.push_back(
      tool ? Check{"pg_dump", true, fmt::format("{} ({})", tool->path.string(), tool->version_line)}
           : Check{"pg_dump", false, tool.error().message});
  auto leftovers = postgres::leftover_scratch_databases(conn_);
  checks.push_back(leftovers.empty()
                       ? Check{"scratch databases", true, "none left by verify --deep"}
                       // Reported, not failed: they cost disk, not correctness.
                       : Check{"scratch databases", true,
                               fmt::format("left by an interrupted verify --deep: {} (drop them "
                                           "with DROP DATABASE, or run verify --deep again on "
                                           "the host that left them)",
                                           fmt::join(leftovers, ", "))});
  return checks;
}

Result<void> PostgresDriver::commit() {
  // COMMIT of a failed transaction "succeeds" as a ROLLBACK: make it fail.
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    (void)run("ROLLBACK");
    return fail(ErrorCode::kSql, "the transaction failed earlier and was rolled back");
  }
  ResultPtr result(PQexec(conn_, "COMMIT"));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
    return fail(ErrorCode::kSql, postgres::describe_error(result.get(), Statement{"COMMIT", 0}));
  if (std::string_view(PQcmdStatus(result.get())) == "ROLLBACK")
    return fail(ErrorCode::kSql, "the transaction failed and was rolled back instead of committed");
  return {};
}

Result<std::optional<std::set<std::string>>> PostgresDriver::tracking_columns() {
  const char* values[] = {table_.c_str()};
  ResultPtr result(PQexecParams(
      conn_,
      "SELECT t.oid IS NOT NULL, a.attname FROM (SELECT to_regclass($1::text) AS oid) t "
      "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT "
      "a.attisdropped",
      1, nullptr, values, nullptr, nullptr, 0));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return fail(ErrorCode::kSql, fmt::format("cannot inspect table '{}': {}", options_.table,
                                             postgres::describe_error(result.get(), Statement{})));
  }
  if (PQntuples(result.get()) == 0 || std::string_view(PQgetvalue(result.get(), 0, 0)) != "t")
    return std::optional<std::set<std::string>>();
  std::set<std::string> columns;
  for (int i = 0; i < PQntuples(result.get()); ++i) columns.insert(PQgetvalue(result.get(), i, 1));
  return std::optional<std::set<std::string>>(std::move(columns));
}

Result<void> PostgresDriver::ensure_tracking_table() {
  auto columns = tracking_columns();
  if (!columns) return tl::unexpected(columns.error());
  if (!*columns) {
    return run(fmt::format(
        "CREATE TABLE IF NOT EXISTS {} (version varchar(255) PRIMARY KEY, name text NOT NULL "
        "DEFAULT '', checksum text NOT NULL DEFAULT '', batch bigint NOT NULL DEFAULT 0, "
        "applied_at text NOT NULL DEFAULT '', duration_ms bigint NOT NULL DEFAULT 0, backup_id "
        "text)",
        table_));
  }
  if (!(*columns)->count("version")) return no_version_column();
  // Adopting a dbmate/Rails table: add what is missing, keep the rows.
  for (const auto& [column, type] : added_columns()) {
    if ((*columns)->count(column)) continue;
    auto r =
        run(fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}", table_, column, type));
    if (!r) {
      return fail(ErrorCode::kSql, fmt::format("cannot add column '{}' to '{}': {}", column,
                                               options_.table, r.error().message));
    }
  }
  return {};
}

Result<std::vector<AppliedMigration>> PostgresDriver::applied_migrations() {
  auto columns = tracking_columns();
  if (!columns) return tl::unexpected(columns.error());
  if (!*columns) return std::vector<AppliedMigration>{};
  if (!(*columns)->count("version")) return no_version_column();
  return rows_.read(**columns);
}

Result<std::vector<std::string>> PostgresDriver::drop_statements() {
  ResultPtr result(PQexec(conn_, kDropStatementsQuery));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return fail(ErrorCode::kSql, fmt::format("cannot list the database's objects: {}",
                                             postgres::describe_error(result.get(), Statement{})));
  }
  std::vector<std::string> statements;
  for (int i = 0; i < PQntuples(result.get()); ++i)
    statements.emplace_back(PQgetvalue(result.get(), i, 0));
  // The tracking table, even in a schema off the search path.
  statements.push_back(fmt::format("DROP TABLE IF EXISTS {} CASCADE", table_));
  return statements;
}

Result<void> PostgresDriver::drop_all_objects() {
  // One transaction: `fresh` either empties the schemas or changes nothing.
  // Objects are dropped one by one rather than with DROP SCHEMA, so that the
  // schemas keep their owners, grants and comments, and extensions stay.
  if (auto r = begin(); !r) return r;
  auto statements = drop_statements();
  Result<void> result;
  if (!statements) result = tl::unexpected(statements.error());
  for (size_t i = 0; result && i < statements->size(); ++i) {
    result = run((*statements)[i]);
    if (!result) {
      result =
          fail(ErrorCode::kSql, fmt::format("{}: {}", (*statements)[i], result.error().message));
    }
  }
  if (result) return commit();
  (void)rollback();
  return result;
}

// The tracking table qualified with the schema it resolves to now, so that a
// migration changing search_path cannot move the bookkeeping elsewhere.
std::string qualified_table(PGconn* conn, const std::string& table) {
  if (table.find('.') != std::string::npos) return table;
  // Never one of PostgreSQL's own schemas, even when the path names it first.
  ResultPtr result(PQexec(conn,
                          "SELECT pg_catalog.quote_ident(s) FROM "
                          "pg_catalog.unnest(pg_catalog.current_schemas(false)) WITH ORDINALITY "
                          "AS p(s, i) WHERE s <> 'information_schema' AND s !~ '^pg_' "
                          "ORDER BY i LIMIT 1"));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) == 0)
    return table;  // no schema on the search path exists: creating the table will say so
  return std::string(PQgetvalue(result.get(), 0, 0)) + "." + table;
}

std::string connection_hint(const std::string& message) {
  if (message.find("password authentication failed") != std::string::npos ||
      message.find("no password supplied") != std::string::npos)
    return "check the user name and password in the database url";
  if (message.find("does not exist") != std::string::npos)
    return "check the database and user names; migrate does not create databases";
  if (message.find("Connection refused") != std::string::npos ||
      message.find("No such file or directory") != std::string::npos ||
      message.find("timeout expired") != std::string::npos)
    return "is the server running and reachable there? --wait waits for it to accept connections";
  return {};
}

}  // namespace

Result<std::unique_ptr<Driver>> open_postgres_driver(const DatabaseUrl& given,
                                                     const DriverOptions& options) {
  // The database's name keys the runners' lock: one a service names is spelled out.
  DatabaseUrl url = postgres::with_service_defaults(given);
  if (url.database.empty()) {
    return fail(
        ErrorCode::kUsage,
        fmt::format("database url: the service '{}' names no database", url.params.at("service")),
        "add dbname= to the service, or name the database in the url "
        "(postgres:///dbname?service=NAME)");
  }
  auto conninfo = postgres::build_conninfo(url, postgres::Password::kInclude);
  if (!conninfo) return tl::unexpected(conninfo.error());
  auto lock = std::make_unique<postgres::AdvisoryLock>(*conninfo, url.password, url.masked(),
                                                       url.database, options.table);
  if (options.lock_connection == LockConnection::kOpenAhead) lock->open_ahead();
  std::unique_ptr<soci::session> session;
  try {
    session = std::make_unique<soci::session>(*soci::factory_postgresql(), *conninfo);
  } catch (const std::exception& e) {
    std::string message = e.what();
    constexpr std::string_view kSociPrefix = "Cannot establish connection to the database.";
    if (message.starts_with(kSociPrefix)) message = message.substr(kSociPrefix.size());
    while (!message.empty() && message.front() == '\n') message.erase(0, 1);
    message = postgres::connection_message(message, url);
    return fail(ErrorCode::kConnection,
                fmt::format("cannot connect to '{}': {}", url.masked(), message),
                connection_hint(message));
  }
  PGconn* conn = native_connection(*session);
  if (auto first = postgres::exec(conn, postgres::kCatalogFirst,
                                  "put pg_catalog first on the "
                                  "search path");
      !first) {
    return tl::unexpected(first.error());
  }
  std::string table = qualified_table(conn, options.table);
  return std::unique_ptr<Driver>(
      std::make_unique<PostgresDriver>(url, std::move(lock), table, std::move(session), options));
}

}  // namespace migrate
