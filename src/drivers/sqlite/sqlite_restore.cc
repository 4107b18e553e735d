#include "drivers/sqlite/sqlite_restore.h"

#include <fmt/format.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "util/env.h"
#include "util/files.h"

namespace migrate::sqlite {
namespace {

using namespace sqlite_api;

constexpr size_t kChunk = 1 << 20;

// Whether `path` is a regular file of ours. The database's directory may be
// shared (a sticky /tmp): a name like our temporaries' may be another user's
// file, or a symlink to one, and is then none of our business.
bool is_own_regular_file(const std::filesystem::path& path) {
  struct stat st;
  return env().lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid();
}

// The mark of a restore's staged copy beside the database: only files that
// carry it (".migrate-<database>.tmp-<pid>") are ever removed there.
constexpr std::string_view kStagedPrefix = "migrate-";

// Removes staged copies (and their SQLite companions) whose restore died
// with its process.
void remove_crashed_restores(const std::filesystem::path& database) {
  auto dir = database.parent_path().empty() ? std::filesystem::path(".") : database.parent_path();
  std::string prefix = fmt::format(".{}{}.tmp-", kStagedPrefix, database.filename().string());
  std::vector<std::string> names;
  env().list(dir, names);
  for (const auto& name : names) {
    if (!name.starts_with(prefix)) continue;
    long owner = temporary_owner(name);
    if (owner != 0 && (owner == ::getpid() || !process_alive(owner)) &&
        is_own_regular_file(dir / name))
      remove_if_present(dir / name);
  }
}

// The restored file takes the place of the old one: same permissions, and
// the same owner when we may set it (as root).
void copy_mode_and_owner(const std::filesystem::path& from, const std::filesystem::path& to) {
  struct stat st;
  if (env().stat(from, &st) != 0) return;
  env().chmod(to, st.st_mode & 07777);
  if (::geteuid() == 0) (void)env().chown(to, st.st_uid, st.st_gid);
}

// Gives a zero-length staged file (the empty database's snapshot) the one
// page SQLite writes when it first locks a new database. Taking the runner
// lock would write it anyway, after the staged file was synced; written now,
// it is synced with the rest. No journal: a crash leaves only a temporary.
Result<void> write_empty_database(const std::filesystem::path& path) {
  Connection db;
  if (auto r = open_connection(path, SQLITE_OPEN_READWRITE, db); !r) return r;
  if (sqlite3_exec(db.db, "PRAGMA journal_mode = OFF; BEGIN EXCLUSIVE; COMMIT;", nullptr, nullptr,
                   nullptr) != SQLITE_OK)
    return sqlite_failure("cannot write the empty database", db.db);
  return {};
}

}  // namespace

Result<std::unique_ptr<AtomicFile>> stage_snapshot(ByteSource& source,
                                                   const std::filesystem::path& database) {
  remove_crashed_restores(database);
  auto staged = AtomicFile::create(database, kStagedPrefix);
  if (!staged) return tl::unexpected(staged.error());
  std::vector<char> buffer(kChunk);
  std::string header;
  for (;;) {
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    if (header.size() < 100)
      header.append(buffer.data(), std::min<size_t>(*n, 100 - header.size()));
    if (auto r = (*staged)->write(std::string_view(buffer.data(), *n)); !r)
      return tl::unexpected(r.error());
  }
  if (auto r = check_database_file(header, (*staged)->bytes_written()); !r)
    return tl::unexpected(r.error());
  if (auto r = (*staged)->write_out(); !r) return tl::unexpected(r.error());
  if ((*staged)->bytes_written() == 0) {
    if (auto r = write_empty_database((*staged)->temporary_path()); !r)
      return tl::unexpected(r.error());
  }
  copy_mode_and_owner(database, (*staged)->temporary_path());
  return staged;
}

Result<void> lock_exclusively(const std::filesystem::path& path, Connection& guard) {
  if (auto r = open_connection(path, SQLITE_OPEN_READWRITE, guard); !r) return r;
  // Exclusive locking mode keeps the lock after COMMIT, until the connection closes.
  if (sqlite3_exec(guard.db, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;", nullptr,
                   nullptr, nullptr) != SQLITE_OK)
    return sqlite_failure(fmt::format("cannot lock the restored database '{}'", path.string()),
                          guard.db);
  return {};
}

Result<void> check_fingerprint(const ContentFingerprint& restored,
                               const ContentFingerprint* expected) {
  if (!expected) return {};
  std::string difference = describe_difference(*expected, restored);
  if (difference.empty()) return {};
  // A backup of another migrate version hashes tables differently: what it
  // holds cannot be checked, so it does not replace the database.
  if (expected->table_hash != restored.table_hash) {
    return fail(
        ErrorCode::kRefused,
        fmt::format("its content cannot be checked: {}; the database was not touched", difference),
        "restore it with the version of migrate that made it");
  }
  return fail(ErrorCode::kRefused,
              fmt::format("its content does not match the fingerprint in its manifest ({}); the "
                          "database was not touched",
                          difference),
              "the backup is damaged or its manifest was edited: restore another backup");
}

Result<void> swap_in(sqlite3* live, AtomicFile& staged, const std::filesystem::path& database) {
  sqlite3_stmt* stmt = nullptr;
  bool wal = false;
  if (sqlite3_prepare_v2(live, "PRAGMA journal_mode", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    wal = std::strcmp(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal") == 0;
  sqlite3_finalize(stmt);
  if (wal &&
      sqlite3_exec(live, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) != SQLITE_OK)
    return sqlite_failure("cannot empty the WAL before the restore", live);
  struct stat staged_file, in_place;
  if (env().stat(staged.temporary_path(), &staged_file) != 0)
    return fail(ErrorCode::kIo, fmt::format("the staged restore '{}' disappeared",
                                            staged.temporary_path().string()));
  if (auto r = staged.commit(AtomicFile::Existing::kReplace); !r) return r;
  // The name must now lead to the file that was checked and locked.
  if (env().stat(database, &in_place) != 0 || in_place.st_ino != staged_file.st_ino ||
      in_place.st_dev != staged_file.st_dev)
    return fail(
        ErrorCode::kIo,
        fmt::format("'{}' was replaced by another process during the restore", database.string()));
  remove_companions(database);
  return {};
}

void remove_companions(const std::filesystem::path& database) {
  for (const char* companion : {"-wal", "-shm", "-journal"})
    remove_if_present(database.string() + companion);
}

}  // namespace migrate::sqlite
