// Restores: refused first while another database's foreign key references
// this one's tables (mysql_foreign_keys.h). The dump is then spooled and
// checked (mysql_spool.h), so a backup that cannot be read leaves the
// database untouched.
//
// Then the dump is replayed into a scratch database (mysql_scratch.h) and
// that copy's fingerprint, read from its catalog and rows, compared with
// the backup's: a backup that cannot be replayed, or whose content is not
// what its manifest says, is refused while the live database is as it
// was. Only then are the live database's views, routines, triggers and
// events dropped, its tables swapped with the copy's in one RENAME TABLE
// (the old ones into a trash database, mysql_scratch.h, dropped at the
// end: a kill leaves the data in one database or the other), and
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
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "drivers/mysql/mysql_dump_format.h"
#include "drivers/mysql/mysql_foreign_keys.h"
#include "drivers/mysql/mysql_move.h"
#include "drivers/mysql/mysql_row_loader.h"
#include "drivers/mysql/mysql_scratch.h"
#include "drivers/mysql/mysql_snapshot.h"
#include "drivers/mysql/mysql_spool.h"
#include "util/clock.h"
#include "util/deferred_signals.h"
#include "util/log.h"

namespace migrate::mysql {

// Defined in mysql_snapshot.cc.
Result<ContentFingerprint> fingerprint_database(const ConnectParams& params,
                                                const std::string& database);

namespace {

// Each table loads on one connection; the server's work is the limit, so
// about one a core (bench/MYSQL_RESULTS.md).
constexpr int kLoaders = 2;

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

// The dump's DEFINER accounts other than `conn`'s user, as "`user`@`host`".
std::vector<std::string> other_definers(const SplitDump& dump, const std::string& current) {
  std::vector<std::string> found;
  for (const auto& statement : dump.schema) {
    for (size_t at = statement.find("DEFINER=`"); at != std::string::npos;
         at = statement.find("DEFINER=`", at + 1)) {
      size_t user_end = statement.find("`@`", at + 9);
      if (user_end == std::string::npos) continue;
      size_t host_end = statement.find('`', user_end + 3);
      if (host_end == std::string::npos) continue;
      std::string user = statement.substr(at + 9, user_end - at - 9);
      std::string host = statement.substr(user_end + 3, host_end - user_end - 3);
      std::string shown = "`" + user + "`@`" + host + "`";
      if (user + "@" + host != current &&
          std::find(found.begin(), found.end(), shown) == found.end())
        found.push_back(shown);
    }
  }
  return found;
}

// A restore in place empties the database before it creates anything: one
// whose objects name another DEFINER, which this user may not set (SUPER
// or SET USER), would fail half way (error 1227). Refused before.
Result<void> check_definers(st_mysql* conn, const SplitDump& dump) {
  auto user = query(conn, "SELECT CURRENT_USER()", "read the current user");
  if (!user) return tl::unexpected(user.error());
  std::string current = user->empty() ? "" : user->front()[0].value_or("");
  auto others = other_definers(dump, current);
  if (others.empty()) return {};
  auto rights = query(conn,
                      "SELECT count(*) FROM information_schema.USER_PRIVILEGES WHERE "
                      "PRIVILEGE_TYPE IN ('SUPER', 'SET USER')",
                      "read the user's privileges");
  if (!rights) return tl::unexpected(rights.error());
  if (!rights->empty() && rights->front()[0].value_or("0") != "0") return {};
  std::string names;
  for (const auto& name : others) names += (names.empty() ? "" : ", ") + name;
  return fail(ErrorCode::kRefused,
              fmt::format("the backup's views, routines, triggers or events are defined by {}, "
                          "which {} may not set (it lacks SET USER or SUPER); the database was "
                          "not changed",
                          names, current),
              "restore as that user or one with the SET USER privilege, or grant this user "
              "CREATE on databases named migrate_scratch_% so that the restore is staged and "
              "checked first");
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
  // A backup of another migrate version hashes tables differently: what it
  // holds cannot be checked, so it does not replace the database.
  if (expected->table_hash != staged->table_hash) {
    return untouched(Error{
        ErrorCode::kRefused,
        fmt::format("its content cannot be checked: {}", describe_difference(*expected, *staged)),
        "restore it with the version of migrate that made it"});
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
  // The live tables go to a trash database in the same RENAME that brings
  // the copy's in, and are dropped only once the restore is complete.
  auto trash = ScratchDatabase::create(conn, kReplacedSuffix);
  if (!trash) return tl::unexpected(trash.error());
  if (auto r = drop_all_objects(conn, {}, /*keep_tables=*/true); !r) return r;
  if (auto r = swap_tables(conn, database, (*trash)->name(), scratch.name(), **tables); !r) {
    log::warn(fmt::format("{}; replaying the dump instead", r.error().message));
    return replay(params, database, spooled.dump, *spooled.file);
  }
  moved = true;
  log::debug(fmt::format("restore: tables moved in after {} ms (the old ones to the trash)",
                         elapsed_ms(started)));
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
  const std::string& database = *(*rows)[0][0];
  if (auto r = refuse_incoming_foreign_keys(conn, database); !r) return r;
  auto spooled = read_dump(source, scratch_dir);
  if (!spooled) return tl::unexpected(spooled.error());
  auto staged = stage(conn, params, *spooled, expected);
  if (!staged) return tl::unexpected(staged.error());
  if (!staged->database) {
    if (auto r = check_definers(conn, spooled->dump); !r) return r;
  }
  bool moved = false;
  Result<void> result;
  {
    // From here the live database changes statement by statement: a SIGTERM
    // or SIGINT waits until it holds the whole backup (or the failure is known).
    DeferredSignals whole("the restore of the live database");
    result = staged->database ? move_in(conn, params, database, *staged->database, *spooled, moved)
                              : replay(params, database, spooled->dump, *spooled->file);
  }
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
