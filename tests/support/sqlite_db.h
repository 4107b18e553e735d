// Reading a SQLite file directly, to check database state independently of
// the code under test.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace migrate::testing {

using Rows = std::vector<std::vector<std::string>>;

// Runs `sql` and returns every row, NULL as "NULL". Throws on error.
Rows query(const std::filesystem::path& db, const std::string& sql);
// The first column of the first row.
std::string query_one(const std::filesystem::path& db, const std::string& sql);
// Names of the tables, views, triggers and indexes, sorted, without sqlite_ internals.
std::vector<std::string> schema_objects(const std::filesystem::path& db);
// Runs statements (no result), throws on error.
void exec(const std::filesystem::path& db, const std::string& sql);

}  // namespace migrate::testing
