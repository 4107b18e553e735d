// validate: file names and applied checksums; exit 3 on problems.
#include "cli/commands.h"
#include "cli/session.h"

namespace migrate::cli {
namespace {

Result<Output> validate(const Config& c) {
  auto driver = connect(c);
  if (!driver) return tl::unexpected(driver.error());
  auto report = run_validate(**driver, c.migrations_dir);
  if (!report) return tl::unexpected(report.error());
  return render_validate(*report);
}

}  // namespace

void add_validate_command(CLI::App& app, Action& action) {
  auto* cmd =
      app.add_subcommand("validate", "check file names and applied checksums; exit 3 on problems");
  cmd->callback([&action] { action = validate; });
}

}  // namespace migrate::cli
