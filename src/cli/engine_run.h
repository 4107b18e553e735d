// Running an engine command (up, rollback, redo, reset, fresh, baseline): the
// catalog loaded and checked, the database connected with the runner lock's
// connection ready, and a backup hook that writes to the store (unless
// --no-backup).
#pragma once

#include <functional>

#include "cli/command_flags.h"
#include "cli/output.h"
#include "migrate/catalog.h"
#include "migrate/config.h"

namespace migrate::cli {

// A usage check on the catalog, before the database is opened, so that a
// usage error cannot change anything.
using CatalogCheck = std::function<Result<void>(const Catalog&)>;
using EngineBody = std::function<Result<RunReport>(EngineContext&, const Catalog&)>;

Result<void> no_check(const Catalog&);

// Runs `body`; the report, timed, rendered.
Result<Output> with_engine(const Config& config, const CommandFlags& flags,
                           const CatalogCheck& check, const EngineBody& body);

}  // namespace migrate::cli
