// The seam between migrate and the operating system, leveldb's Env: files,
// directories, renames, file locks, clocks and child processes all go
// through one interface, so that a test can wrap it and fail the Nth fsync
// with ENOSPC or stop the process right after the Nth rename.
//
// The calls keep the POSIX shape on purpose: a method returns what the
// system call returns (-1 with errno set on failure), so code moves from
// `::fsync(fd)` to `env().fsync(fd)` and keeps its error handling, and a
// fault is injected by setting errno. Descriptors are plain ints owned by
// the caller, closed with close().
//
// How code finds its Env: env() returns the process's current one, which is
// Env::Default() (POSIX) unless a test installed another with ScopedEnv.
// The OS calls sit at the leaves (AtomicFile, the backup store, the SQLite
// driver's file copies, child processes), below the CLI, the engine and the
// public Driver interface; passing an Env& down would add a parameter to
// every constructor and function on the way, the public API included, for
// the benefit of tests alone. Production never changes it.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace migrate {

class Env {
 public:
  virtual ~Env() = default;

  // The POSIX Env. It belongs to migrate and must never be deleted.
  static Env& Default();

  // Files. open() returns a descriptor or -1; the others 0 (or a byte count)
  // or -1, like the system calls of the same names.
  virtual int open(const std::filesystem::path& path, int flags, mode_t mode = 0) = 0;
  virtual ssize_t read(int fd, void* buffer, size_t size) = 0;
  virtual ssize_t pread(int fd, void* buffer, size_t size, off_t offset) = 0;
  virtual ssize_t write(int fd, const void* bytes, size_t size) = 0;
  virtual int fsync(int fd) = 0;
  virtual int fdatasync(int fd) = 0;
  virtual int close(int fd) = 0;
  virtual int fstat(int fd, struct stat* st) = 0;
  virtual int fchmod(int fd, mode_t mode) = 0;
  // flock(2): LOCK_SH, LOCK_EX, optionally | LOCK_NB.
  virtual int flock(int fd, int operation) = 0;

  // Directories; one is synced with open(O_DIRECTORY) and fsync(). list()
  // appends the names in `dir` (without "." and "..") to `names`.
  virtual int mkdir(const std::filesystem::path& path, mode_t mode) = 0;
  virtual int rmdir(const std::filesystem::path& path) = 0;
  virtual int list(const std::filesystem::path& dir, std::vector<std::string>& names) = 0;

  // Names. rename() replaces an existing `to`; rename_no_replace() fails
  // with EEXIST instead (renameat2 RENAME_NOREPLACE; EINVAL where the
  // filesystem cannot).
  virtual int rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  virtual int rename_no_replace(const std::filesystem::path& from,
                                const std::filesystem::path& to) = 0;
  virtual int link(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  virtual int unlink(const std::filesystem::path& path) = 0;
  virtual int stat(const std::filesystem::path& path, struct stat* st) = 0;
  virtual int lstat(const std::filesystem::path& path, struct stat* st) = 0;
  virtual int chmod(const std::filesystem::path& path, mode_t mode) = 0;
  virtual int chown(const std::filesystem::path& path, uid_t owner, gid_t group) = 0;
  // statvfs(2): the free space of the filesystem holding `path`.
  virtual int statvfs(const std::filesystem::path& path, struct statvfs* st) = 0;

  // Clocks.
  virtual std::chrono::system_clock::time_point now() = 0;
  virtual void sleep_for(std::chrono::nanoseconds duration) = 0;

  // Child processes. spawn() forks; in the child, `child(context)` runs and
  // must not return (it ends in exec or _exit), making only
  // async-signal-safe calls, since the parent may have other threads.
  // Returns the child's pid to the parent, or -1.
  using ChildMain = void (*)(void* context);
  virtual pid_t spawn(ChildMain child, void* context) = 0;
  virtual pid_t waitpid(pid_t pid, int* status, int options) = 0;
  virtual int kill(pid_t pid, int signal) = 0;
};

// Forwards every call to another Env; a test's Env overrides only what it
// wants to change (leveldb's EnvWrapper).
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env& target) : target_(target) {}
  Env& target() const { return target_; }

  int open(const std::filesystem::path& path, int flags, mode_t mode = 0) override {
    return target_.open(path, flags, mode);
  }
  ssize_t read(int fd, void* buffer, size_t size) override {
    return target_.read(fd, buffer, size);
  }
  ssize_t pread(int fd, void* buffer, size_t size, off_t offset) override {
    return target_.pread(fd, buffer, size, offset);
  }
  ssize_t write(int fd, const void* bytes, size_t size) override {
    return target_.write(fd, bytes, size);
  }
  int fsync(int fd) override { return target_.fsync(fd); }
  int fdatasync(int fd) override { return target_.fdatasync(fd); }
  int close(int fd) override { return target_.close(fd); }
  int fstat(int fd, struct stat* st) override { return target_.fstat(fd, st); }
  int fchmod(int fd, mode_t mode) override { return target_.fchmod(fd, mode); }
  int flock(int fd, int operation) override { return target_.flock(fd, operation); }
  int mkdir(const std::filesystem::path& path, mode_t mode) override {
    return target_.mkdir(path, mode);
  }
  int rmdir(const std::filesystem::path& path) override { return target_.rmdir(path); }
  int list(const std::filesystem::path& dir, std::vector<std::string>& names) override {
    return target_.list(dir, names);
  }
  int rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    return target_.rename(from, to);
  }
  int rename_no_replace(const std::filesystem::path& from,
                        const std::filesystem::path& to) override {
    return target_.rename_no_replace(from, to);
  }
  int link(const std::filesystem::path& from, const std::filesystem::path& to) override {
    return target_.link(from, to);
  }
  int unlink(const std::filesystem::path& path) override { return target_.unlink(path); }
  int stat(const std::filesystem::path& path, struct stat* st) override {
    return target_.stat(path, st);
  }
  int lstat(const std::filesystem::path& path, struct stat* st) override {
    return target_.lstat(path, st);
  }
  int chmod(const std::filesystem::path& path, mode_t mode) override {
    return target_.chmod(path, mode);
  }
  int chown(const std::filesystem::path& path, uid_t owner, gid_t group) override {
    return target_.chown(path, owner, group);
  }
  int statvfs(const std::filesystem::path& path, struct statvfs* st) override {
    return target_.statvfs(path, st);
  }
  std::chrono::system_clock::time_point now() override { return target_.now(); }
  void sleep_for(std::chrono::nanoseconds duration) override { target_.sleep_for(duration); }
  pid_t spawn(ChildMain child, void* context) override { return target_.spawn(child, context); }
  pid_t waitpid(pid_t pid, int* status, int options) override {
    return target_.waitpid(pid, status, options);
  }
  int kill(pid_t pid, int signal) override { return target_.kill(pid, signal); }

 private:
  Env& target_;
};

// The Env migrate's code uses (see the top of this file).
Env& env();

// Installs `replacement` as env() for its lifetime, then puts the previous
// one back. For tests; install it before the code under test starts threads.
class ScopedEnv {
 public:
  explicit ScopedEnv(Env& replacement);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  Env* previous_;
};

}  // namespace migrate
