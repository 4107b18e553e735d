// Pieces shared by SQLite snapshots and restores: connections to scratch
// copies, the online backup API, and moving a snapshot between a byte stream
// and a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "migrate/byte_stream.h"
#include "migrate/error.h"

namespace sqlite_api {
struct sqlite3;
}

namespace migrate::sqlite {

// A scratch file named like an AtomicFile temporary (".<name>.tmp-<pid>"),
// so a crashed run's copy is removed by the next one; removed, with its
// journal, WAL and shared-memory companions, when done.
class ScratchFile {
 public:
  ScratchFile(const std::filesystem::path& dir, const char* name);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A native connection, closed on destruction.
struct Connection {
  sqlite_api::sqlite3* db = nullptr;
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
};

// kSql error "<what>: <SQLite's message>".
tl::unexpected<Error> sqlite_failure(std::string_view what, sqlite_api::sqlite3* db);

Result<void> open_connection(const std::filesystem::path& path, int flags, Connection& c);

// Lets SQLite memory-map the database file (up to 2 GB, SQLite's build
// limit), so that the fingerprint reads pages in place instead of copying
// them. A setting of this connection only; reads behave the same.
void enable_memory_map(sqlite_api::sqlite3* db);

// SQLite's memory map of a database file.
struct FileMap {
  const char* base = nullptr;
  std::uint64_t length = 0;
};

// Maps the file now, from this thread, so that threads reading it later
// never race SQLite's lazy first mapping; returns the map ({} when the file
// is not mapped). Call inside a read transaction.
FileMap map_file_now(sqlite_api::sqlite3* db);

// Reading a mapped file counts every page touched as resident memory of this
// process until the map goes: dropping the page-table entries now and then
// (MADV_DONTNEED; the pages stay in the page cache and fault back in when
// read again) keeps memory use flat whatever the database's size.
class MapTrimmer {
 public:
  explicit MapTrimmer(FileMap map) : map_(map) {}
  // Counts `bytes` read through the map, trimming every kEvery bytes.
  void read(std::uint64_t bytes);

 private:
  static constexpr std::uint64_t kEvery = std::uint64_t{4} << 20;
  FileMap map_;
  std::uint64_t since_trim_ = 0;
};

// Drops the page-table entries of `length` bytes at `offset` of the map, as
// MapTrimmer does, for a reader that goes through the file once in order.
void release_mapped(FileMap map, std::uint64_t offset, std::uint64_t length);

// Whether a snapshot of `size` bytes starting with `header` (its first 100
// bytes, or all of it when shorter) is a whole SQLite database file: the
// magic string, a page size that is a power of two from 512 to 65536, and a
// size that is a number of pages. Zero bytes is the empty database (a
// zero-length database file, as `touch` makes, is one by SQLite's rules).
// Refuses (kIo) "the backup does not hold a whole SQLite database: <why>".
// Restore and `verify --deep` both check with it, so that a backup one
// refuses never passes the other.
Result<void> check_database_file(std::string_view header, std::uint64_t size);

// Opens a snapshot file, refusing anything that is not a whole SQLite
// database (check_database_file()).
Result<void> open_snapshot(const std::filesystem::path& path, Connection& c);

// Copies every page of `from` into `to` with the online backup API, retrying
// while another connection holds a lock.
Result<void> copy_database(sqlite_api::sqlite3* from, sqlite_api::sqlite3* to,
                           std::string_view what);

// Writes everything `source` yields into a new file at `path` (not synced:
// scratch copies only).
Result<std::uint64_t> source_to_file(ByteSource& source, const std::filesystem::path& path);

// Streams a file into `sink` and finishes it.
Result<void> file_to_sink(const std::filesystem::path& path, ByteSink& sink);

// The file a database path leads to. A restore renames a staged file over the
// database and removes its -wal and -journal: done through a symlink, that
// would replace the link and leave the real database as it was. A relative
// link target without ".." is joined to the link's directory, so the path
// stays as the user wrote it; others are resolved to an absolute path.
std::string through_symlinks(const std::string& path);

}  // namespace migrate::sqlite
