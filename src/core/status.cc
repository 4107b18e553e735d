#include "migrate/status.h"

#include <algorithm>

namespace migrate {

const char* state_name(MigrationState state) {
  switch (state) {
    case MigrationState::kApplied:
      return "applied";
    case MigrationState::kPending:
      return "pending";
    case MigrationState::kChanged:
      return "changed";
    case MigrationState::kMissing:
      return "missing";
  }
  return "pending";
}

std::vector<StatusRow> compute_status(const Catalog& catalog,
                                      const std::vector<AppliedMigration>& applied,
                                      const std::map<std::string, std::string>& file_checksums) {
  std::map<std::string, const AppliedMigration*> applied_by_version;
  for (const auto& row : applied) applied_by_version[row.version] = &row;

  std::vector<StatusRow> rows;
  for (const auto& file : catalog.migrations) {
    StatusRow row{file.version, file.name, MigrationState::kPending, std::nullopt};
    auto it = applied_by_version.find(file.version);
    if (it != applied_by_version.end()) {
      row.applied = *it->second;
      auto checksum = file_checksums.find(file.version);
      bool changed = !it->second->checksum.empty() && checksum != file_checksums.end() &&
                     checksum->second != it->second->checksum;
      row.state = changed ? MigrationState::kChanged : MigrationState::kApplied;
      applied_by_version.erase(it);
    }
    rows.push_back(std::move(row));
  }
  for (const auto& [version, applied_row] : applied_by_version) {
    rows.push_back({version, applied_row->name, MigrationState::kMissing, *applied_row});
  }
  std::sort(rows.begin(), rows.end(),
            [](const StatusRow& a, const StatusRow& b) { return a.version < b.version; });
  return rows;
}

bool needs_attention(const std::vector<StatusRow>& rows) {
  return std::any_of(rows.begin(), rows.end(),
                     [](const StatusRow& r) { return r.state != MigrationState::kApplied; });
}

}  // namespace migrate
