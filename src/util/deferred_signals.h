// Holding back SIGTERM, SIGINT and SIGHUP through a short section that must
// not stop half-way (the moment a restore swaps what the live database
// holds, where MySQL commits each statement as it goes).
//
// A signal that arrives meanwhile is recorded, not acted on; when the
// section ends, the handlers from before are put back and the signal is
// raised again, so it then does what it would have done (ends the process,
// or sets safe's flag). Handlers rather than a blocked mask, because a mask
// is per thread and a process signal goes to any thread that does not block
// it. SIGKILL cannot be held back.
#pragma once

#include <csignal>

namespace migrate {

class DeferredSignals {
 public:
  // `section` names what is held for in the warning given when a signal
  // waited ("the restore's swap").
  explicit DeferredSignals(const char* section);
  ~DeferredSignals();
  DeferredSignals(const DeferredSignals&) = delete;
  DeferredSignals& operator=(const DeferredSignals&) = delete;

 private:
  const char* section_;
  struct sigaction previous_[3];
};

}  // namespace migrate
