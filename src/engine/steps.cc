#include "engine/steps.h"

#include <fmt/format.h>

#include "engine/step_runner.h"
#include "util/clock.h"
#include "util/log.h"

namespace migrate {
namespace {

StepReport step_report(const LoadedStep& step, Direction direction, std::int64_t duration_ms) {
  return {step.file.version, step.file.name, step.script.file_name(), direction, duration_ms, {}};
}

// A database that commits DDL implicitly (MySQL) keeps what the failing
// file did before the failing statement: say so, and name the way back.
std::string partly_changed(const LoadedStep& step, const std::optional<std::string>& backup_id) {
  std::string message = fmt::format(
      "\n  the database may be partly changed: it commits DDL implicitly, so the statements of "
      "{} before the failing one stay applied (the file is not recorded as applied)",
      step.script.file_name());
  if (backup_id)
    return message + fmt::format(
                         "\n  to undo this run, restore the backup taken before it: "
                         "migrate restore {}",
                         *backup_id);
  return message + "\n  no backup was taken before this run (--no-backup)";
}

}  // namespace

Result<std::vector<LoadedStep>> load_steps(const std::vector<MigrationFile>& files,
                                           Direction direction, SqlDialect dialect) {
  std::vector<LoadedStep> steps;
  steps.reserve(files.size());
  for (const auto& file : files) {
    const std::string& path = direction == Direction::kUp ? file.path : *file.rollback_path;
    auto script = load_script(path, dialect);
    if (!script) return tl::unexpected(script.error());
    steps.push_back({file, std::move(*script)});
  }
  return steps;
}

Result<std::vector<AppliedMigration>> prepare_tracking(Driver& driver) {
  if (auto r = driver.ensure_tracking_table(); !r) return tl::unexpected(r.error());
  return driver.applied_migrations();
}

void describe_steps(const std::vector<LoadedStep>& steps, Direction direction, RunReport& report) {
  report.execution = Execution::kDryRun;
  for (const auto& step : steps) {
    auto row = step_report(step, direction, 0);
    row.statements = step.script.script.statements;
    report.steps.push_back(std::move(row));
  }
}

Result<void> apply_steps(Driver& driver, const std::vector<LoadedStep>& steps,
                         Transactions transactions, std::int64_t batch,
                         const std::optional<std::string>& backup_id, RunReport& report) {
  if (auto r = driver.ensure_tracking_table(); !r) return r;
  if (transactions == Transactions::kAtomic) {
    if (auto r = driver.begin(); !r) return r;
  }
  for (const auto& step : steps) {
    auto record = [&](std::int64_t duration_ms) {
      return driver.record_applied({step.file.version, step.file.name, step.script.checksum, batch,
                                    format_iso8601_utc(std::chrono::system_clock::now()),
                                    duration_ms, backup_id});
    };
    auto duration = run_step(driver, step.script, transactions, record);
    if (!duration) {
      Error error = duration.error();
      if (transactions == Transactions::kAtomic) {
        (void)driver.rollback();
        error.message += "\n  --atomic: every migration of this run was rolled back";
      } else {
        if (!driver.transactional_ddl()) error.message += partly_changed(step, backup_id);
        if (!report.steps.empty()) {
          error.message +=
              fmt::format("\n  {} migration(s) applied before it in this run stay applied",
                          report.steps.size());
        }
      }
      return tl::unexpected(error);
    }
    log::info(fmt::format("applied {} ({} ms)", step.script.file_name(), *duration));
    report.steps.push_back(step_report(step, Direction::kUp, *duration));
  }
  report.batch = steps.empty() ? 0 : batch;
  if (transactions == Transactions::kAtomic) return driver.commit();
  return {};
}

Result<void> revert_steps(Driver& driver, const std::vector<LoadedStep>& steps, RunReport& report) {
  for (const auto& step : steps) {
    auto record = [&](std::int64_t) { return driver.remove_applied(step.file.version); };
    auto duration = run_step(driver, step.script, Transactions::kPerMigration, record);
    if (!duration) {
      Error error = duration.error();
      if (!report.steps.empty()) {
        error.message += fmt::format("\n  {} migration(s) rolled back before it stay rolled back",
                                     report.steps.size());
      }
      return tl::unexpected(error);
    }
    log::info(fmt::format("rolled back {} ({} ms)", step.file.file_name(), *duration));
    report.steps.push_back(step_report(step, Direction::kDown, *duration));
  }
  return {};
}

}  // namespace migrate
