// A project directory with a migrations folder and a SQLite database, and
// the built binary to run in it.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/run_cli.h"
#include "support/sqlite_db.h"
#include "support/temp_dir.h"

namespace migrate::testing {

class CliTest : public ::testing::Test {
 protected:
  // Writes migrations/<version>_<name>.sql and, unless `down` is null, its rollback.
  void migration(const std::string& version, const std::string& name, const std::string& up,
                 const char* down = "") {
    dir_.write("migrations/" + version + "_" + name + ".sql", up);
    if (down) dir_.write("migrations/" + version + "_" + name + "_rollback.sql", down);
  }

  CliResult run(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {}) {
    return run_cli(dir_.path(), args, env);
  }

  // Table names in the database, sorted.
  std::vector<std::string> objects() {
    return exists() ? schema_objects(db()) : std::vector<std::string>{};
  }
  // Applied versions in order, or empty when there is no tracking table.
  std::vector<std::string> applied() {
    if (!exists()) return {};
    if (query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") ==
        "0")
      return {};
    std::vector<std::string> out;
    for (const auto& row : query(db(), "SELECT version FROM schema_migrations ORDER BY version"))
      out.push_back(row[0]);
    return out;
  }

  std::filesystem::path db() const { return dir_.path() / "app.db"; }
  bool exists() const { return std::filesystem::exists(db()); }

  TempDir dir_;
};

// "assert the message": the text must appear in stderr (or stdout for --json).
#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "missing: " << (needle) << "\nin: " << (haystack)

}  // namespace migrate::testing
