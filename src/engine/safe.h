// `safe`: back up, verify the backup, apply; on any failure restore the
// backup, verify the restored database against it, and report (exit 4).
#pragma once

#include "backup/backup_service.h"
#include "migrate/engine.h"

namespace migrate {

Result<RunReport> run_safe(EngineContext& ctx, const Catalog& catalog, const UpRequest& request,
                           const BackupStore& store, const BackupSettings& settings);

}  // namespace migrate
