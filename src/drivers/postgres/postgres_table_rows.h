// Reading whole tables as COPY writes them (the live database's part of the
// content fingerprint, postgres_fingerprint.cc).
//
// The server does most of that work (COPY formats every row), one backend per
// connection, so a large database is read on several connections at once:
// each helper imports the caller's snapshot (SET TRANSACTION SNAPSHOT) and
// sees exactly the state the caller's transaction sees.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "drivers/postgres/pg_tools.h"
#include "migrate/error.h"
#include "migrate/fingerprint.h"

namespace migrate::postgres {

struct TableToRead {
  std::string relation;  // quoted and qualified, as regclass writes it
  std::string columns;   // the quoted column list pg_dump copies
  std::string name;      // schema.table, for messages
  std::int64_t bytes = 0;
};

enum class Readers {
  kOne,            // only `conn` (its transaction may be the caller's)
  kShareSnapshot,  // helpers too, when the tables are large enough
};

// The rows of each table, in the order given. With kShareSnapshot, `conn`
// must be in a REPEATABLE READ transaction that migrate began itself, and
// `settings` are run by each helper after importing its snapshot. A helper
// that cannot connect is done without; a table that cannot be read fails
// the whole call (kSql, naming the table).
// Helpers are used only when the tables take `parallel_from` bytes or more:
// below that a connection costs more than it saves.
inline constexpr std::int64_t kParallelBytes = std::int64_t{64} << 20;
Result<std::vector<RowSetHash>> read_tables(pg_conn* conn, const std::vector<TableToRead>& tables,
                                            Readers readers, const char* settings,
                                            std::int64_t parallel_from = kParallelBytes);

// Defined in postgres_fingerprint.cc: the fingerprint read in the transaction
// `conn` has open, from the database (rows by `readers`). `dumped` is
// called once, after the schema and the rows were read; when it gives a dump, a sequence
// whose position the dump set differently from the database's is taken at
// the dump's position only when `before` (sequence_positions() taken before
// the dump began) shows that it moved while pg_dump ran.
Result<ContentFingerprint> fingerprint_in_transaction(
    pg_conn* conn, Readers readers, const std::function<Result<const DumpScanner*>()>& dumped,
    const DumpScanner::SequencePositions* before);

// Where every sequence stands now, read in the transaction `conn` has open.
Result<DumpScanner::SequencePositions> sequence_positions(pg_conn* conn);

}  // namespace migrate::postgres
