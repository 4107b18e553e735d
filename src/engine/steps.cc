#include "engine/steps.h"

#include <fmt/format.h>

#include <thread>

#include "engine/step_runner.h"
#include "util/clock.h"
#include "util/env.h"
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

// The tracking rows of a batch that finished at `finished` (steady clock),
// having started at `started`: each migration took the time since the one
// before it finished.
std::vector<AppliedMigration> batch_rows(const std::vector<LoadedStep>& steps,
                                         const BatchTimes& finished,
                                         std::chrono::steady_clock::time_point started,
                                         std::int64_t batch,
                                         const std::optional<std::string>& backup_id) {
  auto system_now = env().now();
  auto steady_now = std::chrono::steady_clock::now();
  std::vector<AppliedMigration> rows;
  rows.reserve(steps.size());
  auto previous = started;
  for (size_t i = 0; i < steps.size(); ++i) {
    auto at = system_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                               steady_now - finished[i]);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(finished[i] - previous).count();
    previous = finished[i];
    rows.push_back({steps[i].file.version, steps[i].file.name, steps[i].script.checksum, batch,
                    format_iso8601_utc(at), ms, backup_id});
  }
  return rows;
}

// `up --atomic`: one transaction holding every script, run as one batch
// (PostgreSQL pipelines it), and then every row.
Result<void> apply_atomic(MigrationFace& driver, const std::vector<LoadedStep>& steps,
                          std::int64_t batch, const std::optional<std::string>& backup_id,
                          RunReport& report) {
  if (auto r = driver.begin(); !r) return r;
  std::vector<const LoadedScript*> scripts;
  scripts.reserve(steps.size());
  for (const auto& step : steps) scripts.push_back(&step.script);
  auto started = std::chrono::steady_clock::now();
  auto finished = execute_batch(driver, scripts);
  std::vector<AppliedMigration> rows;
  Result<void> result;
  if (!finished) {
    result = tl::unexpected(finished.error());
  } else {
    rows = batch_rows(steps, *finished, started, batch, backup_id);
    result = driver.record_applied_all(rows);
  }
  if (result && !steps.empty()) result = check_interrupt(steps.back().script, "the commit");
  if (result) result = driver.commit();
  if (!result) {
    (void)driver.rollback();
    result.error().message += "\n  --atomic: every migration of this run was rolled back";
    return result;
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    log::info(fmt::format("applied {} ({} ms)", steps[i].script.file_name(), rows[i].duration_ms));
    report.steps.push_back(step_report(steps[i], Direction::kUp, rows[i].duration_ms));
  }
  report.batch = steps.empty() ? 0 : batch;
  return {};
}

}  // namespace

Result<std::vector<LoadedStep>> load_steps(const std::vector<MigrationFile>& files,
                                           Direction direction, SqlDialect dialect) {
  // Read, split and hashed on two threads when there are many: with a
  // thousand small files the time is in system calls.
  std::vector<Result<LoadedScript>> scripts(files.size());
  auto load_range = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const std::string& path =
          direction == Direction::kUp ? files[i].path : *files[i].rollback_path;
      scripts[i] = load_script(path, dialect);
    }
  };
  constexpr size_t kThreadedFrom = 64;
  if (files.size() >= kThreadedFrom) {
    size_t half = files.size() / 2;
    std::thread other(load_range, half, files.size());
    load_range(0, half);
    other.join();
  } else {
    load_range(0, files.size());
  }

  std::vector<LoadedStep> steps;
  steps.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    if (!scripts[i]) return tl::unexpected(scripts[i].error());  // the first bad file in order
    steps.push_back({files[i], std::move(*scripts[i])});
  }
  return steps;
}

Result<void> ensure_tracking(MigrationFace& driver) {
  auto r = driver.ensure_tracking_table();
  if (r || r.error().message.find("SQLSTATE 3F000") == std::string::npos) return r;
  r.error().message = "--table: " + r.error().message;
  r.error().hint =
      "the tracking table's schema must exist: create it (CREATE SCHEMA ...) or choose another "
      "--table";
  return r;
}

Result<std::vector<AppliedMigration>> prepare_tracking(MigrationFace& driver) {
  if (auto r = ensure_tracking(driver); !r) return tl::unexpected(r.error());
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

Result<void> apply_steps(MigrationFace& driver, const std::vector<LoadedStep>& steps,
                         Transactions transactions, std::int64_t batch,
                         const std::optional<std::string>& backup_id, RunReport& report,
                         AfterFailure after_failure) {
  if (auto r = ensure_tracking(driver); !r) return r;
  if (transactions == Transactions::kAtomic)
    return apply_atomic(driver, steps, batch, backup_id, report);
  for (const auto& step : steps) {
    auto record = [&](std::int64_t duration_ms) {
      return driver.record_applied({step.file.version, step.file.name, step.script.checksum, batch,
                                    format_iso8601_utc(env().now()), duration_ms, backup_id});
    };
    auto duration = run_step(driver, step.script, transactions, record, after_failure);
    if (!duration) {
      Error error = duration.error();
      if (after_failure == AfterFailure::kRestored) return tl::unexpected(error);
      if (!driver.transactional_ddl()) error.message += partly_changed(step, backup_id);
      if (!report.steps.empty()) {
        error.message += fmt::format(
            "\n  {} migration(s) applied before it in this run stay applied", report.steps.size());
      }
      return tl::unexpected(error);
    }
    log::info(fmt::format("applied {} ({} ms)", step.script.file_name(), *duration));
    report.steps.push_back(step_report(step, Direction::kUp, *duration));
  }
  report.batch = steps.empty() ? 0 : batch;
  return {};
}

Result<void> revert_steps(MigrationFace& driver, const std::vector<LoadedStep>& steps,
                          RunReport& report) {
  if (auto r = ensure_tracking(driver); !r) return r;  // adopts a dbmate/Rails table
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
