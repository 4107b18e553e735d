// Taking, checking and restoring backups: the pipeline between a driver's
// snapshot and the store.
//
//   snapshot -> compress -> [encrypt] -> hash -> AtomicFile   then manifest (the commit point)
//   artifact -> hash check, then artifact -> [decrypt] -> decompress -> driver restore ->
//   fingerprint
//
// Nothing is restored from an artifact whose SHA-256 differs from its manifest.
// A command opens the store once and passes it to every step.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "backup/compression.h"
#include "backup/encryption.h"
#include "backup/manifest.h"
#include "backup/store.h"
#include "migrate/driver.h"

namespace migrate {

// How backups are written and read; where they are is the BackupStore passed
// alongside.
struct BackupSettings {
  Compression compression = Compression::kZstd;
  std::optional<BackupKey> key;                    // encrypt new backups, decrypt encrypted ones
  std::string database;                            // manifest_database_url(), for manifests
  std::string driver_name;                         // "sqlite", "postgres", "mysql"
  bool progress = false;                           // draw progress on stderr
  std::chrono::milliseconds progress_delay{1000};  // only after this long
};

// Takes a backup of the database the driver is connected to: its snapshots
// face for the content, its migrations face for the schema version the
// manifest records.
Result<Manifest> take_backup(Driver& driver, const BackupStore& store,
                             const BackupSettings& settings, std::string_view label,
                             std::string_view reason);

// Checks that the artifact exists and matches the manifest's size and SHA-256.
Result<void> check_artifact(const BackupStore& store, const Manifest& manifest);

struct RestoreOutcome {
  Manifest restored;
  std::optional<std::string> pre_restore_backup;  // id of the backup taken first
  std::string difference;  // "" when the database's fingerprint matches the manifest's
  std::int64_t duration_ms = 0;
};

// Verifies `manifest`'s artifact, then replaces the database with it and
// compares fingerprints. With `pre_restore` a backup of the current state is
// taken first (after the artifact checked out). A damaged artifact fails
// with an error naming the backup and saying the database was not touched.
enum class PreRestoreBackup { kTake, kSkip };
Result<RestoreOutcome> restore_backup(Driver& driver, const BackupStore& store,
                                      const BackupSettings& settings, const Manifest& manifest,
                                      PreRestoreBackup pre_restore);

// Decodes the artifact into a scratch database and returns its fingerprint
// (`verify --deep`).
Result<ContentFingerprint> deep_fingerprint(SnapshotFace& driver, const BackupStore& store,
                                            const BackupSettings& settings,
                                            const Manifest& manifest);

}  // namespace migrate
