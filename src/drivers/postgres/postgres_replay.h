// Restoring pg_dump's plain output: the dump is replayed over libpq on a
// connection of migrate's own, into a database emptied in the same
// transaction, and migrate alone decides whether that transaction commits.
//
// No psql runs: a client program fed through a pipe would commit whatever
// reached it, even after migrate was killed or gave up. Here the COMMIT is
// sent only once the whole dump ran and the restored state, fingerprinted
// from the database itself inside the transaction, was accepted; a migrate
// that dies or fails before that leaves a transaction the server rolls back.
#pragma once

#include <chrono>
#include <functional>

#include "drivers/postgres/pg_tools.h"
#include "migrate/byte_stream.h"
#include "migrate/error.h"
#include "migrate/fingerprint.h"

namespace migrate::postgres {

enum class AfterReplay { kCommit, kRollBack };

// Replays the dump read from `source` into the database `target` names,
// after emptying it, and fingerprints the result before the transaction
// ends. `accept` sees that fingerprint and may refuse it; the transaction
// commits only with kCommit, a complete dump (pg_dump's completion marker)
// and an accepting `accept`. Returns the fingerprint. Every failure leaves
// the database as it was, and says so. A statement that waits longer than
// `lock_timeout` (zero: no limit) for a lock another session holds fails.
Result<ContentFingerprint> replay(
    const Target& target, std::chrono::milliseconds lock_timeout, ByteSource& source,
    AfterReplay after, const std::function<Result<void>(const ContentFingerprint&)>& accept);

}  // namespace migrate::postgres
