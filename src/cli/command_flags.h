// Flags of the subcommands. One process runs one subcommand, so one set of
// storage serves them all; only the chosen command's flags are read.
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
  std::optional<int> keep_last, keep_daily, keep_weekly, keep_monthly;
  std::optional<std::string> keep_within;
  // Positional arguments.
  std::string name;
  std::string version;
  std::string label;
  std::vector<std::string> refs;
};

CommandFlags& command_flags();

// Validates a whole-number flag of at least `min`; the message says so
// ("--step: must be a positive integer") instead of CLI11's numeric range.
CLI::Validator whole_number(int min);

// The flags `up` and `safe` share (--allow-out-of-order, --allow-changed,
// --atomic), and the request they make: safe is up plus a restore.
void add_up_flags(CLI::App* cmd, CommandFlags& f);
UpRequest up_request(const CommandFlags& f);

}  // namespace migrate::cli
