// SQLite: SOCI for the tracking table, the native handle (taken from SOCI's
// session, so there is one connection) for scripts and the lock.
#pragma once

#include <memory>
#include <string_view>

#include "migrate/driver.h"

namespace migrate {

// What the driver calls itself (Driver::name()).
inline constexpr std::string_view kSqliteDriverName = "sqlite";

Result<std::unique_ptr<Driver>> open_sqlite_driver(const DatabaseUrl& url,
                                                   const DriverOptions& options);

}  // namespace migrate
