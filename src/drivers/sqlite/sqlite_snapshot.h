// SQLite snapshots, restores and fingerprints, all through SQLite itself:
// the online backup API copies pages under SQLite's own locks (consistent
// while other connections write), and restore copies back into the live
// connection, so the journal makes it atomic and no stale -wal/-shm remain.
#pragma once

#include <filesystem>

#include "migrate/driver.h"

namespace sqlite_api {
struct sqlite3;
}

namespace migrate::sqlite {

Result<ContentFingerprint> fingerprint(sqlite_api::sqlite3* db);
Result<std::uint64_t> database_size(sqlite_api::sqlite3* db);
Result<SnapshotInfo> snapshot(sqlite_api::sqlite3* db, ByteSink& sink,
                              const std::filesystem::path& scratch_dir);
Result<void> restore(sqlite_api::sqlite3* db, ByteSource& source,
                     const std::filesystem::path& scratch_dir);
Result<ContentFingerprint> fingerprint_snapshot(ByteSource& source,
                                                const std::filesystem::path& scratch_dir);

}  // namespace migrate::sqlite
