#include "drivers/lock_poll.h"

#include <fmt/format.h>

#include "util/env.h"
#include "util/log.h"

namespace migrate {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);

}  // namespace

Result<void> poll_lock(const LockPoll& lock, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  bool announced = false;
  for (;;) {
    auto locked = lock.try_lock();
    if (!locked) {
      lock.release();
      return tl::unexpected(locked.error());
    }
    if (*locked) return {};
    bool expired = std::chrono::steady_clock::now() >= deadline;
    if (announced && !expired) {
      env().sleep_for(kPollInterval);
      continue;
    }
    std::string name = lock.describe();
    if (expired) {
      lock.release();
      if (timeout.count() <= 0)  // a single attempt (doctor)
        return fail(ErrorCode::kLock, fmt::format("another runner holds the {}", name));
      return fail(ErrorCode::kLock,
                  fmt::format("timed out after {} s waiting for the {}: another runner holds it",
                              seconds, name),
                  "wait for the other runner to finish, or raise --lock-timeout");
    }
    log::info(fmt::format("another runner holds the {}; waiting up to {} s", name, seconds));
    announced = true;
    env().sleep_for(kPollInterval);
  }
}

}  // namespace migrate
