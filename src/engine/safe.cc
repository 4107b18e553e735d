#include "engine/safe.h"

#include <fmt/format.h>

#include "engine/step_runner.h"
#include "engine/steps.h"
#include "util/log.h"

namespace migrate {
namespace {

// The migration failed and the backup was put back: exit 4 with the story.
Error restored_after(const Error& failure, const Manifest& backup, const RestoreOutcome& outcome) {
  if (!outcome.difference.empty()) {
    return Error{ErrorCode::kGeneral,
                 fmt::format("{}\nsafe: restored backup '{}', but the database does not match it: {}",
                             failure.message, backup.id, outcome.difference),
                 fmt::format("inspect the database; `migrate restore {}` puts the backup back again", backup.id)};
  }
  return Error{ErrorCode::kRestored,
               fmt::format("{}\nsafe: restored backup '{}' ({} ms); the database matches it (fingerprint {})",
                           failure.message, backup.id, outcome.duration_ms,
                           backup.fingerprint.combined_sha256().substr(0, 16)),
               "fix the migration, then run `migrate safe` again"};
}

}  // namespace

Result<RunReport> run_safe(EngineContext& ctx, const Catalog& catalog, const UpRequest& request,
                           const BackupStore& store, const BackupSettings& settings) {
  RunReport report{"safe", {}, std::nullopt, 0, Execution::kApply};
  RunnerLock lock(ctx.driver);
  if (auto r = lock.acquire(ctx.lock_timeout); !r) return tl::unexpected(r.error());
  auto applied = ctx.driver.applied_migrations();  // the table is created after the backup
  if (!applied) return tl::unexpected(applied.error());
  auto plan = plan_up(catalog, *applied, request.plan);
  if (!plan) return tl::unexpected(plan.error());
  auto steps = load_steps(*plan, Direction::kUp, ctx.driver.dialect());
  if (!steps) return tl::unexpected(steps.error());

  // safe never skips the backup, and proves it readable before relying on it.
  auto backup = take_backup(ctx.driver, store, settings, "pre-safe", "safe");
  if (!backup) return tl::unexpected(backup.error());
  if (auto r = check_artifact(store, *backup); !r) {
    r.error().message += "; no migration was applied";
    return tl::unexpected(r.error());
  }
  report.backup_id = backup->id;

  auto applied_run = apply_steps(ctx.driver, *steps, request.transactions, next_batch(*applied),
                                 report.backup_id, report);
  if (applied_run) return report;

  log::error(applied_run.error().message);
  log::warn(fmt::format("safe: restoring backup '{}'", backup->id));
  auto outcome = restore_backup(ctx.driver, store, settings, *backup, PreRestoreBackup::kSkip);
  if (!outcome) {
    return fail(ErrorCode::kGeneral,
                fmt::format("{}\nsafe: restoring backup '{}' FAILED: {}", applied_run.error().message, backup->id,
                            outcome.error().message),
                fmt::format("the backup is at '{}'; try `migrate restore {}`",
                            store.artifact_path(*backup).string(), backup->id));
  }
  return tl::unexpected(restored_after(applied_run.error(), *backup, *outcome));
}

}  // namespace migrate
