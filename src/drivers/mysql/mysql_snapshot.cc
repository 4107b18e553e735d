// Snapshots and fingerprints through mariadb-dump, and emptying a database.
#include "drivers/mysql/mysql_snapshot.h"

#include <fmt/format.h>
#include <mysql.h>

#include <array>
#include <set>
#include <thread>

#include "drivers/mysql/mysql_catalog.h"
#include "drivers/mysql/mysql_dump_format.h"
#include "drivers/mysql/mysql_load_data.h"
#include "drivers/mysql/mysql_tools.h"
#include "util/log.h"

namespace migrate::mysql {
namespace {

std::string join_quoted(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ", ") + quote_identifier(name);
  return list;
}

Result<std::string> current_database(st_mysql* conn) {
  auto rows = query(conn, "SELECT DATABASE()", "find the current database");
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty() || !(*rows)[0][0])
    return fail(ErrorCode::kUsage, "the database url names no database");
  return *(*rows)[0][0];
}

// --single-transaction gives InnoDB tables one consistent snapshot; other
// engines are read as they are at that moment while other sessions write.
void report_non_transactional_tables(st_mysql* conn) {
  auto rows = query(conn,
                    "SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND ENGINE <> 'InnoDB' ORDER BY 1",
                    "list the tables' storage engines");
  if (!rows || rows->empty()) return;
  std::string list;
  for (const auto& row : *rows)
    list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", row[0].value_or("?"),
                        row[1].value_or("?"));
  log::warn(fmt::format(
      "not InnoDB: {}; the backup of these tables is consistent only if nothing writes to them "
      "while it runs",
      list));
}

// A dump holds a system-versioned table's current rows only: a restore
// would lose its history and its rows' ROW_START times, while its
// fingerprint (current rows too) matched. Refused before the dump.
Result<void> refuse_system_versioned(st_mysql* conn) {
  auto rows = query(conn,
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "DATABASE() AND TABLE_TYPE = 'SYSTEM VERSIONED' ORDER BY 1",
                    "list the system-versioned tables");
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return {};
  std::string names;
  for (const auto& row : *rows) names += (names.empty() ? "'" : ", '") + row[0].value_or("") + "'";
  return fail(
      ErrorCode::kRefused,
      fmt::format("{} {} {} system-versioned (WITH SYSTEM VERSIONING): a backup holds "
                  "only current rows, so a restore would lose the history; no backup "
                  "was taken",
                  rows->size() == 1 ? "table" : "tables", names, rows->size() == 1 ? "is" : "are"),
      "migrate cannot back up a table's history: if it is not needed, remove it (ALTER "
      "TABLE ... DROP SYSTEM VERSIONING); otherwise keep it with mariadb-dump "
      "--dump-history yourself, and migrate with --no-backup");
}

// A restore sends a row as an INSERT, which the server refuses beyond its
// max_allowed_packet, or with LOAD DATA LOCAL, which streams it but needs
// the server's local_infile and columns it reads as the INSERT does
// (mysql_row_loader.h). Fails, naming the table and the settings, when a
// table of `large` (a row over the packet limit) could not be restored.
Result<void> check_restorable(st_mysql* conn, const std::set<std::string>& large,
                              std::uint64_t limit) {
  if (large.empty()) return {};
  auto infile = query(conn, "SELECT @@GLOBAL.local_infile", "read local_infile");
  if (!infile) return tl::unexpected(infile.error());
  bool load_data = !infile->empty() && infile->front()[0].value_or("0") == "1";
  for (const auto& table : large) {
    std::optional<std::string> statement;
    if (load_data) {
      auto built = load_data_statement(conn, table);
      if (!built) return tl::unexpected(built.error());
      statement = std::move(*built);
    }
    if (statement) continue;
    return fail(ErrorCode::kRefused,
                fmt::format("table '{}' has a row larger than the server's max_allowed_packet "
                            "({} bytes) as an INSERT, which a restore could not send{}",
                            table, limit,
                            load_data ? " (its columns cannot be loaded with LOAD DATA)"
                                      : " (and the server's local_infile is off)"),
                "raise the server's max_allowed_packet (SET GLOBAL max_allowed_packet = ...) or "
                "turn local_infile on, then back up again");
  }
  return {};
}

// Runs one dump of `scope`, adding what it holds to `fingerprint` and
// handing its bytes to `sink` (null: discarded); returns their count. Fails
// unless the dump is whole. With `large`, collects the tables with a row
// (as an INSERT) over `limit` bytes.
Result<std::uint64_t> fingerprinted_dump(const DumpTool& tool, const ConnectParams& params,
                                         const std::string& database, const DumpScope& scope,
                                         DumpFingerprint& fingerprint, ByteSink* sink,
                                         std::set<std::string>* large = nullptr,
                                         std::uint64_t limit = 0) {
  DumpReader reader(
      [&](const DumpStatement& statement) -> Result<void> {
        fingerprint.add(statement);
        return {};
      },
      [&](std::string_view table, std::string_view tuple) {
        fingerprint.add_row(table, tuple);
        // The INSERT's own text and the protocol's header: 1 KiB is ample.
        if (large && tuple.size() + table.size() + 1024 > limit) large->emplace(table);
      },
      DumpReader::Inserts::kSkip);
  std::uint64_t size = 0;
  auto ran = run_dump(
      tool, params, database,
      [&](std::string_view bytes) -> Result<void> {
        size += bytes.size();
        if (auto r = reader.feed(bytes); !r) return r;
        return sink ? sink->write(bytes) : Result<void>();
      },
      scope);
  if (!ran) return tl::unexpected(ran.error());
  if (auto r = reader.finish(); !r) return tl::unexpected(r.error());
  if (!reader.looks_like_dump() || !reader.complete()) {
    return fail(ErrorCode::kGeneral,
                fmt::format("{} exited without finishing the dump (no completion comment)",
                            tool.path.filename().string()));
  }
  return size;
}

Result<SnapshotInfo> dump_database(st_mysql* conn, const ConnectParams& params,
                                   const std::string& database, ByteSink& sink) {
  auto tool = find_dump_tool(conn);
  if (!tool) return tl::unexpected(tool.error());
  // The schema is read before and after the dump: equal, it is what the
  // dump holds (DDL does not wait for the dump's transaction).
  auto before = read_catalog(conn);
  if (!before) return tl::unexpected(before.error());
  auto packet = query(conn, "SELECT @@GLOBAL.max_allowed_packet", "read max_allowed_packet");
  if (!packet) return tl::unexpected(packet.error());
  std::uint64_t limit = packet->empty() ? 0 : std::stoull(packet->front()[0].value_or("0"));
  DumpFingerprint fingerprint;
  std::set<std::string> large;
  auto size = fingerprinted_dump(*tool, params, database, {}, fingerprint, &sink, &large, limit);
  if (!size) return tl::unexpected(size.error());
  if (auto r = check_restorable(conn, large, limit); !r) return tl::unexpected(r.error());
  auto after = read_catalog(conn);
  if (!after) return tl::unexpected(after.error());
  if (!same_definitions(*before, *after)) {
    return fail(ErrorCode::kGeneral, "the database's schema changed while the backup ran",
                "take the backup again when no other session changes the schema");
  }
  if (auto r = sink.finish(); !r) return tl::unexpected(r.error());
  // The counters the dump holds: those a restore of it sets.
  std::string schema = catalog_sha256(*before, [&](const CatalogEntry& entry) {
    bool counted = entry.kind == "TABLE" || entry.kind == "SEQUENCE";
    return counted ? fingerprint.counter(entry.name) : std::nullopt;
  });
  return SnapshotInfo{*size, fingerprint.finish(std::move(schema), before->tables)};
}

// The tables whose rows a dump of `database` holds, in two groups of about
// the same size.
Result<std::array<std::vector<std::string>, 2>> split_tables(st_mysql* conn,
                                                             const std::string& database) {
  auto rows = query(conn,
                    "SELECT TABLE_NAME, DATA_LENGTH FROM information_schema.TABLES WHERE "
                    "TABLE_SCHEMA = " +
                        quote_literal(conn, database) +
                        " AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY "
                        "DATA_LENGTH DESC, TABLE_NAME",
                    "list the database's tables");
  if (!rows) return tl::unexpected(rows.error());
  std::array<std::vector<std::string>, 2> groups;
  std::uint64_t sizes[2] = {0, 0};
  for (const auto& row : *rows) {
    int smaller = sizes[0] <= sizes[1] ? 0 : 1;
    groups[smaller].push_back(row[0].value_or(""));
    sizes[smaller] += std::stoull(row[1].value_or("0")) + 1;
  }
  return groups;
}

}  // namespace

Result<std::uint64_t> database_size(st_mysql* conn) {
  auto rows = query(conn,
                    "SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM "
                    "information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
                    "measure the database");
  if (!rows) return tl::unexpected(rows.error());
  return static_cast<std::uint64_t>(std::stoull((*rows)[0][0].value_or("0")));
}

Result<SnapshotInfo> snapshot(st_mysql* conn, const ConnectParams& params, ByteSink& sink) {
  auto database = current_database(conn);
  if (!database) return tl::unexpected(database.error());
  if (auto r = refuse_system_versioned(conn); !r) return tl::unexpected(r.error());
  report_non_transactional_tables(conn);
  return dump_database(conn, params, *database, sink);
}

// Used by mysql_restore.cc too. The schema is read from the catalog; the
// rows come from two dumps run side by side, each of half the tables.
Result<ContentFingerprint> fingerprint_database(const ConnectParams& params,
                                                const std::string& database) {
  auto conn = connect(params, &database);
  if (!conn) return tl::unexpected(conn.error());
  auto tool = find_dump_tool(conn->get());
  if (!tool) return tl::unexpected(tool.error());
  auto catalog = read_catalog(conn->get());
  if (!catalog) return tl::unexpected(catalog.error());
  auto groups = split_tables(conn->get(), database);
  if (!groups) return tl::unexpected(groups.error());
  DumpFingerprint first, second;
  Result<std::uint64_t> side_result = std::uint64_t{0};
  std::thread side;
  if (!(*groups)[1].empty()) {
    side = std::thread([&] {
      DumpScope rows{DumpScope::Part::kRows, (*groups)[1]};
      side_result = fingerprinted_dump(*tool, params, database, rows, second, nullptr);
    });
  }
  Result<std::uint64_t> result = std::uint64_t{0};
  if (!(*groups)[0].empty()) {
    DumpScope rows{DumpScope::Part::kRows, (*groups)[0]};
    result = fingerprinted_dump(*tool, params, database, rows, first, nullptr);
  }
  if (side.joinable()) side.join();
  if (!result) return tl::unexpected(result.error());
  if (!side_result) return tl::unexpected(side_result.error());
  first.merge_rows(second);
  return first.finish(catalog_sha256(*catalog), catalog->tables);
}

Result<ContentFingerprint> fingerprint(st_mysql* conn, const ConnectParams& params,
                                       const std::optional<ContentFingerprint>& moved_rows) {
  auto database = current_database(conn);
  if (!database) return tl::unexpected(database.error());
  if (moved_rows) {
    auto catalog = read_catalog(conn);
    if (!catalog) return tl::unexpected(catalog.error());
    std::vector<std::string> moved;
    for (const auto& table : moved_rows->tables) moved.push_back(table.name);
    if (moved == catalog->tables) {
      ContentFingerprint result = *moved_rows;
      result.schema_sha256 = catalog_sha256(*catalog);
      return result;
    }
  }
  return fingerprint_database(params, *database);
}

Result<void> drop_all_objects(st_mysql* conn, const std::string& extra_table, bool keep_tables) {
  if (auto db = current_database(conn); !db) return tl::unexpected(db.error());
  auto tables = query(conn,
                      "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE "
                      "TABLE_SCHEMA = DATABASE() ORDER BY 1",
                      "list the database's tables");
  if (!tables) return tl::unexpected(tables.error());
  auto routines = query(conn,
                        "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE "
                        "ROUTINE_SCHEMA = DATABASE() ORDER BY 1, 2",
                        "list the database's routines");
  if (!routines) return tl::unexpected(routines.error());
  auto events = query(conn,
                      "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = "
                      "DATABASE() ORDER BY 1",
                      "list the database's events");
  if (!events) return tl::unexpected(events.error());

  std::vector<std::string> views, base, sequences;
  for (const auto& row : *tables) {
    const std::string type = row[1].value_or("");
    auto& list = type == "VIEW" ? views : type == "SEQUENCE" ? sequences : base;
    list.push_back(row[0].value_or(""));
  }
  std::vector<std::string> statements;
  if (!views.empty()) statements.push_back("DROP VIEW IF EXISTS " + join_quoted(views));
  if (keep_tables) {
    auto triggers = query(conn,
                          "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE "
                          "TRIGGER_SCHEMA = DATABASE() ORDER BY 1",
                          "list the database's triggers");
    if (!triggers) return tl::unexpected(triggers.error());
    for (const auto& row : *triggers)
      statements.push_back("DROP TRIGGER IF EXISTS " + quote_identifier(row[0].value_or("")));
    base.clear();
    sequences.clear();
  }
  // One statement for every table: foreign keys between them do not matter.
  if (!base.empty()) statements.push_back("DROP TABLE IF EXISTS " + join_quoted(base));
  if (!sequences.empty()) statements.push_back("DROP SEQUENCE IF EXISTS " + join_quoted(sequences));
  for (const auto& row : *routines) {
    std::string type = row[0].value_or("PROCEDURE");
    if (type == "PACKAGE BODY") continue;  // goes with its package
    statements.push_back(
        fmt::format("DROP {} IF EXISTS {}", type, quote_identifier(row[1].value_or(""))));
  }
  for (const auto& row : *events)
    statements.push_back("DROP EVENT IF EXISTS " + quote_identifier(row[0].value_or("")));
  if (!extra_table.empty()) statements.push_back("DROP TABLE IF EXISTS " + extra_table);

  // Foreign keys from other databases' tables must not stop the drop either.
  if (auto r = exec(conn, "SET @migrate_fk = @@foreign_key_checks, foreign_key_checks = 0",
                    "disable foreign key checks");
      !r)
    return r;
  Result<void> result;
  for (const auto& statement : statements) {
    result = exec(conn, statement, "empty the database");
    if (!result) {
      result.error().message += fmt::format("\n  statement: {}", statement.substr(0, 200));
      break;
    }
  }
  (void)exec(conn, "SET foreign_key_checks = @migrate_fk", "restore foreign key checks");
  return result;
}

std::vector<Driver::Check> tool_checks(st_mysql* conn) {
  auto tool = find_dump_tool(conn);
  if (!tool) return {{"mariadb-dump", false, tool.error().message}};
  return {{tool->path.filename().string(), true,
           fmt::format("{} ({})", tool->path.string(), tool->version_line)}};
}

}  // namespace migrate::mysql
