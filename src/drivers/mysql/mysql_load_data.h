// Loading a dump's rows with LOAD DATA LOCAL INFILE: one statement for a
// whole table, which InnoDB inserts into the empty table in bulk (sorted
// index builds, no undo log per row; MariaDB 10.7+, MDEV-24621) and which
// the server parses faster than INSERTs.
//
// The file is the dump's own VALUES tuples, one a line. mariadb-dump escapes
// strings as LOAD DATA unescapes them (\0 \n \r \\ \' \" \Z), writes NULL
// unquoted and, with --hex-blob, binary values as 0x... hex, which the
// statement decodes with UNHEX. Tables whose columns LOAD DATA would read
// otherwise than the INSERT does (BIT, spatial and other types, generated
// columns) keep their INSERTs. The restore's fingerprint check compares the
// result with the backup either way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "drivers/mysql/mysql_connection.h"
#include "migrate/byte_stream.h"

namespace migrate::mysql {

// The LOAD DATA statement for `table` of the connection's database, built
// from its columns (information_schema), or nullopt when the table's rows
// must be loaded with their INSERTs. The file it names is whatever
// load_data() serves.
Result<std::optional<std::string>> load_data_statement(st_mysql* conn, const std::string& table);

// Runs `statement` on `conn` (connected with LocalInfile::kAllow), serving
// `rows` as the file, and fails, naming `table`, with the server's error,
// with `rows`' error, or when the server reports a warning: LOAD DATA read a
// value otherwise than the INSERT would have.
Result<void> load_data(st_mysql* conn, const std::string& statement, const std::string& table,
                       ByteSource& rows);

// While a table is loaded in bulk, InnoDB's statistics thread cannot see
// its rows and recalculates the table's statistics over and over (that
// doubled the server's CPU time: bench/MYSQL_RESULTS.md). So automatic
// recalculation is switched off before the load, unless the table's
// definition sets it (true when it was switched off), and back to the
// default afterwards, with the statistics computed once (ANALYZE TABLE).
// SHOW CREATE TABLE is the same afterwards. Both are ALTERs, which wait
// for the tables that foreign keys name: run them while nothing loads.
Result<bool> pause_statistics(st_mysql* conn, const std::string& table);
Result<void> resume_statistics(st_mysql* conn, const std::string& table);

}  // namespace migrate::mysql
