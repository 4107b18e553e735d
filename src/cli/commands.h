// The subcommands, one file each in cli/commands/ (the rolling-back family,
// rollback, redo and reset, shares one). Each registers its subcommand and
// flags and, when chosen, sets the action that main() runs once the
// configuration is resolved; each action computes its result and hands it
// to output.h to render.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/output.h"
#include "migrate/config.h"

namespace migrate::cli {

using Action = std::function<Result<Output>(const Config&)>;

// Registers every subcommand on `app`, in the order --help lists them; the
// chosen one stores its action in `action` during parsing.
void add_commands(CLI::App& app, Action& action);

void add_create_command(CLI::App& app, Action& action);
void add_status_command(CLI::App& app, Action& action);
void add_up_command(CLI::App& app, Action& action);
void add_rollback_commands(CLI::App& app, Action& action);  // rollback, redo, reset
void add_fresh_command(CLI::App& app, Action& action);
void add_seed_command(CLI::App& app, Action& action);
void add_baseline_command(CLI::App& app, Action& action);
void add_validate_command(CLI::App& app, Action& action);
void add_version_command(CLI::App& app, Action& action);
void add_backup_command(CLI::App& app, Action& action);
void add_backups_command(CLI::App& app, Action& action);
void add_restore_command(CLI::App& app, Action& action);
void add_verify_command(CLI::App& app, Action& action);
void add_prune_command(CLI::App& app, Action& action);
void add_safe_command(CLI::App& app, Action& action);
void add_doctor_command(CLI::App& app, Action& action);
void add_completion_command(CLI::App& app, Action& action);
void add_help_command(CLI::App& app, Action& action);

}  // namespace migrate::cli
