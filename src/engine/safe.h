// `safe`: `up` (the same checks, through run_up's one path) with a backup
// that is always taken and verified before anything is applied; on any
// failure, or a SIGTERM/SIGINT while applying, the backup is restored, the
// restored database verified against it, and the story reported (exit 4).
#pragma once

#include "backup/backup_service.h"
#include "migrate/engine.h"

namespace migrate {

// `ctx.backups` is not used: safe takes its own backup, into `store`.
Result<RunReport> run_safe(EngineContext& ctx, const Catalog& catalog, const UpRequest& request,
                           BackupStore& store, const BackupSettings& settings);

}  // namespace migrate
