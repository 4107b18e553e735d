// The commands of README.md's "Commands" as library calls.
//
// Each command loads what it needs, takes the runner lock when it will change
// the database, asks the planner what to do, lets the backup hook take a
// backup, and has the driver execute. The CLI only parses flags, calls one of
// these and prints the report.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/catalog.h"
#include "migrate/driver.h"
#include "migrate/error.h"
#include "migrate/planner.h"
#include "migrate/status.h"

namespace migrate {

// Where backups plug in: called under the runner lock, after planning and
// before the first change, only when there is something to do. Returns the id
// of the backup taken (recorded in the tracking rows) or nullopt.
class BackupHook {
 public:
  virtual ~BackupHook() = default;
  virtual Result<std::optional<std::string>> before_change(std::string_view reason,
                                                           Driver& driver) = 0;
};

// For `--no-backup`, and until a driver's backups exist.
class NoBackup final : public BackupHook {
 public:
  Result<std::optional<std::string>> before_change(std::string_view, Driver&) override {
    return std::nullopt;
  }
};

enum class Direction { kUp, kDown };
enum class Transactions { kPerMigration, kAtomic };
enum class Execution { kApply, kDryRun };

// The whole driver travels here because the backup hook needs its snapshots
// face; the steps themselves take only its migrations face.
struct EngineContext {
  Driver& driver;
  BackupHook& backups;
  std::chrono::milliseconds lock_timeout{60'000};
};

struct StepReport {
  std::string version;
  std::string name;
  std::string file;
  Direction direction = Direction::kUp;
  std::int64_t duration_ms = 0;
  std::vector<Statement> statements;  // filled for --dry-run only
};

struct RunReport {
  std::string command;
  std::vector<StepReport> steps;  // in the order they ran (or would run)
  std::optional<std::string> backup_id;
  std::int64_t batch = 0;  // batch of the applied migrations, 0 if none
  Execution execution = Execution::kApply;
  std::int64_t elapsed_ms = 0;    // wall time of the whole command, commits included
  std::vector<StepReport> seeds;  // seed files run after the migrations (`fresh --seed`)
};

// Whether `up` and `safe` apply pending migrations while an applied one has
// changed since it ran (checksum differs). kRefuse (the default) fails with
// kRefused naming the files, before anything changes.
enum class ChangedFiles { kRefuse, kAllow };

struct UpRequest {
  UpOptions plan;
  Transactions transactions = Transactions::kPerMigration;
  Execution execution = Execution::kApply;
  ChangedFiles changed = ChangedFiles::kRefuse;
};

Result<RunReport> run_up(EngineContext& ctx, const Catalog& catalog, const UpRequest& request,
                         std::string_view command = "up");

struct RollbackRequest {
  RollbackOptions plan;
  Execution execution = Execution::kApply;
};

Result<RunReport> run_rollback(EngineContext& ctx, const Catalog& catalog,
                               const RollbackRequest& request,
                               std::string_view command = "rollback");

// Rolls back the last applied migration and applies it again.
Result<RunReport> run_redo(EngineContext& ctx, const Catalog& catalog);

// Drops every object, then applies every migration.
Result<RunReport> run_fresh(EngineContext& ctx, const Catalog& catalog);

// Runs every *.sql of `seeds_dir` in name order, each in a transaction.
Result<RunReport> run_seed(EngineContext& ctx, const std::filesystem::path& seeds_dir);

// Records every migration up to `version` as applied without running it.
Result<RunReport> run_baseline(EngineContext& ctx, const Catalog& catalog,
                               const std::string& version);

struct StatusReport {
  std::vector<StatusRow> rows;
};

Result<StatusReport> run_status(MigrationFace& driver, const Catalog& catalog);

struct ValidateReport {
  std::vector<CatalogProblem> problems;  // directory problems and changed/missing migrations
};

Result<ValidateReport> run_validate(MigrationFace& driver, const std::filesystem::path& dir);

struct CreatedMigration {
  std::filesystem::path migration;
  std::filesystem::path rollback;
};

// Writes both files from the templates (a `templates/` folder next to the
// migrations directory overrides the built-in ones). `name` may use spaces,
// dashes and capitals; it is normalised to snake_case.
Result<CreatedMigration> create_migration(const std::filesystem::path& dir, std::string_view name,
                                          std::chrono::system_clock::time_point now);

}  // namespace migrate
