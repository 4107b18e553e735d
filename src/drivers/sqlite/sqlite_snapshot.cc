#include <soci/sqlite3/soci-sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "drivers/sqlite/sqlite_snapshot.h"

namespace migrate::sqlite {
namespace {

using namespace sqlite_api;

constexpr size_t kChunk = 1 << 20;
constexpr auto kBusyRetry = std::chrono::milliseconds(20);
constexpr auto kBusyLimit = std::chrono::seconds(60);


// A scratch file named like an AtomicFile temporary (".<name>.tmp-<pid>"),
// so a crashed run's copy is removed by the next one; removed when done.
class ScratchFile {
 public:
  ScratchFile(const std::filesystem::path& dir, const char* name)
      : path_(dir / fmt::format(".{}.tmp-{}", name, ::getpid())) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    for (const char* suffix : {"-journal", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix, ec);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

tl::unexpected<Error> sqlite_failure(std::string_view what, sqlite3* db) {
  return fail(ErrorCode::kSql, fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"));
}

Result<void> open(const std::filesystem::path& path, int flags, Connection& c) {
  if (sqlite3_open_v2(path.c_str(), &c.db, flags, nullptr) != SQLITE_OK)
    return sqlite_failure(fmt::format("cannot open '{}'", path.string()), c.db);
  sqlite3_busy_timeout(c.db, 5000);
  return {};
}

// Copies every page of `from` into `to` with the online backup API,
// retrying while another connection holds a lock.
Result<void> copy_database(sqlite3* from, sqlite3* to, std::string_view what) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (!backup) return sqlite_failure(what, to);
  auto deadline = std::chrono::steady_clock::now() + kBusyLimit;
  int rc;
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(kBusyRetry);
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return fail(ErrorCode::kSql, fmt::format("{}: {}", what, sqlite3_errstr(rc)));
  }
  return {};
}

Result<void> write_all(int fd, const char* data, size_t size, const std::filesystem::path& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::kIo, fmt::format("cannot write '{}': {}", path.string(), std::strerror(errno)));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

// Writes everything `source` yields into a new file at `path`.
Result<std::uint64_t> source_to_file(ByteSource& source, const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::kIo, fmt::format("cannot create '{}': {}", path.string(), std::strerror(errno)));
  std::vector<char> buffer(kChunk);
  std::uint64_t total = 0;
  Result<void> result;
  for (;;) {
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) {
      result = tl::unexpected(n.error());
      break;
    }
    if (*n == 0) break;
    result = write_all(fd, buffer.data(), *n, path);
    if (!result) break;
    total += *n;
  }
  ::close(fd);
  if (!result) return tl::unexpected(result.error());
  return total;
}

Result<void> file_to_sink(const std::filesystem::path& path, ByteSink& sink) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::kIo, fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> buffer(kChunk);
  Result<void> result;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = fail(ErrorCode::kIo, fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
      break;
    }
    if (n == 0) break;
    result = sink.write(std::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!result) break;
  }
  ::close(fd);
  if (!result) return result;
  return sink.finish();
}

// Opens a restored snapshot file, refusing anything that is not a SQLite database.
Result<void> open_snapshot(const std::filesystem::path& path, Connection& c) {
  if (auto r = open(path, SQLITE_OPEN_READWRITE, c); !r) return r;
  // Snapshots are kept in rollback-journal mode so they are one file.
  if (sqlite3_exec(c.db, "PRAGMA journal_mode = DELETE; SELECT count(*) FROM sqlite_master;", nullptr, nullptr,
                   nullptr) != SQLITE_OK)
    return sqlite_failure("the backup does not hold a SQLite database", c.db);
  return {};
}

}  // namespace

namespace {

Result<std::string> pragma_text(sqlite3* db, const char* pragma) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, pragma, -1, &stmt, nullptr) != SQLITE_OK) return sqlite_failure(pragma, db);
  std::string value;
  if (sqlite3_step(stmt) == SQLITE_ROW) value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  return value;
}

// WAL databases keep recent commits outside the main file: copy them with
// the online backup API into a scratch file, then stream that file.
Result<SnapshotInfo> snapshot_through_backup_api(sqlite3* db, ByteSink& sink,
                                                 const std::filesystem::path& scratch_dir) {
  ScratchFile copy(scratch_dir, "snapshot.sqlite");
  SnapshotInfo info;
  {
    Connection target;
    if (auto r = open(copy.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, target); !r)
      return tl::unexpected(r.error());
    // A scratch copy needs no journal; it is thrown away if anything fails.
    sqlite3_exec(target.db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;", nullptr, nullptr, nullptr);
    if (auto r = copy_database(db, target.db, "cannot snapshot the database"); !r) return tl::unexpected(r.error());
    // The copy says WAL in its header; make it one self-contained file.
    if (sqlite3_exec(target.db, "PRAGMA journal_mode = DELETE;", nullptr, nullptr, nullptr) != SQLITE_OK)
      return sqlite_failure("cannot finish the snapshot", target.db);
    auto fp = fingerprint(target.db);
    if (!fp) return tl::unexpected(fp.error());
    info.fingerprint = std::move(*fp);
  }
  std::error_code ec;
  info.size = std::filesystem::file_size(copy.path(), ec);
  if (auto r = file_to_sink(copy.path(), sink); !r) return tl::unexpected(r.error());
  return info;
}

// Reads the database file's pages through SQLite's own file handle, so no
// second descriptor can disturb SQLite's POSIX locks.
Result<void> stream_pages(sqlite3_file* file, std::uint64_t size, ByteSink& sink) {
  std::vector<char> buffer(kChunk);
  for (std::uint64_t offset = 0; offset < size;) {
    int n = static_cast<int>(std::min<std::uint64_t>(buffer.size(), size - offset));
    int rc = file->pMethods->xRead(file, buffer.data(), n, static_cast<sqlite3_int64>(offset));
    if (rc != SQLITE_OK) return fail(ErrorCode::kIo, fmt::format("cannot read the database: {}", sqlite3_errstr(rc)));
    if (auto r = sink.write(std::string_view(buffer.data(), static_cast<size_t>(n))); !r) return r;
    offset += static_cast<std::uint64_t>(n);
  }
  return sink.finish();
}

}  // namespace

Result<SnapshotInfo> snapshot(sqlite3* db, ByteSink& sink, const std::filesystem::path& scratch_dir) {
  auto journal_mode = pragma_text(db, "PRAGMA journal_mode");
  if (!journal_mode) return tl::unexpected(journal_mode.error());
  if (*journal_mode == "wal") return snapshot_through_backup_api(db, sink, scratch_dir);

  // Inside one read transaction (SQLite's shared lock, or the runner's
  // exclusive lock) the file cannot change: the same guarantee the backup API
  // gives, without copying the database to a scratch file first.
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
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file || !file->pMethods)
    return snapshot_through_backup_api(db, sink, scratch_dir);

  // The pages stream out (compression, hashing, writing) on one thread while
  // this one fingerprints the same snapshot through SQL.
  Result<void> streamed;
  std::thread streamer([&] { streamed = stream_pages(file, *size, sink); });
  auto fp = fingerprint(db);
  streamer.join();
  if (!streamed) return tl::unexpected(streamed.error());
  if (!fp) return tl::unexpected(fp.error());
  return SnapshotInfo{*size, std::move(*fp)};
}

Result<void> restore(sqlite3* db, ByteSource& source, const std::filesystem::path& scratch_dir) {
  ScratchFile copy(scratch_dir, "restore.sqlite");
  if (auto n = source_to_file(source, copy.path()); !n) return tl::unexpected(n.error());
  Connection snapshot_db;
  if (auto r = open_snapshot(copy.path(), snapshot_db); !r) return r;
  // Into the live connection: its journal makes the replacement atomic, and
  // objects created after the backup disappear with the pages that held them.
  if (auto r = copy_database(snapshot_db.db, db, "cannot restore the database"); !r) return r;
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE);", nullptr, nullptr, nullptr);
  return {};
}

Result<ContentFingerprint> fingerprint_snapshot(ByteSource& source, const std::filesystem::path& scratch_dir) {
  ScratchFile copy(scratch_dir, "verify.sqlite");
  if (auto n = source_to_file(source, copy.path()); !n) return tl::unexpected(n.error());
  Connection snapshot_db;
  if (auto r = open_snapshot(copy.path(), snapshot_db); !r) return tl::unexpected(r.error());
  return fingerprint(snapshot_db.db);
}

}  // namespace migrate::sqlite
