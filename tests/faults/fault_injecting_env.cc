#include "faults/fault_injecting_env.h"

#include <unistd.h>

#include <cerrno>

namespace migrate::testing {

bool FaultInjectingEnv::planned(CallKind kind, Action action) {
  if (kind != fault_.kind || fault_.action != action) return false;
  if (++seen_ != fault_.nth) return false;
  hit_ = true;
  return true;
}

bool FaultInjectingEnv::fails(CallKind kind) {
  if (kind == fault_.kind && fault_.action == Action::kCrash) return false;
  if (!planned(kind, Action::kFail)) return false;
  errno = fault_.error;
  return true;
}

void FaultInjectingEnv::crash_point(CallKind kind) {
  int saved = errno;
  if (planned(kind, Action::kCrash)) ::_exit(kCrashExitCode);
  errno = saved;
}

int FaultInjectingEnv::open(const std::filesystem::path& path, int flags, mode_t mode) {
  return call(CallKind::kOpen, [&] { return EnvWrapper::open(path, flags, mode); });
}

ssize_t FaultInjectingEnv::write(int fd, const void* bytes, size_t size) {
  return call(CallKind::kWrite, [&] { return EnvWrapper::write(fd, bytes, size); });
}

int FaultInjectingEnv::fsync(int fd) {
  return call(CallKind::kFsync, [&] { return EnvWrapper::fsync(fd); });
}

int FaultInjectingEnv::fdatasync(int fd) {
  return call(CallKind::kFsync, [&] { return EnvWrapper::fdatasync(fd); });
}

int FaultInjectingEnv::mkdir(const std::filesystem::path& path, mode_t mode) {
  return call(CallKind::kMkdir, [&] { return EnvWrapper::mkdir(path, mode); });
}

int FaultInjectingEnv::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  return call(CallKind::kRename, [&] { return EnvWrapper::rename(from, to); });
}

int FaultInjectingEnv::rename_no_replace(const std::filesystem::path& from,
                                         const std::filesystem::path& to) {
  return call(CallKind::kRename, [&] { return EnvWrapper::rename_no_replace(from, to); });
}

// link() is how a rename without replacing ends where renameat2 is missing.
int FaultInjectingEnv::link(const std::filesystem::path& from, const std::filesystem::path& to) {
  return call(CallKind::kRename, [&] { return EnvWrapper::link(from, to); });
}

int FaultInjectingEnv::unlink(const std::filesystem::path& path) {
  return call(CallKind::kUnlink, [&] { return EnvWrapper::unlink(path); });
}

const char* call_kind_name(CallKind kind) {
  switch (kind) {
    case CallKind::kOpen:
      return "open";
    case CallKind::kWrite:
      return "write";
    case CallKind::kFsync:
      return "fsync";
    case CallKind::kRename:
      return "rename";
    case CallKind::kMkdir:
      return "mkdir";
    case CallKind::kUnlink:
      return "unlink";
  }
  return "?";
}

}  // namespace migrate::testing
