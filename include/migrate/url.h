// Database URLs (SPEC §1).
//
// One parser for the three schemes so that every command validates the URL
// the same way before connecting, and one place that masks the password:
// nothing prints a DatabaseUrl except through masked().
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "migrate/error.h"

namespace migrate {

enum class DatabaseKind { kSqlite, kPostgres, kMysql };

struct DatabaseUrl {
  DatabaseKind kind = DatabaseKind::kSqlite;
  std::string scheme;  // as written: sqlite, postgres, postgresql, mysql, mariadb

  // SQLite: the file path (relative paths stay relative) or ":memory:".
  std::string path;

  // Servers. Percent-encoded user and password are decoded.
  std::string user;
  std::string password;
  std::string host;  // empty with a unix socket given as ?host= or ?socket=
  int port = 0;      // 0 = the driver's default
  std::string database;
  std::map<std::string, std::string> params;  // decoded query parameters

  // The URL with the password replaced by `***` (or without one if none).
  std::string masked() const;
};

// Parses a URL; errors are kUsage and never contain the password.
// Accepted forms:
//   sqlite:relative/path.db   sqlite:///absolute/path.db   sqlite::memory:
//   postgres://user:pass@host:5432/db?sslmode=disable   (also postgresql://)
//   mysql://user:pass@host:3306/db?socket=/path          (also mariadb://)
Result<DatabaseUrl> parse_database_url(std::string_view text);

}  // namespace migrate
