#include "drivers/sqlite/sqlite_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "util/atomic_file.h"
#include "util/env.h"
#include "util/files.h"

namespace migrate::sqlite {
namespace {

using namespace sqlite_api;

constexpr size_t kChunk = 1 << 20;
constexpr std::uint64_t kMmapLimit = 2147418112;  // SQLITE_MAX_MMAP_SIZE of Debian's build
constexpr auto kBusyRetry = std::chrono::milliseconds(20);
constexpr auto kBusyLimit = std::chrono::seconds(60);
constexpr std::string_view kMagic{"SQLite format 3\0", 16};
constexpr size_t kHeaderSize = 100;

tl::unexpected<Error> io_failure(std::string_view what, const std::filesystem::path& path) {
  return fail(ErrorCode::kIo,
              fmt::format("cannot {} '{}': {}", what, path.string(), os_error_text(errno)));
}

// The first kHeaderSize bytes of `path` (fewer if it is shorter) and its size.
Result<std::pair<std::string, std::uint64_t>> read_header(const std::filesystem::path& path) {
  int fd = env().open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_failure("read", path);
  std::string header(kHeaderSize, '\0');
  ssize_t n;
  while ((n = env().pread(fd, header.data(), header.size(), 0)) < 0 && errno == EINTR) {
  }
  struct stat st;
  bool stat_ok = n >= 0 && env().fstat(fd, &st) == 0;
  int error = errno;
  env().close(fd);
  if (!stat_ok) {
    errno = error;
    return io_failure("read", path);
  }
  header.resize(static_cast<size_t>(n));
  return std::pair{std::move(header), static_cast<std::uint64_t>(st.st_size)};
}

}  // namespace

ScratchFile::ScratchFile(const std::filesystem::path& dir, const char* name)
    : path_(dir / fmt::format(".{}.tmp-{}", name, ::getpid())) {
  remove_if_present(path_);
}

ScratchFile::~ScratchFile() {
  remove_if_present(path_);
  for (const char* suffix : {"-journal", "-wal", "-shm"})
    remove_if_present(path_.string() + suffix);
}

Connection::~Connection() {
  sqlite3_close_v2(db);
}

tl::unexpected<Error> sqlite_failure(std::string_view what, sqlite3* db) {
  return fail(ErrorCode::kSql,
              fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"));
}

Result<void> open_connection(const std::filesystem::path& path, int flags, Connection& c) {
  if (sqlite3_open_v2(path.c_str(), &c.db, flags, nullptr) != SQLITE_OK)
    return sqlite_failure(fmt::format("cannot open '{}'", path.string()), c.db);
  sqlite3_busy_timeout(c.db, 5000);
  return {};
}

void enable_memory_map(sqlite3* db) {
  sqlite3_exec(db, fmt::format("PRAGMA mmap_size = {}", kMmapLimit).c_str(), nullptr, nullptr,
               nullptr);
}

FileMap map_file_now(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
      !file->pMethods || file->pMethods->iVersion < 3)
    return {};
  void* base = nullptr;
  sqlite3_int64 size = 0;
  if (file->pMethods->xFetch(file, 0, 512, &base) != SQLITE_OK || !base) return {};
  file->pMethods->xUnfetch(file, 0, base);
  if (file->pMethods->xFileSize(file, &size) != SQLITE_OK) return {};
  // SQLite maps the file up to its mmap_size (enable_memory_map()).
  return FileMap{static_cast<const char*>(base), std::min<std::uint64_t>(size, kMmapLimit)};
}

void MapTrimmer::read(std::uint64_t bytes) {
  since_trim_ += bytes;
  if (!map_.base || since_trim_ < kEvery) return;
  since_trim_ = 0;
  release_mapped(map_, 0, map_.length);
}

void release_mapped(FileMap map, std::uint64_t offset, std::uint64_t length) {
  ::madvise(const_cast<char*>(map.base + offset), length, MADV_DONTNEED);
}

Result<void> check_database_file(std::string_view header, std::uint64_t size) {
  auto refuse = [](std::string_view why) {
    return fail(ErrorCode::kIo,
                fmt::format("the backup does not hold a whole SQLite database: {}", why),
                "the database was not touched");
  };
  if (size == 0) return {};  // the empty database
  if (header.size() < kHeaderSize || header.substr(0, kMagic.size()) != kMagic)
    return refuse("no SQLite header");
  std::uint32_t page_size =
      (static_cast<unsigned char>(header[16]) << 8) | static_cast<unsigned char>(header[17]);
  if (page_size == 1) page_size = 65536;
  if (page_size < 512 || (page_size & (page_size - 1)) != 0) return refuse("a bad page size");
  if (size % page_size != 0)
    return refuse(fmt::format("{} bytes is not a whole number of pages", size));
  return {};
}

Result<void> open_snapshot(const std::filesystem::path& path, Connection& c) {
  auto header = read_header(path);
  if (!header) return tl::unexpected(header.error());
  if (auto r = check_database_file(header->first, header->second); !r) return r;
  if (auto r = open_connection(path, SQLITE_OPEN_READWRITE, c); !r) return r;
  // A scratch copy is one file: no WAL beside it.
  if (sqlite3_exec(c.db, "PRAGMA journal_mode = DELETE; SELECT count(*) FROM sqlite_master;",
                   nullptr, nullptr, nullptr) != SQLITE_OK)
    return sqlite_failure("the backup does not hold a SQLite database", c.db);
  return {};
}

Result<void> copy_database(sqlite3* from, sqlite3* to, std::string_view what) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (!backup) return sqlite_failure(what, to);
  auto deadline = std::chrono::steady_clock::now() + kBusyLimit;
  int rc;
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (std::chrono::steady_clock::now() > deadline) break;
    env().sleep_for(kBusyRetry);
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    return fail(ErrorCode::kSql, fmt::format("{}: {}", what, sqlite3_errstr(rc)));
  return {};
}

Result<std::uint64_t> source_to_file(ByteSource& source, const std::filesystem::path& path) {
  int fd = env().open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_failure("create", path);
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
    result = write_all(fd, std::string_view(buffer.data(), *n), path);
    if (!result) break;
    total += *n;
  }
  env().close(fd);
  if (!result) return tl::unexpected(result.error());
  return total;
}

Result<void> file_to_sink(const std::filesystem::path& path, ByteSink& sink) {
  int fd = env().open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_failure("read", path);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> buffer(kChunk);
  Result<void> result;
  for (;;) {
    ssize_t n = env().read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = io_failure("read", path);
      break;
    }
    if (n == 0) break;
    result = sink.write(std::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!result) break;
  }
  env().close(fd);
  if (!result) return result;
  return sink.finish();
}

std::string through_symlinks(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) return path;
  namespace fs = std::filesystem;
  fs::path p = path;
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {
    fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    bool simple =
        target.is_relative() && std::none_of(target.begin(), target.end(),
                                             [](const fs::path& part) { return part == ".."; });
    if (target.is_absolute()) {
      p = target;
    } else if (simple) {
      p = (p.parent_path() / target).lexically_normal();
    } else {
      fs::path dir = fs::canonical(p.parent_path().empty() ? "." : p.parent_path(), ec);
      if (ec) break;
      p = (dir / target).lexically_normal();
    }
  }
  return p.string();
}

}  // namespace migrate::sqlite
