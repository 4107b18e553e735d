// Moving a checked staging copy's tables into the live database, instead
// of replaying the dump a second time: one RENAME TABLE statement, which
// MariaDB applies to every table at once or to none, carries the tables
// and sequences with their rows, indexes, foreign keys and counters. The
// views, routines, triggers and events are then created in the live
// database from the dump (mysql_restore.cc).
//
// A trigger cannot change database with its table, so the copy's triggers
// are dropped first; and a table whose definition names the copy's
// database (a sequence in a column's default) would point at a database
// about to be dropped, so then nothing moves and the caller replays.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "drivers/mysql/mysql_connection.h"

namespace migrate::mysql {

// The tables and sequences of `from` ready to move (its triggers dropped),
// or nullopt, having changed nothing, when one cannot move.
Result<std::optional<std::vector<std::string>>> prepare_move(st_mysql* conn,
                                                             const std::string& from);

// Renames `tables` of `from` into `to`, all or none.
Result<void> move_tables(st_mysql* conn, const std::string& from, const std::string& to,
                         const std::vector<std::string>& tables);

// One RENAME TABLE, all or none: every table and sequence of `live` into
// `trash`, then `tables` of `from` into `live`. A kill at any moment
// leaves the live data whole in one database or the other, never dropped.
Result<void> swap_tables(st_mysql* conn, const std::string& live, const std::string& trash,
                         const std::string& from, const std::vector<std::string>& tables);

}  // namespace migrate::mysql
