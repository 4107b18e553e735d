// Reading a migration, rollback or seed file into statements, with every
// check that must pass before anything runs: the file is readable, its SQL
// splits, and nothing in it conflicts with the transaction around it.
#pragma once

#include <filesystem>
#include <string>

#include "migrate/error.h"
#include "migrate/sql_script.h"

namespace migrate {

struct LoadedScript {
  std::filesystem::path path;
  std::string checksum;  // SHA-256 hex of the file's bytes
  SqlScript script;

  std::string file_name() const { return path.filename().string(); }
};

// Errors name the file and line.
Result<LoadedScript> load_script(const std::filesystem::path& path, SqlDialect dialect);

// Only the checksum, for `status` and `validate`.
Result<std::string> file_checksum(const std::filesystem::path& path);

}  // namespace migrate
