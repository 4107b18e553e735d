// The backup commands: backup, backups, restore, verify, prune and safe.
#include <fmt/format.h>

#include "backup/database_identity.h"
#include "backup/retention.h"
#include "cli/backup_settings.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "engine/safe.h"
#include "migrate/catalog.h"
#include "util/clock.h"
#include "util/log.h"

namespace migrate::cli {
namespace {

using json = nlohmann::ordered_json;

json manifest_json(const BackupStore& store, const Manifest& m) {
  return {{"id", m.id},
          {"created_at", m.created_at},
          {"label", m.label},
          {"reason", m.reason},
          {"database", m.database},
          {"path", store.artifact_path(m).string()},
          {"size", m.artifact_size},
          {"sha256", m.artifact_sha256},
          {"compression", m.compression},
          {"encryption", m.encryption},
          {"schema_version", m.schema_version},
          {"duration_ms", m.duration_ms}};
}

// Another database's backup is only picked by its full id, and never quietly.
std::string other_database(const Manifest& m, const Config& c) {
  if (database_identity(m.database) == current_database(c)) return "";
  return fmt::format("backup '{}' is of another database, {}", m.id, printable(m.database));
}

Result<Output> backup_command(const Config& c, const CommandFlags& f) {
  std::string label = f.label.empty() ? "manual" : f.label;
  if (!is_valid_label(label)) {
    return fail(
        ErrorCode::kUsage,
        fmt::format(
            "invalid backup label '{}': use 1-64 lowercase letters, digits, '.', '_' or '-'",
            escape_control(label)));
  }
  auto settings = backup_settings(c, f);
  if (!settings) return tl::unexpected(settings.error());
  auto driver = connect(c);
  if (!driver) return tl::unexpected(driver.error());
  auto store = BackupStore::open(settings->store_dir);
  if (!store) return tl::unexpected(store.error());
  auto manifest = take_backup(**driver, *store, *settings, label, "backup");
  if (!manifest) return tl::unexpected(manifest.error());
  Output out;
  out.json = manifest_json(*store, *manifest);
  out.text = fmt::format("backup {}\n  path    {}\n  size    {}\n  sha256  {}\n  took    {} ms\n",
                         manifest->id, printable(store->artifact_path(*manifest).string()),
                         human_size(manifest->artifact_size), manifest->artifact_sha256,
                         manifest->duration_ms);
  return out;
}

Result<Output> list_command(const Config& c, bool all) {
  auto store = BackupStore::open(c.backup_dir, StoreAccess::kReadOnly);
  if (!store) return tl::unexpected(store.error());
  auto listing = store->list(all ? "" : current_database(c));
  if (!listing) return tl::unexpected(listing.error());
  size_t database_width = 10;
  for (const auto& m : listing->backups)
    database_width = std::max(database_width, m.database.size() + 2);
  auto row = [&](std::string_view id, std::string_view created, std::string_view label,
                 std::string_view reason, std::string_view database, std::string_view size,
                 std::string_view schema) {
    return fmt::format("{:<40}{:<26}{:<14}{:<10}{:<{}}{:>10}  {}\n", id, created, label, reason,
                       database, database_width, size, schema);
  };
  Output out;
  json backups = json::array(), damaged = json::array();
  out.text = row("ID", "CREATED", "LABEL", "REASON", "DATABASE", "SIZE", "SCHEMA VERSION");
  for (const auto& m : listing->backups) {
    backups.push_back(manifest_json(*store, m));
    // Manifests are files anyone with access to the store may have edited:
    // their text never reaches the terminal raw.
    out.text += row(printable(m.id), printable(m.created_at), printable(m.label),
                    printable(m.reason), printable(m.database), human_size(m.artifact_size),
                    m.schema_version.empty() ? "-" : printable(m.schema_version));
  }
  for (const auto& e : listing->damaged) {
    damaged.push_back(e.message);
    out.text += fmt::format("warning: {}\n", printable(e.message));
  }
  if (listing->backups.empty())
    out.text += fmt::format("no backups{} in '{}'\n", all ? "" : " of this database",
                            printable(c.backup_dir.string()));
  if (listing->other_databases > 0)
    out.text += fmt::format("{} backup(s) of other databases not shown (--all lists them)\n",
                            listing->other_databases);
  out.json = {{"backup_dir", c.backup_dir.string()},
              {"database", manifest_database_url(c.url)},
              {"backups", backups},
              {"damaged", damaged},
              {"other_databases", listing->other_databases}};
  return out;
}

Result<Output> restore_command(const Config& c, const CommandFlags& f) {
  auto settings = backup_settings(c, f);
  if (!settings) return tl::unexpected(settings.error());
  // The ref is resolved before the store is written to (cleaned): a typo
  // changes nothing.
  auto reader = BackupStore::open(settings->store_dir, StoreAccess::kReadOnly);
  if (!reader) return tl::unexpected(reader.error());
  auto manifest = reader->resolve(f.refs.front(), current_database(c));
  if (!manifest) {
    if (manifest.error().code != ErrorCode::kUsage)
      manifest.error().message += "; the database was not changed";
    return tl::unexpected(manifest.error());
  }
  auto store = BackupStore::open(settings->store_dir);
  if (!store) return tl::unexpected(store.error());
  std::string other = other_database(*manifest, c);
  if (!other.empty()) log::warn(fmt::format("{}; restoring it into {}", other, settings->database));
  auto confirmed = confirm_destructive(
      c, "restore",
      fmt::format("replaces the database with backup '{}'{}", manifest->id,
                  other.empty() ? "" : fmt::format(" (of {})", printable(manifest->database))));
  if (!confirmed) return tl::unexpected(confirmed.error());
  auto driver = connect(c);
  if (!driver) return tl::unexpected(driver.error());
  auto lock = (*driver)->acquire_lock(std::chrono::seconds(c.lock_timeout_seconds));
  if (!lock) return tl::unexpected(lock.error());
  auto outcome = restore_backup(**driver, *store, *settings, *manifest,
                                f.no_backup ? PreRestoreBackup::kSkip : PreRestoreBackup::kTake);
  (*driver)->release_lock();
  if (!outcome) return tl::unexpected(outcome.error());
  if (!outcome->difference.empty()) {
    return fail(ErrorCode::kGeneral,
                fmt::format("restored backup '{}', but the database does not match it: {}",
                            manifest->id, outcome->difference));
  }
  Output out;
  out.json = {{"restored", manifest->id},
              {"pre_restore_backup",
               outcome->pre_restore_backup ? json(*outcome->pre_restore_backup) : json(nullptr)},
              {"fingerprint_matches", true},
              {"duration_ms", outcome->duration_ms}};
  out.text = fmt::format("restored {} ({} ms); the database matches the backup's fingerprint\n",
                         manifest->id, outcome->duration_ms);
  if (outcome->pre_restore_backup)
    out.text += fmt::format("backup of the replaced state: {}\n", *outcome->pre_restore_backup);
  return out;
}

Result<Output> verify_command(const Config& c, const CommandFlags& f) {
  auto settings = backup_settings(c, f);
  if (!settings) return tl::unexpected(settings.error());
  auto store = BackupStore::open(settings->store_dir, StoreAccess::kReadOnly);
  if (!store) return tl::unexpected(store.error());
  std::vector<Manifest> targets;
  std::vector<std::string> failures;
  if (f.refs.empty()) {
    auto listing = store->list(current_database(c));
    if (!listing) return tl::unexpected(listing.error());
    targets = listing->backups;
    for (const auto& e : listing->damaged) failures.push_back(e.message);
  } else {
    for (const auto& ref : f.refs) {
      auto m = store->resolve(ref, current_database(c));
      if (!m) return tl::unexpected(m.error());
      if (auto other = other_database(*m, c); !other.empty()) log::warn(other);
      targets.push_back(*m);
    }
  }
  std::unique_ptr<Driver> driver;
  if (f.deep) {
    // Opened where the driver checks snapshots, so that the configured
    // database is not created when it does not need it (SQLite).
    Config scratch = c;
    scratch.url = snapshot_check_url(c.url);
    auto opened = connect(scratch);
    if (!opened) return tl::unexpected(opened.error());
    driver = std::move(*opened);
  }
  Output out;
  json results = json::array();
  for (const auto& m : targets) {
    auto checked = check_artifact(*store, m);
    std::string problem = checked ? "" : checked.error().message;
    if (checked && driver) {
      auto fp = deep_fingerprint(*driver, *store, *settings, m);
      if (!fp)
        problem = fmt::format("backup '{}' does not restore: {}", m.id, fp.error().message);
      else if (auto diff = describe_difference(m.fingerprint, *fp); !diff.empty())
        problem = fmt::format("backup '{}' restores to a different database: {}", m.id, diff);
    }
    results.push_back({{"id", m.id},
                       {"ok", problem.empty()},
                       {"problem", problem.empty() ? json(nullptr) : json(problem)}});
    out.text += problem.empty() ? fmt::format("ok      {}{}\n", m.id, driver ? " (deep)" : "")
                                : fmt::format("FAILED  {}\n", printable(problem));
    if (!problem.empty()) failures.push_back(problem);
  }
  for (const auto& m : failures)
    if (out.text.find(printable(m)) == std::string::npos)
      out.text += fmt::format("FAILED  {}\n", printable(m));
  out.json = {{"verified", results}, {"failures", failures}};
  out.text += fmt::format("{} backup(s) checked, {} problem(s)\n", targets.size(), failures.size());
  out.exit_code = failures.empty() ? 0 : 1;
  return out;
}

Result<RetentionPolicy> retention_policy(const CommandFlags& f) {
  RetentionPolicy policy{f.keep_last, f.keep_daily, f.keep_weekly, f.keep_monthly, std::nullopt};
  if (f.keep_within) {
    auto d = parse_duration(*f.keep_within);
    if (!d) return tl::unexpected(d.error());
    policy.keep_within = *d;
  }
  if (!policy.empty()) return policy;
  if (auto text = environment_or_dotenv("MIGRATE_RETENTION")) return parse_retention(*text);
  return policy;  // empty: select_prunable refuses it with the explanation
}

Result<Output> prune_command(const Config& c, const CommandFlags& f) {
  auto policy = retention_policy(f);
  if (!policy) return tl::unexpected(policy.error());
  // A missing store is an empty one: nothing to prune, nothing to create.
  std::error_code ec;
  bool reading = f.dry_run || !std::filesystem::exists(c.backup_dir, ec);
  auto store =
      BackupStore::open(c.backup_dir, reading ? StoreAccess::kReadOnly : StoreAccess::kReadWrite);
  if (!store) return tl::unexpected(store.error());
  // Only this database's backups: another's newest is not this one's to judge.
  auto listing = store->list(current_database(c));
  if (!listing) return tl::unexpected(listing.error());
  // The backup taken before the latest applied batch stays: it undoes what is live now.
  std::set<std::string> protected_ids;
  auto driver = connect(c);
  if (!driver) return tl::unexpected(driver.error());
  auto applied = (*driver)->applied_migrations();
  if (!applied) return tl::unexpected(applied.error());
  std::int64_t last_batch = next_batch(*applied) - 1;
  for (const auto& row : *applied)
    if (row.batch == last_batch && row.backup_id) protected_ids.insert(*row.backup_id);

  std::vector<PruneCandidate> candidates;
  std::map<std::string, const Manifest*> by_id;
  for (const auto& m : listing->backups) {
    candidates.push_back({m.id, parse_iso8601_utc(m.created_at)});
    by_id[m.id] = &m;
  }
  auto doomed =
      select_prunable(candidates, *policy, protected_ids, std::chrono::system_clock::now());
  if (!doomed) return tl::unexpected(doomed.error());
  Output out;
  for (const auto& id : *doomed) {
    if (!f.dry_run) {
      if (auto r = store->remove(*by_id[id]); !r) return tl::unexpected(r.error());
    }
    out.text += fmt::format("{} {}\n", f.dry_run ? "would prune" : "pruned", id);
  }
  out.text += fmt::format("{} of {} backup(s) {}\n", doomed->size(), listing->backups.size(),
                          f.dry_run ? "would be pruned (dry run)" : "pruned");
  out.json = {{"dry_run", f.dry_run},
              {"pruned", *doomed},
              {"kept", listing->backups.size() - doomed->size()}};
  return out;
}

Result<Output> safe_command(const Config& c, const CommandFlags& f) {
  auto catalog = load_catalog(c.migrations_dir);
  if (!catalog) return tl::unexpected(catalog.error());
  auto settings = backup_settings(c, f);
  if (!settings) return tl::unexpected(settings.error());
  auto driver = connect(c);
  if (!driver) return tl::unexpected(driver.error());
  auto store = BackupStore::open(settings->store_dir);
  if (!store) return tl::unexpected(store.error());
  NoBackup unused;  // safe takes its own backup
  EngineContext ctx{**driver, unused, std::chrono::seconds(c.lock_timeout_seconds)};
  auto started = std::chrono::steady_clock::now();
  auto report = run_safe(ctx, *catalog, up_request(f), *store, *settings);
  if (!report) return tl::unexpected(report.error());
  report->elapsed_ms = elapsed_ms(started);
  return render_run(*report, c.url);
}

void add_backup_flags(CLI::App* cmd, CommandFlags& f) {
  cmd->add_option("--compression", f.compression, "zstd (default), gzip or none");
  cmd->add_option("--key-file", f.key_file,
                  "encrypt/decrypt with this key (default: MIGRATE_BACKUP_KEY)");
}

}  // namespace

void add_backup_commands(CLI::App& app, Action& action) {
  static CommandFlags& f = command_flags();  // static: the actions outlive this function

  auto* backup = app.add_subcommand("backup", "take a backup now");
  backup->add_option("label", f.label, "a label for the backup (default: manual)");
  add_backup_flags(backup, f);
  backup->callback([&] { action = [](const Config& c) { return backup_command(c, f); }; });

  auto* backups = app.add_subcommand("backups", "list this database's backups, newest first");
  static bool all = false;
  backups->add_flag("--all", all, "list the backups of every database in the directory");
  backups->callback([&] { action = [](const Config& c) { return list_command(c, all); }; });

  auto* restore =
      app.add_subcommand("restore", "restore a backup (id, label, prefix, file name or latest)");
  restore->add_option("ref", f.refs, "which backup")->required()->expected(1);
  restore->add_flag("--no-backup", f.no_backup, "do not back up the current state first");
  add_backup_flags(restore, f);
  restore->callback([&] { action = [](const Config& c) { return restore_command(c, f); }; });

  auto* verify = app.add_subcommand("verify", "verify backups' checksums (all if none named)");
  verify->add_option("refs", f.refs, "backups to verify");
  verify->add_flag("--deep", f.deep, "restore into a scratch database and compare fingerprints");
  add_backup_flags(verify, f);
  verify->callback([&] { action = [](const Config& c) { return verify_command(c, f); }; });

  auto* prune = app.add_subcommand("prune", "delete backups outside the retention policy");
  prune->add_option("--keep-last", f.keep_last, "keep the N newest")->check(whole_number(1));
  prune->add_option("--keep-daily", f.keep_daily, "keep the newest of each of N days")
      ->check(whole_number(1));
  prune->add_option("--keep-weekly", f.keep_weekly, "keep the newest of each of N weeks")
      ->check(whole_number(1));
  prune->add_option("--keep-monthly", f.keep_monthly, "keep the newest of each of N months")
      ->check(whole_number(1));
  prune->add_option("--keep-within", f.keep_within,
                    "keep everything newer than this (30d, 12h, 2w)");
  prune->add_flag("--dry-run", f.dry_run, "list what would be deleted");
  prune->callback([&] { action = [](const Config& c) { return prune_command(c, f); }; });

  auto* safe =
      app.add_subcommand("safe", "back up, migrate, and restore the backup if anything fails");
  add_up_flags(safe, f);
  add_backup_flags(safe, f);
  safe->callback([&] { action = [](const Config& c) { return safe_command(c, f); }; });
}

}  // namespace migrate::cli
