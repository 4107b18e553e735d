#include "cli/backup_settings.h"

#include <cstdlib>

#include "backup/database_identity.h"
#include "backup/progress.h"
#include "migrate/driver.h"
#include "util/files.h"

namespace migrate::cli {

std::optional<std::string> environment_or_dotenv(const std::string& name) {
  if (const char* value = std::getenv(name.c_str()); value && *value) return std::string(value);
  auto text = read_file(std::filesystem::current_path() / ".env");
  if (!text) return std::nullopt;
  auto values = parse_dotenv(*text);
  if (!values) return std::nullopt;  // resolve_config() has reported a malformed .env already
  auto it = values->find(name);
  if (it == values->end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<BackupSettings> backup_settings(const Config& config, const CommandFlags& flags) {
  BackupSettings settings;
  settings.store_dir = config.backup_dir;
  settings.database = manifest_database_url(config.url);
  settings.driver_name = std::string(driver_name(config.url.kind));
  if (flags.compression) {
    auto compression = parse_compression(*flags.compression);
    if (!compression) return tl::unexpected(compression.error());
    settings.compression = *compression;
  }
  if (flags.key_file) {
    auto key = read_key_file(*flags.key_file);
    if (!key) return tl::unexpected(key.error());
    settings.key = std::move(*key);
  } else if (auto secret = environment_or_dotenv("MIGRATE_BACKUP_KEY")) {
    settings.key = BackupKey{*secret, "MIGRATE_BACKUP_KEY"};
  }
  settings.progress = progress_wanted() && config.log_level != LogLevel::kWarn &&
                      config.log_level != LogLevel::kError;
  return settings;
}

std::string current_database(const Config& config) {
  return database_identity(manifest_database_url(config.url));
}

}  // namespace migrate::cli
