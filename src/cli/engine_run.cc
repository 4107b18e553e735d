#include "cli/engine_run.h"

#include "backup/backup_service.h"
#include "cli/backup_settings.h"
#include "cli/session.h"
#include "engine/store_backup_hook.h"
#include "util/clock.h"

namespace migrate::cli {

Result<void> no_check(const Catalog&) {
  return {};
}

Result<Output> with_engine(const Config& config, const CommandFlags& flags,
                           const CatalogCheck& check, const EngineBody& body) {
  auto catalog = load_catalog(config.migrations_dir);
  if (!catalog) return tl::unexpected(catalog.error());
  if (auto ok = check(*catalog); !ok) return tl::unexpected(ok.error());
  auto settings = backup_settings(config, flags);
  if (!settings) return tl::unexpected(settings.error());
  // Every command run here takes the runner lock, except a dry run.
  auto driver =
      connect(config, flags.dry_run ? LockConnection::kWhenAcquired : LockConnection::kOpenAhead);
  if (!driver) return tl::unexpected(driver.error());
  NoBackup no_backup;
  StoreBackupHook store_backup(config.backup_dir, *settings);
  BackupHook& hook = flags.no_backup ? static_cast<BackupHook&>(no_backup) : store_backup;
  EngineContext ctx{**driver, hook, std::chrono::seconds(config.lock_timeout_seconds)};
  auto started = std::chrono::steady_clock::now();
  auto report = body(ctx, *catalog);
  if (!report) return tl::unexpected(report.error());
  report->elapsed_ms = elapsed_ms(started);
  return render_run(*report, config.url);
}

}  // namespace migrate::cli
