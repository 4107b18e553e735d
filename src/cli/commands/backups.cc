// backups: list this database's backups (--all: every database's), newest first.
#include "backup/database_identity.h"
#include "cli/backup_settings.h"
#include "cli/command_flags.h"
#include "cli/commands.h"

namespace migrate::cli {
namespace {

Result<Output> backups(const Config& c) {
  bool all = command_flags().all;
  auto store = BackupStore::open(c.backup_dir, StoreAccess::kReadOnly);
  if (!store) return tl::unexpected(store.error());
  auto listing = store->list(all ? "" : current_database(c));
  if (!listing) return tl::unexpected(listing.error());
  return render_backup_list({*store, *listing, c.backup_dir, manifest_database_url(c.url), all});
}

}  // namespace

void add_backups_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* cmd = app.add_subcommand("backups", "list this database's backups, newest first");
  cmd->add_flag("--all", f.all, "list the backups of every database in the directory");
  cmd->callback([&action] { action = backups; });
}

}  // namespace migrate::cli
