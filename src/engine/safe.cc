#include "engine/safe.h"

#include <fmt/format.h>

#include "engine/interrupt.h"
#include "engine/step_runner.h"
#include "engine/steps.h"
#include "util/log.h"

namespace migrate {
namespace {

// The migration failed and the backup was put back: exit 4 with the story.
// `applied` migrations of this run had succeeded before the failing one; the
// restore undid them too.
Error restored_after(const Error& failure, const Manifest& backup, const RestoreOutcome& outcome,
                     size_t applied) {
  std::string undone =
      applied == 0 ? "" : fmt::format(", undoing the {} migration(s) applied before it", applied);
  if (!outcome.difference.empty()) {
    return Error{
        ErrorCode::kGeneral,
        fmt::format("{}\nsafe: restored backup '{}'{}, but the database does not match it: {}",
                    failure.message, backup.id, undone, outcome.difference),
        fmt::format("inspect the database; `migrate restore {}` puts the backup back again",
                    backup.id)};
  }
  return Error{ErrorCode::kRestored,
               fmt::format("{}\nsafe: restored backup '{}' ({} ms){}; the database matches it "
                           "(fingerprint {}) and no migration of this run is applied",
                           failure.message, backup.id, outcome.duration_ms, undone,
                           backup.fingerprint.combined_sha256().substr(0, 16)),
               "fix the migration, then run `migrate safe` again"};
}

// The backup safe takes (always, and proven readable before it is relied
// on) and puts back when the run fails.
class SafeBackup final : public BackupHook, public UpRecovery {
 public:
  SafeBackup(BackupStore& store, const BackupSettings& settings)
      : store_(store), settings_(settings) {}

  Result<std::optional<std::string>> before_change(std::string_view label,
                                                   Driver& driver) override {
    auto backup = take_backup(driver, store_, settings_, label, "safe");
    if (!backup) return tl::unexpected(backup.error());
    if (auto r = check_artifact(store_, *backup); !r) {
      r.error().message += "; no migration was applied";
      return tl::unexpected(r.error());
    }
    backup_ = std::move(*backup);
    return std::optional<std::string>(backup_->id);
  }

  Error recover(Driver& driver, Error failure, size_t applied) override {
    // A statement the signal cut short fails with its own error: say why.
    if (int signal = interrupt_signal();
        signal != 0 && failure.message.find(interrupt_message(signal)) == std::string::npos)
      failure.message += fmt::format("\n  ({})", interrupt_message(signal));
    // The failure itself is told once, in the report after the restore.
    log::warn(fmt::format("safe: the run failed; restoring backup '{}'", backup_->id));
    auto outcome = restore_backup(driver, store_, settings_, *backup_, PreRestoreBackup::kSkip);
    if (!outcome) {
      return Error{ErrorCode::kGeneral,
                   fmt::format("{}\nsafe: restoring backup '{}' FAILED: {}; the database may "
                               "hold part of this run",
                               failure.message, backup_->id, outcome.error().message),
                   fmt::format("the backup is at '{}'; try `migrate restore {}`",
                               store_.artifact_path(*backup_).string(), backup_->id)};
    }
    return restored_after(failure, *backup_, *outcome, applied);
  }

 private:
  BackupStore& store_;
  const BackupSettings& settings_;
  std::optional<Manifest> backup_;
};

}  // namespace

Result<RunReport> run_safe(EngineContext& ctx, const Catalog& catalog, const UpRequest& request,
                           BackupStore& store, const BackupSettings& settings) {
  SafeBackup backup(store, settings);
  EngineContext with_backup{ctx.driver, backup, ctx.lock_timeout};
  return run_up_with(with_backup, catalog, request, "safe", &backup);
}

}  // namespace migrate
