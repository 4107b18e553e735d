// Backup settings from the configuration, the backup flags and the key in
// MIGRATE_BACKUP_KEY (environment or .env) or --key-file.
#pragma once

#include "backup/backup_service.h"
#include "cli/command_flags.h"
#include "migrate/config.h"

namespace migrate::cli {

Result<BackupSettings> backup_settings(const Config& config, const CommandFlags& flags);

// The database_identity() of the configured database: whose backups the
// backup commands pick by default.
std::string current_database(const Config& config);

// A value from the environment, else from .env in the working directory.
std::optional<std::string> environment_or_dotenv(const std::string& name);

}  // namespace migrate::cli
