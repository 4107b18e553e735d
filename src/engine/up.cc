// up, redo and fresh: the commands that apply migrations.
#include <fmt/format.h>

#include <optional>

#include "engine/interrupt.h"
#include "engine/step_runner.h"
#include "engine/steps.h"
#include "migrate/engine.h"

namespace migrate {
namespace {

Result<void> check_atomic_allowed(const MigrationFace& driver,
                                  const std::vector<LoadedStep>& steps) {
  if (!driver.transactional_ddl()) {
    return fail(ErrorCode::kRefused,
                "--atomic needs transactional DDL, which this database does not have; nothing was "
                "applied");
  }
  for (const auto& step : steps) {
    if (step.script.script.no_transaction) {
      return fail(ErrorCode::kRefused,
                  fmt::format("--atomic: {} is marked -- migrate:no-transaction and cannot run in "
                              "the shared transaction; nothing was applied",
                              printable(step.script.file_name())));
    }
  }
  return {};
}

// Flyway's validate-on-migrate: new migrations are written against the
// applied ones as they are in the files; one edited after it ran means the
// database is not what the new ones expect.
Result<void> check_unchanged(const Catalog& catalog, const std::vector<AppliedMigration>& applied) {
  auto changed = changed_migrations(catalog, applied);
  if (!changed) return tl::unexpected(changed.error());
  if (changed->empty()) return {};
  for (auto& name : *changed) name = printable(name);
  return fail(ErrorCode::kRefused,
              fmt::format("applied migrations changed since they were applied (checksum "
                          "differs); nothing was applied:\n  {}",
                          fmt::join(*changed, "\n  ")),
              "put the files back as they were applied, or pass --allow-changed to apply the "
              "pending migrations anyway; `migrate validate` lists every problem");
}

}  // namespace

Result<PreparedUp> prepare_up(MigrationFace& driver, const Catalog& catalog,
                              const UpRequest& request) {
  // The tracking table is created (or adopted) only after the backup, so the
  // backup holds the database exactly as it was before the run.
  auto applied = driver.applied_migrations();
  if (!applied) return tl::unexpected(applied.error());
  auto plan = plan_up(catalog, *applied, request.plan);
  if (!plan) return tl::unexpected(plan.error());
  auto steps = load_steps(*plan, Direction::kUp, driver.dialect());
  if (!steps) return tl::unexpected(steps.error());
  if (request.transactions == Transactions::kAtomic) {
    if (auto r = check_atomic_allowed(driver, *steps); !r) return tl::unexpected(r.error());
  }
  if (!steps->empty() && request.changed == ChangedFiles::kRefuse) {
    if (auto r = check_unchanged(catalog, *applied); !r) return tl::unexpected(r.error());
  }
  return PreparedUp{std::move(*applied), std::move(*steps)};
}

Result<RunReport> run_up_with(EngineContext& ctx, const Catalog& catalog, const UpRequest& request,
                              std::string_view command, UpRecovery* recovery) {
  RunReport report{std::string(command), {}, std::nullopt, 0, request.execution, 0, {}};
  RunnerLock lock(ctx.driver);
  bool dry_run = request.execution == Execution::kDryRun;
  if (!dry_run) {
    if (auto r = lock.acquire(ctx.lock_timeout); !r) return tl::unexpected(r.error());
  }
  // Every check (out-of-order, --atomic, changed files) comes before the backup.
  auto prepared = prepare_up(ctx.driver, catalog, request);
  if (!prepared) return tl::unexpected(prepared.error());
  if (dry_run) {
    describe_steps(prepared->steps, Direction::kUp, report);
    return report;
  }
  if (prepared->steps.empty() && !recovery) return report;

  auto backup = ctx.backups.before_change(fmt::format("pre-{}", command), ctx.driver);
  if (!backup) return tl::unexpected(backup.error());
  report.backup_id = *backup;
  // Under a recovery, a SIGTERM/SIGINT ends in its restore, not half-applied.
  std::optional<InterruptGuard> interrupts;
  if (recovery) {
    interrupts.emplace();
    if (report.backup_id) name_backup_for_interrupts(*report.backup_id);
  }
  auto r = apply_steps(ctx.driver, prepared->steps, request.transactions,
                       next_batch(prepared->applied), report.backup_id, report,
                       recovery ? AfterFailure::kRestored : AfterFailure::kKept);
  // A signal that came after the last statement still means "stop this
  // deploy": under a recovery the run is undone like any other.
  if (r && recovery && interrupt_signal() != 0)
    r = fail(ErrorCode::kGeneral,
             fmt::format("{} after the last migration", interrupt_message(interrupt_signal())));
  if (r) return report;
  if (!recovery) return tl::unexpected(r.error());
  return tl::unexpected(recovery->recover(ctx.driver, std::move(r.error()), report.steps.size()));
}

Result<RunReport> run_up(EngineContext& ctx, const Catalog& catalog, const UpRequest& request,
                         std::string_view command) {
  return run_up_with(ctx, catalog, request, command, nullptr);
}

Result<RunReport> run_redo(EngineContext& ctx, const Catalog& catalog) {
  RunReport report{"redo", {}, std::nullopt, 0, Execution::kApply, 0, {}};
  RunnerLock lock(ctx.driver);
  if (auto r = lock.acquire(ctx.lock_timeout); !r) return tl::unexpected(r.error());
  auto applied = ctx.driver.applied_migrations();  // the table is adopted after the backup
  if (!applied) return tl::unexpected(applied.error());
  if (applied->empty()) {
    return fail(ErrorCode::kRefused, "nothing to redo: no migration is applied");
  }
  auto plan = plan_rollback(catalog, *applied, {RollbackScope::kSteps, 1, {}});
  if (!plan) return tl::unexpected(plan.error());
  std::vector<MigrationFile> files = {plan->front().file};
  auto down = load_steps(files, Direction::kDown, ctx.driver.dialect());
  if (!down) return tl::unexpected(down.error());
  auto up = load_steps(files, Direction::kUp, ctx.driver.dialect());
  if (!up) return tl::unexpected(up.error());

  auto backup = ctx.backups.before_change("pre-redo", ctx.driver);
  if (!backup) return tl::unexpected(backup.error());
  report.backup_id = *backup;
  if (auto r = revert_steps(ctx.driver, *down, report); !r) return tl::unexpected(r.error());
  auto r = apply_steps(ctx.driver, *up, Transactions::kPerMigration, next_batch(*applied),
                       report.backup_id, report);
  if (!r) return tl::unexpected(r.error());
  return report;
}

Result<RunReport> run_fresh(EngineContext& ctx, const Catalog& catalog) {
  RunReport report{"fresh", {}, std::nullopt, 0, Execution::kApply, 0, {}};
  RunnerLock lock(ctx.driver);
  if (auto r = lock.acquire(ctx.lock_timeout); !r) return tl::unexpected(r.error());
  auto plan = plan_up(catalog, {}, {});
  if (!plan) return tl::unexpected(plan.error());
  auto steps = load_steps(*plan, Direction::kUp, ctx.driver.dialect());
  if (!steps) return tl::unexpected(steps.error());

  auto backup = ctx.backups.before_change("pre-fresh", ctx.driver);
  if (!backup) return tl::unexpected(backup.error());
  report.backup_id = *backup;
  if (auto r = ctx.driver.drop_all_objects(); !r) return tl::unexpected(r.error());
  if (auto r = ensure_tracking(ctx.driver); !r) return tl::unexpected(r.error());
  auto r =
      apply_steps(ctx.driver, *steps, Transactions::kPerMigration, 1, report.backup_id, report);
  if (!r) return tl::unexpected(r.error());
  return report;
}

}  // namespace migrate
