#include "drivers/postgres/postgres_lock.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <memory>

#include "drivers/lock_poll.h"
#include "drivers/postgres/pg_connection.h"
#include "drivers/postgres/postgres_conninfo.h"
#include "drivers/postgres/postgres_errors.h"

namespace migrate::postgres {

namespace {

// FNV-1a: stable across builds and platforms, unlike std::hash.
std::int64_t stable_hash(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return static_cast<std::int64_t>(hash);
}

}  // namespace

std::int64_t advisory_lock_key(const std::string& database) {
  return stable_hash("migrate:" + database);
}

std::int64_t advisory_lock_key(const std::string& database, const std::string& table) {
  return stable_hash("migrate:" + database + ":" + table);
}

AdvisoryLock::AdvisoryLock(std::string conninfo, std::string password, std::string masked_url,
                           std::string database, const std::string& table)
    : conninfo_(std::move(conninfo)),
      password_(std::move(password)),
      masked_url_(std::move(masked_url)),
      database_(std::move(database)),
      keys_{advisory_lock_key(database_), advisory_lock_key(database_, table)} {}

AdvisoryLock::~AdvisoryLock() {
  if (ahead_.valid()) PQfinish(ahead_.get());
  if (conn_) PQfinish(conn_);  // closing the session releases the lock
}

void AdvisoryLock::open_ahead() {
  if (conn_ || ahead_.valid()) return;
  ahead_ = std::async(std::launch::async,
                      [conninfo = conninfo_] { return PQconnectdb(conninfo.c_str()); });
}

Result<bool> AdvisoryLock::try_lock() {
  if (!conn_) {
    conn_ = ahead_.valid() ? ahead_.get() : PQconnectdb(conninfo_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string message = connection_message(PQerrorMessage(conn_), password_);
      PQfinish(conn_);
      conn_ = nullptr;
      return fail(ErrorCode::kConnection,
                  fmt::format("cannot open the lock connection to '{}': {}", masked_url_, message));
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    ResultPtr pinned(PQexec(conn_, kCatalogOnly));
    if (PQresultStatus(pinned.get()) != PGRES_COMMAND_OK) {
      auto failed = sql_failure(conn_, "set up the lock connection");
      PQfinish(conn_);
      conn_ = nullptr;
      return failed;
    }
  }
  // Both or neither: the database's key is given back when the table's is taken.
  ResultPtr result(PQexec(
      conn_,
      fmt::format("SELECT CASE WHEN NOT pg_catalog.pg_try_advisory_lock('{0}'::bigint) THEN false "
                  "WHEN pg_catalog.pg_try_advisory_lock('{1}'::bigint) THEN true "
                  "ELSE NOT pg_catalog.pg_advisory_unlock('{0}'::bigint) END",
                  keys_[0], keys_[1])
          .c_str()));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return fail(
        ErrorCode::kLock,
        fmt::format("cannot take advisory locks {} and {} on database '{}': {}", keys_[0], keys_[1],
                    database_, error_field(result.get(), PG_DIAG_MESSAGE_PRIMARY)));
  }
  return std::string_view(PQgetvalue(result.get(), 0, 0)) == "t";
}

// "pid 4242, application 'migrate'", or "" when the holder is gone already.
std::string AdvisoryLock::holder_description() {
  // A bigint advisory key shows in pg_locks as classid (high half), objid
  // (low half) and objsubid 1.
  auto key = [](std::int64_t k) {
    auto bits = static_cast<std::uint64_t>(k);
    return fmt::format("(l.classid = {} AND l.objid = {})", bits >> 32, bits & 0xffffffffULL);
  };
  std::string sql = fmt::format(
      "SELECT l.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'a local "
      "socket') "
      "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND ({} OR {}) AND l.pid <> $1::int",
      key(keys_[0]), key(keys_[1]));
  auto result = exec_params(conn_, sql.c_str(), std::to_string(PQbackendPID(conn_)));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) == 0) return "";
  std::string application = PQgetvalue(result.get(), 0, 1);
  return fmt::format("pid {}{}, from {}", PQgetvalue(result.get(), 0, 0),
                     application.empty() ? "" : fmt::format(", application '{}'", application),
                     PQgetvalue(result.get(), 0, 2));
}

Result<void> AdvisoryLock::acquire(std::chrono::milliseconds timeout) {
  auto taken = poll_lock(
      {[&] { return try_lock(); },
       [&] {
         std::string holder = holder_description();
         return fmt::format("advisory locks {} and {} on database '{}'{}", keys_[0], keys_[1],
                            database_, holder.empty() ? "" : fmt::format(" (held by {})", holder));
       },
       [&] { release(); }},
      timeout);
  held_ = taken.has_value();
  return taken;
}

void AdvisoryLock::release() {
  if (ahead_.valid()) PQfinish(ahead_.get());
  if (!conn_) return;
  // Closing the connection alone would release the lock too; unlocking first
  // makes it free at once even if the close is slow to reach the server.
  if (held_) PQclear(PQexec(conn_, "SELECT pg_catalog.pg_advisory_unlock_all()"));
  held_ = false;
  PQfinish(conn_);
  conn_ = nullptr;
}

}  // namespace migrate::postgres
