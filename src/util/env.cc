#include "util/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <thread>

namespace migrate {
namespace {

// The system calls themselves; nothing else.
class PosixEnv final : public Env {
 public:
  int open(const std::filesystem::path& path, int flags, mode_t mode) override {
    return ::open(path.c_str(), flags, mode);
  }
  ssize_t read(int fd, void* buffer, size_t size) override { return ::read(fd, buffer, size); }
  ssize_t pread(int fd, void* buffer, size_t size, off_t offset) override {
    return ::pread(fd, buffer, size, offset);
  }
  ssize_t write(int fd, const void* bytes, size_t size) override {
    return ::write(fd, bytes, size);
  }
  int fsync(int fd) override { return ::fsync(fd); }
  int fdatasync(int fd) override { return ::fdatasync(fd); }
  int close(int fd) override { return ::close(fd); }
  int fstat(int fd, struct stat* st) override { return ::fstat(fd, st); }
  int fchmod(int fd, mode_t mode) override { return ::fchmod(fd, mode); }
  int flock(int fd, int operation) override { return ::flock(fd, operation); }

  int mkdir(const std::filesystem::path& path, mode_t mode) override {
    return ::mkdir(path.c_str(), mode);
  }
  int rmdir(const std::filesystem::path& path) override { return ::rmdir(path.c_str()); }
  int list(const std::filesystem::path& dir, std::vector<std::string>& names) override;

  int rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    return ::rename(from.c_str(), to.c_str());
  }
  int rename_no_replace(const std::filesystem::path& from,
                        const std::filesystem::path& to) override {
    return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
  }
  int link(const std::filesystem::path& from, const std::filesystem::path& to) override {
    return ::link(from.c_str(), to.c_str());
  }
  int unlink(const std::filesystem::path& path) override { return ::unlink(path.c_str()); }
  int stat(const std::filesystem::path& path, struct stat* st) override {
    return ::stat(path.c_str(), st);
  }
  int lstat(const std::filesystem::path& path, struct stat* st) override {
    return ::lstat(path.c_str(), st);
  }
  int chmod(const std::filesystem::path& path, mode_t mode) override {
    return ::chmod(path.c_str(), mode);
  }
  int chown(const std::filesystem::path& path, uid_t owner, gid_t group) override {
    return ::chown(path.c_str(), owner, group);
  }
  int statvfs(const std::filesystem::path& path, struct statvfs* st) override {
    return ::statvfs(path.c_str(), st);
  }

  std::chrono::system_clock::time_point now() override { return std::chrono::system_clock::now(); }
  void sleep_for(std::chrono::nanoseconds duration) override {
    std::this_thread::sleep_for(duration);
  }

  pid_t spawn(ChildMain child, void* context) override {
    pid_t pid = ::fork();
    if (pid != 0) return pid;
    child(context);
    ::_exit(127);  // `child` must not return; if it does, the child still ends here
  }
  pid_t waitpid(pid_t pid, int* status, int options) override {
    return ::waitpid(pid, status, options);
  }
  int kill(pid_t pid, int signal) override { return ::kill(pid, signal); }
};

int PosixEnv::list(const std::filesystem::path& dir, std::vector<std::string>& names) {
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) return -1;
  errno = 0;
  while (const dirent* entry = ::readdir(stream)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  int saved = errno;
  ::closedir(stream);
  errno = saved;
  return saved == 0 ? 0 : -1;
}

// Set by tests only, read from any thread: an atomic pointer.
std::atomic<Env*> current{nullptr};

}  // namespace

Env& Env::Default() {
  static PosixEnv posix;
  return posix;
}

Env& env() {
  Env* installed = current.load(std::memory_order_acquire);
  return installed ? *installed : Env::Default();
}

ScopedEnv::ScopedEnv(Env& replacement)
    : previous_(current.exchange(&replacement, std::memory_order_acq_rel)) {}

ScopedEnv::~ScopedEnv() {
  current.store(previous_, std::memory_order_release);
}

}  // namespace migrate
