// Sending pg_dump's plain output to a server over libpq, line by line as it
// is read (postgres_replay.h runs it in the restore's transaction).
//
// Statements are gathered and sent many at a time, COPY's rows go with
// PQputCopyData. Every batch first passes check_dump_statements()
// (postgres_dump_guard.h), and after every batch the connection must still be
// inside the restore's transaction. A failure names the line of the dump.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/postgres/pg_connection.h"
#include "migrate/error.h"

namespace migrate::postgres {

// Part of the message of a failure after which the restore's transaction
// may have ended (and what ran before it committed).
inline constexpr std::string_view kMayHaveCommitted = "may have been committed";

class DumpSender {
 public:
  explicit DumpSender(pg_conn* conn) : conn_(conn) {}

  // Takes the next lines of the dump (`text` ends with a newline); sends
  // what has gathered when a batch is full or a COPY starts.
  Result<void> lines(std::string_view text);

  // Sends what is pending; the dump may not end inside a COPY.
  Result<void> finish();

 private:
  // One line outside a COPY: gathered, or the COPY statement that starts one.
  Result<void> statement_line(std::string_view line);

  // Sends what has gathered; `copy` when it ends with a COPY FROM stdin.
  Result<void> send(bool copy);

  // Sends the batch; its statements answer one result each, and
  // `completed` counts those that succeeded before an error. Returns the
  // last result (the error, or the COPY that waits for rows).
  ResultPtr execute(size_t* completed);

  // The offset in pending_ of the statement after the first `completed`.
  std::optional<size_t> failed_statement(size_t completed, bool standard_strings) const;

  // A second guard behind check_dump_statements(): the dump must never
  // have ended the restore's transaction.
  Result<void> still_in_transaction();

  // The server's error, placed at a line of the dump: where the server
  // points in the batch, else at the statement that failed.
  tl::unexpected<Error> failure(const PGresult* result,
                                std::optional<size_t> statement = std::nullopt);

  pg_conn* conn_;
  std::string pending_;
  std::uint64_t line_ = 0;          // lines sent or pending
  std::uint64_t pending_line_ = 1;  // the line pending_ starts at
  bool in_copy_ = false;
};

}  // namespace migrate::postgres
