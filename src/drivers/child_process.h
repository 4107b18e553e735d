// Running a database's client programs (pg_dump, psql, mariadb-dump, ...):
// a child process with pipes, no shell.
//
// A child gets an argv (never a command line) and secrets only through its
// own environment or a private file. Its environment is not ours: only what
// a client program needs (PATH, HOME, locale, TMPDIR, and for PostgreSQL's
// programs the libpq PG* settings) is passed on, so credentials meant for
// migrate or another program (DATABASE_URL, MIGRATE_BACKUP_KEY, AWS_*,
// PGPASSWORD for mariadb-dump, ...) never reach it. Its pipes are pumped by one
// poll loop, so a child blocked writing stderr can never deadlock one waiting
// for stdin. A child the caller stops early is terminated (SIGTERM, then
// SIGKILL) and reaped before the call returns; a child whose parent dies
// (killed, even with SIGKILL) is killed by the kernel (PR_SET_PDEATHSIG), so
// no client program outlives migrate and carries on unsupervised. (The
// kernel ties that to the thread that spawned the child: spawn from a thread
// that outlives it, as the drivers do from the calling thread.)
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "migrate/error.h"

namespace migrate {

struct Command {
  std::filesystem::path program;
  std::vector<std::string> args;  // after argv[0]
  // Set (or replaced) in the child's environment only.
  std::vector<std::pair<std::string, std::string>> environment;
  enum class Stream { kNull, kPipe };
  Stream in = Stream::kNull;
  Stream out = Stream::kNull;
  // Whether the libpq settings (PG*) are passed on: for pg_dump and psql.
  bool libpq_environment = false;
};

// Where a child finds the `private_file` given to Child::spawn.
inline constexpr const char* kPrivateFile = "/proc/self/fd/3";

// Whether `name` is passed on from our environment to children; PG* only
// to those given `libpq_environment`.
bool inherited_by_children(std::string_view name, bool libpq_environment);

// A running child process, owned: destroying it terminates and reaps a child
// still running.
class Child {
 public:
  // Next bytes for the child's stdin (valid until the next call); empty
  // closes stdin. An error stops the child: it is terminated, not given EOF.
  // Null when stdin is not a pipe.
  using Input = std::function<Result<std::string_view>()>;
  // Bytes the child wrote to stdout. An error stops the child. Null when
  // stdout is not a pipe.
  using Output = std::function<Result<void>(std::string_view)>;

  // With `private_file`, the child can read those bytes at kPrivateFile, and
  // no one else can: an anonymous in-memory file (memfd), never on a disk,
  // gone with the child. For secrets a program takes only from a file.
  static Result<std::unique_ptr<Child>> spawn(const Command& command,
                                              const std::string* private_file = nullptr);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Pumps the pipes until the child has exited, and reaps it. Fails with the
  // first error of `input` or `output` (the child terminated), or kGeneral
  // when the child exits non-zero or is killed; the message names the program
  // and carries the end of what it wrote to stderr.
  Result<void> run(const Input& input, const Output& output);
  // From another thread: makes run() terminate the child and fail.
  void cancel();
  // After run(): the exit code, or -1 when the child was killed.
  int exit_code() const { return exit_code_; }

 private:
  Child() = default;
  Result<void> pump(const Input& input, const Output& output);
  void terminate();
  Result<void> reap();

  std::string name_;
  pid_t pid_ = -1;
  int in_ = -1;  // our ends
  int out_ = -1;
  int err_ = -1;
  int cancel_read_ = -1;
  int cancel_write_ = -1;
  int exit_code_ = -1;
  std::string stderr_head_;
  std::string stderr_tail_;
  bool stderr_dropped_ = false;
};

// Runs `program args...` to its end and returns the first line it wrote,
// trimmed (`--version`); fails like Child::run.
Result<std::string> first_output_line(const std::filesystem::path& program,
                                      const std::vector<std::string>& args);

}  // namespace migrate
