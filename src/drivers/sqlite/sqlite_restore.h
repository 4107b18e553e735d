// Restoring a SQLite database by replacing its file: the snapshot is written
// beside the database under a temporary name, synced, checked, locked, and
// renamed over the database. A crash leaves either the old file or the new
// one, never a mixture, and the database is written once (the online backup
// API would write it three times: scratch copy, rollback journal, database).
//
// A process that keeps the old file open across the rename keeps reading the
// old file: restore is for a database whose application is stopped, as with
// any other runner's restore.
#pragma once

#include <filesystem>
#include <memory>

#include "drivers/sqlite/sqlite_files.h"
#include "migrate/byte_stream.h"
#include "migrate/fingerprint.h"
#include "util/atomic_file.h"

namespace migrate::sqlite {

// Writes the snapshot from `source` to a temporary beside `database`, checks
// that it is a whole SQLite database file (check_database_file()) and gives
// it the database's mode and owner; everything is written out (readable by
// path), and the caller syncs it with finish(). An empty snapshot (zero
// bytes: the backup of a zero-length database file) is staged as a
// header-only database of one page, the same empty database (same
// fingerprint, same .dump): the restore's lock would write that page anyway.
// The database itself is not touched; a failure leaves nothing behind.
// Leftover temporaries of crashed restores are removed first.
Result<std::unique_ptr<AtomicFile>> stage_snapshot(ByteSource& source,
                                                   const std::filesystem::path& database);

// Opens `path` and takes SQLite's exclusive lock on it, held until `guard`
// closes: the runner lock of the file that is about to become the database.
Result<void> lock_exclusively(const std::filesystem::path& path, Connection& guard);

// Refuses (kRefused) a restored snapshot whose fingerprint is not `expected`
// (the backup manifest's), naming the first difference; null, or a
// fingerprint made with another table hash (another migrate version): no check.
Result<void> check_fingerprint(const ContentFingerprint& restored,
                               const ContentFingerprint* expected);

// Renames the staged file over `database` and removes the old file's journal,
// WAL and shared-memory files, which would otherwise be applied to the new
// one. `live` is the connection to the old file: its WAL is emptied first,
// so that a crash between the rename and the removal cannot leave old WAL
// frames beside the new file. Fails if the name does not lead to the staged
// file afterwards.
Result<void> swap_in(sqlite_api::sqlite3* live, AtomicFile& staged,
                     const std::filesystem::path& database);

// Removes the -wal, -shm and -journal files SQLite may leave next to
// `database` (a WAL database's connection leaves an empty -wal behind when
// the file was renamed while it was open).
void remove_companions(const std::filesystem::path& database);

}  // namespace migrate::sqlite
