// Configuration.
//
// Each setting is declared once, with its flag, environment variable,
// migrate.toml key and default; resolve_config() applies the precedence
// flag > environment > .env > migrate.toml > default and validates values,
// naming the source of a bad one ("--lock-timeout", "MIGRATE_TABLE",
// ".env line 3", "migrate.toml line 2").
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "migrate/error.h"
#include "migrate/log_level.h"
#include "migrate/url.h"

namespace migrate {

struct Config {
  DatabaseUrl url;                       // default sqlite:./app.db
  std::filesystem::path migrations_dir;  // default ./migrations
  std::filesystem::path backup_dir;      // default ./backups
  std::filesystem::path seeds_dir;       // default ./seeds
  std::string table;  // default schema_migrations; an identifier, not a reserved word,
                      // schema-qualified only on PostgreSQL
  int lock_timeout_seconds = 60;
  std::optional<int> wait_seconds;  // nullopt: do not wait for the database
  bool yes = false;
  LogLevel log_level = LogLevel::kInfo;
  bool no_color = false;
  // Backups. The key: --key-file names a file holding it (backup_key_file),
  // MIGRATE_BACKUP_KEY holds it (backup_key); the file wins.
  std::optional<std::filesystem::path> backup_key_file;
  std::optional<std::string> backup_key;
  std::optional<std::string> retention;            // MIGRATE_RETENTION, parsed by `prune`
  std::chrono::milliseconds progress_delay{1000};  // nothing is drawn before this
  std::filesystem::path pg_bindir;  // MIGRATE_PG_BINDIR; empty: pg_dump is searched for
};

// Where values come from. `flags` maps a setting key to the value given on
// the command line; keys: url, dir, backup_dir, table, seeds_dir,
// lock_timeout, wait, yes, log_level, no_color, backup_key (the --key-file
// path), retention, progress_delay, pg_bindir. Boolean flags are given as
// "1". `getenv` returns an environment variable (injected for tests).
struct ConfigSources {
  std::map<std::string, std::string> flags;
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::filesystem::path working_dir;  // where .env and migrate.toml are looked for
};

Result<Config> resolve_config(const ConfigSources& sources);

// KEY=VALUE lines of a .env file: blank lines and # comments ignored, an
// optional `export ` prefix, values optionally in single or double quotes.
// A malformed line is a kUsage error naming `.env line N`.
Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text);

// The subset of TOML that migrate.toml uses: `key = "string"`, integers,
// booleans, # comments. Unknown keys and malformed lines are kUsage errors
// naming `migrate.toml line N`.
Result<std::map<std::string, std::string>> parse_config_toml(std::string_view text);

// A tracking-table name: letters, digits and underscores, not starting with
// a digit, at most 63 characters, optionally qualified by one schema name.
bool is_valid_table_name(std::string_view name);

}  // namespace migrate
