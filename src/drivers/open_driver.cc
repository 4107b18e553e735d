// The table of drivers: for each kind of database, the name its driver gives
// itself, how to open it, and where it checks snapshots in scratch space.
// The CLI and backups ask here instead of switching on the URL's kind.
#include <array>

#include "drivers/mysql/mysql_driver.h"
#include "drivers/postgres/postgres_driver.h"
#include "drivers/sqlite/sqlite_driver.h"
#include "migrate/driver.h"

namespace migrate {
namespace {

struct DriverEntry {
  DatabaseKind kind;
  std::string_view name;
  Result<std::unique_ptr<Driver>> (*open)(const DatabaseUrl&, const DriverOptions&);
  // The scratch space of `verify --deep` is a file of the driver's own, not a
  // database reached through the configured one (SQLite).
  bool scratch_is_standalone;
};

constexpr std::array kDrivers = {
    DriverEntry{DatabaseKind::kSqlite, kSqliteDriverName, &open_sqlite_driver, true},
    DriverEntry{DatabaseKind::kPostgres, kPostgresDriverName, &open_postgres_driver, false},
    DriverEntry{DatabaseKind::kMysql, kMysqlDriverName, &open_mysql_driver, false},
};

const DriverEntry* find_driver(DatabaseKind kind) {
  for (const auto& entry : kDrivers)
    if (entry.kind == kind) return &entry;
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<Driver>> open_driver(const DatabaseUrl& url, const DriverOptions& options) {
  const DriverEntry* entry = find_driver(url.kind);
  if (!entry) return fail(ErrorCode::kUnsupported, "unknown database kind");
  return entry->open(url, options);
}

std::string_view driver_name(DatabaseKind kind) {
  const DriverEntry* entry = find_driver(kind);
  return entry ? entry->name : std::string_view();
}

DatabaseUrl snapshot_check_url(const DatabaseUrl& url) {
  DatabaseUrl scratch = url;
  const DriverEntry* entry = find_driver(url.kind);
  if (entry && entry->scratch_is_standalone) scratch.path = ":memory:";
  return scratch;
}

}  // namespace migrate
