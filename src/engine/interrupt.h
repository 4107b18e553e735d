// SIGTERM and SIGINT while `safe` applies migrations. Dying at once would
// leave a half-applied run (MariaDB's DDL is not transactional) and no
// restore; instead the first signal is noted, the run stops before its next
// statement, and safe restores its backup as after any failure. A second
// signal ends the process at once, as the default action would.
#pragma once

#include <string>
#include <string_view>

namespace migrate {

// While alive, SIGTERM and SIGINT are caught as described above; the
// previous handlers come back when it goes.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// The backup a second signal's message tells the user to restore (safe's,
// once it is taken); until then the message says how to find it.
void name_backup_for_interrupts(std::string_view backup_id);

// The signal caught under an InterruptGuard, or 0.
int interrupt_signal();

// "interrupted by signal SIGTERM" for a caught signal.
std::string interrupt_message(int signal);

}  // namespace migrate
