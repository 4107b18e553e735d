// Connecting for a command: --wait retries, confirmations for destructive
// commands.
#pragma once

#include <memory>
#include <string_view>

#include "migrate/config.h"
#include "migrate/driver.h"

namespace migrate::cli {

// Opens the configured database; with --wait, retries until it accepts
// connections or the wait is over. kOpenAhead for a command that will take
// the runner lock.
Result<std::unique_ptr<Driver>> connect(
    const Config& config, LockConnection lock_connection = LockConnection::kWhenAcquired);

// For reset, fresh and restore: asks on a terminal (type `yes`), requires
// --yes without one.
// `consequence` completes "'reset' ...", e.g. "rolls back every migration".
Result<void> confirm_destructive(const Config& config, std::string_view command,
                                 std::string_view consequence);

}  // namespace migrate::cli
