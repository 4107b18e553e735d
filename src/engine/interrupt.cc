#include "engine/interrupt.h"

#include <unistd.h>

#include <csignal>

namespace migrate {
namespace {

volatile std::sig_atomic_t caught = 0;
struct sigaction previous_term, previous_int;

void on_signal(int signal) {
  if (caught != 0) {
    // The second one: the user means it. Said first (write(2) is safe in a
    // handler), since what the first one started may not have finished.
    static constexpr char kSecond[] =
        "migrate: a second signal ends migrate now: the run and its restore may not have "
        "finished, so the database may hold part of the run; check it with `migrate status`, "
        "and put back the backup taken before the run with `migrate restore ID` (`migrate "
        "backups` lists it)\n";
    (void)!::write(STDERR_FILENO, kSecond, sizeof kSecond - 1);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  caught = signal;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  caught = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a statement waiting in a system call may see EINTR and
  // end sooner; the run checks the flag before its next statement anyway.
  sigaction(SIGTERM, &action, &previous_term);
  sigaction(SIGINT, &action, &previous_int);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGTERM, &previous_term, nullptr);
  sigaction(SIGINT, &previous_int, nullptr);
}

int interrupt_signal() {
  return caught;
}

std::string interrupt_message(int signal) {
  return std::string("interrupted by signal ") + (signal == SIGINT ? "SIGINT" : "SIGTERM");
}

}  // namespace migrate
