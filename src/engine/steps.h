// Applying and reverting a planned list of migrations: the loops shared by
// up, rollback, redo, reset and fresh.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/script_loader.h"
#include "engine/step_runner.h"
#include "migrate/engine.h"

namespace migrate {

struct LoadedStep {
  MigrationFile file;
  LoadedScript script;  // the migration going up, the rollback file going down
};

// Loads the scripts of every migration (or of their rollback files) before
// anything runs, so that a bad file stops the whole command up front.
Result<std::vector<LoadedStep>> load_steps(const std::vector<MigrationFile>& files,
                                           Direction direction, SqlDialect dialect);

// Creates (or adopts) the tracking table, then applies `steps` in order as
// batch `batch`, recording each row with `backup_id`. With kAtomic all of
// them commit together or none does.
Result<void> apply_steps(MigrationFace& driver, const std::vector<LoadedStep>& steps,
                         Transactions transactions, std::int64_t batch,
                         const std::optional<std::string>& backup_id, RunReport& report,
                         AfterFailure after_failure = AfterFailure::kKept);

// Creates (or adopts) the tracking table, then runs the rollback files of
// `steps` in order, removing each row.
Result<void> revert_steps(MigrationFace& driver, const std::vector<LoadedStep>& steps,
                          RunReport& report);

// MigrationFace::ensure_tracking_table(), with a missing schema of a qualified
// --table (PostgreSQL's SQLSTATE 3F000) reported as the --table mistake it is.
Result<void> ensure_tracking(MigrationFace& driver);

// Reads the tracking rows after taking the lock and creating the table.
Result<std::vector<AppliedMigration>> prepare_tracking(MigrationFace& driver);

// What `up` and `safe` apply, after every check that must pass before
// anything changes: the plan (out-of-order files, --to), every file loaded
// and split, --atomic allowed, no applied migration changed (unless
// --allow-changed). `safe` is `up` plus a restore, so both go through here.
struct PreparedUp {
  std::vector<AppliedMigration> applied;
  std::vector<LoadedStep> steps;
};
Result<PreparedUp> prepare_up(MigrationFace& driver, const Catalog& catalog,
                              const UpRequest& request);

// What `safe` adds to `up`. Its backup (taken through the context's
// BackupHook) is taken even when nothing is pending; while the steps run, a
// SIGTERM/SIGINT ends the run as a failure instead of half-applied; and a
// failed run is handed to recover(), which puts the backup back and returns
// the error to report. `applied` counts the steps of this run that had
// succeeded.
class UpRecovery {
 public:
  virtual ~UpRecovery() = default;
  virtual Error recover(Driver& driver, Error failure, size_t applied) = 0;
};

// up and safe: lock, prepare_up(), back up, apply. `recovery` is null for up.
Result<RunReport> run_up_with(EngineContext& ctx, const Catalog& catalog, const UpRequest& request,
                              std::string_view command, UpRecovery* recovery);

// The file names of applied migrations whose file differs from the checksum
// recorded when they ran, in version order.
Result<std::vector<std::string>> changed_migrations(const Catalog& catalog,
                                                    const std::vector<AppliedMigration>& applied);

// Fills the report with the statements each step would run (--dry-run).
void describe_steps(const std::vector<LoadedStep>& steps, Direction direction, RunReport& report);

}  // namespace migrate
