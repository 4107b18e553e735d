// `up --atomic` in a handful of round trips instead of one per statement and
// one per row: every statement of every migration goes through libpq's
// pipeline mode (sent back to back, results read afterwards), and the
// tracking rows of the whole batch go in one COPY.
//
// Only what the pipeline can carry goes through it: COPY needs a client
// stream, so a batch holding a COPY runs statement by statement, where
// execute() gives its own message. Statements that cannot run in a
// transaction never reach a batch (they are refused before anything runs,
// and --atomic refuses no-transaction files).
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <span>
#include <string>

#include "migrate/driver.h"

namespace migrate::postgres {

// True when every statement of `scripts` can go through the pipeline.
bool pipelinable(std::span<const SqlScript* const> scripts);

// The error for a statement that failed with `result` (null when libpq gave
// none, e.g. the connection was lost): what execute() reports.
using StatementFailure = std::function<Error(const PGresult* result, const Statement& statement)>;

// Runs every statement of `scripts` in the connection's open transaction,
// in one pipeline with one sync at the end; a flush request after each script
// brings its results back as soon as it has run, so that the time each
// finished is known. At the first failure the server skips the rest and the
// transaction is left failed for the caller to roll back. The connection is
// out of pipeline mode again on return, unless it was lost.
BatchResult run_pipeline(PGconn* conn, std::span<const SqlScript* const> scripts,
                         const StatementFailure& failure);

// Inserts `rows` into `table` (schema-qualified) with one COPY: the server
// converts each field with its column's input function, so an adopted table
// whose columns have other types takes them as an INSERT would.
Result<void> insert_rows(PGconn* conn, const std::string& table,
                         std::span<const AppliedMigration> rows, const StatementFailure& failure);

}  // namespace migrate::postgres
