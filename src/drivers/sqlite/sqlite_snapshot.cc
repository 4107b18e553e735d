#include "drivers/sqlite/sqlite_snapshot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "drivers/sqlite/sqlite_files.h"
#include "drivers/sqlite/sqlite_restore.h"
#include "util/env.h"

namespace migrate::sqlite {
namespace {

using namespace sqlite_api;

constexpr size_t kChunk = 1 << 20;

Result<std::string> pragma_text(sqlite3* db, const char* pragma) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, pragma, -1, &stmt, nullptr) != SQLITE_OK)
    return sqlite_failure(pragma, db);
  std::string value;
  if (sqlite3_step(stmt) == SQLITE_ROW)
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  return value;
}

// WAL databases keep recent commits outside the main file: copy them with
// the online backup API into a scratch file, then stream that file. The copy
// keeps the WAL flag in its header, so a restore gives back a WAL database.
Result<SnapshotInfo> snapshot_through_backup_api(sqlite3* db, ByteSink& sink,
                                                 const std::filesystem::path& scratch_dir) {
  ScratchFile copy(scratch_dir, "snapshot.sqlite");
  // Created private before SQLite opens it (SQLite would make it 0644): it
  // holds the whole database.
  int fd = env().open(copy.path(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return fail(ErrorCode::kIo,
                fmt::format("cannot create '{}': {}", copy.path().string(), std::strerror(errno)));
  env().close(fd);
  SnapshotInfo info;
  {
    Connection target;
    if (auto r = open_connection(copy.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, target);
        !r)
      return tl::unexpected(r.error());
    // A scratch copy needs no journal; it is thrown away if anything fails.
    sqlite3_exec(target.db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;", nullptr,
                 nullptr, nullptr);
    if (auto r = copy_database(db, target.db, "cannot snapshot the database"); !r)
      return tl::unexpected(r.error());
    auto fp = fingerprint(target.db);
    if (!fp) return tl::unexpected(fp.error());
    info.fingerprint = std::move(*fp);
  }
  struct stat st;
  // All ones when unknown, as std::filesystem::file_size() reports it.
  info.size = env().stat(copy.path(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size)
                                                : static_cast<std::uint64_t>(-1);
  if (auto r = file_to_sink(copy.path(), sink); !r) return tl::unexpected(r.error());
  return info;
}

// Streams the database file: straight out of SQLite's memory map where it
// covers the file (no copy of ours), otherwise through SQLite's own file
// handle, so no second descriptor can disturb SQLite's POSIX locks. What has
// been streamed leaves this process's resident memory at once.
Result<void> stream_pages(sqlite3_file* file, std::uint64_t size, FileMap map, ByteSink& sink) {
  std::vector<char> buffer;
  for (std::uint64_t offset = 0; offset < size;) {
    auto n = static_cast<size_t>(std::min<std::uint64_t>(kChunk, size - offset));
    bool mapped = offset + n <= map.length;
    if (!mapped) {
      buffer.resize(kChunk);
      int rc = file->pMethods->xRead(file, buffer.data(), static_cast<int>(n),
                                     static_cast<sqlite3_int64>(offset));
      if (rc != SQLITE_OK)
        return fail(ErrorCode::kIo,
                    fmt::format("cannot read the database: {}", sqlite3_errstr(rc)));
    }
    if (auto r = sink.write({mapped ? map.base + offset : buffer.data(), n}); !r) return r;
    if (mapped) release_mapped(map, offset, n);
    offset += n;
  }
  return sink.finish();
}

}  // namespace

Result<SnapshotInfo> snapshot(sqlite3* db, ByteSink& sink,
                              const std::filesystem::path& scratch_dir) {
  auto journal_mode = pragma_text(db, "PRAGMA journal_mode");
  if (!journal_mode) return tl::unexpected(journal_mode.error());
  if (*journal_mode == "wal") return snapshot_through_backup_api(db, sink, scratch_dir);

  // Inside one read transaction (SQLite's shared lock, or the runner's
  // exclusive lock) the file cannot change: the same guarantee the backup API
  // gives, without copying the database to a scratch file first.
  enable_memory_map(db);
  bool own_transaction = sqlite3_get_autocommit(db);
  if (own_transaction && sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
    return sqlite_failure("cannot start the snapshot", db);
  struct EndTransaction {
    sqlite3* db;
    bool active;
    ~EndTransaction() {
      if (active) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  } end{db, own_transaction};
  auto size = database_size(db);  // the first read takes the shared lock
  if (!size) return tl::unexpected(size.error());
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
      !file->pMethods)
    return snapshot_through_backup_api(db, sink, scratch_dir);

  // The pages stream out (compression, hashing, writing) on one thread while
  // this one fingerprints the same snapshot from its b-trees.
  FileMap map = map_file_now(db);
  Result<void> streamed;
  std::thread streamer([&] { streamed = stream_pages(file, *size, map, sink); });
  auto fp = fingerprint(db);
  streamer.join();
  if (!streamed) return tl::unexpected(streamed.error());
  if (!fp) return tl::unexpected(fp.error());
  return SnapshotInfo{*size, std::move(*fp)};
}

Result<void> restore_in_place(sqlite3* db, ByteSource& source,
                              const std::filesystem::path& scratch_dir,
                              const ContentFingerprint* expected) {
  ScratchFile copy(scratch_dir, "restore.sqlite");
  if (auto n = source_to_file(source, copy.path()); !n) return tl::unexpected(n.error());
  Connection snapshot_db;
  if (auto r = open_snapshot(copy.path(), snapshot_db); !r) return r;
  if (expected) {
    auto fp = fingerprint(snapshot_db.db);
    if (!fp) return tl::unexpected(fp.error());
    if (auto r = check_fingerprint(*fp, expected); !r) return r;
  }
  // Into the live connection: its journal makes the replacement atomic, and
  // objects created after the backup disappear with the pages that held them.
  if (auto r = copy_database(snapshot_db.db, db, "cannot restore the database"); !r) return r;
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE);", nullptr, nullptr, nullptr);
  return {};
}

Result<ContentFingerprint> fingerprint_snapshot(ByteSource& source,
                                                const std::filesystem::path& scratch_dir) {
  ScratchFile copy(scratch_dir, "verify.sqlite");
  if (auto n = source_to_file(source, copy.path()); !n) return tl::unexpected(n.error());
  Connection snapshot_db;
  if (auto r = open_snapshot(copy.path(), snapshot_db); !r) return tl::unexpected(r.error());
  // The fingerprint reads tables, not indexes: an index that disagrees with
  // its table (a backup edited along with its manifest) would pass it. The
  // full check costs about ten restores, which a deep verify can afford.
  auto integrity = pragma_text(snapshot_db.db, "PRAGMA integrity_check(1)");
  if (!integrity) return tl::unexpected(integrity.error());
  if (*integrity != "ok") {
    return fail(ErrorCode::kIo,
                fmt::format("the database in the backup is damaged: PRAGMA integrity_check says "
                            "'{}'",
                            *integrity),
                "restore an older backup, or take a new one");
  }
  return fingerprint(snapshot_db.db);
}

}  // namespace migrate::sqlite
