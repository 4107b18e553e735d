// fresh: back up, drop every object, apply every migration (and --seed).
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/engine_run.h"
#include "cli/session.h"

namespace migrate::cli {
namespace {

Result<Output> fresh(const Config& c) {
  if (auto ok = confirm_destructive(c, "fresh", "drops every table, view and trigger"); !ok)
    return tl::unexpected(ok.error());
  const CommandFlags& f = command_flags();
  return with_engine(c, f, no_check,
                     [&c, &f](EngineContext& ctx, const Catalog& catalog) -> Result<RunReport> {
                       auto report = run_fresh(ctx, catalog);
                       if (!report || !f.seed) return report;
                       auto seeded = run_seed(ctx, c.seeds_dir);
                       if (!seeded) return tl::unexpected(seeded.error());
                       report->seeds = std::move(seeded->steps);
                       return report;
                     });
}

}  // namespace

void add_fresh_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* cmd = app.add_subcommand("fresh", "back up, drop every object, apply every migration");
  cmd->add_flag("--seed", f.seed, "run the seed files afterwards");
  add_backup_first_flags(cmd, f);
  cmd->callback([&action] { action = fresh; });
}

}  // namespace migrate::cli
