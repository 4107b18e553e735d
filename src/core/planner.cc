#include "migrate/planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace migrate {
namespace {

std::string file_name(const MigrationFile& m) {
  return m.file_name();
}

}  // namespace

std::int64_t next_batch(const std::vector<AppliedMigration>& applied) {
  std::int64_t highest = 0;
  for (const auto& row : applied) highest = std::max(highest, row.batch);
  return highest + 1;
}

std::vector<AppliedMigration> in_rollback_order(std::vector<AppliedMigration> applied) {
  std::sort(applied.begin(), applied.end(), [](const auto& a, const auto& b) {
    return a.batch != b.batch ? a.batch > b.batch : a.version > b.version;
  });
  return applied;
}

Result<void> check_up_options(const Catalog& catalog, const UpOptions& options) {
  // Neither may silently win over the other.
  if (options.step && options.to)
    return fail(ErrorCode::kUsage, "--step and --to cannot be combined");
  if (options.to && !catalog.find(*options.to)) {
    return fail(ErrorCode::kUsage,
                fmt::format("--to {}: no migration with that version", printable(*options.to)));
  }
  return {};
}

Result<void> check_rollback_options(const RollbackOptions& options) {
  if (options.scope == RollbackScope::kAfterVersion && !is_valid_version(options.to) &&
      options.to != "0") {
    // Fourteen digits that are no date and time get told so, not "14 digits".
    bool digits =
        options.to.size() == 14 && std::all_of(options.to.begin(), options.to.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
    const char* what = digits ? "not a valid version: a version is a date and time, "
                                "YYYYMMDDHHMMSS (or 0 for all)"
                              : "expected a 14-digit version (or 0 for all)";
    return fail(ErrorCode::kUsage, fmt::format("--to {}: {}", printable(options.to), what));
  }
  return {};
}

Result<void> check_baseline_version(const Catalog& catalog, std::string_view version) {
  if (catalog.find(version)) return {};
  return fail(ErrorCode::kUsage,
              fmt::format("baseline {}: no migration with that version", printable(version)));
}

Result<std::vector<MigrationFile>> plan_up(const Catalog& catalog,
                                           const std::vector<AppliedMigration>& applied,
                                           const UpOptions& options) {
  if (auto ok = check_up_options(catalog, options); !ok) return tl::unexpected(ok.error());
  std::set<std::string> applied_versions;
  std::string newest_applied;
  for (const auto& row : applied) {
    applied_versions.insert(row.version);
    newest_applied = std::max(newest_applied, row.version);
  }

  std::vector<MigrationFile> pending;
  std::vector<std::string> out_of_order;
  for (const auto& migration : catalog.migrations) {
    if (applied_versions.count(migration.version)) continue;
    if (options.to && migration.version > *options.to) break;
    if (migration.version < newest_applied) out_of_order.push_back(file_name(migration));
    pending.push_back(migration);
  }
  if (!out_of_order.empty() && options.out_of_order == OutOfOrder::kRefuse) {
    return fail(ErrorCode::kRefused,
                fmt::format("pending migrations older than the newest applied one ({}):\n  {}",
                            newest_applied, fmt::join(out_of_order, "\n  ")),
                "apply them with --allow-out-of-order, or give them newer versions");
  }
  if (options.step && static_cast<size_t>(*options.step) < pending.size()) {
    pending.resize(*options.step);
  }
  return pending;
}

Result<std::vector<RollbackStep>> plan_rollback(const Catalog& catalog,
                                                const std::vector<AppliedMigration>& applied,
                                                const RollbackOptions& options) {
  if (auto ok = check_rollback_options(options); !ok) return tl::unexpected(ok.error());
  auto ordered = in_rollback_order(applied);

  std::vector<AppliedMigration> chosen;
  for (const auto& row : ordered) {
    bool take = false;
    switch (options.scope) {
      case RollbackScope::kLastBatch:
        take = row.batch == ordered.front().batch;
        break;
      case RollbackScope::kSteps:
        take = chosen.size() < static_cast<size_t>(options.step);
        break;
      case RollbackScope::kAfterVersion:
        take = row.version > options.to;
        break;
      case RollbackScope::kAll:
        take = true;
        break;
    }
    if (take) chosen.push_back(row);
  }

  std::vector<RollbackStep> steps;
  std::vector<std::string> missing, irreversible;
  for (const auto& row : chosen) {
    const MigrationFile* file = catalog.find(row.version);
    if (!file) {
      missing.push_back(row.version + (row.name.empty() ? "" : "_" + row.name));
    } else if (!file->reversible()) {
      irreversible.push_back(file_name(*file));
    } else {
      steps.push_back({row, *file});
    }
  }
  if (!irreversible.empty()) {
    return fail(ErrorCode::kRefused,
                fmt::format("cannot roll back irreversible migrations (no _rollback.sql file); "
                            "nothing was rolled back:\n  {}",
                            fmt::join(irreversible, "\n  ")),
                "add the rollback file, or restore a backup with `migrate restore`");
  }
  if (!missing.empty()) {
    return fail(ErrorCode::kRefused,
                fmt::format("cannot roll back applied migrations whose files are missing; "
                            "nothing was rolled back:\n  {}",
                            fmt::join(missing, "\n  ")));
  }
  return steps;
}

}  // namespace migrate
