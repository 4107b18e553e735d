// baseline: record migrations up to VERSION as applied without running them.
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/engine_run.h"

namespace migrate::cli {
namespace {

Result<Output> baseline(const Config& c) {
  const CommandFlags& f = command_flags();
  auto check = [&f](const Catalog& catalog) { return check_baseline_version(catalog, f.version); };
  return with_engine(c, f, check, [&f](EngineContext& ctx, const Catalog& catalog) {
    return run_baseline(ctx, catalog, f.version);
  });
}

}  // namespace

void add_baseline_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* cmd = app.add_subcommand("baseline",
                                 "record migrations up to VERSION as applied without running them");
  cmd->add_option("version", f.version, "the last migration the database already has")->required();
  cmd->callback([&action] { action = baseline; });
}

}  // namespace migrate::cli
