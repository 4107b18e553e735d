// PostgreSQL snapshots, restores and fingerprints.
//
// Snapshots come from the server's own pg_dump, streamed through the backup
// pipeline without a shell; restores replay them into a database emptied in
// the same transaction, so objects created after the backup are gone. The
// fingerprint is computed by the server from the catalogs and the rows,
// never from the dump's text.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "migrate/driver.h"

struct pg_conn;  // libpq's PGconn

namespace migrate::postgres {

// How the dump tools reach the database: libpq "keyword=value" connection
// string (password included: passed to children through the environment,
// never on a command line) and the database name.
struct ConnectionParams {
  std::string conninfo;  // e.g. "host=127.0.0.1 port=5432 user=app dbname=app sslmode=disable"
  std::string password;  // given to pg_dump in a private service file
  std::string database;
  // How long a restore's statements wait for a lock another session holds
  // (--lock-timeout, as the runner's lock took it); zero waits for ever.
  std::chrono::milliseconds lock_timeout{0};
  std::filesystem::path tool_dir;  // DriverOptions::postgres_tool_dir
};

Result<ContentFingerprint> fingerprint(pg_conn* conn);
Result<std::uint64_t> database_size(pg_conn* conn);
Result<SnapshotInfo> snapshot(pg_conn* conn, const ConnectionParams& params, ByteSink& sink,
                              const std::filesystem::path& scratch_dir);
// Replays the snapshot on a connection of its own (postgres_replay.h); with
// `expected`, the restored state must have that fingerprint, or the restore
// is rolled back. Returns the fingerprint the restored state had when it
// committed (read with queries inside the restore's transaction).
Result<ContentFingerprint> restore(pg_conn* conn, const ConnectionParams& params,
                                   ByteSource& source, const ContentFingerprint* expected);
Result<ContentFingerprint> fingerprint_snapshot(pg_conn* conn, const ConnectionParams& params,
                                                ByteSource& source,
                                                const std::filesystem::path& scratch_dir);

}  // namespace migrate::postgres
