// Chooses the driver by URL scheme: the single table of drivers.
#include <fmt/format.h>

#include "drivers/postgres/postgres_driver.h"
#include "drivers/sqlite/sqlite_driver.h"
#include "migrate/driver.h"

namespace migrate {

Result<std::unique_ptr<Driver>> open_driver(const DatabaseUrl& url, const DriverOptions& options) {
  switch (url.kind) {
    case DatabaseKind::kSqlite:
      return open_sqlite_driver(url, options);
    case DatabaseKind::kPostgres:
      return open_postgres_driver(url, options);
    case DatabaseKind::kMysql:
      break;
  }
  return fail(ErrorCode::kUnsupported,
              fmt::format("the {} driver is not available in this build of migrate", url.scheme),
              "SQLite and PostgreSQL work today; the MySQL/MariaDB driver is on the roadmap");
}

}  // namespace migrate
