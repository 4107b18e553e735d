// completion SHELL: prints the completion script for bash, zsh or fish,
// written from the command line's own definition (cli/completion.h). Like
// `help`, it needs no configuration and prints while the command line is
// parsed.
#include "cli/completion.h"

#include <iostream>

#include "cli/commands.h"

namespace migrate::cli {

void add_completion_command(CLI::App& app, Action&) {
  auto* cmd = app.add_subcommand("completion", "print the shell completion script for SHELL");
  auto* shell = cmd->add_option("shell", "bash, zsh or fish")->required();
  cmd->callback([&app, shell] {
    std::string name = shell->as<std::string>();
    std::string script = completion_script(name, app);
    if (script.empty()) {
      throw CLI::ValidationError("completion",
                                 "unknown shell '" + name + "' (expected bash, zsh or fish)");
    }
    std::cout << script;
    throw CLI::Success();
  });
}

}  // namespace migrate::cli
