// Deciding what to run.
//
// The planner is pure: the catalog and the applied rows in, a list of
// migrations out, or an error that says why nothing may run (out-of-order
// files, irreversible or missing migrations, unknown versions). Drivers only
// execute what it decides.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/catalog.h"
#include "migrate/error.h"
#include "migrate/migration.h"

namespace migrate {

enum class OutOfOrder { kRefuse, kAllow };

struct UpOptions {
  std::optional<int> step;        // apply at most this many
  std::optional<std::string> to;  // apply pending migrations up to and including this version
  OutOfOrder out_of_order = OutOfOrder::kRefuse;
};

// Pending migrations to apply, in version order.
Result<std::vector<MigrationFile>> plan_up(const Catalog& catalog,
                                           const std::vector<AppliedMigration>& applied,
                                           const UpOptions& options);

enum class RollbackScope {
  kLastBatch,     // the default: every migration of the highest batch
  kSteps,         // the last `step` migrations in applied order
  kAfterVersion,  // every migration with a version above `to`
  kAll,           // everything (reset)
};

struct RollbackOptions {
  RollbackScope scope = RollbackScope::kLastBatch;
  int step = 1;
  std::string to;
};

struct RollbackStep {
  AppliedMigration applied;
  MigrationFile file;
};

// Migrations to roll back, newest first by batch and applied order. Refuses
// (kRefused) when any of them is irreversible or its file is gone, naming
// them all, so that nothing is half rolled back.
Result<std::vector<RollbackStep>> plan_rollback(const Catalog& catalog,
                                                const std::vector<AppliedMigration>& applied,
                                                const RollbackOptions& options);

// The checks of plan_up() and plan_rollback() that need no database (an
// unknown --to version, a --to that is no version), so that a command can
// refuse a usage error (kUsage) before it connects.
Result<void> check_up_options(const Catalog& catalog, const UpOptions& options);
Result<void> check_rollback_options(const RollbackOptions& options);
// `baseline VERSION` must name a migration of the catalog.
Result<void> check_baseline_version(const Catalog& catalog, std::string_view version);

// Applied rows sorted newest first: batch descending, then version descending
// (within a batch migrations were applied in version order).
std::vector<AppliedMigration> in_rollback_order(std::vector<AppliedMigration> applied);

// The next batch number: one above the highest applied.
std::int64_t next_batch(const std::vector<AppliedMigration>& applied);

}  // namespace migrate
