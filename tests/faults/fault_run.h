// Runs one command with one planned fault in a fork()ed child, so that a
// crash point (or a real crash of the code under test) ends only the child,
// and tells the parent how it ended.
#pragma once

#include <string>

#include "faults/commands.h"
#include "faults/fault_injecting_env.h"

namespace migrate::testing {

struct FaultRun {
  enum class End {
    kReturnedError,  // the fault came and the command returned an error
    kSucceeded,      // the fault came and the command coped (a best-effort call)
    kNotHit,         // the command finished before the Nth call: the sweep is over
    kCrashPoint,     // the Env ended the child at the crash point
    kFailedUnhit,    // the command failed although the fault never came
    kDied,           // anything else: a signal, an exception, exit()
  };
  End end;
  std::string detail;  // the error message, or how the child died
};

FaultRun run_with_fault(const SqliteWorld& world, Command command, const std::string& backup_id,
                        Fault fault);

}  // namespace migrate::testing
