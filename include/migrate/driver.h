// A database as migrate sees it: one object per connection that shows
// several small faces, each taken alone by the code that needs it.
//
//   MigrationFace  (migration_face.h)  statements, transactions, the lock and
//                                       the tracking table: the engine.
//   SnapshotFace   (snapshot_face.h)   snapshot, restore, fingerprint: backups.
//   schema introspection               not written yet; see the note in Driver.
//
// Drivers are chosen by URL scheme in open_driver() (the table of drivers in
// src/drivers/open_driver.cc) and are the only code that includes SOCI or a
// database's C client.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/error.h"
#include "migrate/migration_face.h"
#include "migrate/snapshot_face.h"
#include "migrate/url.h"

namespace migrate {

// Whether the command will take the runner lock. kOpenAhead lets a driver
// whose lock lives on a connection of its own (PostgreSQL) open that
// connection while the main one opens, instead of after it.
enum class LockConnection { kWhenAcquired, kOpenAhead };

struct DriverOptions {
  std::string table = "schema_migrations";  // tracking table, already validated
  LockConnection lock_connection = LockConnection::kWhenAcquired;
  // MIGRATE_PG_BINDIR: the only directory PostgreSQL's pg_dump is taken
  // from; empty: it is searched for.
  std::filesystem::path postgres_tool_dir;
};

class Driver : public MigrationFace, public SnapshotFace {
 public:
  ~Driver() override = default;

  // "sqlite", "postgres" or "mysql": the name backups record and `doctor`
  // shows, the same as driver_name() of the URL's kind.
  virtual std::string_view name() const = 0;

  // Driver-specific lines for `doctor`: client library and dump tool
  // versions, and whether they suit the server. Each names what it checked.
  struct Check {
    std::string name;
    bool ok = true;
    std::string detail;
  };
  virtual std::vector<Check> doctor_checks() { return {}; }

  // Schema introspection (tables, columns, indexes: for lint/check and
  // schema dumps) will be a third face here, an accessor that returns null
  // for a driver that lacks it. No driver has it yet.
};

// The driver for the URL's scheme, connected. kConnection when the database
// cannot be reached, kUnsupported for a scheme whose driver is not built.
Result<std::unique_ptr<Driver>> open_driver(const DatabaseUrl& url, const DriverOptions& options);

// The name the driver for `kind` gives itself (Driver::name()), known
// without connecting.
std::string_view driver_name(DatabaseKind kind);

// The URL to open for checking snapshots in scratch space (`verify --deep`)
// without touching the configured database: for SQLite, whose scratch is a
// file of its own, an in-memory database; for servers the URL itself, whose
// connection makes the scratch database.
DatabaseUrl snapshot_check_url(const DatabaseUrl& url);

}  // namespace migrate
