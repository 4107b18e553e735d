// help [COMMAND]: the help of the program or of one command, as --help
// prints it. It needs no configuration, so it prints while the command line
// is parsed and ends the parse (CLI::Success) before any is resolved: a
// broken .env never hides the help.
#include <iostream>

#include "cli/commands.h"

namespace migrate::cli {

void add_help_command(CLI::App& app, Action&) {
  auto* cmd = app.add_subcommand("help", "print the help of migrate or of one command");
  auto* topic = cmd->add_option("command", "the command to explain");
  cmd->callback([&app, topic] {
    // App::help() would describe the chosen subcommand, this one.
    if (topic->empty()) {
      std::cout << app.get_formatter()->make_help(&app, "migrate", CLI::AppFormatMode::Normal);
      throw CLI::Success();
    }
    std::string name = topic->as<std::string>();
    CLI::App* command = nullptr;
    for (CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == name) command = sub;
    }
    if (!command) throw CLI::ValidationError("help", "unknown command '" + name + "'");
    std::cout << command->get_formatter()->make_help(command, "migrate " + name,
                                                     CLI::AppFormatMode::Normal);
    throw CLI::Success();
  });
}

}  // namespace migrate::cli
