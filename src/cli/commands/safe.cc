// safe: up, with a backup always taken and verified first, and restored if
// anything fails (engine/safe.h).
#include "engine/safe.h"

#include "cli/backup_settings.h"
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "migrate/catalog.h"
#include "util/clock.h"

namespace migrate::cli {
namespace {

Result<Output> safe(const Config& c) {
  const CommandFlags& f = command_flags();
  auto catalog = load_catalog(c.migrations_dir);
  if (!catalog) return tl::unexpected(catalog.error());
  auto session = open_backup_session(c, f);
  if (!session) return tl::unexpected(session.error());
  NoBackup unused;  // safe takes its own backup
  EngineContext ctx{*session->driver, unused, std::chrono::seconds(c.lock_timeout_seconds)};
  auto started = std::chrono::steady_clock::now();
  auto report = run_safe(ctx, *catalog, up_request(f), session->store, session->settings);
  if (!report) return tl::unexpected(report.error());
  report->elapsed_ms = elapsed_ms(started);
  return render_run(*report, c.url);
}

}  // namespace

void add_safe_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* cmd =
      app.add_subcommand("safe", "back up, migrate, and restore the backup if anything fails");
  add_up_flags(cmd, f);
  add_backup_flags(cmd, f, BackupUse::kBackups);
  cmd->callback([&action] { action = safe; });
}

}  // namespace migrate::cli
