// Restores: the dump is first copied whole to a private scratch file and
// checked (a MySQL dump, ending with its completion comment), so a backup
// that cannot be read leaves the database untouched. Then the database is
// emptied (objects created after the backup go too) and the dump replayed:
// schema statements in order on one connection, rows on several.
//
// MySQL commits DDL on its own, so a restore cannot be one transaction: a
// statement failing half-way leaves the database partly restored, and the
// error says so.
#include <fcntl.h>
#include <fmt/format.h>
#include <mysql.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "drivers/mysql/mysql_dump_format.h"
#include "drivers/mysql/mysql_row_loader.h"
#include "drivers/mysql/mysql_snapshot.h"
#include "util/clock.h"
#include "util/log.h"

namespace migrate::mysql {

// Defined in mysql_snapshot.cc.
Result<ContentFingerprint> fingerprint_database(st_mysql* conn, const ConnectParams& params,
                                                const std::string& database);

namespace {

constexpr size_t kChunk = size_t{1} << 20;
constexpr int kLoaders = 4;

// A private file in the backup store, named like an AtomicFile temporary
// so that a crashed run's leftover is cleaned up; removed when this goes.
class ScratchFile {
 public:
  static Result<std::unique_ptr<ScratchFile>> create(const std::filesystem::path& dir) {
    auto path = dir / fmt::format(".mysql-restore.sql.tmp-{}", ::getpid());
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return fail(ErrorCode::kIo,
                  fmt::format("cannot create '{}': {}", path.string(), std::strerror(errno)));
    }
    return std::unique_ptr<ScratchFile>(new ScratchFile(path, fd));
  }
  ~ScratchFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  Result<void> write(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return failure("write");
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }
  Result<size_t> read(char* buffer, size_t size) {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, size);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return failure("read");
    }
  }
  Result<void> rewind() {
    if (::lseek(fd_, 0, SEEK_SET) < 0) return failure("rewind");
    return {};
  }

 private:
  ScratchFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  tl::unexpected<Error> failure(std::string_view what) const {
    return fail(ErrorCode::kIo,
                fmt::format("cannot {} '{}': {}", what, path_.string(), std::strerror(errno)));
  }
  std::filesystem::path path_;
  int fd_;
};

// Copies the whole source into `file`, checking that it is a whole dump.
Result<void> spool(ByteSource& source, ScratchFile& file) {
  DumpReader reader;
  std::vector<char> buffer(kChunk);
  for (;;) {
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    std::string_view bytes(buffer.data(), *n);
    if (auto r = reader.feed(bytes); !r) return r;
    if (auto r = file.write(bytes); !r) return r;
  }
  if (auto r = reader.finish(); !r) return r;
  if (!reader.looks_like_dump())
    return fail(ErrorCode::kGeneral,
                "the backup does not hold a MySQL dump (mariadb-dump's format)");
  if (!reader.complete())
    return fail(ErrorCode::kGeneral,
                "the backup is incomplete: the dump does not end with its completion comment");
  return file.rewind();
}

// Statements that need none of the rows loaded so far: table definitions and
// session settings ("SET ..." or "/*!40101 SET ... */"). Anything else (a
// trigger, a view, a routine, ...) waits until every queued row is in.
bool independent_of_rows(std::string_view text) {
  if (text.starts_with("/*!")) {
    size_t space = text.find(' ');
    if (space == std::string_view::npos) return false;
    text.remove_prefix(space + 1);
  }
  return text.starts_with("SET ") || text.starts_with("CREATE TABLE ") ||
         text.starts_with("DROP TABLE IF EXISTS ");
}

Result<void> replay_file(st_mysql* main, const ConnectParams& params, const std::string& database,
                         ScratchFile& file) {
  auto loader = RowLoader::start(params, database, kLoaders);
  if (!loader) return tl::unexpected(loader.error());
  DumpReader reader([&](const DumpStatement& statement) -> Result<void> {
    if (statement.kind == DumpStatement::Kind::kRows)
      return (*loader)->submit(std::string(statement.text));
    if (!independent_of_rows(statement.text)) {
      if (auto r = (*loader)->wait_idle(); !r) return r;
    }
    auto r = exec(main, statement.text, "restore the dump");
    if (!r) r.error().message += fmt::format("\n  statement: {}", statement.text.substr(0, 200));
    return r;
  });
  std::vector<char> buffer(kChunk);
  for (;;) {
    auto n = file.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    if (auto r = reader.feed(std::string_view(buffer.data(), *n)); !r) return r;
  }
  if (auto r = reader.finish(); !r) return r;
  return (*loader)->wait_idle();
}

Result<void> replay(const ConnectParams& params, const std::string& database, ByteSource& source,
                    const std::filesystem::path& scratch_dir) {
  auto started = std::chrono::steady_clock::now();
  auto file = ScratchFile::create(scratch_dir);
  if (!file) return tl::unexpected(file.error());
  if (auto r = spool(source, **file); !r) {
    r.error().message += "; the database was not changed";
    return r;
  }
  log::debug(fmt::format("restore: dump read and checked after {} ms", elapsed_ms(started)));
  auto main = connect(params, &database);
  if (!main) return tl::unexpected(main.error());
  auto result = drop_all_objects(main->get());
  log::debug(fmt::format("restore: database emptied after {} ms", elapsed_ms(started)));
  if (result) result = replay_file(main->get(), params, database, **file);
  log::debug(fmt::format("restore: dump replayed after {} ms", elapsed_ms(started)));
  if (!result) {
    result.error().message += "\n  the database is partly restored (MySQL commits DDL as it goes)";
    result.error().hint = "fix the cause, then restore the backup again";
  }
  return result;
}

// A database created for `verify --deep`, dropped when this goes away.
class ScratchDatabase {
 public:
  ScratchDatabase(st_mysql* conn, std::string name) : conn_(conn), name_(std::move(name)) {}
  ~ScratchDatabase() {
    auto r = exec(conn_, "DROP DATABASE IF EXISTS " + quote_identifier(name_),
                  fmt::format("drop the scratch database '{}'", name_));
    if (!r) log::warn(r.error().message);
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  const std::string& name() const { return name_; }

 private:
  st_mysql* conn_;
  std::string name_;
};

}  // namespace

Result<void> restore(st_mysql* conn, const ConnectParams& params, ByteSource& source,
                     const std::filesystem::path& scratch_dir) {
  auto rows = query(conn, "SELECT DATABASE()", "find the current database");
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty() || !(*rows)[0][0])
    return fail(ErrorCode::kUsage, "the database url names no database");
  return replay(params, *(*rows)[0][0], source, scratch_dir);
}

Result<ContentFingerprint> fingerprint_snapshot(st_mysql* conn, const ConnectParams& params,
                                                ByteSource& source,
                                                const std::filesystem::path& scratch_dir) {
  auto charset = query(conn,
                       "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
                       "information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
                       "read the database's character set");
  if (!charset) return tl::unexpected(charset.error());
  if (charset->empty()) return fail(ErrorCode::kUsage, "the database url names no database");
  std::random_device random;
  std::string name = fmt::format("migrate_verify_{}_{:08x}", ::getpid(), random());
  std::string create = fmt::format("CREATE DATABASE {} CHARACTER SET {} COLLATE {}",
                                   quote_identifier(name), (*charset)[0][0].value_or("utf8mb4"),
                                   (*charset)[0][1].value_or("utf8mb4_general_ci"));
  if (auto r = exec(conn, create, fmt::format("create the scratch database '{}'", name)); !r)
    return tl::unexpected(r.error());
  ScratchDatabase scratch(conn, name);
  if (auto r = replay(params, scratch.name(), source, scratch_dir); !r)
    return tl::unexpected(r.error());
  return fingerprint_database(conn, params, scratch.name());
}

}  // namespace migrate::mysql
