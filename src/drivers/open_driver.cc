// Chooses the driver by URL scheme: the single table of drivers.
#include "drivers/mysql/mysql_driver.h"
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
      return open_mysql_driver(url, options);
  }
  return fail(ErrorCode::kUnsupported, "unknown database kind");
}

}  // namespace migrate
