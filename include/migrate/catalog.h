// The migrations directory as a validated, ordered catalog (README.md, "Migration files").
//
// Building the catalog from file names is pure, so every naming rule is
// unit-tested without a filesystem; load_catalog() only adds the directory
// listing. While the directory has any problem no catalog is returned, so
// nothing can be applied from an invalid directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/error.h"
#include "migrate/migration.h"

namespace migrate {

// A migration file name taken apart.
struct MigrationFileName {
  std::string version;
  std::string name;
  bool rollback = false;
};

// nullopt for files that are not migrations (not ending in .sql); an error
// (kInvalidMigrations) for a .sql file that breaks the pattern, saying why.
Result<std::optional<MigrationFileName>> parse_migration_file_name(std::string_view file_name);

// One problem in the directory, naming the file at fault.
struct CatalogProblem {
  std::string file;
  std::string message;
};

struct Catalog {
  std::vector<MigrationFile> migrations;  // sorted by version

  const MigrationFile* find(std::string_view version) const;
};

// Either the catalog or every problem found (all of them, not just the first).
struct CatalogScan {
  Catalog catalog;
  std::vector<CatalogProblem> problems;
};

// Pure: file names (not paths) found in `dir`, in any order.
CatalogScan scan_catalog(const std::filesystem::path& dir,
                         const std::vector<std::string>& file_names);

// Lists `dir` and scans it. A missing or unreadable directory is an error.
Result<CatalogScan> scan_directory(const std::filesystem::path& dir);

// scan_directory() that turns any problem into one kInvalidMigrations error
// listing them all.
Result<Catalog> load_catalog(const std::filesystem::path& dir);

// True for a 14-digit version whose date and time parts are in range.
bool is_valid_version(std::string_view version);

}  // namespace migrate
