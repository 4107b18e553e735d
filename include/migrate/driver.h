// The one interface every database implements (SPEC §3–4).
//
// About a dozen database-level operations, as in dbmate: the engine decides
// what to run and in which transactions; a driver only executes. Drivers are
// chosen by URL scheme in open_driver() and are the only code that includes
// SOCI or a database's C client. Every method reports failure as a value;
// exceptions from the client libraries never leave a driver.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/error.h"
#include "migrate/migration.h"
#include "migrate/sql_script.h"
#include "migrate/url.h"

namespace migrate {

struct DriverOptions {
  std::string table = "schema_migrations";  // tracking table, already validated
};

class Driver {
 public:
  virtual ~Driver() = default;

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

  virtual Result<void> begin() = 0;
  virtual Result<void> commit() = 0;
  virtual Result<void> rollback() = 0;

  // Runs one statement. On failure the message is the database's own; the
  // engine adds the file, line and statement.
  virtual Result<void> execute(const Statement& statement) = 0;

  // Drops every table, view, trigger, index, sequence, routine and type
  // (`fresh`), the tracking table included.
  virtual Result<void> drop_all_objects() = 0;
};

// The driver for the URL's scheme, connected. kConnection when the database
// cannot be reached, kUnsupported for a scheme whose driver is not built.
Result<std::unique_ptr<Driver>> open_driver(const DatabaseUrl& url, const DriverOptions& options);

}  // namespace migrate
