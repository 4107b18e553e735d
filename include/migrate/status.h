// The state of every migration (`migrate status`), computed purely from the
// catalog, the applied rows and the checksums of the files on disk.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "migrate/catalog.h"
#include "migrate/migration.h"

namespace migrate {

enum class MigrationState {
  kApplied,
  kPending,
  kChanged,  // applied, but the file differs from the checksum recorded then
  kMissing,  // applied, but the file is gone
};

const char* state_name(MigrationState state);

struct StatusRow {
  std::string version;
  std::string name;
  MigrationState state = MigrationState::kPending;
  std::optional<AppliedMigration> applied;  // the row, for applied/changed/missing
};

// Rows in version order. `file_checksums` maps version to the SHA-256 of the
// migration file now; a row recorded without a checksum (adopted from dbmate
// or Rails) is never reported as changed.
std::vector<StatusRow> compute_status(const Catalog& catalog,
                                      const std::vector<AppliedMigration>& applied,
                                      const std::map<std::string, std::string>& file_checksums);

// True when any row is pending, changed or missing (`status --exit-code`).
bool needs_attention(const std::vector<StatusRow>& rows);

}  // namespace migrate
