// An Env for tests that fails or "crashes" at the Nth call of one kind.
//
// Every call passes through to the wrapped Env (normally Env::Default())
// except the planned one: with Action::kFail it returns -1 with the planned
// errno without touching anything; with Action::kCrash it runs the call and
// then ends the process with _exit(kCrashExitCode), as a kill -9 right after
// a rename or an fsync would (run the operation in a fork()ed child). Only
// one fault per Env; the count runs over the whole process, every thread's
// calls included (which call is the Nth may then vary between runs).
#pragma once

#include <atomic>
#include <cstddef>

#include "util/env.h"

namespace migrate::testing {

enum class CallKind { kOpen, kWrite, kFsync, kRename, kMkdir, kUnlink };
enum class Action { kFail, kCrash };

struct Fault {
  CallKind kind;
  std::size_t nth;  // 1-based
  Action action = Action::kFail;
  int error = 0;  // errno for kFail
};

// The exit code of a process that the Env stopped at a crash point.
inline constexpr int kCrashExitCode = 86;

class FaultInjectingEnv final : public EnvWrapper {
 public:
  FaultInjectingEnv(Env& target, Fault fault) : EnvWrapper(target), fault_(fault) {}

  // Whether the planned call came (and was failed).
  bool hit() const { return hit_; }

  int open(const std::filesystem::path& path, int flags, mode_t mode) override;
  ssize_t write(int fd, const void* bytes, size_t size) override;
  int fsync(int fd) override;
  int fdatasync(int fd) override;
  int mkdir(const std::filesystem::path& path, mode_t mode) override;
  int rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  int rename_no_replace(const std::filesystem::path& from,
                        const std::filesystem::path& to) override;
  int link(const std::filesystem::path& from, const std::filesystem::path& to) override;
  int unlink(const std::filesystem::path& path) override;

 private:
  // Whether this call is the one to fail; counts it. Sets errno when so.
  bool fails(CallKind kind);
  // Ends the process if this call was the crash point (after it ran).
  void crash_point(CallKind kind);
  // Counts a call and tells whether it is the planned one.
  bool planned(CallKind kind, Action action);
  // `system_call()` unless this is the call to fail; then the crash point.
  template <typename SystemCall>
  auto call(CallKind kind, SystemCall system_call) -> decltype(system_call()) {
    if (fails(kind)) return -1;
    auto result = system_call();
    crash_point(kind);
    return result;
  }

  Fault fault_;
  // The backup pipeline calls from more than one thread.
  std::atomic<std::size_t> seen_ = 0;
  std::atomic<bool> hit_ = false;
};

const char* call_kind_name(CallKind kind);

}  // namespace migrate::testing
