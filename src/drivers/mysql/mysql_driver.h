// MySQL and MariaDB: SOCI for the tracking table; the C API's connection
// (taken from SOCI's session, so there is one connection) for scripts,
// transactions and the catalog queries of `fresh`; the runner lock on a
// second connection (mysql_lock.h); backups through mysql_snapshot.h.
//
// DDL commits implicitly on MySQL, so transactional_ddl() is false: the
// engine refuses `up --atomic`, and a file that fails part-way may leave its
// earlier statements applied (the engine says so and names the backup).
#pragma once

#include <memory>
#include <string_view>

#include "migrate/driver.h"

namespace migrate {

// What the driver calls itself (Driver::name()).
inline constexpr std::string_view kMysqlDriverName = "mysql";

// Connects to the URL's database. kConnection when it cannot be reached or
// refuses the credentials (the message names the masked URL and never the
// password); kUsage for a query parameter other than ?socket=.
Result<std::unique_ptr<Driver>> open_mysql_driver(const DatabaseUrl& url,
                                                  const DriverOptions& options);

}  // namespace migrate
