// verify: backups' checksums (all of this database's if none is named);
// --deep also restores each into a scratch database and compares
// fingerprints.
#include <fmt/format.h>

#include "cli/backup_settings.h"
#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "util/log.h"

namespace migrate::cli {
namespace {

// The named backups, or every one of this database (whose damage is a failure).
Result<std::vector<Manifest>> targets(const BackupStore& store, const Config& c,
                                      const std::vector<std::string>& refs,
                                      std::vector<std::string>& failures) {
  std::vector<Manifest> found;
  if (refs.empty()) {
    auto listing = store.list(current_database(c));
    if (!listing) return tl::unexpected(listing.error());
    for (const auto& e : listing->damaged) failures.push_back(e.message);
    return listing->backups;
  }
  for (const auto& ref : refs) {
    auto m = store.resolve(ref, current_database(c));
    if (!m) return tl::unexpected(m.error());
    if (auto other = other_database(*m, c); !other.empty()) log::warn(other);
    found.push_back(*m);
  }
  return found;
}

// Opened where the driver checks snapshots, so that the configured
// database is not created when it does not need it (SQLite).
Result<std::unique_ptr<Driver>> scratch_driver(const Config& c) {
  Config scratch = c;
  scratch.url = snapshot_check_url(c.url);
  return connect(scratch);
}

// "" when the backup checks out. An error when no backup could be checked:
// the driver cannot restore here (kUnsupported: a dump tool missing, no
// right to create a scratch database), which says nothing of the backup.
Result<std::string> problem_of(const BackupStore& store, const BackupSettings& settings,
                               Driver* deep, const Manifest& m) {
  auto checked = check_artifact(store, m);
  if (!checked) return checked.error().message;
  if (!deep) return "";
  auto fp = deep_fingerprint(*deep, store, settings, m);
  if (!fp && fp.error().code == ErrorCode::kUnsupported) return tl::unexpected(fp.error());
  if (!fp) return fmt::format("backup '{}' does not restore: {}", m.id, fp.error().message);
  if (auto diff = describe_difference(m.fingerprint, *fp); !diff.empty())
    return fmt::format("backup '{}' restores to a different database: {}", m.id, diff);
  return "";
}

Result<Output> verify(const Config& c) {
  const CommandFlags& f = command_flags();
  auto settings = backup_settings(c, f);
  if (!settings) return tl::unexpected(settings.error());
  auto store = BackupStore::open(c.backup_dir, StoreAccess::kReadOnly);
  if (!store) return tl::unexpected(store.error());
  StoreLock reading = store->hold_for_reading();  // prune waits for the checks
  VerifyReport report;
  report.deep = f.deep;
  auto manifests = targets(*store, c, f.refs, report.failures);
  if (!manifests) return tl::unexpected(manifests.error());
  std::unique_ptr<Driver> driver;
  if (f.deep) {
    auto opened = scratch_driver(c);
    if (!opened) return tl::unexpected(opened.error());
    driver = std::move(*opened);
  }
  for (const auto& m : *manifests) {
    auto problem = problem_of(*store, *settings, driver.get(), m);
    if (!problem) return tl::unexpected(problem.error());
    if (!problem->empty()) report.failures.push_back(*problem);
    report.checked.push_back({m.id, std::move(*problem)});
  }
  return render_verify(report);
}

}  // namespace

void add_verify_command(CLI::App& app, Action& action) {
  CommandFlags& f = command_flags();
  auto* cmd = app.add_subcommand("verify", "verify backups' checksums (all if none named)");
  cmd->add_option("refs", f.refs, "backups to verify");
  cmd->add_flag("--deep", f.deep, "restore into a scratch database and compare fingerprints");
  add_backup_flags(cmd, f, BackupUse::kBackups);
  cmd->callback([&action] { action = verify; });
}

}  // namespace migrate::cli
