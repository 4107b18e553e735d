// The flags every command accepts, registered once on the app and
// turned into a Config with the precedence rules of resolve_config().
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "cli/command_flags.h"
#include "migrate/config.h"

namespace migrate::cli {

struct GlobalOptions {
  std::optional<std::string> url, dir, backup_dir, table, seeds_dir, lock_timeout;
  CLI::Option* wait = nullptr;
  std::string wait_value;
  bool json = false;
  bool yes = false;
  bool verbose = false;
  bool quiet = false;
  bool no_color = false;
};

void add_global_options(CLI::App& app, GlobalOptions& options);

// Resolves the configuration from these flags and the command's settings
// flags (--key-file), the environment, .env and migrate.toml in the working
// directory.
Result<Config> resolve(const GlobalOptions& options, const CommandFlags& command);

}  // namespace migrate::cli
