// Holding back termination signals through a section (deferred_signals.h).
#include "util/deferred_signals.h"

#include <fmt/format.h>
#include <string.h>

#include <csignal>

#include "util/log.h"

namespace migrate {
namespace {

constexpr int kHeld[] = {SIGTERM, SIGINT, SIGHUP};
volatile std::sig_atomic_t arrived = 0;

void record(int signal) {
  if (arrived == 0) arrived = signal;
}

}  // namespace

DeferredSignals::DeferredSignals(const char* section) : section_(section) {
  arrived = 0;
  struct sigaction action {};
  action.sa_handler = record;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // the section's reads and writes go on undisturbed
  for (int i = 0; i < 3; ++i) sigaction(kHeld[i], &action, &previous_[i]);
}

DeferredSignals::~DeferredSignals() {
  for (int i = 0; i < 3; ++i) sigaction(kHeld[i], &previous_[i], nullptr);
  if (int signal = arrived; signal != 0) {
    arrived = 0;
    log::warn(fmt::format("SIG{} arrived during {}, which has finished; acting on it now",
                          sigabbrev_np(signal), section_));
    std::raise(signal);
  }
}

}  // namespace migrate
