#include "cli/commands.h"

namespace migrate::cli {

void add_commands(CLI::App& app, Action& action) {
  add_create_command(app, action);
  add_status_command(app, action);
  add_up_command(app, action);
  add_rollback_commands(app, action);
  add_fresh_command(app, action);
  add_seed_command(app, action);
  add_baseline_command(app, action);
  add_validate_command(app, action);
  add_version_command(app, action);
  add_backup_command(app, action);
  add_backups_command(app, action);
  add_restore_command(app, action);
  add_verify_command(app, action);
  add_prune_command(app, action);
  add_safe_command(app, action);
  add_doctor_command(app, action);
  add_completion_command(app, action);
  add_help_command(app, action);
}

}  // namespace migrate::cli
