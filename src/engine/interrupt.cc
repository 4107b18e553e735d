#include "engine/interrupt.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <string>

namespace migrate {
namespace {

volatile std::sig_atomic_t caught = 0;
struct sigaction previous_term, previous_int;

// What a second signal says: written before any signal can come, read by
// the handler (which may not format), complete once `second_length` is set.
char second_message[512];
volatile std::sig_atomic_t second_length = 0;

void prepare_second_message(std::string_view backup_id) {
  std::string text =
      "migrate: a second signal ends migrate now: the run and its restore may not have "
      "finished, so the database may hold part of the run; check it with `migrate status`, "
      "and put back the backup taken before the run with ";
  text += backup_id.empty() ? "`migrate restore ID` (`migrate backups` lists it)\n"
                            : "`migrate restore " + std::string(backup_id) + "`\n";
  second_length = 0;
  size_t length = std::min(text.size(), sizeof second_message);
  std::copy_n(text.data(), length, second_message);
  second_length = static_cast<std::sig_atomic_t>(length);
}

void on_signal(int signal) {
  if (caught != 0) {
    // The second one: the user means it. Said first (write(2) is safe in a
    // handler), since what the first one started may not have finished.
    (void)!::write(STDERR_FILENO, second_message, static_cast<size_t>(second_length));
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  caught = signal;
  static constexpr char kFirst[] =
      "migrate: signal received: stopping the run, then restoring the backup taken before it "
      "(a second signal ends migrate at once)\n";
  (void)!::write(STDERR_FILENO, kFirst, sizeof kFirst - 1);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  caught = 0;
  prepare_second_message("");
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

void name_backup_for_interrupts(std::string_view backup_id) {
  prepare_second_message(backup_id);
}

int interrupt_signal() {
  return caught;
}

std::string interrupt_message(int signal) {
  return std::string("interrupted by signal ") + (signal == SIGINT ? "SIGINT" : "SIGTERM");
}

}  // namespace migrate
