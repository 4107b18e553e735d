// backup: take a backup now.
#include <fmt/format.h>

#include "cli/backup_settings.h"
#include "cli/command_flags.h"
#include "cli/commands.h"

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
  if (label == "latest") {
    return fail(ErrorCode::kUsage,
                "invalid backup label 'latest': in a ref it names the newest backup, so a "
                "backup labelled so could never be named by its label");
  }
  auto session = open_backup_session(c, f);
  if (!session) return tl::unexpected(session.error());
  auto manifest = take_backup(*session->driver, session->store, session->settings, label, "backup");
  if (!manifest) return tl::unexpected(manifest.error());
  return render_backup(session->store, *manifest);
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
