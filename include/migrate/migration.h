// What a migration is: a file on disk and, once applied, a row in the
// tracking table. Plain values, shared by the catalog, the
// planner and the drivers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace migrate {

// A migration found in the migrations directory.
struct MigrationFile {
  std::string version;  // 14 digits, e.g. "20261122143000"
  std::string name;     // description, e.g. "create_users"
  // Plain strings rather than std::filesystem::path, which splits every path
  // into components up front: a catalog can hold ten thousand of them.
  std::string path;                          // the migration
  std::optional<std::string> rollback_path;  // absent: irreversible

  bool reversible() const { return rollback_path.has_value(); }
  // "20261122143000_create_users.sql"
  std::string file_name() const { return path.substr(path.find_last_of('/') + 1); }
};

// A row of the tracking table. Rows adopted from a dbmate/Rails table have
// only a version: the other fields are empty or zero.
struct AppliedMigration {
  std::string version;
  std::string name;
  std::string checksum;  // SHA-256 hex of the file when applied; empty if unknown
  std::int64_t batch = 0;
  std::string applied_at;  // UTC, ISO 8601
  std::int64_t duration_ms = 0;
  std::optional<std::string> backup_id;
};

}  // namespace migrate
