#include "cli/commands.h"

#include <fmt/format.h>

#include <charconv>

#include "cli/backup_settings.h"
#include "cli/session.h"
#include "engine/store_backup_hook.h"
#include "migrate/catalog.h"
#include "migrate/engine.h"
#include "migrate/version.h"
#include "util/clock.h"

namespace migrate::cli {

CommandFlags& command_flags() {
  static CommandFlags flags;
  return flags;
}

namespace {

Result<void> no_check(const Catalog&) {
  return {};
}

// Runs `body` with a connected driver, the loaded catalog and an engine
// context whose backup hook writes to the store (unless --no-backup).
// `check` sees the catalog first: a usage error is reported before the
// database is opened, so that it cannot change anything.
template <typename Check, typename Body>
Result<Output> with_engine(const Config& config, const CommandFlags& flags, Check check,
                           Body body) {
  auto catalog = load_catalog(config.migrations_dir);
  if (!catalog) return tl::unexpected(catalog.error());
  if (auto ok = check(*catalog); !ok) return tl::unexpected(ok.error());
  auto settings = backup_settings(config, flags);
  if (!settings) return tl::unexpected(settings.error());
  // Every command run here takes the runner lock, except a dry run.
  auto driver =
      connect(config, flags.dry_run ? LockConnection::kWhenAcquired : LockConnection::kOpenAhead);
  if (!driver) return tl::unexpected(driver.error());
  NoBackup no_backup;
  StoreBackupHook store_backup(*settings);
  BackupHook& hook = flags.no_backup ? static_cast<BackupHook&>(no_backup) : store_backup;
  EngineContext ctx{**driver, hook, std::chrono::seconds(config.lock_timeout_seconds)};
  auto started = std::chrono::steady_clock::now();
  auto report = body(ctx, *catalog);
  if (!report) return tl::unexpected(report.error());
  report->elapsed_ms = elapsed_ms(started);
  return render_run(*report, config.url);
}

Execution execution(const CommandFlags& f) {
  return f.dry_run ? Execution::kDryRun : Execution::kApply;
}

RollbackOptions rollback_scope(const CommandFlags& f) {
  if (f.step) return {RollbackScope::kSteps, *f.step, {}};
  if (f.to) return {RollbackScope::kAfterVersion, 1, *f.to};
  return {};
}

void add_plan_flags(CLI::App* cmd, CommandFlags& f, bool up) {
  cmd->add_option("--step", f.step,
                  up ? "apply at most N migrations" : "roll back the last N migrations")
      ->check(whole_number(1));
  cmd->add_option("--to", f.to,
                  up ? "apply up to and including VERSION" : "roll back everything after VERSION");
  cmd->add_flag("--dry-run", f.dry_run, "print the plan and the SQL; change nothing");
}

}  // namespace

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

void add_commands(CLI::App& app, Action& action) {
  static CommandFlags& f = command_flags();  // static: the actions outlive this function

  auto* create = app.add_subcommand("create", "write a new migration and its rollback file");
  create->add_option("name", f.name, "description, e.g. add_users")->required();
  create->callback([&] {
    action = [](const Config& c) -> Result<Output> {
      auto created = create_migration(c.migrations_dir, f.name, std::chrono::system_clock::now());
      if (!created) return tl::unexpected(created.error());
      return render_created(*created);
    };
  });

  auto* status = app.add_subcommand("status", "list migrations and their state");
  status->add_flag("--exit-code", f.exit_code,
                   "exit 3 when anything is pending, changed or missing");
  status->callback([&] {
    action = [](const Config& c) -> Result<Output> {
      auto catalog = load_catalog(c.migrations_dir);
      if (!catalog) return tl::unexpected(catalog.error());
      auto driver = connect(c);
      if (!driver) return tl::unexpected(driver.error());
      auto report = run_status(**driver, *catalog);
      if (!report) return tl::unexpected(report.error());
      Output out = render_status(*report, c.url, json_output() ? Format::kJson : Format::kText);
      if (f.exit_code && needs_attention(report->rows)) out.exit_code = 3;
      return out;
    };
  });

  auto* up = app.add_subcommand("up", "back up, then apply pending migrations")->alias("migrate");
  add_plan_flags(up, f, true);
  add_up_flags(up, f);
  up->callback([&] {
    action = [](const Config& c) {
      auto check = [](const Catalog& catalog) {
        return check_up_options(catalog, up_request(f).plan);
      };
      return with_engine(c, f, check, [](EngineContext& ctx, const Catalog& catalog) {
        return run_up(ctx, catalog, up_request(f));
      });
    };
  });

  auto* rollback =
      app.add_subcommand("rollback", "roll back the last batch (or --step N, --to VERSION)");
  add_plan_flags(rollback, f, false);
  rollback->callback([&] {
    action = [](const Config& c) -> Result<Output> {
      if (f.step && f.to) return fail(ErrorCode::kUsage, "--step and --to cannot be combined");
      auto check = [](const Catalog&) { return check_rollback_options(rollback_scope(f)); };
      return with_engine(c, f, check, [](EngineContext& ctx, const Catalog& catalog) {
        return run_rollback(ctx, catalog, {rollback_scope(f), execution(f)});
      });
    };
  });

  auto* redo = app.add_subcommand("redo", "roll back the last migration and apply it again");
  redo->callback([&] {
    action = [](const Config& c) {
      return with_engine(c, f, no_check, [](EngineContext& ctx, const Catalog& catalog) {
        return run_redo(ctx, catalog);
      });
    };
  });

  auto* reset = app.add_subcommand("reset", "back up, then roll back every applied migration");
  reset->callback([&] {
    action = [](const Config& c) -> Result<Output> {
      if (auto ok = confirm_destructive(c, "reset", "rolls back every applied migration"); !ok)
        return tl::unexpected(ok.error());
      return with_engine(c, f, no_check, [](EngineContext& ctx, const Catalog& catalog) {
        return run_rollback(ctx, catalog, {{RollbackScope::kAll, 1, {}}, Execution::kApply},
                            "reset");
      });
    };
  });

  auto* fresh = app.add_subcommand("fresh", "back up, drop every object, apply every migration");
  fresh->add_flag("--seed", f.seed, "run the seed files afterwards");
  fresh->callback([&] {
    action = [](const Config& c) -> Result<Output> {
      if (auto ok = confirm_destructive(c, "fresh", "drops every table, view and trigger"); !ok)
        return tl::unexpected(ok.error());
      return with_engine(c, f, no_check,
                         [&c](EngineContext& ctx, const Catalog& catalog) -> Result<RunReport> {
                           auto report = run_fresh(ctx, catalog);
                           if (!report || !f.seed) return report;
                           auto seeded = run_seed(ctx, c.seeds_dir);
                           if (!seeded) return tl::unexpected(seeded.error());
                           report->seeds = std::move(seeded->steps);
                           return report;
                         });
    };
  });

  for (auto* cmd : {up, rollback, redo, reset, fresh}) {
    cmd->add_flag("--no-backup", f.no_backup, "do not back up first");
    cmd->add_option("--compression", f.compression,
                    "backup compression: zstd (default), gzip or none");
    cmd->add_option("--key-file", f.key_file,
                    "encrypt the backup with this key (default: MIGRATE_BACKUP_KEY)");
  }

  auto* seed = app.add_subcommand("seed", "run seeds/*.sql in name order, each in a transaction");
  seed->callback([&] {
    action = [](const Config& c) -> Result<Output> {
      auto driver = connect(c);
      if (!driver) return tl::unexpected(driver.error());
      NoBackup backups;
      EngineContext ctx{**driver, backups, std::chrono::seconds(c.lock_timeout_seconds)};
      auto report = run_seed(ctx, c.seeds_dir);
      if (!report) return tl::unexpected(report.error());
      return render_run(*report, c.url);
    };
  });

  auto* baseline = app.add_subcommand(
      "baseline", "record migrations up to VERSION as applied without running them");
  baseline->add_option("version", f.version, "the last migration the database already has")
      ->required();
  baseline->callback([&] {
    action = [](const Config& c) {
      auto check = [](const Catalog& catalog) {
        return check_baseline_version(catalog, f.version);
      };
      return with_engine(c, f, check, [](EngineContext& ctx, const Catalog& catalog) {
        return run_baseline(ctx, catalog, f.version);
      });
    };
  });

  auto* validate =
      app.add_subcommand("validate", "check file names and applied checksums; exit 3 on problems");
  validate->callback([&] {
    action = [](const Config& c) -> Result<Output> {
      auto driver = connect(c);
      if (!driver) return tl::unexpected(driver.error());
      auto report = run_validate(**driver, c.migrations_dir);
      if (!report) return tl::unexpected(report.error());
      return render_validate(*report);
    };
  });

  auto* version = app.add_subcommand("version", "print program and library versions");
  version->callback([&] {
    action = [](const Config&) -> Result<Output> {
      Output out;
      out.json["migrate"] = MIGRATE_VERSION;
      out.text = fmt::format("migrate {}\n", MIGRATE_VERSION);
      for (const auto& list : {driver_library_versions(), backup_library_versions()}) {
        for (const auto& [library, v] : list) {
          out.json[library] = v;
          out.text += fmt::format("{} {}\n", library, v);
        }
      }
      return out;
    };
  });
}

}  // namespace migrate::cli
