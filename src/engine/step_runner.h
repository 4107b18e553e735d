// Running one script against the database with its bookkeeping row, inside
// the transaction its directive allows.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "engine/script_loader.h"
#include "migrate/driver.h"
#include "migrate/engine.h"

namespace migrate {

// Runs every statement of `script`. The error names the file, the line and
// the start of the failing statement.
Result<void> execute_script(MigrationFace& driver, const LoadedScript& script);

// A SIGTERM/SIGINT caught under an InterruptGuard (interrupt.h) as an error
// naming `script` and what it stopped before ("its commit"); otherwise ok.
Result<void> check_interrupt(const LoadedScript& script, std::string_view before);

// Runs `scripts` as one batch (MigrationFace::execute_batch: PostgreSQL pipelines
// it) inside the caller's transaction, which a failure leaves for the caller
// to roll back. Returns when each script finished; the error names the file,
// line and statement as execute_script()'s does.
Result<BatchTimes> execute_batch(MigrationFace& driver,
                                 std::span<const LoadedScript* const> scripts);

// What becomes of the changes made before a failure, for the message: kKept
// (they stay, and the message says so) or kRestored (`safe` puts the backup
// back, so no message may claim they stay).
enum class AfterFailure { kKept, kRestored };

// Executes `script` and then `record(duration_ms)` (insert or delete the
// tracking row). With Transactions::kPerMigration both commit together, or
// neither does; a `-- migrate:no-transaction` file runs statement by
// statement and its row is written only after the whole file succeeded. With
// Transactions::kAtomic the caller owns the surrounding transaction.
Result<std::int64_t> run_step(MigrationFace& driver, const LoadedScript& script,
                              Transactions transactions,
                              const std::function<Result<void>(std::int64_t)>& record,
                              AfterFailure after_failure = AfterFailure::kKept);

// Holds the runner lock for a command's lifetime.
class RunnerLock {
 public:
  explicit RunnerLock(MigrationFace& driver) : driver_(driver) {}
  ~RunnerLock() {
    if (held_) driver_.release_lock();
  }
  RunnerLock(const RunnerLock&) = delete;
  RunnerLock& operator=(const RunnerLock&) = delete;

  Result<void> acquire(std::chrono::milliseconds timeout) {
    auto r = driver_.acquire_lock(timeout);
    held_ = r.has_value();
    return r;
  }

 private:
  MigrationFace& driver_;
  bool held_ = false;
};

}  // namespace migrate
