// prune: delete backups outside the retention policy (--keep-* flags, else
// MIGRATE_RETENTION); never the backup that undoes the latest applied batch.
#include <map>
#include <set>

#include "backup/retention.h"
#include "cli/backup_settings.h"
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "util/clock.h"

namespace migrate::cli {
namespace {

Result<RetentionPolicy> retention_policy(const CommandFlags& f, const Config& c) {
  RetentionPolicy policy{f.keep_last, f.keep_daily, f.keep_weekly, f.keep_monthly, std::nullopt};
  if (f.keep_within) {
    auto d = parse_duration(*f.keep_within);
    if (!d) return tl::unexpected(d.error());
    policy.keep_within = *d;
  }
  if (!policy.empty()) return policy;
  if (c.retention) return parse_retention(*c.retention);
  return policy;  // empty: select_prunable refuses it with the explanation
}

// The backup taken before the latest applied batch stays: it undoes what is live now.
Result<std::set<std::string>> protected_backups(const Config& c) {
  auto driver = connect(c);
  if (!driver) return tl::unexpected(driver.error());
  auto applied = (*driver)->applied_migrations();
  if (!applied) return tl::unexpected(applied.error());
  std::set<std::string> ids;
  std::int64_t last_batch = next_batch(*applied) - 1;
  for (const auto& row : *applied)
    if (row.batch == last_batch && row.backup_id) ids.insert(*row.backup_id);
  return ids;
}

Result<Output> prune(const Config& c) {
  const CommandFlags& f = command_flags();
  auto policy = retention_policy(f, c);
  if (!policy) return tl::unexpected(policy.error());
  // A missing store is an empty one: nothing to prune, nothing to create.
  std::error_code ec;
  bool reading = f.dry_run || !std::filesystem::exists(c.backup_dir, ec);
  auto store =
      BackupStore::open(c.backup_dir, reading ? StoreAccess::kReadOnly : StoreAccess::kReadWrite);
  if (!store) return tl::unexpected(store.error());
  // Only this database's backups: another's newest is not this one's to judge.
  auto listing = store->list(current_database(c));
  if (!listing) return tl::unexpected(listing.error());
  auto protected_ids = protected_backups(c);
  if (!protected_ids) return tl::unexpected(protected_ids.error());

  std::vector<PruneCandidate> candidates;
  std::map<std::string, const Manifest*> by_id;
  for (const auto& m : listing->backups) {
    candidates.push_back({m.id, parse_iso8601_utc(m.created_at)});
    by_id[m.id] = &m;
  }
  auto doomed =
      select_prunable(candidates, *policy, *protected_ids, std::chrono::system_clock::now());
  if (!doomed) return tl::unexpected(doomed.error());
  if (!f.dry_run && !doomed->empty()) {
    // Never under a restore or verify reading one of them.
    auto removing =
        StoreLock::acquire_exclusive(store->dir(), std::chrono::seconds(c.lock_timeout_seconds));
    if (!removing) return tl::unexpected(removing.error());
    for (const auto& id : *doomed)
      if (auto r = store->remove(*by_id[id]); !r) return tl::unexpected(r.error());
  }
  return render_prune({*doomed, listing->backups.size(), f.dry_run});
}

}  // namespace

void add_prune_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* cmd = app.add_subcommand("prune", "delete backups outside the retention policy");
  cmd->add_option("--keep-last", f.keep_last, "keep the N newest")->check(whole_number(1));
  cmd->add_option("--keep-daily", f.keep_daily, "keep the newest of each of N days")
      ->check(whole_number(1));
  cmd->add_option("--keep-weekly", f.keep_weekly, "keep the newest of each of N weeks")
      ->check(whole_number(1));
  cmd->add_option("--keep-monthly", f.keep_monthly, "keep the newest of each of N months")
      ->check(whole_number(1));
  cmd->add_option("--keep-within", f.keep_within, "keep everything newer than this (30d, 12h, 2w)");
  cmd->add_flag("--dry-run", f.dry_run, "list what would be deleted");
  cmd->callback([&action] { action = prune; });
}

}  // namespace migrate::cli
