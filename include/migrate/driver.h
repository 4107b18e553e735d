// The one interface every database implements (SPEC §3–4).
//
// About a dozen database-level operations, as in dbmate: the engine decides
// what to run and in which transactions; a driver only executes. Drivers are
// chosen by URL scheme in open_driver() and are the only code that includes
// SOCI or a database's C client. Every method reports failure as a value;
// exceptions from the client libraries never leave a driver.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/byte_stream.h"
#include "migrate/error.h"
#include "migrate/fingerprint.h"
#include "migrate/migration.h"
#include "migrate/sql_script.h"
#include "migrate/url.h"

namespace migrate {

// What a snapshot contained, measured on the snapshot itself so that it is
// consistent with the bytes written.
struct SnapshotInfo {
  std::uint64_t size = 0;  // bytes of the snapshot before compression
  ContentFingerprint fingerprint;
};

// Where a batch of scripts stopped (Driver::execute_batch): indexes into the
// scripts given and into that script's statements, and the database's
// message as execute() reports it.
struct BatchFailure {
  std::size_t script = 0;
  std::size_t statement = 0;
  Error error;
};
// When each script of a batch finished, in order.
using BatchTimes = std::vector<std::chrono::steady_clock::time_point>;
using BatchResult = tl::expected<BatchTimes, BatchFailure>;

// Whether the command will take the runner lock. kOpenAhead lets a driver
// whose lock lives on a connection of its own (PostgreSQL) open that
// connection while the main one opens, instead of after it.
enum class LockConnection { kWhenAcquired, kOpenAhead };

struct DriverOptions {
  std::string table = "schema_migrations";  // tracking table, already validated
  LockConnection lock_connection = LockConnection::kWhenAcquired;
  // MIGRATE_PG_BINDIR: the only directory PostgreSQL's pg_dump is taken
  // from; empty: it is searched for.
  std::filesystem::path postgres_tool_dir;
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

  // Backups (SPEC §5). `scratch_dir` is where temporary files may go (the
  // backup store: same filesystem, private); they are named like AtomicFile
  // temporaries so that a crashed run's leftovers are cleaned up.

  // "sqlite-database", ...: the artifact format a snapshot is written in.
  virtual std::string snapshot_format() const = 0;
  // Bytes the database takes now: a bound for the free-space check.
  virtual Result<std::uint64_t> database_size() = 0;
  // Writes a consistent snapshot of the whole database to `sink` (finishing
  // it), even while other connections write.
  virtual Result<SnapshotInfo> snapshot(ByteSink& sink,
                                        const std::filesystem::path& scratch_dir) = 0;
  // Replaces the database with the snapshot read from `source`: afterwards it
  // holds exactly the snapshot's state. Nothing changes if reading fails, nor
  // when `expected` (the backup manifest's fingerprint; null: no check) does
  // not match what was read: that is checked before the live database is
  // replaced (a kRefused error naming the first difference).
  virtual Result<void> restore(ByteSource& source, const std::filesystem::path& scratch_dir,
                               const ContentFingerprint* expected) = 0;
  // How restore() uses its source. kStagedFirst: the whole snapshot is read
  // and set aside before the database is touched, so the artifact's checksum
  // can be checked as it streams instead of in a pass of its own.
  enum class RestoreInput { kAppliedWhileRead, kStagedFirst };
  virtual RestoreInput restore_input() const { return RestoreInput::kAppliedWhileRead; }
  // The fingerprint of the live database.
  virtual Result<ContentFingerprint> fingerprint() = 0;
  // Driver-specific lines for `doctor`: client library and dump tool
  // versions, and whether they suit the server. Each names what it checked.
  struct Check {
    std::string name;
    bool ok = true;
    std::string detail;
  };
  virtual std::vector<Check> doctor_checks() { return {}; }

  // Restores `source` into a scratch database, fingerprints it and drops it
  // (`verify --deep`); the live database is not touched.
  virtual Result<ContentFingerprint> fingerprint_snapshot(
      ByteSource& source, const std::filesystem::path& scratch_dir) = 0;
};

// The driver for the URL's scheme, connected. kConnection when the database
// cannot be reached, kUnsupported for a scheme whose driver is not built.
Result<std::unique_ptr<Driver>> open_driver(const DatabaseUrl& url, const DriverOptions& options);

}  // namespace migrate
