// Database URLs (README.md, "Configuration").
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

  // The URL with the password, and the value of every credential-like query
  // parameter (is_secret_parameter), replaced by `***`.
  std::string masked() const;
};

// Whether a query parameter holds a credential and is masked wherever a URL
// is shown: password, sslpassword, pwd, secret, token, key, apikey, and any
// name ending in password, passwd, secret, token, key or passphrase (case,
// '-' and '_' ignored).
bool is_secret_parameter(std::string_view name);

// Text that may be a URL (or hold one, as in "--url=postgres://u:pw@db/x"),
// fit for a message: the user-info password and secret query parameters
// masked, control characters escaped. For URLs that did not parse; a
// DatabaseUrl prints itself with masked().
std::string mask_url_text(std::string_view text);

// Parses a URL; errors are kUsage and never contain the password.
// Accepted forms:
//   sqlite:relative/path.db   sqlite:///absolute/path.db   sqlite::memory:
//   postgres://user:pass@host:5432/db?sslmode=disable   (also postgresql://)
//   mysql://user:pass@host:3306/db?socket=/path          (also mariadb://)
Result<DatabaseUrl> parse_database_url(std::string_view text);

}  // namespace migrate
