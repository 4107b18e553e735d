// A SQLite database, its migrations and a backup store in one temporary
// directory, and the checks a user would make after a failure, written
// without the code under test: the database read with the sqlite3 C API,
// the store read as files, artifacts hashed with sha256sum.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace migrate::testing {

class SqliteWorld {
 public:
  // State A: a table of three rows, 2 MiB of pseudo-random blobs and one pending
  // migration (nothing applied, no store yet).
  SqliteWorld();

  std::filesystem::path database() const { return dir_.path() / "app.db"; }
  std::filesystem::path migrations() const { return dir_.path() / "migrations"; }
  std::filesystem::path store() const { return dir_.path() / "backups"; }
  std::string url() const { return "sqlite://" + database().string(); }

  // Changes the data (state B), for a restore to undo.
  void change_data() const;

  // The database's content, canonical: every table's schema and rows (the
  // tracking table's versions only, its times differ between runs).
  std::string dump() const;

  // Every manifest in the store names an artifact of its size and SHA-256.
  // "" when so, else what is wrong. Sets `backups` to their number.
  std::string store_problem(std::size_t& backups) const;

  // Temporaries, pending markers, scratch directories and journals left in
  // the database's directory or the store ("" when none).
  std::string leftovers() const;

 private:
  TempDir dir_;
};

}  // namespace migrate::testing
