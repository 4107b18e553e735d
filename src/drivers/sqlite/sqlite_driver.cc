#include "drivers/sqlite/sqlite_driver.h"

// SOCI's header wraps <sqlite3.h> in namespace sqlite_api; it must come
// first so the C API is declared there, and be the only include of it.
#include <fmt/format.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <map>
#include <optional>
#include <set>
#include <thread>

#include "drivers/sqlite/sqlite_restore.h"
#include "drivers/sqlite/sqlite_snapshot.h"
#include "drivers/tracking_rows.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/open_files.h"

namespace migrate {
namespace {

using namespace sqlite_api;

constexpr auto kLockPollInterval = std::chrono::milliseconds(50);
constexpr auto kRelockTimeout = std::chrono::seconds(5);

sqlite3* native_handle(soci::session& session) {
  return static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
}

Result<std::unique_ptr<soci::session>> connect(const std::string& path) {
  try {
    auto session =
        std::make_unique<soci::session>(*soci::factory_sqlite3(), fmt::format("db=\"{}\"", path));
    // Other connections (the application) may hold short locks; wait for them
    // rather than failing a read. The runner lock has its own timeout.
    sqlite3_busy_timeout(native_handle(*session), 5000);
    return session;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kConnection,
                fmt::format("cannot open SQLite database '{}': {}", path, e.what()));
  }
}

std::string quote_identifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

class SqliteDriver final : public Driver {
 public:
  SqliteDriver(std::unique_ptr<soci::session> session, std::string path, DriverOptions options)
      : session_(std::move(session)),
        db_(native_handle(*session_)),
        path_(std::move(path)),
        options_(std::move(options)),
        rows_(std::make_unique<TrackingRows>(*session_, options_.table)) {}

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  bool transactional_ddl() const override { return true; }
  std::string server_version() override { return fmt::format("SQLite {}", sqlite3_libversion()); }

  Result<void> acquire_lock(std::chrono::milliseconds timeout) override;
  void release_lock() override;
  Result<void> ensure_tracking_table() override;
  Result<std::vector<AppliedMigration>> applied_migrations() override;
  Result<void> record_applied(const AppliedMigration& row) override {
    restored_fingerprint_.reset();
    return rows_->insert(row);
  }
  Result<void> remove_applied(std::string_view version) override {
    restored_fingerprint_.reset();
    return rows_->remove(version);
  }
  Result<void> begin() override { return exec_native("BEGIN"); }
  Result<void> commit() override { return exec_native("COMMIT"); }
  Result<void> rollback() override;
  Result<void> execute(const Statement& statement) override;
  Result<void> drop_all_objects() override;

  std::string snapshot_format() const override { return "sqlite-database"; }
  std::vector<Check> doctor_checks() override {
    return {
        {"sqlite library", true,
         fmt::format("{} (snapshots read pages under SQLite's lock; no external dump tool needed)",
                     sqlite3_libversion())}};
  }
  Result<std::uint64_t> database_size() override { return sqlite::database_size(db_); }
  Result<SnapshotInfo> snapshot(ByteSink& sink, const std::filesystem::path& scratch_dir) override {
    return sqlite::snapshot(db_, sink, scratch_dir);
  }
  Result<void> restore(ByteSource& source, const std::filesystem::path& scratch_dir) override;
  // Both ways of restoring (sqlite_restore.h, restore_in_place) read the
  // whole snapshot into a file of their own before touching the database.
  RestoreInput restore_input() const override { return RestoreInput::kStagedFirst; }
  Result<ContentFingerprint> fingerprint() override;
  Result<ContentFingerprint> fingerprint_snapshot(
      ByteSource& source, const std::filesystem::path& scratch_dir) override {
    return sqlite::fingerprint_snapshot(source, scratch_dir);
  }

 private:
  Result<void> exec_native(const std::string& sql);
  // Whether restore() replaces the database file (see sqlite_restore.h)
  // rather than copying into the connection (databases without a file).
  bool replaces_file() const {
    return !path_.empty() && path_ != ":memory:" && !path_.starts_with("file:");
  }
  // Connects again to path_ after its file was replaced, taking the runner
  // lock back from `guard`, which holds it on the new file meanwhile.
  Result<void> reconnect(sqlite::Connection& guard);
  Result<std::set<std::string>> tracking_columns();
  Result<std::vector<std::pair<std::string, std::string>>> schema_objects();

  std::unique_ptr<soci::session> session_;
  sqlite3* db_;  // owned by session_
  std::string path_;
  DriverOptions options_;
  std::unique_ptr<TrackingRows> rows_;  // bound to session_
  // The fingerprint of the file restore() put in place, taken from that file
  // under the lock held ever since; dropped at the first change.
  std::optional<ContentFingerprint> restored_fingerprint_;
  bool locked_ = false;
};

Result<void> SqliteDriver::exec_native(const std::string& sql) {
  return execute(Statement{sql, 0});
}

Result<void> SqliteDriver::execute(const Statement& statement) {
  restored_fingerprint_.reset();
  // Step through every statement of the text, as the sqlite3 shell does, so
  // that a text holding more than one statement still runs completely.
  const char* tail = statement.text.c_str();
  while (tail && *tail) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, tail, -1, &stmt, &tail);
    if (rc != SQLITE_OK) return fail(ErrorCode::kSql, sqlite3_errmsg(db_));
    if (!stmt) continue;  // only whitespace or comments were left
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) {
      std::string message = sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      return fail(ErrorCode::kSql, message);
    }
    sqlite3_finalize(stmt);
  }
  return {};
}

Result<void> SqliteDriver::rollback() {
  if (sqlite3_get_autocommit(db_)) return {};  // SQLite already rolled back on the error
  return exec_native("ROLLBACK");
}

Result<void> SqliteDriver::acquire_lock(std::chrono::milliseconds timeout) {
  // Poll BEGIN EXCLUSIVE in normal locking mode: a failed attempt then drops
  // every lock, so waiters never hold a shared lock that would block the
  // holder's successor. Once we have the exclusive lock, exclusive locking
  // mode keeps it past COMMIT until the connection closes or release_lock().
  sqlite3_busy_timeout(db_, 0);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool announced = false;
  for (;;) {
    int rc = sqlite3_exec(db_, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) break;
    if (rc != SQLITE_BUSY) return fail(ErrorCode::kLock, sqlite3_errmsg(db_));
    if (!announced) {
      log::info(fmt::format("another runner holds the exclusive lock on '{}'; waiting up to {} s",
                            path_,
                            std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
      announced = true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(
          ErrorCode::kLock,
          fmt::format("timed out after {} s waiting for the exclusive lock on SQLite "
                      "database '{}': another runner holds it",
                      std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), path_),
          "wait for the other runner to finish, or raise --lock-timeout");
    }
    std::this_thread::sleep_for(kLockPollInterval);
  }
  if (auto r = exec_native("PRAGMA locking_mode = EXCLUSIVE"); !r) return r;
  if (auto r = exec_native("COMMIT"); !r) return r;
  locked_ = true;
  return {};
}

void SqliteDriver::release_lock() {
  if (!locked_) return;
  // Leaving exclusive mode releases the lock at the next access.
  sqlite3_exec(db_, "PRAGMA locking_mode = NORMAL; SELECT 1 FROM sqlite_master LIMIT 1;", nullptr,
               nullptr, nullptr);
  locked_ = false;
}

Result<std::set<std::string>> SqliteDriver::tracking_columns() {
  std::set<std::string> columns;
  try {
    std::string name;
    soci::statement st = (session_->prepare << "SELECT name FROM pragma_table_info(:t)",
                          soci::use(options_.table), soci::into(name));
    st.execute();
    while (st.fetch()) columns.insert(name);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kSql,
                fmt::format("cannot inspect table '{}': {}", options_.table, e.what()));
  }
  return columns;
}

Result<void> SqliteDriver::ensure_tracking_table() {
  auto columns = tracking_columns();
  if (!columns) return tl::unexpected(columns.error());
  if (columns->empty()) {
    return exec_native(fmt::format(
        "CREATE TABLE {} (version TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL DEFAULT '', "
        "checksum TEXT NOT NULL DEFAULT '', batch INTEGER NOT NULL DEFAULT 0, applied_at TEXT "
        "NOT NULL DEFAULT '', duration_ms INTEGER NOT NULL DEFAULT 0, backup_id TEXT)",
        options_.table));
  }
  if (!columns->count("version")) {
    return fail(ErrorCode::kRefused,
                fmt::format("table '{}' exists but has no 'version' column", options_.table),
                "choose another tracking table with --table");
  }
  // Adopting a dbmate/Rails table: add what is missing, keep the rows.
  static const std::map<std::string, std::string> kAddedColumns = {
      {"name", "TEXT NOT NULL DEFAULT ''"},          {"checksum", "TEXT NOT NULL DEFAULT ''"},
      {"batch", "INTEGER NOT NULL DEFAULT 0"},       {"applied_at", "TEXT NOT NULL DEFAULT ''"},
      {"duration_ms", "INTEGER NOT NULL DEFAULT 0"}, {"backup_id", "TEXT"}};
  for (const auto& [column, type] : kAddedColumns) {
    if (columns->count(column)) continue;
    auto r =
        exec_native(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", options_.table, column, type));
    if (!r) return r;
  }
  return {};
}

Result<std::vector<AppliedMigration>> SqliteDriver::applied_migrations() {
  auto columns = tracking_columns();
  if (!columns) return tl::unexpected(columns.error());
  if (columns->empty()) return std::vector<AppliedMigration>{};
  return rows_->read(*columns);
}

Result<void> SqliteDriver::restore(ByteSource& source, const std::filesystem::path& scratch_dir) {
  if (!replaces_file()) return sqlite::restore_in_place(db_, source, scratch_dir);
  // Another process (the application) holding the file would keep the old
  // one after a rename; copying in place is slower but it sees the result.
  if (auto holders = other_processes_with_open(path_); !holders.empty()) {
    log::info(
        fmt::format("process {} has '{}' open: restoring in place so that it sees the restored "
                    "database (slower than replacing the file)",
                    holders.front(), path_));
    return sqlite::restore_in_place(db_, source, scratch_dir);
  }
  restored_fingerprint_.reset();
  auto started = std::chrono::steady_clock::now();
  auto staged = sqlite::stage_snapshot(source, path_);
  if (!staged) return tl::unexpected(staged.error());
  log::debug(fmt::format("snapshot staged as '{}' ({} ms)", (*staged)->temporary_path().string(),
                         elapsed_ms(started)));
  // While the staged file syncs, it is locked (it will carry the runner lock
  // across the rename) and fingerprinted: the file about to become the
  // database, which nothing can change until this connection takes over.
  Result<void> synced;
  std::thread syncer([&] { synced = (*staged)->finish(); });
  sqlite::Connection guard;
  Result<ContentFingerprint> restored =
      sqlite::lock_exclusively((*staged)->temporary_path(), guard).and_then([&] {
        return sqlite::fingerprint(guard.db);
      });
  log::debug(fmt::format("staged snapshot fingerprinted ({} ms)", elapsed_ms(started)));
  syncer.join();
  if (!synced) return synced;
  if (!restored) return tl::unexpected(restored.error());
  log::debug(fmt::format("staged snapshot synced ({} ms)", elapsed_ms(started)));
  if (auto r = sqlite::swap_in(db_, **staged, path_); !r) return r;
  if (auto r = reconnect(guard); !r) return r;
  restored_fingerprint_ = std::move(*restored);
  return {};
}

Result<ContentFingerprint> SqliteDriver::fingerprint() {
  if (restored_fingerprint_) {
    ContentFingerprint fp = std::move(*restored_fingerprint_);
    restored_fingerprint_.reset();
    return fp;
  }
  return sqlite::fingerprint(db_);
}

Result<void> SqliteDriver::reconnect(sqlite::Connection& guard) {
  bool was_locked = locked_;
  locked_ = false;
  // The old connection goes first: closing it removes its files by name.
  rows_.reset();
  session_.reset();
  db_ = nullptr;
  auto session = connect(path_);
  if (!session) return tl::unexpected(session.error());
  session_ = std::move(*session);
  db_ = native_handle(*session_);
  rows_ = std::make_unique<TrackingRows>(*session_, options_.table);
  sqlite3_close_v2(guard.db);
  guard.db = nullptr;
  if (!was_locked) return {};
  return acquire_lock(kRelockTimeout);
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteDriver::schema_objects() {
  std::vector<std::pair<std::string, std::string>> objects;
  try {
    std::string type, name;
    soci::statement st = (session_->prepare << "SELECT type, name FROM sqlite_master WHERE type IN "
                                               "('view', 'trigger', 'table') AND name NOT LIKE "
                                               "'sqlite_%' ORDER BY type = 'table', name",
                          soci::into(type), soci::into(name));
    st.execute();
    while (st.fetch()) objects.emplace_back(type, name);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kSql, fmt::format("cannot list schema objects: {}", e.what()));
  }
  return objects;
}

Result<void> SqliteDriver::drop_all_objects() {
  auto objects = schema_objects();
  if (!objects) return tl::unexpected(objects.error());
  // Foreign keys would make the drop order matter. The pragma is a no-op
  // inside a transaction, so it is switched off around it and put back.
  int foreign_keys = 0;
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &foreign_keys);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, 0, nullptr);
  auto result = begin();
  for (size_t i = 0; result && i < objects->size(); ++i) {
    const auto& [type, name] = (*objects)[i];
    result = exec_native(fmt::format("DROP {} IF EXISTS {}", type, quote_identifier(name)));
    if (!result) {
      result = fail(ErrorCode::kSql,
                    fmt::format("cannot drop {} '{}': {}", type, name, result.error().message));
    }
  }
  if (result)
    result = commit();
  else
    (void)rollback();
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, foreign_keys, nullptr);
  return result;
}

}  // namespace

Result<std::unique_ptr<Driver>> open_sqlite_driver(const DatabaseUrl& url,
                                                   const DriverOptions& options) {
  auto session = connect(url.path);
  if (!session) return tl::unexpected(session.error());
  return std::unique_ptr<Driver>(
      std::make_unique<SqliteDriver>(std::move(*session), url.path, options));
}

}  // namespace migrate
