#include "faults/fault_run.h"

#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace migrate::testing {
namespace {

using End = FaultRun::End;

// Exit codes of the child for each way a run can end by itself.
int exit_code(End end) {
  return 10 + static_cast<int>(end);
}

[[noreturn]] void child(const SqliteWorld& world, Command command, const std::string& backup_id,
                        Fault fault, int report) {
  FaultInjectingEnv faulty(Env::Default(), fault);
  End end;
  std::string message;
  {
    ScopedEnv installed(faulty);
    auto result = run_command(world, command, backup_id);
    if (!result) message = result.error().message;
    if (!faulty.hit())
      end = result ? End::kNotHit : End::kFailedUnhit;
    else
      end = result ? End::kSucceeded : End::kReturnedError;
  }
  [[maybe_unused]] auto n = ::write(report, message.data(), message.size());
  ::_exit(exit_code(end));
}

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  return text;
}

}  // namespace

FaultRun run_with_fault(const SqliteWorld& world, Command command, const std::string& backup_id,
                        Fault fault) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {End::kDied, "cannot create a pipe"};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    child(world, command, backup_id, fault, pipe_fds[1]);
  }
  ::close(pipe_fds[1]);
  std::string message = read_all(pipe_fds[0]);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == kCrashExitCode) return {End::kCrashPoint, ""};
  for (End end : {End::kReturnedError, End::kSucceeded, End::kNotHit, End::kFailedUnhit})
    if (WIFEXITED(status) && WEXITSTATUS(status) == exit_code(end)) return {end, message};
  return {End::kDied, WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                          : "exit " + std::to_string(WEXITSTATUS(status))};
}

}  // namespace migrate::testing
