// SQLite snapshots and fingerprints, through SQLite itself: pages are read
// under SQLite's own locks (consistent while other connections write; WAL
// databases through the online backup API). Restoring by file replacement
// lives in sqlite_restore.h; restore_in_place() is for databases that have no
// file of their own (in-memory).
#pragma once

#include <filesystem>

#include "migrate/driver.h"

namespace sqlite_api {
struct sqlite3;
}

namespace migrate::sqlite {

// The content fingerprint of the database `db` is connected to, in one read
// transaction (a WAL database is checkpointed first).
Result<ContentFingerprint> fingerprint(sqlite_api::sqlite3* db);
Result<std::uint64_t> database_size(sqlite_api::sqlite3* db);
Result<SnapshotInfo> snapshot(sqlite_api::sqlite3* db, ByteSink& sink,
                              const std::filesystem::path& scratch_dir);
// Copies the snapshot into the live connection with the online backup API
// (journaled, so atomic, but the database is written several times).
// Refuses a snapshot whose fingerprint is not `expected` (null: no check)
// before the live database is touched.
Result<void> restore_in_place(sqlite_api::sqlite3* db, ByteSource& source,
                              const std::filesystem::path& scratch_dir,
                              const ContentFingerprint* expected);
Result<ContentFingerprint> fingerprint_snapshot(ByteSource& source,
                                                const std::filesystem::path& scratch_dir);

}  // namespace migrate::sqlite
