#include "migrate/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <system_error>

namespace migrate {
namespace {

constexpr std::string_view kSqlSuffix = ".sql";
constexpr std::string_view kRollbackSuffix = "_rollback";
constexpr std::string_view kPattern = "YYYYMMDDHHMMSS_description.sql";

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number_at(std::string_view s, size_t pos, size_t len) {
  int n = 0;
  for (size_t i = pos; i < pos + len; ++i) n = n * 10 + (s[i] - '0');
  return n;
}

bool is_valid_description(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

bool is_valid_version(std::string_view v) {
  if (v.size() != 14 || !all_digits(v)) return false;
  int month = number_at(v, 4, 2), day = number_at(v, 6, 2);
  int hour = number_at(v, 8, 2), minute = number_at(v, 10, 2), second = number_at(v, 12, 2);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
         second <= 59;
}

Result<std::optional<MigrationFileName>> parse_migration_file_name(std::string_view file_name) {
  if (!file_name.ends_with(kSqlSuffix)) return std::nullopt;
  std::string_view stem = file_name.substr(0, file_name.size() - kSqlSuffix.size());
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidMigrations,
                fmt::format("'{}': {} (expected {})", file_name, why, kPattern));
  };
  size_t underscore = stem.find('_');
  if (underscore == std::string_view::npos) return bad("no '_' between version and description");
  std::string_view version = stem.substr(0, underscore);
  std::string_view description = stem.substr(underscore + 1);
  if (version.size() != 14 || !all_digits(version)) return bad("version must be 14 digits");
  if (!is_valid_version(version)) return bad("version is not a valid date and time");
  MigrationFileName parsed{std::string(version), {}, false};
  if (description.ends_with(kRollbackSuffix)) {
    parsed.rollback = true;
    description.remove_suffix(kRollbackSuffix.size());
  }
  if (!is_valid_description(description))
    return bad("description must be lowercase letters, digits and underscores");
  parsed.name = std::string(description);
  return parsed;
}

const MigrationFile* Catalog::find(std::string_view version) const {
  auto it =
      std::lower_bound(migrations.begin(), migrations.end(), version,
                       [](const MigrationFile& m, std::string_view v) { return m.version < v; });
  return it != migrations.end() && it->version == version ? &*it : nullptr;
}

CatalogScan scan_catalog(const std::filesystem::path& dir,
                         const std::vector<std::string>& file_names) {
  CatalogScan scan;
  std::vector<std::string> sorted = file_names;
  std::sort(sorted.begin(), sorted.end());

  std::map<std::string, MigrationFile> by_version;
  std::map<std::string, std::string> first_file_of_version;
  std::vector<std::pair<MigrationFileName, std::string>> rollbacks;
  for (const auto& file : sorted) {
    auto parsed = parse_migration_file_name(file);
    if (!parsed) {
      scan.problems.push_back({file, parsed.error().message});
      continue;
    }
    if (!*parsed) continue;  // not a .sql file: README.md and friends live here too
    if ((*parsed)->rollback) {
      rollbacks.emplace_back(**parsed, file);
      continue;
    }
    const auto& name = **parsed;
    auto [it, inserted] = first_file_of_version.emplace(name.version, file);
    if (!inserted) {
      scan.problems.push_back({file, fmt::format("'{}': duplicate version {}, also used by '{}'",
                                                 file, name.version, it->second)});
      continue;
    }
    by_version[name.version] = MigrationFile{name.version, name.name, dir / file, std::nullopt};
  }
  for (const auto& [name, file] : rollbacks) {
    auto it = by_version.find(name.version);
    if (it == by_version.end() || it->second.name != name.name) {
      scan.problems.push_back(
          {file, fmt::format("'{}': rollback file without its migration '{}_{}.sql'", file,
                             name.version, name.name)});
      continue;
    }
    if (it->second.rollback_path) {
      scan.problems.push_back(
          {file, fmt::format("'{}': second rollback file for version {}", file, name.version)});
      continue;
    }
    it->second.rollback_path = dir / file;
  }
  for (auto& [version, migration] : by_version)
    scan.catalog.migrations.push_back(std::move(migration));
  return scan;
}

Result<CatalogScan> scan_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(ErrorCode::kInvalidMigrations,
                fmt::format("migrations directory '{}' does not exist", dir.string()),
                "create a migration with `migrate create NAME` or pass --dir");
  }
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) names.push_back(it->path().filename().string());
  }
  if (ec) {
    return fail(ErrorCode::kIo, fmt::format("cannot list migrations directory '{}': {}",
                                            dir.string(), ec.message()));
  }
  return scan_catalog(dir, names);
}

Result<Catalog> load_catalog(const std::filesystem::path& dir) {
  auto scan = scan_directory(dir);
  if (!scan) return tl::unexpected(scan.error());
  if (scan->problems.empty()) return std::move(scan->catalog);
  std::string message =
      fmt::format("invalid migrations directory '{}'; nothing was applied:", dir.string());
  for (const auto& problem : scan->problems) message += "\n  " + problem.message;
  return fail(ErrorCode::kInvalidMigrations, message);
}

}  // namespace migrate
