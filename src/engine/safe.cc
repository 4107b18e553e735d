#include "engine/safe.h"

#include <fmt/format.h>

#include "engine/interrupt.h"
#include "engine/step_runner.h"
#include "engine/steps.h"
#include "util/log.h"

namespace migrate {
namespace {

// The migration failed and the backup was put back: exit 4 with the story.
// `applied` migrations of this run had succeeded before the failing one; the
// restore undid them too.
Error restored_after(const Error& failure, const Manifest& backup, const RestoreOutcome& outcome,
                     size_t applied) {
  std::string undone =
      applied == 0 ? "" : fmt::format(", undoing the {} migration(s) applied before it", applied);
  if (!outcome.difference.empty()) {
    return Error{
        ErrorCode::kGeneral,
        fmt::format("{}\nsafe: restored backup '{}'{}, but the database does not match it: {}",
                    failure.message, backup.id, undone, outcome.difference),
        fmt::format("inspect the database; `migrate restore {}` puts the backup back again",
                    backup.id)};
  }
  return Error{ErrorCode::kRestored,
               fmt::format("{}\nsafe: restored backup '{}' ({} ms){}; the database matches it "
                           "(fingerprint {}) and no migration of this run is applied",
                           failure.message, backup.id, outcome.duration_ms, undone,
                           backup.fingerprint.combined_sha256().substr(0, 16)),
               "fix the migration, then run `migrate safe` again"};
}

}  // namespace

Result<RunReport> run_safe(EngineContext& ctx, const Catalog& catalog, const UpRequest& request,
                           const BackupStore& store, const BackupSettings& settings) {
  RunReport report{"safe", {}, std::nullopt, 0, Execution::kApply, 0, {}};
  RunnerLock lock(ctx.driver);
  if (auto r = lock.acquire(ctx.lock_timeout); !r) return tl::unexpected(r.error());
  // Every check of `up` (out-of-order, --atomic, changed files) before the backup.
  auto prepared = prepare_up(ctx.driver, catalog, request);
  if (!prepared) return tl::unexpected(prepared.error());

  // safe never skips the backup, and proves it readable before relying on it.
  auto backup = take_backup(ctx.driver, store, settings, "pre-safe", "safe");
  if (!backup) return tl::unexpected(backup.error());
  if (auto r = check_artifact(store, *backup); !r) {
    r.error().message += "; no migration was applied";
    return tl::unexpected(r.error());
  }
  report.backup_id = backup->id;

  // From here a SIGTERM/SIGINT ends in the restore below, not half-applied.
  InterruptGuard interrupts;
  auto applied_run =
      apply_steps(ctx.driver, prepared->steps, request.transactions, next_batch(prepared->applied),
                  report.backup_id, report, AfterFailure::kRestored);
  if (applied_run) return report;
  // A statement the signal cut short fails with its own error: say why.
  if (int signal = interrupt_signal();
      signal != 0 &&
      applied_run.error().message.find(interrupt_message(signal)) == std::string::npos)
    applied_run.error().message += fmt::format("\n  ({})", interrupt_message(signal));

  // The failure itself is told once, in the report after the restore.
  log::warn(fmt::format("safe: the run failed; restoring backup '{}'", backup->id));
  auto outcome = restore_backup(ctx.driver, store, settings, *backup, PreRestoreBackup::kSkip);
  if (!outcome) {
    return fail(ErrorCode::kGeneral,
                fmt::format("{}\nsafe: restoring backup '{}' FAILED: {}; the database may hold "
                            "part of this run",
                            applied_run.error().message, backup->id, outcome.error().message),
                fmt::format("the backup is at '{}'; try `migrate restore {}`",
                            store.artifact_path(*backup).string(), backup->id));
  }
  return tl::unexpected(
      restored_after(applied_run.error(), *backup, *outcome, report.steps.size()));
}

}  // namespace migrate
