// What a restore lets a dump run: only the statements pg_dump writes.
//
// The restore replays the dump inside migrate's own transaction and commits
// only when the result matches the backup's fingerprint. A dump edited to
// hold a COMMIT (or ROLLBACK, BEGIN, SAVEPOINT, PREPARE TRANSACTION, ...)
// would end that transaction and make its own changes permanent while the
// restore then reports failure. So every batch is split into statements the
// way the server's lexer does (quotes, dollar quotes, nested comments,
// parentheses, BEGIN ATOMIC bodies) and each statement's leading keywords
// are checked against what pg_dump emits, before the batch is sent.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "migrate/error.h"

namespace migrate::postgres {

// Refuses `sql` (one batch of the dump, sent as one query) when any of its
// statements is not one pg_dump writes. `standard_strings` is the server's
// standard_conforming_strings as the batch is sent (how '\' reads in '...');
// `first_line` is the dump's line the batch starts at, for the message.
Result<void> check_dump_statements(std::string_view sql, bool standard_strings,
                                   std::uint64_t first_line);

// Where each statement of `sql` begins (the offset of its first token), as
// the server splits it; for telling which statement of a batch failed.
std::vector<size_t> statement_offsets(std::string_view sql, bool standard_strings);

}  // namespace migrate::postgres
