// Backup settings from the configuration (the key from --key-file or
// MIGRATE_BACKUP_KEY, the progress delay) and the --compression flag.
#pragma once

#include <memory>

#include "backup/backup_service.h"
#include "backup/store.h"
#include "cli/command_flags.h"
#include "migrate/config.h"
#include "migrate/driver.h"

namespace migrate::cli {

Result<BackupSettings> backup_settings(const Config& config, const CommandFlags& flags);

// The database_identity() of the configured database: whose backups the
// backup commands pick by default.
std::string current_database(const Config& config);

// What a command that writes backups opens, in this order: the settings
// (a bad --compression or key file fails before anything is opened), the
// database, the store (read-write, once).
struct BackupSession {
  BackupSettings settings;
  std::unique_ptr<Driver> driver;
  BackupStore store;
};
Result<BackupSession> open_backup_session(const Config& config, const CommandFlags& flags);

// Another database's backup is only picked by its full id, and never
// quietly: "backup '<id>' is of another database, <url>", or "" for one of
// the configured database.
std::string other_database(const Manifest& manifest, const Config& config);

}  // namespace migrate::cli
