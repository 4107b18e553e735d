// rollback, redo and reset: the commands that roll migrations back.
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/engine_run.h"
#include "cli/session.h"

namespace migrate::cli {
namespace {

Execution execution(const CommandFlags& f) {
  return f.dry_run ? Execution::kDryRun : Execution::kApply;
}

RollbackOptions rollback_scope(const CommandFlags& f) {
  if (f.step) return {RollbackScope::kSteps, *f.step, {}};
  if (f.to) return {RollbackScope::kAfterVersion, 1, *f.to};
  return {};
}

Result<Output> rollback(const Config& c) {
  const CommandFlags& f = command_flags();
  if (f.step && f.to) return fail(ErrorCode::kUsage, "--step and --to cannot be combined");
  auto check = [&f](const Catalog&) { return check_rollback_options(rollback_scope(f)); };
  return with_engine(c, f, check, [&f](EngineContext& ctx, const Catalog& catalog) {
    return run_rollback(ctx, catalog, {rollback_scope(f), execution(f)});
  });
}

Result<Output> redo(const Config& c) {
  return with_engine(c, command_flags(), no_check, [](EngineContext& ctx, const Catalog& catalog) {
    return run_redo(ctx, catalog);
  });
}

Result<Output> reset(const Config& c) {
  if (auto ok = confirm_destructive(c, "reset", "rolls back every applied migration"); !ok)
    return tl::unexpected(ok.error());
  return with_engine(c, command_flags(), no_check, [](EngineContext& ctx, const Catalog& catalog) {
    return run_rollback(ctx, catalog, {{RollbackScope::kAll, 1, {}}, Execution::kApply}, "reset");
  });
}

}  // namespace

void add_rollback_commands(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* rollback_cmd =
      app.add_subcommand("rollback", "roll back the last batch (or --step N, --to VERSION)");
  add_plan_flags(rollback_cmd, f, false);
  add_backup_first_flags(rollback_cmd, f);
  rollback_cmd->callback([&action] { action = rollback; });

  auto* redo_cmd = app.add_subcommand("redo", "roll back the last migration and apply it again");
  add_backup_first_flags(redo_cmd, f);
  redo_cmd->callback([&action] { action = redo; });

  auto* reset_cmd = app.add_subcommand("reset", "back up, then roll back every applied migration");
  add_backup_first_flags(reset_cmd, f);
  reset_cmd->callback([&action] { action = reset; });
}

}  // namespace migrate::cli
