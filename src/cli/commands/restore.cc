// restore: put a backup back (by id, label, prefix, file name or latest).
#include <fmt/format.h>

#include "cli/backup_settings.h"
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "util/log.h"

namespace migrate::cli {
namespace {

Result<Output> restore(const Config& c) {
  const CommandFlags& f = command_flags();
  auto settings = backup_settings(c, f);
  if (!settings) return tl::unexpected(settings.error());
  // The ref is resolved before the store is written to (cleaned): a typo
  // changes nothing.
  auto store = BackupStore::open(c.backup_dir, StoreAccess::kReadOnly);
  if (!store) return tl::unexpected(store.error());
  StoreLock reading = store->hold_for_reading();  // prune waits for the restore
  auto manifest = store->resolve(f.refs.front(), current_database(c));
  if (!manifest) {
    if (manifest.error().code != ErrorCode::kUsage)
      manifest.error().message += "; the database was not changed";
    return tl::unexpected(manifest.error());
  }
  if (auto writing = store->start_writing(); !writing) return tl::unexpected(writing.error());
  std::string other = other_database(*manifest, c);
  if (!other.empty()) log::warn(fmt::format("{}; restoring it into {}", other, settings->database));
  auto confirmed = confirm_destructive(
      c, "restore",
      fmt::format("replaces the database with backup '{}'{}", manifest->id,
                  other.empty() ? "" : fmt::format(" (of {})", printable(manifest->database))));
  if (!confirmed) return tl::unexpected(confirmed.error());
  auto driver = connect(c);
  if (!driver) return tl::unexpected(driver.error());
  auto lock = (*driver)->acquire_lock(std::chrono::seconds(c.lock_timeout_seconds));
  if (!lock) return tl::unexpected(lock.error());
  auto outcome = restore_backup(**driver, *store, *settings, *manifest,
                                f.no_backup ? PreRestoreBackup::kSkip : PreRestoreBackup::kTake);
  (*driver)->release_lock();
  if (!outcome) return tl::unexpected(outcome.error());
  if (!outcome->difference.empty()) {
    return fail(ErrorCode::kGeneral,
                fmt::format("restored backup '{}', but the database does not match it: {}",
                            manifest->id, outcome->difference));
  }
  return render_restore(*manifest, *outcome);
}

}  // namespace

void add_restore_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* cmd =
      app.add_subcommand("restore", "restore a backup (id, label, prefix, file name or latest)");
  cmd->add_option("ref", f.refs, "which backup")->required()->expected(1);
  cmd->add_flag("--no-backup", f.no_backup, "do not back up the current state first");
  add_backup_flags(cmd, f, BackupUse::kBackups);
  cmd->callback([&action] { action = restore; });
}

}  // namespace migrate::cli
