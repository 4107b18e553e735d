// Flags of the subcommands. One process runs one subcommand, so one set of
// storage serves them all; only the chosen command's flags are read.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace migrate::cli {

struct CommandFlags {
  // Planning.
  std::optional<int> step;
  std::optional<std::string> to;
  bool dry_run = false;
  bool allow_out_of_order = false;
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

}  // namespace migrate::cli
