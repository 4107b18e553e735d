// Restores: the dump is first copied to a private scratch file and checked
// (a MySQL dump, ending with its completion comment), so a backup that
// cannot be read leaves the database untouched. The copy keeps only the
// INSERT statements, table by table; the schema statements stay in memory.
//
// Then the dump is replayed into a scratch database (mysql_scratch.h) and
// that copy's fingerprint, read from its catalog and rows, compared with
// the backup's: a backup that cannot be replayed, or whose content is not
// what its manifest says, is refused while the live database is as it
// was. Only then is the live database emptied (objects created after the
// backup go too), the copy's tables moved in with one RENAME TABLE, and
// the views, routines, triggers and events created from the dump
// (mysql_move.h); where tables cannot move, the dump is replayed into the
// live database the same way as into the copy.
//
// A replay has three steps: the table definitions, in dump order with the
// session settings around them; every table's rows, on several
// connections (mysql_row_loader.h); then every other statement (triggers,
// views, routines, events), again in dump order with all the session
// settings, on a connection of its own. Triggers thus never fire for
// restored rows, and each statement meets the settings it was dumped with.
//
// MySQL commits DDL on its own, so the live step cannot be one
// transaction: a statement failing there (which it did not in the scratch
// database) leaves the database partly restored, and the error says so.
#include <fcntl.h>
#include <fmt/format.h>
#include <mysql.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>

#include "drivers/mysql/mysql_dump_format.h"
#include "drivers/mysql/mysql_move.h"
#include "drivers/mysql/mysql_row_loader.h"
#include "drivers/mysql/mysql_scratch.h"
#include "drivers/mysql/mysql_snapshot.h"
#include "util/clock.h"
#include "util/log.h"

namespace migrate::mysql {

// Defined in mysql_snapshot.cc.
Result<ContentFingerprint> fingerprint_database(const ConnectParams& params,
                                                const std::string& database);

namespace {

constexpr size_t kChunk = size_t{1} << 20;
// Each table loads on one connection; the server's work is the limit, so
// about one a core (bench/MYSQL_RESULTS.md).
constexpr int kLoaders = 2;

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
    size_ += bytes.size();
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return failure("write");
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }
  std::uint64_t size() const { return size_; }
  // Reads `span` whole; safe from several threads at once.
  Result<std::string> read_at(Span span) const {
    std::string text(span.size, '\0');
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::pread(fd_, text.data() + done, text.size() - done,
                          static_cast<off_t>(span.offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return failure(n == 0 ? "read (cut short)" : "read");
      done += static_cast<size_t>(n);
    }
    return text;
  }

 private:
  ScratchFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  tl::unexpected<Error> failure(std::string_view what) const {
    return fail(ErrorCode::kIo,
                fmt::format("cannot {} '{}': {}", what, path_.string(), std::strerror(errno)));
  }
  std::filesystem::path path_;
  int fd_;
  std::uint64_t size_ = 0;
};

// The dump, split: its schema statements in order, and where each table's
// INSERTs lie in the scratch file.
struct SplitDump {
  std::string database;  // the one it was taken of
  std::vector<std::string> schema;
  std::vector<TableRows> tables;  // in dump order
};

// Copies the source's INSERTs into `file` and its schema statements into
// memory, checking that it is a whole dump.
Result<SplitDump> spool(ByteSource& source, ScratchFile& file) {
  SplitDump dump;
  std::map<std::string, size_t, std::less<>> index;
  DumpReader reader([&](const DumpStatement& statement) -> Result<void> {
    if (statement.kind == DumpStatement::Kind::kSchema) {
      dump.schema.emplace_back(statement.text);
      return {};
    }
    auto [it, added] = index.try_emplace(std::string(statement.table), dump.tables.size());
    if (added)
      dump.tables.push_back(TableRows{std::string(statement.table), {}, 0, true, std::nullopt});
    TableRows& table = dump.tables[it->second];
    table.inserts.push_back(Span{file.size(), statement.text.size()});
    table.bytes += statement.text.size();
    table.plain = table.plain && statement.text.starts_with(
                                     "INSERT INTO " + quote_identifier(table.name) + " VALUES");
    return file.write(statement.text);
  });
  std::vector<char> buffer(kChunk);
  for (;;) {
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    if (auto r = reader.feed(std::string_view(buffer.data(), *n)); !r)
      return tl::unexpected(r.error());
  }
  if (auto r = reader.finish(); !r) return tl::unexpected(r.error());
  dump.database = reader.database();
  if (!reader.looks_like_dump())
    return fail(ErrorCode::kGeneral,
                "the backup does not hold a MySQL dump (mariadb-dump's format)");
  if (!reader.complete())
    return fail(ErrorCode::kGeneral,
                "the backup is incomplete: the dump does not end with its completion comment");
  return dump;
}

// When a schema statement runs: with the table definitions, before any
// row; after every row is in; or both (session settings, so that each
// statement of either step meets the settings the dump gave it).
enum class Step { kTables, kAfterRows, kBoth };

Step step_of(std::string_view text) {
  if (text.starts_with("/*!")) {  // "/*!40101 SET ... */"
    size_t space = text.find(' ');
    if (space == std::string_view::npos) return Step::kAfterRows;
    text.remove_prefix(space + 1);
  }
  if (text.starts_with("SET ")) return Step::kBoth;
  // A sequence may be a column's default, so it comes with the tables.
  // Its DROP, CREATE and SETVAL must come in that order, all in that step.
  bool table = text.starts_with("CREATE TABLE ") || text.starts_with("DROP TABLE IF EXISTS ") ||
               text.starts_with("DROP SEQUENCE IF EXISTS ") ||
               text.starts_with("CREATE SEQUENCE ") || text.starts_with("SELECT SETVAL(") ||
               text.starts_with("DO SETVAL(");
  return table ? Step::kTables : Step::kAfterRows;
}

// `text` with the dump's own database, where it names it (mariadb-dump
// qualifies a sequence in a column's default), renamed to `database`: a
// copy in another database must not point back at the original.
std::string retarget(const std::string& text, const std::string& from, const std::string& to) {
  if (from.empty() || from == to) return text;
  std::string old_name = quote_identifier(from) + ".", new_name = quote_identifier(to) + ".";
  std::string result = text;
  for (size_t at = result.find(old_name); at != std::string::npos;
       at = result.find(old_name, at + new_name.size()))
    result.replace(at, old_name.size(), new_name);
  return result;
}

Result<void> run_schema(const ConnectParams& params, const std::string& database,
                        const SplitDump& dump, Step step) {
  auto conn = connect(params, &database);
  if (!conn) return tl::unexpected(conn.error());
  for (const auto& statement : dump.schema) {
    Step when = step_of(statement);
    if (when != step && when != Step::kBoth) continue;
    std::string text = retarget(statement, dump.database, database);
    auto r = exec(conn->get(), text, "restore the dump");
    if (!r) {
      r.error().message += fmt::format("\n  statement: {}", text.substr(0, 200));
      return r;
    }
  }
  return {};
}

// Empties `database` and replays the spooled dump into it.
Result<void> replay(const ConnectParams& params, const std::string& database, const SplitDump& dump,
                    const ScratchFile& file) {
  auto started = std::chrono::steady_clock::now();
  auto main = connect(params, &database);
  if (!main) return tl::unexpected(main.error());
  auto result = drop_all_objects(main->get());
  log::debug(fmt::format("restore: '{}' emptied after {} ms", database, elapsed_ms(started)));
  if (result) result = run_schema(params, database, dump, Step::kTables);
  log::debug(fmt::format("restore: tables created after {} ms", elapsed_ms(started)));
  if (result) {
    SpanReader read = [&](Span span) { return file.read_at(span); };
    result = load_tables(params, database, dump.tables, read, kLoaders);
    log::debug(fmt::format("restore: rows loaded after {} ms", elapsed_ms(started)));
  }
  if (result) result = run_schema(params, database, dump, Step::kAfterRows);
  log::debug(
      fmt::format("restore: dump replayed into '{}' after {} ms", database, elapsed_ms(started)));
  return result;
}

// The source spooled to a scratch file in `scratch_dir` and checked.
struct Spooled {
  std::unique_ptr<ScratchFile> file;
  SplitDump dump;
};

Result<Spooled> read_dump(ByteSource& source, const std::filesystem::path& scratch_dir) {
  auto file = ScratchFile::create(scratch_dir);
  if (!file) return tl::unexpected(file.error());
  auto dump = spool(source, **file);
  if (!dump) {
    dump.error().message += "; the database was not changed";
    return tl::unexpected(dump.error());
  }
  return Spooled{std::move(*file), std::move(*dump)};
}

// Replays the dump into a scratch database and checks the copy against
// `expected`: what would go wrong in the live database goes wrong here
// first. Fails (the live database untouched) when it does; returns the
// checked copy (no database when the server refuses a scratch database).
struct Staged {
  std::unique_ptr<ScratchDatabase> database;
  std::optional<ContentFingerprint> fingerprint;  // equal to the expected one
};

Result<Staged> stage(st_mysql* conn, const ConnectParams& params, const Spooled& spooled,
                     const ContentFingerprint* expected) {
  auto scratch = ScratchDatabase::create(conn);
  if (!scratch) {
    log::warn(
        fmt::format("cannot stage the restore ({}); restoring in place without checking "
                    "the backup first",
                    scratch.error().message));
    return Staged{};
  }
  auto untouched = [](Error error) {
    error.message +=
        "\n  the database was not changed (the backup was tried in a scratch "
        "database first)";
    return tl::unexpected(std::move(error));
  };
  if (auto r = replay(params, (*scratch)->name(), spooled.dump, *spooled.file); !r)
    return untouched(r.error());
  if (!expected) return Staged{std::move(*scratch), std::nullopt};
  auto started = std::chrono::steady_clock::now();
  auto staged = fingerprint_database(params, (*scratch)->name());
  if (!staged) return untouched(staged.error());
  log::debug(fmt::format("restore: scratch copy fingerprinted in {} ms", elapsed_ms(started)));
  if (expected->table_hash != staged->table_hash) {
    log::warn(
        "the backup was made by another version of migrate: its content cannot be "
        "checked before the restore");
    return Staged{std::move(*scratch), std::nullopt};
  }
  std::string difference = describe_difference(*expected, *staged);
  if (difference.empty()) return Staged{std::move(*scratch), std::move(*staged)};
  return untouched(Error{ErrorCode::kRefused,
                         fmt::format("the backup does not match its own fingerprint: {}; it "
                                     "cannot be restored exactly",
                                     difference),
                         "the backup was altered after it was taken, or migrate cannot restore it "
                         "exactly: restore another backup, and report this if its files were not "
                         "edited"});
}

// Empties `database`, moves the checked copy's tables into it and creates
// the other objects from the dump (mysql_move.h); replays the dump when
// the tables cannot move. Sets `moved` when the tables moved.
Result<void> move_in(st_mysql* conn, const ConnectParams& params, const std::string& database,
                     const ScratchDatabase& scratch, const Spooled& spooled, bool& moved) {
  auto started = std::chrono::steady_clock::now();
  auto tables = prepare_move(conn, scratch.name());
  if (!tables) return tl::unexpected(tables.error());
  if (!*tables) return replay(params, database, spooled.dump, *spooled.file);
  if (auto r = drop_all_objects(conn); !r) return r;
  if (auto r = move_tables(conn, scratch.name(), database, **tables); !r) {
    log::warn(fmt::format("{}; replaying the dump instead", r.error().message));
    return replay(params, database, spooled.dump, *spooled.file);
  }
  moved = true;
  log::debug(fmt::format("restore: tables moved in after {} ms", elapsed_ms(started)));
  return run_schema(params, database, spooled.dump, Step::kAfterRows);
}

}  // namespace

Result<void> restore(st_mysql* conn, const ConnectParams& params, ByteSource& source,
                     const std::filesystem::path& scratch_dir, const ContentFingerprint* expected,
                     std::optional<ContentFingerprint>& moved_rows) {
  moved_rows.reset();
  auto rows = query(conn, "SELECT DATABASE()", "find the current database");
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty() || !(*rows)[0][0])
    return fail(ErrorCode::kUsage, "the database url names no database");
  auto spooled = read_dump(source, scratch_dir);
  if (!spooled) return tl::unexpected(spooled.error());
  const std::string& database = *(*rows)[0][0];
  auto staged = stage(conn, params, *spooled, expected);
  if (!staged) return tl::unexpected(staged.error());
  bool moved = false;
  auto result = staged->database
                    ? move_in(conn, params, database, *staged->database, *spooled, moved)
                    : replay(params, database, spooled->dump, *spooled->file);
  if (result && moved) moved_rows = std::move(staged->fingerprint);
  if (!result) {
    result.error().message += "\n  the database is partly restored (MySQL commits DDL as it goes)";
    result.error().hint = "fix the cause, then restore the backup again";
  }
  return result;
}

Result<ContentFingerprint> fingerprint_snapshot(st_mysql* conn, const ConnectParams& params,
                                                ByteSource& source,
                                                const std::filesystem::path& scratch_dir) {
  auto spooled = read_dump(source, scratch_dir);
  if (!spooled) return tl::unexpected(spooled.error());
  auto scratch = ScratchDatabase::create(conn);
  if (!scratch) return tl::unexpected(scratch.error());
  if (auto r = replay(params, (*scratch)->name(), spooled->dump, *spooled->file); !r)
    return tl::unexpected(r.error());
  return fingerprint_database(params, (*scratch)->name());
}

}  // namespace migrate::mysql
