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
//
// While it runs InnoDB's statistics thread cannot see the rows and
// recalculates the table's statistics over and over (it doubled the
// server's CPU time in bench/MYSQL_RESULTS.md), so automatic recalculation
// is switched off for the table meanwhile, unless its definition sets it,
// and the statistics are computed once at the end (ANALYZE TABLE). SHOW
// CREATE TABLE is the same afterwards.
Result<void> load_data(st_mysql* conn, const std::string& statement, const std::string& table,
                       ByteSource& rows);

}  // namespace migrate::mysql
