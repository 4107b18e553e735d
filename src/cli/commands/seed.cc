// seed: seeds/*.sql in name order, each in a transaction; no backup.
#include "cli/commands.h"
#include "cli/session.h"

namespace migrate::cli {
namespace {

Result<Output> seed(const Config& c) {
  auto driver = connect(c);
  if (!driver) return tl::unexpected(driver.error());
  NoBackup backups;
  EngineContext ctx{**driver, backups, std::chrono::seconds(c.lock_timeout_seconds)};
  auto report = run_seed(ctx, c.seeds_dir);
  if (!report) return tl::unexpected(report.error());
  return render_run(*report, c.url);
}

}  // namespace

void add_seed_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("seed", "run seeds/*.sql in name order, each in a transaction");
  cmd->callback([&action] { action = seed; });
}

}  // namespace migrate::cli
