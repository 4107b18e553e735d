// version: the program's and its libraries' versions.
#include "cli/commands.h"

namespace migrate::cli {

void add_version_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("version", "print program and library versions");
  cmd->callback(
      [&action] { action = [](const Config&) -> Result<Output> { return render_version(); }; });
}

}  // namespace migrate::cli
