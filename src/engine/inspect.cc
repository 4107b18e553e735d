// status and validate: the read-only commands.
#include <fmt/format.h>

#include <thread>

#include "engine/script_loader.h"
#include "engine/steps.h"
#include "migrate/engine.h"

namespace migrate {
namespace {

// Checksums of the files of applied migrations (pending ones need none),
// read on two threads: with thousands of files the time is in system calls.
Result<std::map<std::string, std::string>> applied_file_checksums(
    const Catalog& catalog, const std::vector<AppliedMigration>& applied) {
  std::vector<std::pair<std::string, const MigrationFile*>> wanted;
  for (const auto& row : applied) {
    const MigrationFile* file = catalog.find(row.version);
    if (file && !row.checksum.empty()) wanted.emplace_back(row.version, file);
  }
  std::vector<Result<std::string>> results(wanted.size());
  auto hash_range = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) results[i] = file_checksum(wanted[i].second->path);
  };
  size_t half = wanted.size() / 2;
  std::thread other(hash_range, half, wanted.size());
  hash_range(0, half);
  other.join();

  std::map<std::string, std::string> checksums;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (!results[i]) return tl::unexpected(results[i].error());
    checksums.emplace(wanted[i].first, std::move(*results[i]));
  }
  return checksums;
}

}  // namespace

Result<std::vector<std::string>> changed_migrations(const Catalog& catalog,
                                                    const std::vector<AppliedMigration>& applied) {
  auto checksums = applied_file_checksums(catalog, applied);
  if (!checksums) return tl::unexpected(checksums.error());
  std::vector<std::string> changed;
  for (const auto& row : compute_status(catalog, applied, *checksums)) {
    if (row.state == MigrationState::kChanged)
      changed.push_back(catalog.find(row.version)->file_name());
  }
  return changed;
}

Result<StatusReport> run_status(MigrationFace& driver, const Catalog& catalog) {
  auto applied = driver.applied_migrations();
  if (!applied) return tl::unexpected(applied.error());
  auto checksums = applied_file_checksums(catalog, *applied);
  if (!checksums) return tl::unexpected(checksums.error());
  return StatusReport{compute_status(catalog, *applied, *checksums)};
}

Result<ValidateReport> run_validate(MigrationFace& driver, const std::filesystem::path& dir) {
  auto scan = scan_directory(dir);
  if (!scan) return tl::unexpected(scan.error());
  ValidateReport report{scan->problems};
  auto status = run_status(driver, scan->catalog);
  if (!status) return tl::unexpected(status.error());
  for (const auto& row : status->rows) {
    std::string label = fmt::format("{}_{}.sql", row.version, row.name);
    if (row.state == MigrationState::kChanged) {
      report.problems.push_back(
          {label, fmt::format("'{}': changed since it was applied (checksum differs)", label)});
    } else if (row.state == MigrationState::kMissing) {
      report.problems.push_back(
          {label, fmt::format("'{}': applied but the file is missing", label)});
    }
  }
  return report;
}

}  // namespace migrate
