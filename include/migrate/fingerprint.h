// A content fingerprint of a database: what restore compares to prove that
// the database holds exactly the backed-up state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace migrate {

struct TableSummary {
  std::string name;
  std::int64_t rows = 0;
  std::string hash;  // hex digest of the table's rows, in key order, values typed
};

struct ContentFingerprint {
  // The algorithm of every TableSummary::hash, chosen by the driver: "sha256"
  // for the server drivers, "xxh3-128" for SQLite (see sqlite_fingerprint.cc).
  std::string table_hash = "sha256";
  std::string schema_sha256;         // of the schema definition (every object's DDL)
  std::vector<TableSummary> tables;  // sorted by name

  // One hash over the schema and every table: equal databases, equal hashes.
  std::string combined_sha256() const;
};

// Names the first difference between two fingerprints ("table 'users': 3 rows
// instead of 4"), or "" when they are equal.
std::string describe_difference(const ContentFingerprint& expected,
                                const ContentFingerprint& actual);

}  // namespace migrate
