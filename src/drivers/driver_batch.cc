// The batch operations of MigrationFace for drivers that have nothing faster: one
// statement, one row at a time.
#include "migrate/migration_face.h"

namespace migrate {

Result<void> MigrationFace::record_applied_all(std::span<const AppliedMigration> rows) {
  for (const auto& row : rows) {
    if (auto r = record_applied(row); !r) return r;
  }
  return {};
}

BatchResult MigrationFace::execute_batch(std::span<const SqlScript* const> scripts) {
  BatchTimes finished;
  finished.reserve(scripts.size());
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const auto& statements = scripts[i]->statements;
    for (std::size_t j = 0; j < statements.size(); ++j) {
      if (auto r = execute(statements[j]); !r)
        return tl::unexpected(BatchFailure{i, j, std::move(r.error())});
    }
    finished.push_back(std::chrono::steady_clock::now());
  }
  return finished;
}

}  // namespace migrate
