#include "cli/backup_settings.h"

#include <fmt/format.h>

#include "backup/database_identity.h"
#include "backup/progress.h"
#include "cli/session.h"
#include "migrate/driver.h"

namespace migrate::cli {

Result<BackupSettings> backup_settings(const Config& config, const CommandFlags& flags) {
  BackupSettings settings;
  settings.database = manifest_database_url(config.url);
  settings.driver_name = std::string(driver_name(config.url.kind));
  if (flags.compression) {
    auto compression = parse_compression(*flags.compression);
    if (!compression) return tl::unexpected(compression.error());
    settings.compression = *compression;
  }
  if (config.backup_key_file) {
    auto key = read_key_file(*config.backup_key_file);
    if (!key) return tl::unexpected(key.error());
    settings.key = std::move(*key);
  } else if (config.backup_key) {
    settings.key = BackupKey{*config.backup_key, "MIGRATE_BACKUP_KEY"};
  }
  settings.progress = progress_wanted() && config.log_level != LogLevel::kWarn &&
                      config.log_level != LogLevel::kError;
  settings.progress_delay = config.progress_delay;
  return settings;
}

std::string current_database(const Config& config) {
  return database_identity(manifest_database_url(config.url));
}

Result<BackupSession> open_backup_session(const Config& config, const CommandFlags& flags) {
  auto settings = backup_settings(config, flags);
  if (!settings) return tl::unexpected(settings.error());
  auto driver = connect(config);
  if (!driver) return tl::unexpected(driver.error());
  auto store = BackupStore::open(config.backup_dir);
  if (!store) return tl::unexpected(store.error());
  return BackupSession{std::move(*settings), std::move(*driver), std::move(*store)};
}

std::string other_database(const Manifest& m, const Config& c) {
  if (database_identity(m.database) == current_database(c)) return "";
  return fmt::format("backup '{}' is of another database, {}", m.id, printable(m.database));
}

}  // namespace migrate::cli
