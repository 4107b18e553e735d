#include "drivers/postgres/postgres_batch.h"

#include <fmt/format.h>

#include <array>
#include <memory>
#include <optional>

#include "core/sql_lexer.h"
#include "drivers/postgres/pg_connection.h"

namespace migrate::postgres {
namespace {

bool is_copy(const Statement& statement) {
  SqlLexer lexer(statement.text, SqlDialect::kPostgres);
  auto token = lexer.next();
  return token && token->is_keyword("copy");
}

// `text` as a field of COPY's text format.
std::string copy_field(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool succeeded(ExecStatusType status) {
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

// Reads what is left up to the sync (the results the server skipped after a
// failure), then leaves pipeline mode.
void finish_pipeline(PGconn* conn) {
  int ends = 0;  // two nulls in a row: nothing more is queued
  while (PQstatus(conn) == CONNECTION_OK && ends < 2) {
    ResultPtr result(PQgetResult(conn));
    if (!result) {
      ++ends;
      continue;
    }
    ends = 0;
    if (PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) break;
  }
  PQexitPipelineMode(conn);
}

// Whether a RESET ALL goes before script `i`: each migration of the batch
// starts from the connection's own settings, as one run alone does (see
// PostgresDriver::record_applied), whatever the one before it SET.
bool resets_before(std::span<const SqlScript* const> scripts, std::size_t i) {
  if (scripts[i]->statements.empty()) return false;
  for (std::size_t earlier = 0; earlier < i; ++earlier)
    if (!scripts[earlier]->statements.empty()) return true;
  return false;
}

// RESET ALL leaves the role and the session authorization: a SET ROLE would
// carry over; and it brings back the database's search_path, so pg_catalog
// goes first again (pg_connection.h). One statement each: a pipeline takes
// no multi-statement query.
constexpr std::array<const char*, 4> kResets = {"RESET ALL", "RESET SESSION AUTHORIZATION",
                                                "RESET ROLE", kCatalogFirst};

// Queues every statement, a flush request after each script and the sync.
// On failure, where sending stopped.
std::optional<BatchFailure> send_all(PGconn* conn, std::span<const SqlScript* const> scripts,
                                     const StatementFailure& failure) {
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const auto& statements = scripts[i]->statements;
    for (const char* reset : kResets) {
      if (resets_before(scripts, i) &&
          !PQsendQueryParams(conn, reset, 0, nullptr, nullptr, nullptr, nullptr, 0))
        return BatchFailure{i, 0, failure(nullptr, statements.front())};
    }
    for (std::size_t j = 0; j < statements.size(); ++j) {
      if (!PQsendQueryParams(conn, statements[j].text.c_str(), 0, nullptr, nullptr, nullptr,
                             nullptr, 0)) {
        return BatchFailure{i, j, failure(nullptr, statements[j])};
      }
    }
    if (!statements.empty() && !PQsendFlushRequest(conn))
      return BatchFailure{i, statements.size() - 1, failure(nullptr, statements.back())};
  }
  if (!PQpipelineSync(conn)) {
    std::size_t i = scripts.size() - 1;
    while (scripts[i]->statements.empty()) --i;  // the caller saw a statement, so one exists
    return BatchFailure{i, scripts[i]->statements.size() - 1,
                        failure(nullptr, scripts[i]->statements.back())};
  }
  return std::nullopt;
}

}  // namespace

bool pipelinable(std::span<const SqlScript* const> scripts) {
  for (const SqlScript* script : scripts) {
    for (const auto& statement : script->statements) {
      if (is_copy(statement)) return false;
    }
  }
  return true;
}

BatchResult run_pipeline(PGconn* conn, std::span<const SqlScript* const> scripts,
                         const StatementFailure& failure) {
  BatchTimes finished;
  finished.reserve(scripts.size());
  bool any = false;
  for (const SqlScript* script : scripts) any = any || !script->statements.empty();
  if (!any) {
    finished.assign(scripts.size(), std::chrono::steady_clock::now());
    return finished;
  }
  if (PQenterPipelineMode(conn) != 1) {
    std::size_t i = 0;
    while (scripts[i]->statements.empty()) ++i;
    return tl::unexpected(BatchFailure{i, 0, failure(nullptr, scripts[i]->statements.front())});
  }
  if (auto stopped = send_all(conn, scripts, failure)) {
    PQpipelineSync(conn);  // so that what was sent is answered (a lost connection ends it anyway)
    finish_pipeline(conn);
    return tl::unexpected(std::move(*stopped));
  }
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const auto& statements = scripts[i]->statements;
    for (const char* reset : kResets) {
      if (!resets_before(scripts, i)) break;
      ResultPtr result(PQgetResult(conn));
      if (!result || !succeeded(PQresultStatus(result.get()))) {
        BatchFailure stopped{i, 0, failure(result.get(), Statement{reset, 0})};
        result.reset();
        finish_pipeline(conn);
        return tl::unexpected(std::move(stopped));
      }
      result.reset(PQgetResult(conn));  // the null that ends its results
    }
    for (std::size_t j = 0; j < statements.size(); ++j) {
      ResultPtr result(PQgetResult(conn));
      if (!result || !succeeded(PQresultStatus(result.get()))) {
        // The first failure: the server skips everything up to the sync.
        BatchFailure stopped{i, j, failure(result.get(), statements[j])};
        result.reset();
        finish_pipeline(conn);
        return tl::unexpected(std::move(stopped));
      }
      result.reset(PQgetResult(conn));  // the null that ends the statement's results
    }
    finished.push_back(std::chrono::steady_clock::now());
  }
  finish_pipeline(conn);
  return finished;
}

Result<void> insert_rows(PGconn* conn, const std::string& table,
                         std::span<const AppliedMigration> rows, const StatementFailure& failure) {
  if (rows.empty()) return {};
  auto failed = [&](const PGresult* result) {
    std::string which = rows.size() == 1 ? fmt::format("migration {}", rows.front().version)
                                         : fmt::format("migrations {} to {}", rows.front().version,
                                                       rows.back().version);
    return fail(ErrorCode::kSql, fmt::format("cannot record {} as applied in '{}': {}", which,
                                             table, failure(result, Statement{}).message));
  };
  std::string copy = fmt::format(
      "COPY {} (version, name, checksum, batch, applied_at, duration_ms, backup_id) FROM STDIN",
      table);
  ResultPtr started(PQexec(conn, copy.c_str()));
  if (PQresultStatus(started.get()) != PGRES_COPY_IN) return failed(started.get());
  std::string data;
  for (const auto& row : rows) {
    data += copy_field(row.version) + '\t' + copy_field(row.name) + '\t' +
            copy_field(row.checksum) + '\t' + std::to_string(row.batch) + '\t' +
            copy_field(row.applied_at) + '\t' + std::to_string(row.duration_ms) + '\t' +
            (row.backup_id ? copy_field(*row.backup_id) : std::string("\\N")) + '\n';
  }
  bool sent = PQputCopyData(conn, data.data(), static_cast<int>(data.size())) == 1;
  PQputCopyEnd(conn, sent ? nullptr : "migrate could not send the rows");
  ResultPtr done(PQgetResult(conn));
  bool ok = PQresultStatus(done.get()) == PGRES_COMMAND_OK;
  auto result = ok ? Result<void>() : failed(done.get());
  done.reset();
  while (PGresult* rest = PQgetResult(conn)) PQclear(rest);
  return result;
}

}  // namespace migrate::postgres
