#include "migrate/catalog.h"

#include <dirent.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
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
  struct Entry {
    std::uint64_t version;  // numeric: cheaper to sort than the 14-character string
    MigrationFileName name;
    const std::string* file;
  };
  std::vector<Entry> entries;
  entries.reserve(file_names.size());
  for (const auto& file : file_names) {
    auto parsed = parse_migration_file_name(file);
    if (!parsed) {
      scan.problems.push_back({file, parsed.error().message});
    } else if (*parsed) {  // not a .sql file: README.md and friends live here too
      entries.push_back({std::stoull((*parsed)->version), std::move(**parsed), &file});
    }
  }
  // By version, migrations before rollbacks, then by file name: each version
  // is one run of entries, and problems come out in a stable order.
  std::vector<const Entry*> order;
  order.reserve(entries.size());
  for (const auto& e : entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    if (a->version != b->version) return a->version < b->version;
    if (a->name.rollback != b->name.rollback) return !a->name.rollback;
    return *a->file < *b->file;
  });
  scan.catalog.migrations.reserve(entries.size());
  std::string prefix = dir.empty() ? "" : dir.string() + "/";
  for (size_t i = 0; i < order.size();) {
    size_t end = i;
    while (end < order.size() && order[end]->version == order[i]->version) ++end;
    const Entry* migration = order[i]->name.rollback ? nullptr : order[i];
    const Entry* rollback = nullptr;
    for (size_t j = i; j < end; ++j) {
      const Entry& e = *order[j];
      const std::string& file = *e.file;
      if (!e.name.rollback) {
        if (&e != migration) {
          scan.problems.push_back(
              {file, fmt::format("'{}': duplicate version {}, also used by '{}'", file,
                                 e.name.version, *migration->file)});
        }
      } else if (!migration || migration->name.name != e.name.name) {
        scan.problems.push_back(
            {file, fmt::format("'{}': rollback file without its migration '{}_{}.sql'", file,
                               e.name.version, e.name.name)});
      } else if (rollback) {
        scan.problems.push_back(
            {file, fmt::format("'{}': second rollback file for version {}", file, e.name.version)});
      } else {
        rollback = &e;
      }
    }
    if (migration) {
      scan.catalog.migrations.push_back(
          {migration->name.version, migration->name.name, prefix + *migration->file,
           rollback ? std::optional<std::string>(prefix + *rollback->file) : std::nullopt});
    }
    i = end;
  }
  return scan;
}

Result<CatalogScan> scan_directory(const std::filesystem::path& dir) {
  // readdir rather than std::filesystem::directory_iterator: a directory of
  // ten thousand migrations is listed several times faster.
  std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), ::closedir);
  if (!handle) {
    int error = errno;
    std::string shown = printable(dir.string());
    std::error_code ec;
    if (error == ENOTDIR && std::filesystem::exists(dir, ec)) {
      return fail(ErrorCode::kInvalidMigrations,
                  fmt::format("migrations directory '{}' is not a directory", shown),
                  "pass the folder that holds the .sql files with --dir");
    }
    if (error == ENOENT || error == ENOTDIR) {
      return fail(ErrorCode::kInvalidMigrations,
                  fmt::format("migrations directory '{}' does not exist", shown),
                  "create a migration with `migrate create NAME` or pass --dir");
    }
    return fail(ErrorCode::kIo, fmt::format("cannot list migrations directory '{}': {}", shown,
                                            std::strerror(error)));
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(handle.get())) {
    bool regular = entry->d_type == DT_REG;
    if (entry->d_type == DT_UNKNOWN || entry->d_type == DT_LNK) {
      std::error_code ec;
      regular = std::filesystem::is_regular_file(dir / entry->d_name, ec);
    }
    if (regular) names.emplace_back(entry->d_name);
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
