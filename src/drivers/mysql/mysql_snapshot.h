// MySQL/MariaDB snapshots, restores and fingerprints.
//
// Snapshots are mariadb-dump (or mysqldump) output taken in one consistent
// InnoDB snapshot (--single-transaction) with routines, triggers, events
// and views, streamed into the backup store without a shell. A database
// with a system-versioned table is refused (a dump holds none of its
// history). The content fingerprint's schema half is read from the database's catalog
// (mysql_catalog.h), before and after the dump; its rows half from the
// dump's rows as they stream past (mysql_dump_format.h). A live or
// restored database is fingerprinted the same way: catalog, and its rows
// dumped and discarded, so nothing the restore's own parsing produced is
// ever compared with itself. Restores replay the dump into a scratch
// database and check it first, then empty the live database and move the
// copy's tables in (mysql_restore.cc).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "drivers/mysql/mysql_connection.h"
#include "migrate/driver.h"

namespace migrate::mysql {

Result<std::uint64_t> database_size(st_mysql* conn);
Result<SnapshotInfo> snapshot(st_mysql* conn, const ConnectParams& params, ByteSink& sink);
// Replays the dump into a scratch database first and, given `expected`
// (the backup's fingerprint), refuses before the live database changes
// when the copy differs from it or the replay fails. When the copy's
// tables were moved into the live database, `moved_rows` is the copy's
// fingerprint (for fingerprint()).
Result<void> restore(st_mysql* conn, const ConnectParams& params, ByteSource& source,
                     const std::filesystem::path& scratch_dir, const ContentFingerprint* expected,
                     std::optional<ContentFingerprint>& moved_rows);
// The connection's database: its catalog read, its rows dumped; or, given
// `moved_rows`, the rows of the checked copy whose very tables were just
// renamed into it (RENAME TABLE moves them as they are), if the catalog
// lists the same tables.
Result<ContentFingerprint> fingerprint(st_mysql* conn, const ConnectParams& params,
                                       const std::optional<ContentFingerprint>& moved_rows = {});
Result<ContentFingerprint> fingerprint_snapshot(st_mysql* conn, const ConnectParams& params,
                                                ByteSource& source,
                                                const std::filesystem::path& scratch_dir);

// Drops every view, table, sequence, routine and event of the connection's
// database (triggers go with their tables), foreign keys notwithstanding,
// and `extra_table` (an already quoted name) if it is elsewhere. With
// `keep_tables`, drops every object but the tables and sequences (their
// triggers too), which hold no data: a restore then moves the tables out.
Result<void> drop_all_objects(st_mysql* conn, const std::string& extra_table = {},
                              bool keep_tables = false);

// doctor: the dump tool and client, and whether they suit the server.
std::vector<Driver::Check> tool_checks(st_mysql* conn);

}  // namespace migrate::mysql
