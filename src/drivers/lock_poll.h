// Waiting for a runner lock without queueing behind its holder:
// a try-lock polled every 100 ms until it succeeds or the timeout passes.
// The same loop for every server database; each supplies its try-lock and
// how to name the lock and its holder.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "migrate/error.h"

namespace migrate {

struct LockPoll {
  std::function<Result<bool>()> try_lock;  // true when taken
  // "advisory lock 42 on database 'app' (held by pid 7)": asked only when
  // the lock is taken by someone else, for messages.
  std::function<std::string()> describe;
  std::function<void()> release;  // closes the lock connection after a failure
};

// Polls until the lock is taken (success) or `timeout` has passed (kLock,
// naming the lock; one attempt with a zero timeout). Logs once that it
// waits. An error of try_lock ends the wait with that error.
Result<void> poll_lock(const LockPoll& lock, std::chrono::milliseconds timeout);

}  // namespace migrate
