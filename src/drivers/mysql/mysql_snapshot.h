// MySQL/MariaDB snapshots, restores and fingerprints (SPEC §5).
//
// Snapshots are mariadb-dump (or mysqldump) output taken in one consistent
// InnoDB snapshot (--single-transaction) with routines, triggers, events
// and views, streamed into the backup store without a shell. The content
// fingerprint is read from the dump itself as it streams past
// (mysql_dump_format.h), so it describes the very bytes stored; the live
// database is fingerprinted by dumping it the same way and discarding the
// bytes. Restores empty the database and replay the dump, loading rows on
// several connections at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "drivers/mysql/mysql_connection.h"
#include "migrate/driver.h"

namespace migrate::mysql {

Result<std::uint64_t> database_size(st_mysql* conn);
Result<SnapshotInfo> snapshot(st_mysql* conn, const ConnectParams& params, ByteSink& sink);
Result<void> restore(st_mysql* conn, const ConnectParams& params, ByteSource& source,
                     const std::filesystem::path& scratch_dir);
Result<ContentFingerprint> fingerprint(st_mysql* conn, const ConnectParams& params);
Result<ContentFingerprint> fingerprint_snapshot(st_mysql* conn, const ConnectParams& params,
                                                ByteSource& source,
                                                const std::filesystem::path& scratch_dir);

// Drops every view, table, sequence, routine and event of the connection's
// database (triggers go with their tables), foreign keys notwithstanding,
// and `extra_table` (an already quoted name) if it is elsewhere.
Result<void> drop_all_objects(st_mysql* conn, const std::string& extra_table = {});

// doctor: the dump tool and client, and whether they suit the server.
std::vector<Driver::Check> tool_checks(st_mysql* conn);

}  // namespace migrate::mysql
