// rollback (and reset, which is a rollback of everything).
#include <fmt/format.h>

#include "engine/step_runner.h"
#include "engine/steps.h"
#include "migrate/engine.h"

namespace migrate {

Result<RunReport> run_rollback(EngineContext& ctx, const Catalog& catalog,
                               const RollbackRequest& request, std::string_view command) {
  RunReport report{std::string(command), {}, std::nullopt, 0, request.execution, 0, {}};
  RunnerLock lock(ctx.driver);
  bool dry_run = request.execution == Execution::kDryRun;
  if (!dry_run) {
    if (auto r = lock.acquire(ctx.lock_timeout); !r) return tl::unexpected(r.error());
  }
  // Planned before anything is written: a refused or mistyped rollback
  // leaves the database as it was, without even a new tracking table.
  auto applied = ctx.driver.applied_migrations();
  if (!applied) return tl::unexpected(applied.error());
  auto plan = plan_rollback(catalog, *applied, request.plan);
  if (!plan) return tl::unexpected(plan.error());
  std::vector<MigrationFile> files;
  for (const auto& step : *plan) files.push_back(step.file);
  auto steps = load_steps(files, Direction::kDown, ctx.driver.dialect());
  if (!steps) return tl::unexpected(steps.error());
  if (dry_run) {
    describe_steps(*steps, Direction::kDown, report);
    return report;
  }
  if (steps->empty()) return report;

  auto backup = ctx.backups.before_change(fmt::format("pre-{}", command), ctx.driver);
  if (!backup) return tl::unexpected(backup.error());
  report.backup_id = *backup;
  if (auto r = revert_steps(ctx.driver, *steps, report); !r) return tl::unexpected(r.error());
  return report;
}

}  // namespace migrate
