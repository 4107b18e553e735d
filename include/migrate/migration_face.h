// The migrations face of a driver: what the engine needs to apply and
// revert migrations, about a dozen operations as in dbmate.
//
// The engine decides what to run and in which transactions; this face only
// executes: statements, transactions, the runner lock and the tracking
// table. Every method reports failure as a value; exceptions from the client
// libraries never leave a driver. Engine code takes this face alone, so that
// it can be run against the in-memory driver of tests/engine.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/error.h"
#include "migrate/migration.h"
#include "migrate/sql_script.h"

namespace migrate {

// Where a batch of scripts stopped (MigrationFace::execute_batch): indexes
// into the scripts given and into that script's statements, and the
// database's message as execute() reports it.
struct BatchFailure {
  std::size_t script = 0;
  std::size_t statement = 0;
  Error error;
};
// When each script of a batch finished, in order.
using BatchTimes = std::vector<std::chrono::steady_clock::time_point>;
using BatchResult = tl::expected<BatchTimes, BatchFailure>;

class MigrationFace {
 public:
  virtual ~MigrationFace() = default;

  virtual SqlDialect dialect() const = 0;
  // True when DDL is transactional, so a migration and its row commit together
  // and `up --atomic` can run every migration in one transaction.
  virtual bool transactional_ddl() const = 0;
  // "SQLite 3.40.1", "PostgreSQL 15.4", ...
  virtual std::string server_version() = 0;

  // Takes the runner lock, polling without blocking the holder, for at most
  // `timeout`. A kLock error names the lock. Held until release_lock() or
  // destruction.
  virtual Result<void> acquire_lock(std::chrono::milliseconds timeout) = 0;
  virtual void release_lock() = 0;

  // Creates the tracking table, or adopts one that has only a version column
  // (dbmate, Rails) by adding the missing columns and keeping its rows.
  virtual Result<void> ensure_tracking_table() = 0;
  // Rows of the tracking table; empty when it does not exist yet (read-only).
  virtual Result<std::vector<AppliedMigration>> applied_migrations() = 0;
  virtual Result<void> record_applied(const AppliedMigration& row) = 0;
  virtual Result<void> remove_applied(std::string_view version) = 0;
  // Records the rows of a whole batch (`up --atomic`), inside the caller's
  // transaction. The default calls record_applied() for each.
  virtual Result<void> record_applied_all(std::span<const AppliedMigration> rows);

  virtual Result<void> begin() = 0;
  virtual Result<void> commit() = 0;
  virtual Result<void> rollback() = 0;

  // Runs one statement. On failure the message is the database's own; the
  // engine adds the file, line and statement.
  virtual Result<void> execute(const Statement& statement) = 0;
  // Runs every statement of `scripts` in order inside the caller's open
  // transaction (`up --atomic`), stopping at the first that fails; the
  // caller then rolls back. The default runs them one by one through
  // execute(); PostgreSQL sends them all before reading a result (pipeline
  // mode), which spares a round trip per statement.
  virtual BatchResult execute_batch(std::span<const SqlScript* const> scripts);

  // Drops every table, view, trigger, index, sequence, routine and type
  // (`fresh`), the tracking table included.
  virtual Result<void> drop_all_objects() = 0;
};

}  // namespace migrate
