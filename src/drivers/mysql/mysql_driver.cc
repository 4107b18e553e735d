#include "drivers/mysql/mysql_driver.h"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysql.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <optional>
#include <set>
#include <utility>

#include "drivers/mysql/mysql_connection.h"
#include "drivers/mysql/mysql_lock.h"
#include "drivers/mysql/mysql_scratch.h"
#include "drivers/mysql/mysql_snapshot.h"
#include "drivers/tracking_rows.h"
#include "util/log.h"

namespace migrate {
namespace {

using mysql::quote_identifier;
using mysql::Row;

// SOCI serves the tracking table (prepared statements with typed binding and
// NULL indicators, shared with the other drivers in tracking_rows.cc); the C
// API, reached through the one session so that there is one connection,
// serves the rest: multi-statement scripts, server error codes, the lock and
// backups, which SOCI does not expose. This is the one place that reaches
// past SOCI for it.
MYSQL* native_connection(soci::session& session) {
  return static_cast<soci::mysql_session_backend*>(session.get_backend())->conn_;
}

// The file line a server message points at: syntax errors end with "at line
// N", counted from the statement's first line.
std::optional<int> reported_line(const std::string& message, const Statement& statement) {
  size_t at = message.rfind(" at line ");
  if (at == std::string::npos || statement.line <= 0) return std::nullopt;
  int line = std::atoi(message.c_str() + at + 9);
  if (line <= 0) return std::nullopt;
  return statement.line + line - 1;
}

// Columns added when adopting a table that has only `version`.
const std::vector<std::pair<std::string, std::string>>& added_columns() {
  static const std::vector<std::pair<std::string, std::string>> columns = {
      {"name", "varchar(255) NOT NULL DEFAULT ''"},
      {"checksum", "varchar(64) NOT NULL DEFAULT ''"},
      {"batch", "bigint NOT NULL DEFAULT 0"},
      {"applied_at", "varchar(40) NOT NULL DEFAULT ''"},
      {"duration_ms", "bigint NOT NULL DEFAULT 0"},
      {"backup_id", "varchar(255) NULL"}};
  return columns;
}

// "db.table" or "table": each part quoted.
std::string quoted_table(const std::string& table) {
  size_t dot = table.find('.');
  if (dot == std::string::npos) return quote_identifier(table);
  return quote_identifier(table.substr(0, dot)) + "." + quote_identifier(table.substr(dot + 1));
}

// A SOCI connection string value: quoted, quotes and backslashes escaped.
std::string soci_value(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::string soci_connect_string(const mysql::ConnectParams& p) {
  std::string s = "charset=utf8mb4";
  if (!p.database.empty()) s += " dbname=" + soci_value(p.database);
  if (!p.user.empty()) s += " user=" + soci_value(p.user);
  if (!p.password.empty()) s += " password=" + soci_value(p.password);
  if (!p.socket.empty())
    s += " unix_socket=" + soci_value(p.socket);
  else
    s += " host=" + soci_value(p.host);
  if (p.port) s += " port=" + std::to_string(p.port);
  return s;
}

class MysqlDriver final : public Driver {
 public:
  MysqlDriver(mysql::ConnectParams params, std::unique_ptr<soci::session> session,
              DriverOptions options)
      : params_(std::move(params)),
        session_(std::move(session)),
        conn_(native_connection(*session_)),
        options_(std::move(options)),
        table_(quoted_table(options_.table)),
        rows_(*session_, table_),
        lock_(params_, options_.table) {}

  SqlDialect dialect() const override { return SqlDialect::kMysql; }
  bool transactional_ddl() const override { return false; }
  std::string server_version() override {
    std::string info = mysql_get_server_info(conn_);  // "10.11.6-MariaDB-0+deb12u1"
    bool maria = info.find("MariaDB") != std::string::npos;
    return (maria ? "MariaDB " : "MySQL ") + info.substr(0, info.find('-'));
  }

  Result<void> acquire_lock(std::chrono::milliseconds timeout) override {
    return lock_.acquire(timeout);
  }
  void release_lock() override { lock_.release(); }

  Result<void> ensure_tracking_table() override;
  Result<std::vector<AppliedMigration>> applied_migrations() override;
  Result<void> record_applied(const AppliedMigration& row) override { return rows_.insert(row); }
  Result<void> remove_applied(std::string_view version) override { return rows_.remove(version); }

  // A transaction still makes a file of plain DML all or nothing; DDL in it
  // commits on its own.
  Result<void> begin() override { return run("START TRANSACTION"); }
  Result<void> commit() override { return run("COMMIT"); }
  Result<void> rollback() override { return run("ROLLBACK"); }
  Result<void> execute(const Statement& statement) override;
  Result<void> drop_all_objects() override {
    return mysql::drop_all_objects(conn_,
                                   options_.table.find('.') == std::string::npos ? "" : table_);
  }

  std::string_view name() const override { return kMysqlDriverName; }
  std::string snapshot_format() const override { return "mysql-sql"; }
  Result<std::uint64_t> database_size() override { return mysql::database_size(conn_); }
  Result<SnapshotInfo> snapshot(ByteSink& sink, const std::filesystem::path&) override {
    return mysql::snapshot(conn_, params_, sink);
  }
  Result<void> restore(ByteSource& source, const std::filesystem::path& scratch_dir,
                       const ContentFingerprint* expected) override {
    return mysql::restore(conn_, params_, source, scratch_dir, expected, moved_rows_);
  }
  Result<ContentFingerprint> fingerprint() override {
    return mysql::fingerprint(conn_, params_, std::exchange(moved_rows_, std::nullopt));
  }
  Result<ContentFingerprint> fingerprint_snapshot(
      ByteSource& source, const std::filesystem::path& scratch_dir) override {
    return mysql::fingerprint_snapshot(conn_, params_, source, scratch_dir);
  }
  std::vector<Check> doctor_checks() override {
    std::vector<Check> checks = {
        {"libmariadb", true, fmt::format("client library {}", mysql::client_library_version())}};
    auto tools = mysql::tool_checks(conn_);
    checks.insert(checks.end(), tools.begin(), tools.end());
    checks.push_back(mysql::scratch_check(conn_));
    return checks;
  }

 private:
  Result<void> run(const std::string& sql) { return execute(Statement{sql, 0}); }
  // The tracking table's columns; nullopt when it does not exist.
  Result<std::optional<std::set<std::string>>> tracking_columns();

  mysql::ConnectParams params_;
  std::unique_ptr<soci::session> session_;
  MYSQL* conn_;  // owned by session_
  DriverOptions options_;
  std::string table_;  // options_.table, quoted
  TrackingRows rows_;
  mysql::NamedLock lock_;
  std::optional<ContentFingerprint> moved_rows_;  // left by restore() for fingerprint()
};

Result<void> MysqlDriver::execute(const Statement& statement) {
  moved_rows_.reset();  // the database may change: its rows must be read again
  const std::string& sql = statement.text;
  bool failed = mysql_real_query(conn_, sql.data(), sql.size()) != 0;
  // Every result is read, so a CALL or a SELECT in a migration leaves the
  // connection ready; an error may come with any of them.
  while (!failed) {
    if (MYSQL_RES* result = mysql_store_result(conn_))
      mysql_free_result(result);
    else if (mysql_field_count(conn_) != 0)
      failed = true;
    if (failed) break;
    int next = mysql_next_result(conn_);
    if (next < 0) return {};
    failed = next > 0;
  }
  unsigned error = mysql_errno(conn_);
  if (error == CR_SERVER_GONE_ERROR || error == CR_SERVER_LOST) {
    return fail(ErrorCode::kConnection, fmt::format("lost the connection to '{}': {}",
                                                    params_.masked_url, mysql_error(conn_)));
  }
  std::string message = mysql_error(conn_);
  auto line = reported_line(message, statement);
  return fail(ErrorCode::kSql, fmt::format("{} ({}error {}, SQLSTATE {})", message,
                                           line ? fmt::format("file line {}, ", *line) : "", error,
                                           mysql_sqlstate(conn_)));
}

Result<std::optional<std::set<std::string>>> MysqlDriver::tracking_columns() {
  size_t dot = options_.table.find('.');
  std::string schema = dot == std::string::npos
                           ? "DATABASE()"
                           : mysql::quote_literal(conn_, options_.table.substr(0, dot));
  std::string name = options_.table.substr(dot == std::string::npos ? 0 : dot + 1);
  auto rows = mysql::query(
      conn_,
      fmt::format("SELECT t.TABLE_NAME, c.COLUMN_NAME FROM information_schema.TABLES t "
                  "LEFT JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA "
                  "AND c.TABLE_NAME = t.TABLE_NAME WHERE t.TABLE_SCHEMA = {} AND t.TABLE_NAME = {}",
                  schema, mysql::quote_literal(conn_, name)),
      fmt::format("inspect table '{}'", options_.table));
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::set<std::string>>();
  std::set<std::string> columns;
  for (const Row& row : *rows)
    if (row[1]) columns.insert(*row[1]);
  return std::optional<std::set<std::string>>(std::move(columns));
}

Result<void> MysqlDriver::ensure_tracking_table() {
  auto columns = tracking_columns();
  if (!columns) return tl::unexpected(columns.error());
  return TrackingRows::create_or_adopt(
      *columns, options_.table,
      fmt::format("CREATE TABLE IF NOT EXISTS {} (version varchar(255) NOT NULL PRIMARY KEY, name "
                  "varchar(255) NOT NULL DEFAULT '', checksum varchar(64) NOT NULL DEFAULT '', "
                  "batch bigint NOT NULL DEFAULT 0, applied_at varchar(40) NOT NULL DEFAULT '', "
                  "duration_ms bigint NOT NULL DEFAULT 0, backup_id varchar(255) NULL) "
                  "ENGINE=InnoDB",
                  table_),
      added_columns(),
      [&](const std::string& column, const std::string& type) {
        return fmt::format("ALTER TABLE {} ADD COLUMN {} {}", table_, column, type);
      },
      [&](const std::string& sql) { return run(sql); });
}

Result<std::vector<AppliedMigration>> MysqlDriver::applied_migrations() {
  auto columns = tracking_columns();
  if (!columns) return tl::unexpected(columns.error());
  return rows_.read_if_exists(*columns);
}

}  // namespace

Result<std::unique_ptr<Driver>> open_mysql_driver(const DatabaseUrl& url,
                                                  const DriverOptions& options) {
  auto params = mysql::connect_params(url);
  if (!params) return tl::unexpected(params.error());
  // A first connection through the C API gives the server's own error code
  // for the message and hint; SOCI's exception carries only text.
  if (auto probe = mysql::connect(*params); !probe) return tl::unexpected(probe.error());
  std::unique_ptr<soci::session> session;
  try {
    session = std::make_unique<soci::session>(*soci::factory_mysql(), soci_connect_string(*params));
  } catch (const std::exception& e) {
    return fail(ErrorCode::kConnection,
                fmt::format("cannot connect to '{}': {}", params->masked_url,
                            mysql::scrub(e.what(), params->password)));
  }
  MYSQL* conn = native_connection(*session);
  // The session's settings migrations expect: UTF-8, and SQL notes (IF NOT
  // EXISTS, ...) kept out of the warnings.
  if (auto r = mysql::exec(conn, "SET NAMES utf8mb4", "set the connection's character set"); !r)
    return tl::unexpected(r.error());
  return std::unique_ptr<Driver>(
      std::make_unique<MysqlDriver>(std::move(*params), std::move(session), options));
}

}  // namespace migrate
