// The SQLite driver's connection, runner lock, restore and fingerprint
// (sqlite_driver_impl.h); the tracking table and dropping objects are in
// sqlite_schema.cc.
#include "drivers/sqlite/sqlite_driver.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <thread>

#include "drivers/sqlite/sqlite_driver_impl.h"
#include "drivers/sqlite/sqlite_restore.h"
#include "drivers/sqlite/sqlite_snapshot.h"
#include "util/clock.h"
#include "util/env.h"
#include "util/log.h"
#include "util/open_files.h"

namespace migrate::sqlite {

namespace {

using namespace sqlite_api;

constexpr auto kLockPollInterval = std::chrono::milliseconds(50);
constexpr auto kRelockTimeout = std::chrono::seconds(5);

// SOCI serves the tracking table (prepared statements with typed binding and
// NULL indicators, shared with the server drivers in tracking_rows.cc); the
// C API, reached through the one session so that there is one connection,
// serves scripts, the lock and the backup API, which SOCI does not expose.
// This is the one place that reaches past SOCI for it.
sqlite3* native_handle(soci::session& session) {
  return static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
}

constexpr int kBusyTimeoutMs = 5000;

Result<std::unique_ptr<soci::session>> connect(const std::string& path) {
  try {
    auto session =
        std::make_unique<soci::session>(*soci::factory_sqlite3(), fmt::format("db=\"{}\"", path));
    // Other connections (the application) may hold short locks; wait for them
    // rather than failing a read. The runner lock has its own timeout.
    sqlite3_busy_timeout(native_handle(*session), kBusyTimeoutMs);
    return session;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kConnection,
                fmt::format("cannot open SQLite database '{}': {}", path, e.what()));
  }
}

// Whether `path` names a database file that is not there yet. In-memory and
// URI names never are.
bool file_missing(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) return false;
  struct stat st;
  return env().stat(path, &st) != 0 && errno == ENOENT;
}

}  // namespace

Result<void> SqliteDriver::open() {
  path_ = through_symlinks(path_);
  missing_ = file_missing(path_);
  if (!missing_) return reopen(path_);
  // A file that could never be created is a connection failure, as before.
  auto dir = std::filesystem::path(path_).parent_path();
  struct stat st;
  if (!dir.empty() && (env().stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
    return fail(ErrorCode::kConnection,
                fmt::format("cannot open SQLite database '{}': directory '{}' does not exist",
                            path_, dir.string()));
  }
  return reopen(":memory:");
}

Result<void> SqliteDriver::reopen(const std::string& target) {
  rows_.reset();
  session_.reset();
  db_ = nullptr;
  auto session = connect(target);
  Result<void> result;
  if (!session) {
    // An empty stand-in keeps the driver usable, so later calls fail cleanly.
    result = tl::unexpected(session.error());
    missing_ = true;
    session = connect(":memory:");
    if (!session) return result;
  }
  session_ = std::move(*session);
  db_ = native_handle(*session_);
  rows_ = std::make_unique<TrackingRows>(*session_, options_.table);
  return result;
}

Result<void> SqliteDriver::ready(Need need) {
  if (!missing_ || (need == Need::kRead && !deferred_lock_)) return {};
  if (auto r = reopen(path_); !r) return r;
  missing_ = false;
  if (!deferred_lock_) return {};
  auto [timeout, deadline] = *deferred_lock_;
  deferred_lock_.reset();
  locked_ = false;
  return take_lock(timeout, deadline);
}

Result<void> SqliteDriver::ready_to_back_up() {
  if (auto r = ready(Need::kRead); !r || !missing_) return r;
  return fail(ErrorCode::kRefused,
              fmt::format("SQLite database file '{}' does not exist; nothing to back up", path_),
              "check --url or DATABASE_URL; `migrate up` creates the database (and backs up "
              "the empty database before it)");
}

Result<void> SqliteDriver::exec_native(const std::string& sql) {
  return execute(Statement{sql, 0});
}

Result<void> SqliteDriver::execute(const Statement& statement) {
  restored_fingerprint_.reset();
  if (auto r = ready(Need::kWrite); !r) return r;
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
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (missing_) {
    // Creating the file just to lock it would leave one behind for `doctor`;
    // whatever comes next under the lock creates and locks it (ready()).
    deferred_lock_.emplace(timeout, deadline);
    locked_ = true;
    return {};
  }
  return take_lock(timeout, deadline);
}

Result<void> SqliteDriver::take_lock(std::chrono::milliseconds timeout,
                                     std::chrono::steady_clock::time_point deadline) {
  // Exclusive locking mode keeps the lock past COMMIT until the connection
  // closes. In a WAL database this is the lock on the database file itself,
  // which every open connection shares: so a failed attempt closes the
  // connection, and waiters never hold a shared lock that would keep the
  // holder (or the holder's successor) from taking it.
  bool announced = false;
  std::minstd_rand jitter(static_cast<unsigned>(::getpid()));
  for (;;) {
    sqlite3_busy_timeout(db_, 0);
    int rc = sqlite3_exec(db_, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;", nullptr,
                          nullptr, nullptr);
    if (rc == SQLITE_OK) {
      sqlite3_busy_timeout(db_, kBusyTimeoutMs);
      locked_ = true;
      return {};
    }
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
      return fail(ErrorCode::kLock,
                  fmt::format("cannot take the exclusive lock on SQLite database '{}': {}", path_,
                              sqlite3_errmsg(db_)));
    }
    if (auto r = reopen(path_); !r) return r;
    if (!announced) {
      log::info(fmt::format("another runner holds the exclusive lock on '{}'; waiting up to {} s",
                            path_,
                            std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
      announced = true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return tl::unexpected(lock_timeout(timeout));
    // Runners that collided retry at different times.
    env().sleep_for(kLockPollInterval + std::chrono::milliseconds(jitter() % 50));
  }
}

Error SqliteDriver::lock_timeout(std::chrono::milliseconds timeout) const {
  return Error{
      ErrorCode::kLock,
      fmt::format("timed out after {} s waiting for the exclusive lock on SQLite database '{}': "
                  "another runner holds it, or another connection has the database open in WAL "
                  "mode",
                  std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), path_),
      "wait for the other runner to finish, or raise --lock-timeout; a WAL database can be "
      "locked only while no other connection has it open"};
}

void SqliteDriver::release_lock() {
  if (!locked_) return;
  locked_ = false;
  if (deferred_lock_) {
    deferred_lock_.reset();
    return;
  }
  // Closing the connection releases the lock in every journal mode (a WAL
  // database cannot leave exclusive locking mode once it has used it).
  (void)reopen(path_);
}

Result<void> SqliteDriver::restore(ByteSource& source, const std::filesystem::path& scratch_dir,
                                   const ContentFingerprint* expected) {
  if (auto r = ready(Need::kWrite); !r) return r;
  restored_fingerprint_.reset();
  if (!replaces_file()) return sqlite::restore_in_place(db_, source, scratch_dir, expected);
  // Another process (the application) holding the file would keep the old
  // one after a rename; copying in place is slower but it sees the result.
  if (auto holders = other_processes_with_open(path_); !holders.empty()) {
    log::info(
        fmt::format("process {} has '{}' open: restoring in place so that it sees the restored "
                    "database (slower than replacing the file)",
                    holders.front(), path_));
    return sqlite::restore_in_place(db_, source, scratch_dir, expected);
  }
  // A file with other names (hard links) would keep the old content under
  // them after a rename.
  if (struct stat st; env().stat(path_, &st) == 0 && st.st_nlink > 1) {
    log::info(
        fmt::format("'{}' has {} hard links: restoring in place so that each of them holds "
                    "the restored database (slower than replacing the file)",
                    path_, st.st_nlink));
    return sqlite::restore_in_place(db_, source, scratch_dir, expected);
  }
  return replace_file(source, expected);
}

Result<void> SqliteDriver::replace_file(ByteSource& source, const ContentFingerprint* expected) {
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
  // A backup whose content is not what its manifest says never goes live.
  if (auto r = sqlite::check_fingerprint(*restored, expected); !r) return r;
  log::debug(fmt::format("staged snapshot synced ({} ms)", elapsed_ms(started)));
  if (auto r = sqlite::swap_in(db_, **staged, path_); !r) return r;
  auto reconnected = reconnect(guard);
  // The guard opened the staged file under its temporary name: its -wal
  // (empty: it wrote nothing) keeps that name after the rename.
  sqlite::remove_companions((*staged)->temporary_path());
  if (!reconnected) return reconnected;
  restored_fingerprint_ = std::move(*restored);
  return {};
}

Result<ContentFingerprint> SqliteDriver::fingerprint() {
  if (restored_fingerprint_) {
    ContentFingerprint fp = std::move(*restored_fingerprint_);
    restored_fingerprint_.reset();
    return fp;
  }
  if (auto r = ready(Need::kRead); !r) return tl::unexpected(r.error());
  return sqlite::fingerprint(db_);
}

Result<void> SqliteDriver::reconnect(sqlite::Connection& guard) {
  bool was_locked = locked_;
  locked_ = false;
  if (auto r = reopen(path_); !r) return r;
  sqlite3_close_v2(guard.db);
  guard.db = nullptr;
  if (!was_locked) return {};
  return acquire_lock(kRelockTimeout);
}

std::vector<Driver::Check> SqliteDriver::doctor_checks() {
  std::vector<Check> checks{
      {"sqlite library", true,
       fmt::format("{} (snapshots read pages under SQLite's lock; no external dump tool needed)",
                   sqlite3_libversion())}};
  if (missing_) {
    checks.push_back({"database file", true,
                      fmt::format("'{}' does not exist yet; the first command that changes the "
                                  "database creates it",
                                  path_)});
  }
  return checks;
}

}  // namespace migrate::sqlite

namespace migrate {

Result<std::unique_ptr<Driver>> open_sqlite_driver(const DatabaseUrl& url,
                                                   const DriverOptions& options) {
  auto driver = std::make_unique<sqlite::SqliteDriver>(url.path, options);
  if (auto r = driver->open(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<Driver>(std::move(driver));
}

}  // namespace migrate
