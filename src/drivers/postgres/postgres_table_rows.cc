#include "drivers/postgres/postgres_table_rows.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "drivers/postgres/pg_connection.h"
#include "util/log.h"

namespace migrate::postgres {
namespace {

constexpr unsigned kMaxReaders = 4;

Result<RowSetHash> read_rows(pg_conn* conn, const TableToRead& table) {
  auto what = fmt::format("read table '{}'", table.name);
  std::string copy =
      fmt::format("COPY (SELECT {} FROM ONLY {}) TO STDOUT", table.columns, table.relation);
  ResultPtr started(PQexec(conn, copy.c_str()));
  if (PQresultStatus(started.get()) != PGRES_COPY_OUT) return sql_failure(conn, what);
  RowSetHash rows;
  char* line = nullptr;
  int size;
  while ((size = PQgetCopyData(conn, &line, 0)) > 0) {
    rows.add(std::string_view(line, static_cast<size_t>(size) - 1));  // without the newline
    PQfreemem(line);
  }
  // -1: the COPY is over; its result says how it went.
  for (ResultPtr result(PQgetResult(conn)); result; result.reset(PQgetResult(conn))) {
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return sql_failure(conn, what);
  }
  if (size == -2) return sql_failure(conn, what);
  return rows;
}

// A second connection like `conn` (same server, database, user, SSL, ...),
// in a read-only transaction on `snapshot`.
Result<Connection> helper(pg_conn* conn, const std::string& snapshot, const char* settings) {
  std::vector<const char*> keywords, values;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfo(conn),
                                                                       &PQconninfoFree);
  for (PQconninfoOption* o = options.get(); o && o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    keywords.push_back(o->keyword);
    values.push_back(o->val);
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  Connection helper(PQconnectdbParams(keywords.data(), values.data(), 0));
  if (PQstatus(helper.get()) != CONNECTION_OK) {
    return fail(ErrorCode::kConnection,
                fmt::format("cannot open a reader connection: {}", connection_error(helper.get())));
  }
  auto began = exec(helper.get(),
                    fmt::format("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                                "SET TRANSACTION SNAPSHOT '{}'",
                                snapshot),
                    "import the snapshot");
  if (!began) return tl::unexpected(began.error());
  if (auto set = exec(helper.get(), settings, "set up a reader connection"); !set)
    return tl::unexpected(set.error());
  return helper;
}

// Up to `wanted` helpers on the snapshot `conn` exports; fewer when the
// server refuses some (max_connections, say): the fingerprint only gets slower.
std::vector<Connection> helpers(pg_conn* conn, unsigned wanted, const char* settings) {
  std::vector<Connection> opened;
  ResultPtr exported(PQexec(conn, "SELECT pg_catalog.pg_export_snapshot()"));
  if (PQresultStatus(exported.get()) != PGRES_TUPLES_OK) {
    log::debug(fmt::format("reading tables on one connection: {}", connection_error(conn)));
    return opened;
  }
  std::string snapshot = PQgetvalue(exported.get(), 0, 0);
  for (unsigned i = 0; i < wanted; ++i) {
    auto connection = helper(conn, snapshot, settings);
    if (!connection) {
      log::debug(connection.error().message);
      break;
    }
    opened.push_back(std::move(*connection));
  }
  return opened;
}

}  // namespace

Result<std::vector<RowSetHash>> read_tables(pg_conn* conn, const std::vector<TableToRead>& tables,
                                            Readers readers, const char* settings,
                                            std::int64_t parallel_from) {
  std::int64_t total = 0;
  for (const auto& table : tables) total += table.bytes;
  unsigned cores = std::max(2u, std::thread::hardware_concurrency());
  unsigned wanted = std::min<size_t>({kMaxReaders, cores, tables.size()});
  std::vector<Connection> extra;
  if (readers == Readers::kShareSnapshot && total >= parallel_from && wanted > 1)
    extra = helpers(conn, wanted - 1, settings);

  // Largest tables first, so that no reader is left with a big one at the end.
  std::vector<size_t> order(tables.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return tables[a].bytes > tables[b].bytes; });
  std::vector<RowSetHash> rows(tables.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::optional<Error> error;
  auto work = [&](pg_conn* reader) {
    for (size_t i; !failed && (i = next++) < order.size();) {
      auto read = read_rows(reader, tables[order[i]]);
      if (!read) {
        std::lock_guard lock(error_mutex);
        if (!error) error = read.error();
        failed = true;
        return;
      }
      rows[order[i]] = *read;
    }
  };
  std::vector<std::thread> threads;
  for (auto& connection : extra) threads.emplace_back(work, connection.get());
  work(conn);
  for (auto& thread : threads) thread.join();
  if (error) return tl::unexpected(*error);
  return rows;
}

}  // namespace migrate::postgres
