// A content fingerprint of a database: what restore compares to prove that
// the database holds exactly the backed-up state (SPEC §5).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace migrate {

struct TableSummary {
  std::string name;
  std::int64_t rows = 0;
  std::string sha256;  // of the table's rows, in storage order, values typed
};

struct ContentFingerprint {
  std::string schema_sha256;        // of the schema definition (every object's DDL)
  std::vector<TableSummary> tables;  // sorted by name

  // One hash over the schema and every table: equal databases, equal hashes.
  std::string combined_sha256() const;
};

// Names the first difference between two fingerprints ("table 'users': 3 rows
// instead of 4"), or "" when they are equal.
std::string describe_difference(const ContentFingerprint& expected,
                                const ContentFingerprint& actual);

}  // namespace migrate
