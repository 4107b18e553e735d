// create: a new migration and its rollback file.
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "migrate/engine.h"

namespace migrate::cli {

void add_create_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* create = app.add_subcommand("create", "write a new migration and its rollback file");
  create->add_option("name", f.name, "description, e.g. add_users")->required();
  create->callback([&action] {
    action = [](const Config& c) -> Result<Output> {
      auto created = create_migration(c.migrations_dir, command_flags().name,
                                      std::chrono::system_clock::now());
      if (!created) return tl::unexpected(created.error());
      return render_created(*created);
    };
  });
}

}  // namespace migrate::cli
