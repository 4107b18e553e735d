// status: every migration and its state.
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "migrate/catalog.h"

namespace migrate::cli {

void add_status_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* status = app.add_subcommand("status", "list migrations and their state");
  status->add_flag("--exit-code", f.exit_code,
                   "exit 3 when anything is pending, changed or missing");
  status->callback([&action] {
    action = [](const Config& c) -> Result<Output> {
      auto catalog = load_catalog(c.migrations_dir);
      if (!catalog) return tl::unexpected(catalog.error());
      auto driver = connect(c);
      if (!driver) return tl::unexpected(driver.error());
      auto report = run_status(**driver, *catalog);
      if (!report) return tl::unexpected(report.error());
      Output out = render_status(*report, c.url, json_output() ? Format::kJson : Format::kText);
      if (command_flags().exit_code && needs_attention(report->rows)) out.exit_code = 3;
      return out;
    };
  });
}

}  // namespace migrate::cli
