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
  if (fails(CallKind::kOpen)) return -1;
  int fd = EnvWrapper::open(path, flags, mode);
  crash_point(CallKind::kOpen);
  return fd;
}

ssize_t FaultInjectingEnv::write(int fd, const void* bytes, size_t size) {
  if (fails(CallKind::kWrite)) return -1;
  ssize_t n = EnvWrapper::write(fd, bytes, size);
  crash_point(CallKind::kWrite);
  return n;
}

int FaultInjectingEnv::fsync(int fd) {
  if (fails(CallKind::kFsync)) return -1;
  int rc = EnvWrapper::fsync(fd);
  crash_point(CallKind::kFsync);
  return rc;
}

int FaultInjectingEnv::fdatasync(int fd) {
  if (fails(CallKind::kFsync)) return -1;
  int rc = EnvWrapper::fdatasync(fd);
  crash_point(CallKind::kFsync);
  return rc;
}

int FaultInjectingEnv::mkdir(const std::filesystem::path& path, mode_t mode) {
  if (fails(CallKind::kMkdir)) return -1;
  int rc = EnvWrapper::mkdir(path, mode);
  crash_point(CallKind::kMkdir);
  return rc;
}

int FaultInjectingEnv::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (fails(CallKind::kRename)) return -1;
  int rc = EnvWrapper::rename(from, to);
  crash_point(CallKind::kRename);
  return rc;
}

int FaultInjectingEnv::rename_no_replace(const std::filesystem::path& from,
                                         const std::filesystem::path& to) {
  if (fails(CallKind::kRename)) return -1;
  int rc = EnvWrapper::rename_no_replace(from, to);
  crash_point(CallKind::kRename);
  return rc;
}

// link() is how a rename without replacing ends where renameat2 is missing.
int FaultInjectingEnv::link(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (fails(CallKind::kRename)) return -1;
  int rc = EnvWrapper::link(from, to);
  crash_point(CallKind::kRename);
  return rc;
}

int FaultInjectingEnv::unlink(const std::filesystem::path& path) {
  if (fails(CallKind::kUnlink)) return -1;
  int rc = EnvWrapper::unlink(path);
  crash_point(CallKind::kUnlink);
  return rc;
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
