// PostgreSQL: SOCI for the tracking table, libpq's native connection (taken
// from SOCI's session, so there is one connection) for scripts, transactions
// and the catalog queries of `fresh`; the runner lock on a second connection
// (postgres_lock.h); backups through postgres_snapshot.h.
#pragma once

#include <memory>
#include <string_view>

#include "migrate/driver.h"

namespace migrate {

// What the driver calls itself (Driver::name()).
inline constexpr std::string_view kPostgresDriverName = "postgres";

// Connects to the URL's database. kConnection when it cannot be reached or
// refuses the credentials (the message names the masked URL and never the
// password); kUsage for a query parameter libpq does not know.
Result<std::unique_ptr<Driver>> open_postgres_driver(const DatabaseUrl& url,
                                                     const DriverOptions& options);

}  // namespace migrate
