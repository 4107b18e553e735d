#include "cli/global_options.h"

#include <cstdlib>

namespace migrate::cli {

void add_global_options(CLI::App& app, GlobalOptions& o) {
  app.add_option("-u,--url", o.url, "database URL (DATABASE_URL; default sqlite:./app.db)");
  app.add_option("-d,--dir", o.dir, "migrations directory (MIGRATE_DIR; default ./migrations)")
      ->type_name("DIR");
  app.add_option("-b,--backup-dir", o.backup_dir,
                 "backup store (MIGRATE_BACKUP_DIR; default ./backups)")
      ->type_name("DIR");
  app.add_option("--table", o.table, "tracking table (MIGRATE_TABLE; default schema_migrations)");
  app.add_option("--seeds-dir", o.seeds_dir, "seed files (MIGRATE_SEEDS_DIR; default ./seeds)")
      ->type_name("DIR");
  app.add_option("--lock-timeout", o.lock_timeout,
                 "seconds to wait for another runner (MIGRATE_LOCK_TIMEOUT; default 60)");
  o.wait =
      app.add_option("--wait", o.wait_value,
                     "wait until the database accepts connections (MIGRATE_WAIT; default 60 s)")
          ->expected(0, 1);
  app.add_flag("--json", o.json, "print one JSON document on stdout");
  app.add_flag("-y,--yes", o.yes, "answer yes to confirmations (MIGRATE_YES=1)");
  app.add_flag("-v,--verbose", o.verbose, "log more (MIGRATE_LOG_LEVEL=debug)");
  app.add_flag("-q,--quiet", o.quiet, "log only warnings and errors");
  app.add_flag("--no-color", o.no_color, "no colour (NO_COLOR)");
}

Result<Config> resolve(const GlobalOptions& o, const CommandFlags& command) {
  ConfigSources sources;
  auto put = [&](const char* key, const std::optional<std::string>& value) {
    if (value) sources.flags[key] = *value;
  };
  put("url", o.url);
  put("dir", o.dir);
  put("backup_dir", o.backup_dir);
  put("table", o.table);
  put("seeds_dir", o.seeds_dir);
  put("lock_timeout", o.lock_timeout);
  put("backup_key", command.key_file);
  if (o.wait && o.wait->count() > 0) sources.flags["wait"] = o.wait_value;
  if (o.yes) sources.flags["yes"] = "1";
  if (o.no_color) sources.flags["no_color"] = "1";
  if (o.verbose) sources.flags["log_level"] = "debug";
  if (o.quiet) sources.flags["log_level"] = "warn";
  sources.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  sources.working_dir = std::filesystem::current_path();
  return resolve_config(sources);
}

}  // namespace migrate::cli
