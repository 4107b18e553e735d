// The SQLite driver's class, shared by sqlite_driver.cc (connection, runner
// lock, restore, fingerprint) and sqlite_schema.cc (tracking table, dropping
// objects). SOCI for the tracking table, the native handle (taken from
// SOCI's session, so there is one connection) for scripts and the lock.
#pragma once

// SOCI's header wraps <sqlite3.h> in namespace sqlite_api; it must come
// first so the C API is declared there, and be the only include of it.
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "drivers/sqlite/sqlite_driver.h"
#include "drivers/sqlite/sqlite_files.h"
#include "drivers/sqlite/sqlite_snapshot.h"
#include "drivers/tracking_rows.h"
#include "migrate/driver.h"

namespace migrate::sqlite {

class SqliteDriver final : public Driver {
 public:
  SqliteDriver(std::string path, DriverOptions options)
      : path_(std::move(path)), options_(std::move(options)) {}

  // Connects to the file, or, when it does not exist yet, to an empty
  // in-memory stand-in: reading commands then see an empty database and
  // leave no file behind. The file is created by the first write (ready()).
  Result<void> open();

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  bool transactional_ddl() const override { return true; }
  std::string server_version() override {
    return "SQLite " + std::string(sqlite_api::sqlite3_libversion());
  }

  Result<void> acquire_lock(std::chrono::milliseconds timeout) override;
  void release_lock() override;
  Result<void> ensure_tracking_table() override;
  Result<std::vector<AppliedMigration>> applied_migrations() override;
  Result<void> record_applied(const AppliedMigration& row) override {
    restored_fingerprint_.reset();
    return ready(Need::kWrite).and_then([&] { return rows_->insert(row); });
  }
  Result<void> remove_applied(std::string_view version) override {
    restored_fingerprint_.reset();
    return ready(Need::kWrite).and_then([&] { return rows_->remove(version); });
  }
  Result<void> begin() override { return exec_native("BEGIN"); }
  Result<void> commit() override { return exec_native("COMMIT"); }
  Result<void> rollback() override;
  Result<void> execute(const Statement& statement) override;
  Result<void> drop_all_objects() override;

  std::string_view name() const override { return kSqliteDriverName; }
  std::string snapshot_format() const override { return "sqlite-database"; }
  std::vector<Check> doctor_checks() override;
  Result<std::uint64_t> database_size() override {
    return ready_to_back_up().and_then([&] { return sqlite::database_size(db_); });
  }
  Result<SnapshotInfo> snapshot(ByteSink& sink, const std::filesystem::path& scratch_dir) override {
    return ready_to_back_up().and_then([&] { return sqlite::snapshot(db_, sink, scratch_dir); });
  }
  Result<void> restore(ByteSource& source, const std::filesystem::path& scratch_dir,
                       const ContentFingerprint* expected) override;
  // Both ways of restoring (sqlite_restore.h, restore_in_place) read the
  // whole snapshot into a file of their own before touching the database.
  RestoreInput restore_input() const override { return RestoreInput::kStagedFirst; }
  Result<ContentFingerprint> fingerprint() override;
  Result<ContentFingerprint> fingerprint_snapshot(
      ByteSource& source, const std::filesystem::path& scratch_dir) override {
    return sqlite::fingerprint_snapshot(source, scratch_dir);
  }

 private:
  enum class Need { kRead, kWrite };
  // Creates the database file for a write, or for anything done under a
  // runner lock taken while the file did not exist yet (then the lock is
  // taken now, in the time left of acquire_lock()'s timeout).
  Result<void> ready(Need need);
  // ready(Need::kRead) for a backup, refusing (kRefused) one of a database
  // file that does not exist outside a runner lock: `migrate backup` then
  // most likely names the wrong file. Under the lock (the automatic backup
  // of `up` on a new project) ready() has created the file: an empty
  // database, backed up as such.
  Result<void> ready_to_back_up();
  // Closes the connection (releasing every lock it holds) and connects to
  // `target`. The old connection goes first: closing it may remove its WAL
  // and shared-memory files by name.
  Result<void> reopen(const std::string& target);
  // Polls for SQLite's exclusive lock until `deadline`.
  Result<void> take_lock(std::chrono::milliseconds timeout,
                         std::chrono::steady_clock::time_point deadline);
  Error lock_timeout(std::chrono::milliseconds timeout) const;
  Result<void> exec_native(const std::string& sql);
  // Whether restore() replaces the database file (see sqlite_restore.h)
  // rather than copying into the connection (databases without a file).
  bool replaces_file() const {
    return !path_.empty() && path_ != ":memory:" && !path_.starts_with("file:");
  }
  Result<void> replace_file(ByteSource& source, const ContentFingerprint* expected);
  // Connects again to path_ after its file was replaced, taking the runner
  // lock back from `guard`, which holds it on the new file meanwhile.
  Result<void> reconnect(sqlite::Connection& guard);
  Result<std::set<std::string>> tracking_columns();
  Result<std::vector<std::pair<std::string, std::string>>> schema_objects();

  std::unique_ptr<soci::session> session_;
  sqlite_api::sqlite3* db_ = nullptr;  // owned by session_
  std::string path_;
  DriverOptions options_;
  std::unique_ptr<TrackingRows> rows_;  // bound to session_
  // The fingerprint of the file restore() put in place, taken from that file
  // under the lock held ever since; dropped at the first change.
  std::optional<ContentFingerprint> restored_fingerprint_;
  bool locked_ = false;
  bool missing_ = false;  // path_ did not exist when connected; db_ is the stand-in
  // acquire_lock() was called while the file was missing (see ready()).
  std::optional<std::pair<std::chrono::milliseconds, std::chrono::steady_clock::time_point>>
      deferred_lock_;
};

}  // namespace migrate::sqlite
