// The subcommands: each registers its flags and, when chosen, sets the
// action that main() runs once the configuration is resolved.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/output.h"
#include "migrate/config.h"

namespace migrate::cli {

using Action = std::function<Result<Output>(const Config&)>;

// Registers every subcommand on `app`; the chosen one stores its action in
// `action` during parsing.
void add_commands(CLI::App& app, Action& action);
// The backup commands (backup, backups, restore, verify, prune, safe).
void add_backup_commands(CLI::App& app, Action& action);
// doctor.
void add_doctor_command(CLI::App& app, Action& action);

}  // namespace migrate::cli
