// SQLite: SOCI for the tracking table, the native handle (taken from SOCI's
// session, so there is one connection) for scripts and the lock.
#pragma once

#include <memory>

#include "migrate/driver.h"

namespace migrate {

Result<std::unique_ptr<Driver>> open_sqlite_driver(const DatabaseUrl& url,
                                                   const DriverOptions& options);

}  // namespace migrate
