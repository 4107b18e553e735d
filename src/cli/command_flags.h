// Flags of the subcommands. One process runs one subcommand, so one set of
// storage serves them all; only the chosen command's flags are read. The
// flags several commands share are declared here, once.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "migrate/engine.h"

namespace migrate::cli {

struct CommandFlags {
  // Planning.
  std::optional<int> step;
  std::optional<std::string> to;
  bool dry_run = false;
  bool allow_out_of_order = false;
  bool allow_changed = false;
  bool atomic = false;
  bool exit_code = false;
  bool seed = false;
  // Backups.
  bool no_backup = false;
  std::optional<std::string> compression;
  std::optional<std::string> key_file;
  bool deep = false;
  bool all = false;
  std::optional<int> keep_last, keep_daily, keep_weekly, keep_monthly;
  std::optional<std::string> keep_within;
  // Positional arguments.
  std::string name;
  std::string version;
  std::string label;
  std::vector<std::string> refs;
};

// The one set of flags; static, so that the actions set while parsing may
// read it afterwards.
CommandFlags& command_flags();

// Validates a whole-number flag of at least `min`; the message says so
// ("--step: must be a positive integer") instead of CLI11's numeric range.
CLI::Validator whole_number(int min);

// --step, --to and --dry-run of up and rollback; `up` picks the help texts.
void add_plan_flags(CLI::App* cmd, CommandFlags& f, bool up);

// The flags `up` and `safe` share (--allow-out-of-order, --allow-changed,
// --atomic), and the request they make: safe is up plus a restore.
void add_up_flags(CLI::App* cmd, CommandFlags& f);
UpRequest up_request(const CommandFlags& f);

// --compression and --key-file. Commands that change the database back it up
// first (kBackupFirst); the backup commands write or read backups (kBackups).
enum class BackupUse { kBackupFirst, kBackups };
void add_backup_flags(CLI::App* cmd, CommandFlags& f, BackupUse use);

// --no-backup, --compression and --key-file of the commands that back up
// before they change the database.
void add_backup_first_flags(CLI::App* cmd, CommandFlags& f);

}  // namespace migrate::cli
