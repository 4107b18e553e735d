// backup: take a backup now.
#include <fmt/format.h>

#include "cli/backup_settings.h"
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/session.h"

namespace migrate::cli {
namespace {

Result<Output> backup(const Config& c) {
  const CommandFlags& f = command_flags();
  std::string label = f.label.empty() ? "manual" : f.label;
  if (!is_valid_label(label)) {
    return fail(
        ErrorCode::kUsage,
        fmt::format(
            "invalid backup label '{}': use 1-64 lowercase letters, digits, '.', '_' or '-'",
            escape_control(label)));
  }
  auto settings = backup_settings(c, f);
  if (!settings) return tl::unexpected(settings.error());
  auto driver = connect(c);
  if (!driver) return tl::unexpected(driver.error());
  auto store = BackupStore::open(c.backup_dir);
  if (!store) return tl::unexpected(store.error());
  auto manifest = take_backup(**driver, *store, *settings, label, "backup");
  if (!manifest) return tl::unexpected(manifest.error());
  return render_backup(*store, *manifest);
}

}  // namespace

void add_backup_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* cmd = app.add_subcommand("backup", "take a backup now");
  cmd->add_option("label", f.label, "a label for the backup (default: manual)");
  add_backup_flags(cmd, f, BackupUse::kBackups);
  cmd->callback([&action] { action = backup; });
}

}  // namespace migrate::cli
