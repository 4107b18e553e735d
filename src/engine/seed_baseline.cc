// seed and baseline: commands that touch the database without migrating it.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "engine/step_runner.h"
#include "engine/steps.h"
#include "migrate/engine.h"
#include "util/clock.h"
#include "util/log.h"

namespace migrate {

Result<RunReport> run_seed(EngineContext& ctx, const std::filesystem::path& seeds_dir) {
  RunReport report{"seed", {}, std::nullopt, 0, Execution::kApply, 0, {}};
  std::error_code ec;
  if (!std::filesystem::is_directory(seeds_dir, ec)) {
    return fail(ErrorCode::kIo,
                fmt::format("seeds directory '{}' does not exist", seeds_dir.string()),
                "pass --seeds-dir or create the directory");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(seeds_dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  std::vector<LoadedScript> scripts;
  for (const auto& path : files) {
    auto script = load_script(path, ctx.driver.dialect());
    if (!script) return tl::unexpected(script.error());
    scripts.push_back(std::move(*script));
  }
  RunnerLock lock(ctx.driver);
  if (auto r = lock.acquire(ctx.lock_timeout); !r) return tl::unexpected(r.error());
  for (const auto& script : scripts) {
    auto duration = run_step(ctx.driver, script, Transactions::kPerMigration,
                             [](std::int64_t) { return Result<void>{}; });
    if (!duration) return tl::unexpected(duration.error());
    log::info(fmt::format("seeded {} ({} ms)", script.file_name(), *duration));
    report.steps.push_back(
        {"", script.file_name(), script.file_name(), Direction::kUp, *duration, {}});
  }
  return report;
}

Result<RunReport> run_baseline(EngineContext& ctx, const Catalog& catalog,
                               const std::string& version) {
  RunReport report{"baseline", {}, std::nullopt, 0, Execution::kApply, 0, {}};
  if (auto ok = check_baseline_version(catalog, version); !ok) return tl::unexpected(ok.error());
  RunnerLock lock(ctx.driver);
  if (auto r = lock.acquire(ctx.lock_timeout); !r) return tl::unexpected(r.error());
  auto applied = prepare_tracking(ctx.driver);
  if (!applied) return tl::unexpected(applied.error());
  std::set<std::string> applied_versions;
  for (const auto& row : *applied) applied_versions.insert(row.version);

  std::int64_t batch = next_batch(*applied);
  std::string now = format_iso8601_utc(std::chrono::system_clock::now());
  if (auto r = ctx.driver.begin(); !r) return tl::unexpected(r.error());
  for (const auto& file : catalog.migrations) {
    if (file.version > version) break;
    if (applied_versions.count(file.version)) continue;
    auto checksum = file_checksum(file.path);
    Result<void> recorded = checksum
                                ? ctx.driver.record_applied({file.version, file.name, *checksum,
                                                             batch, now, 0, std::nullopt})
                                : Result<void>(tl::unexpected(checksum.error()));
    if (!recorded) {
      (void)ctx.driver.rollback();
      return tl::unexpected(recorded.error());
    }
    report.steps.push_back(
        {file.version, file.name, file.file_name(), Direction::kUp, 0, {}});
  }
  if (auto r = ctx.driver.commit(); !r) return tl::unexpected(r.error());
  report.batch = report.steps.empty() ? 0 : batch;
  return report;
}

}  // namespace migrate
