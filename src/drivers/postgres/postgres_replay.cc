// Replaying pg_dump's plain output over libpq (postgres_replay.h).
#include "drivers/postgres/postgres_replay.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "drivers/postgres/pg_connection.h"
#include "drivers/postgres/postgres_dump_sender.h"
#include "drivers/postgres/postgres_empty_database.h"
#include "drivers/postgres/postgres_errors.h"
#include "drivers/postgres/postgres_snapshot.h"
#include "drivers/postgres/postgres_system_objects.h"
#include "util/log.h"
#include "util/strings.h"

namespace migrate::postgres {

namespace {

constexpr size_t kChunk = size_t{1} << 20;
constexpr std::string_view kNotChanged = "; the database was not changed";

// Memory for the index builds of the restore's own transaction, never less
// than the server's setting: they then sort in memory. (A foreign key's
// initial check runs with it too, as its work_mem.) A sort takes only what
// it needs, so this is a cap, reached only by tables that large.
constexpr const char* kRestoreMemory =
    "SELECT pg_catalog.set_config(s.name, s.value, true) "
    "FROM (VALUES ('maintenance_work_mem', '512MB')) s (name, value) "
    "WHERE pg_catalog.pg_size_bytes(pg_catalog.current_setting(s.name)) < "
    "pg_catalog.pg_size_bytes(s.value);";

// The emptying is a DO block, which needs plpgsql: one dropped since the
// backup is created again first (every new database has it; pg_dump never
// writes it).
constexpr const char* kPlpgsql = "CREATE EXTENSION IF NOT EXISTS plpgsql; ";

constexpr const char* kBegin =
    "BEGIN; SET LOCAL client_min_messages = warning; SET LOCAL search_path = pg_catalog; "
    "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0; ";

// The server's warnings during a restore are shown; the rest is debug.
void on_notice(void*, const PGresult* notice) {
  std::string severity = error_field(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string message =
      fmt::format("server {}: {}", severity, error_field(notice, PG_DIAG_MESSAGE_PRIMARY));
  if (severity == "WARNING")
    log::warn(message);
  else
    log::debug(message);
}

Result<void> run(pg_conn* conn, const std::string& sql, std::string_view what) {
  ResultPtr result(PQexec(conn, sql.c_str()));
  auto status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
  return lock_wait_failure(result.get())
      .value_or(
          fail(PQstatus(conn) == CONNECTION_BAD ? ErrorCode::kConnection : ErrorCode::kSql,
               fmt::format("cannot {}: {}", what, describe_error(result.get(), Statement{}))));
}

// The dump through `scanner` (tuned, BEGIN/COMMIT of large objects taken
// out) to `sender`, from what `first` already holds on.
Result<void> send_dump(ByteSource& source, DumpScanner& scanner, std::string first, bool at_end,
                       DumpSender& sender) {
  std::string out = std::move(first);
  std::vector<char> buffer(kChunk);
  for (;;) {
    if (auto r = sender.lines(out); !r) return r;
    out.clear();
    if (at_end) break;
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    at_end = *n == 0;
    scanner.scan(std::string_view(buffer.data(), *n), &out);
  }
  scanner.finish(&out);
  if (auto r = sender.lines(out); !r) return r;
  if (auto r = sender.finish(); !r) return r;
  if (!scanner.complete()) {
    return fail(ErrorCode::kGeneral,
                "the backup is incomplete: the dump does not end with pg_dump's completion marker");
  }
  return {};
}

// Everything up to the decision to commit; the transaction is left open.
Result<ContentFingerprint> replay_in_transaction(
    pg_conn* conn, std::chrono::milliseconds lock_timeout, ByteSource& source, DumpScanner& scanner,
    std::string first, bool at_end,
    const std::function<Result<void>(const ContentFingerprint&)>& accept) {
  std::string lock_wait = fmt::format("SET LOCAL lock_timeout = {}; ", lock_timeout.count());
  if (auto r = run(conn,
                   std::string(kBegin) + lock_wait + kRestoreMemory + kPlpgsql +
                       empty_database_sql() + drop_system_objects_sql(),
                   "empty the database for the restore");
      !r)
    return tl::unexpected(r.error());
  DumpSender sender(conn);
  if (auto r = send_dump(source, scanner, std::move(first), at_end, sender); !r)
    return tl::unexpected(r.error());
  auto restored = fingerprint(conn);
  if (!restored) return restored;
  if (auto r = accept(*restored); !r) return tl::unexpected(r.error());
  return restored;
}

}  // namespace

Result<ContentFingerprint> replay(
    const Target& target, std::chrono::milliseconds lock_timeout, ByteSource& source,
    AfterReplay after, const std::function<Result<void>(const ContentFingerprint&)>& accept) {
  // Nothing runs until the source is known to hold a plain dump.
  DumpScanner scanner(DumpScanner::Replay::kTuned);
  std::string ready;
  std::vector<char> buffer(kChunk);
  bool at_end = false;
  while (!scanner.header_read() && !at_end) {
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    at_end = *n == 0;
    scanner.scan(std::string_view(buffer.data(), *n), &ready);
  }
  if (!scanner.looks_like_dump()) {
    return fail(ErrorCode::kGeneral,
                "the backup does not hold a PostgreSQL dump (pg_dump's plain format); "
                "the database was not changed");
  }
  auto conn = connect(target);
  if (!conn) {
    conn.error().message += kNotChanged;
    return tl::unexpected(conn.error());
  }
  PQsetNoticeReceiver(conn->get(), on_notice, nullptr);
  // Any failure from here closes the connection with the transaction open:
  // the server rolls it back.
  auto restored = replay_in_transaction(conn->get(), lock_timeout, source, scanner,
                                        std::move(ready), at_end, accept);
  if (!restored) {
    if (restored.error().message.find(kMayHaveCommitted) == std::string::npos)
      restored.error().message += kNotChanged;
    return restored;
  }
  if (after == AfterReplay::kRollBack) {
    (void)run(conn->get(), "ROLLBACK", "roll back");
    return restored;
  }
  ResultPtr result(PQexec(conn->get(), "COMMIT"));
  if (PQresultStatus(result.get()) == PGRES_COMMAND_OK &&
      std::string_view(PQcmdStatus(result.get())) == "COMMIT")
    return restored;
  if (PQstatus(conn->get()) != CONNECTION_BAD)
    return fail(ErrorCode::kSql,
                fmt::format("cannot commit the restore: {}{}",
                            describe_error(result.get(), Statement{}), kNotChanged));
  return fail(ErrorCode::kConnection,
              fmt::format("lost the connection while committing the restore: {}; the restore may "
                          "or may not have been committed",
                          trim_end(PQerrorMessage(conn->get()))),
              "compare the database with the backup's fingerprint before relying on it");
}

}  // namespace migrate::postgres
