// up (alias migrate): back up, then apply pending migrations.
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/engine_run.h"

namespace migrate::cli {

void add_up_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* up = app.add_subcommand("up", "back up, then apply pending migrations")->alias("migrate");
  add_plan_flags(up, f, true);
  add_up_flags(up, f);
  add_backup_first_flags(up, f);
  up->callback([&action] {
    action = [](const Config& c) {
      const CommandFlags& f = command_flags();
      auto check = [&f](const Catalog& catalog) {
        return check_up_options(catalog, up_request(f).plan);
      };
      return with_engine(c, f, check, [&f](EngineContext& ctx, const Catalog& catalog) {
        return run_up(ctx, catalog, up_request(f));
      });
    };
  });
}

}  // namespace migrate::cli
