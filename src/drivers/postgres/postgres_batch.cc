#include "drivers/postgres/postgres_batch.h"

#include <fmt/format.h>

#include <memory>
#include <optional>

#include "core/sql_lexer.h"

namespace migrate::postgres {
namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

bool is_copy(const Statement& statement) {
  SqlLexer lexer(statement.text, SqlDialect::kPostgres);
  auto token = lexer.next();
  return token && token->is_keyword("copy");
}

bool succeeded(ExecStatusType status) {
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

// Reads what is left up to the sync (the results the server skipped after a
// failure), then leaves pipeline mode.
void finish_pipeline(PGconn* conn) {
  int ends = 0;  // two nulls in a row: nothing more is queued
  while (PQstatus(conn) == CONNECTION_OK && ends < 2) {
    ResultPtr result(PQgetResult(conn), &PQclear);
    if (!result) {
      ++ends;
      continue;
    }
    ends = 0;
    if (PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) break;
  }
  PQexitPipelineMode(conn);
}

// Queues every statement, a flush request after each script and the sync.
// On failure, where sending stopped.
std::optional<BatchFailure> send_all(PGconn* conn, std::span<const SqlScript* const> scripts,
                                     const StatementFailure& failure) {
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const auto& statements = scripts[i]->statements;
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
    const SqlScript& last = *scripts.back();  // the caller saw a statement, so one exists
    return BatchFailure{scripts.size() - 1, last.statements.size() - 1,
                        failure(nullptr, last.statements.back())};
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
    finish_pipeline(conn);
    return tl::unexpected(std::move(*stopped));
  }
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const auto& statements = scripts[i]->statements;
    for (std::size_t j = 0; j < statements.size(); ++j) {
      ResultPtr result(PQgetResult(conn), &PQclear);
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
  constexpr std::size_t kRowsPerStatement = 1000;  // 7 parameters a row; the limit is 65,535
  constexpr int kColumns = 7;
  for (std::size_t begin = 0; begin < rows.size(); begin += kRowsPerStatement) {
    auto chunk = rows.subspan(begin, std::min(kRowsPerStatement, rows.size() - begin));
    std::string sql = fmt::format(
        "INSERT INTO {} (version, name, checksum, batch, applied_at, duration_ms, backup_id) "
        "VALUES ",
        table);
    std::vector<std::string> numbers;
    numbers.reserve(chunk.size() * 2);
    for (const auto& row : chunk) {
      numbers.push_back(std::to_string(row.batch));
      numbers.push_back(std::to_string(row.duration_ms));
    }
    std::vector<const char*> values;
    values.reserve(chunk.size() * kColumns);
    for (std::size_t k = 0; k < chunk.size(); ++k) {
      const auto& row = chunk[k];
      int p = static_cast<int>(k) * kColumns;
      sql += fmt::format("{}(${},${},${},${},${},${},${})", k ? "," : "", p + 1, p + 2, p + 3,
                         p + 4, p + 5, p + 6, p + 7);
      values.insert(values.end(),
                    {row.version.c_str(), row.name.c_str(), row.checksum.c_str(),
                     numbers[2 * k].c_str(), row.applied_at.c_str(), numbers[2 * k + 1].c_str(),
                     row.backup_id ? row.backup_id->c_str() : nullptr});
    }
    ResultPtr result(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0),
                     &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return fail(ErrorCode::kSql, fmt::format("cannot record migrations {} to {} in '{}': {}",
                                               chunk.front().version, chunk.back().version, table,
                                               failure(result.get(), Statement{}).message));
    }
  }
  return {};
}

}  // namespace migrate::postgres
