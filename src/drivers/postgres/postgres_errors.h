// Turning the server's error reports into migrate's messages: the primary
// message, the line of the migration file it points at, SQLSTATE, detail,
// hint and context. Shared by statement-at-a-time execution and the pipeline.
#pragma once

#include <libpq-fe.h>

#include <optional>
#include <string>

#include "migrate/error.h"
#include "migrate/sql_script.h"

namespace migrate::postgres {

// One field of an error or notice (PG_DIAG_...), trimmed; empty when absent.
std::string error_field(const PGresult* result, int code);

// "relation "x" does not exist (at line 5, SQLSTATE 42P01)" and the detail,
// hint and context lines; the line is that of the file `statement` came from
// (none for our own statements, whose line is 0).
std::string describe_error(const PGresult* result, const Statement& statement);

// kLock, saying plainly that a statement of a restore gave up waiting for a
// lock (lock_timeout), when `result` is that error.
std::optional<tl::unexpected<Error>> lock_wait_failure(const PGresult* result);

}  // namespace migrate::postgres
