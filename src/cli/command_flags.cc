#include "cli/command_flags.h"

#include <charconv>

namespace migrate::cli {

CommandFlags& command_flags() {
  static CommandFlags flags;
  return flags;
}

// CLI11's own PositiveNumber prints its range as a 300-digit double.
CLI::Validator whole_number(int min) {
  std::string what = min > 0 ? "a positive integer" : "a whole number (0 or more)";
  return CLI::Validator(
      [min, what](std::string& value) -> std::string {
        int n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        bool ok = !value.empty() && ec == std::errc() && end == value.data() + value.size();
        return ok && n >= min ? std::string() : "must be " + what;
      },
      "N");
}

void add_plan_flags(CLI::App* cmd, CommandFlags& f, bool up) {
  cmd->add_option("--step", f.step,
                  up ? "apply at most N migrations" : "roll back the last N migrations")
      ->check(whole_number(1));
  cmd->add_option("--to", f.to,
                  up ? "apply up to and including VERSION" : "roll back everything after VERSION");
  cmd->add_flag("--dry-run", f.dry_run, "print the plan and the SQL; change nothing");
}

void add_up_flags(CLI::App* cmd, CommandFlags& f) {
  cmd->add_flag("--allow-out-of-order", f.allow_out_of_order,
                "apply pending migrations older than the newest applied");
  cmd->add_flag("--allow-changed", f.allow_changed,
                "apply pending migrations even if an applied one changed since it ran");
  cmd->add_flag("--atomic", f.atomic, "all pending migrations in one transaction");
}

UpRequest up_request(const CommandFlags& f) {
  return {{f.step, f.to, f.allow_out_of_order ? OutOfOrder::kAllow : OutOfOrder::kRefuse},
          f.atomic ? Transactions::kAtomic : Transactions::kPerMigration,
          f.dry_run ? Execution::kDryRun : Execution::kApply,
          f.allow_changed ? ChangedFiles::kAllow : ChangedFiles::kRefuse};
}

void add_backup_flags(CLI::App* cmd, CommandFlags& f, BackupUse use) {
  bool first = use == BackupUse::kBackupFirst;
  cmd->add_option(
      "--compression", f.compression,
      first ? "backup compression: zstd (default), gzip or none" : "zstd (default), gzip or none");
  cmd->add_option("--key-file", f.key_file,
                  first ? "encrypt the backup with this key (default: MIGRATE_BACKUP_KEY)"
                        : "encrypt/decrypt with this key (default: MIGRATE_BACKUP_KEY)")
      ->type_name("FILE");
}

void add_backup_first_flags(CLI::App* cmd, CommandFlags& f) {
  cmd->add_flag("--no-backup", f.no_backup, "do not back up first");
  add_backup_flags(cmd, f, BackupUse::kBackupFirst);
}

}  // namespace migrate::cli
