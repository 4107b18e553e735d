#include "drivers/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "util/env.h"
#include "util/strings.h"

extern char** environ;

namespace migrate {
namespace {

constexpr size_t kReadChunk = size_t{1} << 20;
constexpr size_t kStderrHead = 8 << 10;
constexpr size_t kStderrTail = 8 << 10;
constexpr auto kTerminateGrace = std::chrono::seconds(2);

class Fd {
 public:
  Fd() = default;
  ~Fd() {
    if (fd >= 0) env().close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int fd = -1;
};

void close_fd(int& fd) {
  if (fd >= 0) env().close(fd);
  fd = -1;
}

tl::unexpected<Error> errno_failure(std::string_view what) {
  return fail(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(errno)));
}

// The child's environment: the part of ours a client program needs, with
// `overrides` set or replaced.
std::vector<std::string> child_environment(const Command& command) {
  const auto& overrides = command.environment;
  std::vector<std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view item(*entry);
    auto name = item.substr(0, item.find('='));
    bool replaced = std::any_of(overrides.begin(), overrides.end(),
                                [&](const auto& o) { return o.first == name; });
    if (!replaced && inherited_by_children(name, command.libpq_environment)) env.emplace_back(item);
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

// An anonymous in-memory file holding `contents`, for Command::private_file.
Result<int> memory_file(const std::string& contents) {
  int fd = ::memfd_create("migrate-private", MFD_CLOEXEC);
  if (fd < 0) return errno_failure("cannot create a private file");
  // A memfd starts world-writable (0777), and some programs ignore such an
  // option file (mariadb-dump: "World-writable config file is ignored").
  if (env().fchmod(fd, 0600) != 0) {
    env().close(fd);
    return errno_failure("cannot protect a private file");
  }
  for (size_t done = 0; done < contents.size();) {
    ssize_t n = env().write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      env().close(fd);
      return errno_failure("cannot write a private file");
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

// Closes, at exec, every descriptor from `first` on: the child must not
// hold our database connections (a runner lock's session would outlive an
// orphaned child) or any other file of ours. Async-signal-safe.
void close_on_exec_from(int first) {
  if (::close_range(static_cast<unsigned>(first), ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  struct rlimit limit {};  // a kernel before 5.11: each descriptor in turn
  rlim_t last = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : 1024;
  if (last == RLIM_INFINITY || last > (1 << 20)) last = 1 << 20;
  for (int fd = first; fd < static_cast<int>(last); ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// What a child does between fork and exec: only async-signal-safe calls,
// the parent having other threads. Dies with the parent; starts with default
// signal handling whatever the parent ignores or blocks (SIGPIPE in
// particular); keeps only its standard streams and the private file; an
// exec failure's errno goes back through `report`.
[[noreturn]] void exec_child(pid_t parent, const int (&streams)[3], int private_fd, int report,
                             const char* program, char* const* argv, char* const* envp) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &fallback, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int target = 0; target < 3; ++target) {
    int fd = streams[target];
    if (fd < 0) fd = ::open("/dev/null", (target == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
    if (fd < 0 || ::dup2(fd, target) < 0) break;
  }
  if (private_fd >= 0 && ::dup2(private_fd, 3) < 0) private_fd = -2;
  if (private_fd == 3) ::fcntl(3, F_SETFD, 0);
  close_on_exec_from(private_fd >= 0 ? 4 : 3);
  if (private_fd != -2) ::execve(program, argv, envp);
  int error = errno;
  [[maybe_unused]] auto n = ::write(report, &error, sizeof error);
  ::_exit(127);
}

// exec_child()'s arguments, for Env::spawn().
struct ExecArgs {
  pid_t parent;
  const int (&streams)[3];
  int private_fd, report;
  const char* program;
  char* const* argv;
  char* const* envp;
};

[[noreturn]] void exec_child_main(void* context) {
  const auto& a = *static_cast<const ExecArgs*>(context);
  exec_child(a.parent, a.streams, a.private_fd, a.report, a.program, a.argv, a.envp);
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

// Reads what is available on a nonblocking descriptor into `buffer` (up to
// its size). Returns the byte count, 0 on end of file, -1 when nothing is
// there yet.
Result<ssize_t> read_available(int fd, std::string& buffer, std::string_view what) {
  size_t filled = 0;
  for (;;) {
    ssize_t n = env().read(fd, buffer.data() + filled, buffer.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return filled > 0 ? static_cast<ssize_t>(filled) : -1;
    if (n < 0) return errno_failure(fmt::format("cannot read from {}", what));
    if (n == 0) return static_cast<ssize_t>(filled);  // 0 only when nothing was read
    filled += static_cast<size_t>(n);
    if (filled == buffer.size()) return static_cast<ssize_t>(filled);
  }
}

}  // namespace

bool inherited_by_children(std::string_view name, bool libpq_environment) {
  // The libpq settings are the ones our own connections follow too.
  static constexpr std::string_view kNames[] = {
      "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "LD_LIBRARY_PATH"};
  if (std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames)) return true;
  return name.starts_with("LC_") || (libpq_environment && name.starts_with("PG"));
}

Result<std::unique_ptr<Child>> Child::spawn(const Command& command,
                                            const std::string* private_file_contents) {
  std::unique_ptr<Child> child(new Child);
  child->name_ = command.program.filename().string();
  Fd child_in, child_out, child_err;
  int fds[2];
  if (command.in == Command::Stream::kPipe) {
    // A socket rather than a pipe: send() with MSG_NOSIGNAL reports a child
    // that stopped reading as EPIPE without raising SIGPIPE in this process.
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      return errno_failure("cannot create a pipe");
    child->in_ = fds[0];
    child_in.fd = fds[1];
  }
  if (command.out == Command::Stream::kPipe) {
    if (::pipe2(fds, O_CLOEXEC) != 0) return errno_failure("cannot create a pipe");
    child->out_ = fds[0];
    child_out.fd = fds[1];
    ::fcntl(child->out_, F_SETPIPE_SZ, static_cast<int>(kReadChunk));  // fewer wakeups; best effort
  }
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_failure("cannot create a pipe");
  child->err_ = fds[0];
  child_err.fd = fds[1];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_failure("cannot create a pipe");
  child->cancel_read_ = fds[0];
  child->cancel_write_ = fds[1];

  Fd private_file, report_read, report_write;
  if (private_file_contents) {
    auto fd = memory_file(*private_file_contents);
    if (!fd) return tl::unexpected(fd.error());
    private_file.fd = *fd;
  }
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_failure("cannot create a pipe");
  report_read.fd = fds[0];
  report_write.fd = fds[1];

  std::vector<std::string> argv{command.program.string()};
  argv.insert(argv.end(), command.args.begin(), command.args.end());
  auto envp = child_environment(command);
  auto argv_pointers = pointers(argv);
  auto envp_pointers = pointers(envp);
  const int streams[3] = {child_in.fd, child_out.fd, child_err.fd};
  pid_t parent = ::getpid();
  ExecArgs exec_args{parent,
                     streams,
                     private_file.fd,
                     report_write.fd,
                     argv[0].c_str(),
                     argv_pointers.data(),
                     envp_pointers.data()};
  child->pid_ = env().spawn(exec_child_main, &exec_args);
  if (child->pid_ < 0) return errno_failure(fmt::format("cannot run '{}'", argv[0]));
  close_fd(report_write.fd);
  int exec_error = 0;
  ssize_t n;
  while ((n = env().read(report_read.fd, &exec_error, sizeof exec_error)) < 0 && errno == EINTR) {
  }
  if (n > 0) {  // exec failed: the child has exited already
    while (env().waitpid(child->pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    child->pid_ = -1;
    return fail(ErrorCode::kIo, fmt::format("cannot run '{}': {}", command.program.string(),
                                            std::strerror(exec_error)));
  }
  for (int fd : {child->in_, child->out_, child->err_, child->cancel_read_})
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return child;
}

Child::~Child() {
  terminate();
  close_fd(cancel_read_);
  close_fd(cancel_write_);
}

void Child::cancel() {
  char byte = 1;
  [[maybe_unused]] auto n = env().write(cancel_write_, &byte, 1);
}

Result<void> Child::run(const Input& input, const Output& output) {
  auto pumped = pump(input, output);
  if (!pumped) {
    terminate();
    return pumped;
  }
  return reap();
}

Result<void> Child::pump(const Input& input, const Output& output) {
  std::string buffer(kReadChunk, '\0');
  std::string errors(64 << 10, '\0');
  std::string_view pending;
  while (in_ >= 0 || out_ >= 0 || err_ >= 0) {
    pollfd fds[4];
    nfds_t count = 0;
    auto watch = [&](int fd, short events) {
      if (fd >= 0) fds[count++] = pollfd{fd, events, 0};
    };
    watch(cancel_read_, POLLIN);
    watch(out_, POLLIN);
    watch(err_, POLLIN);
    watch(in_, POLLOUT);
    if (::poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      return errno_failure("cannot wait for " + name_);
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      int fd = fds[i].fd;
      if (fd == cancel_read_)
        return fail(ErrorCode::kGeneral, fmt::format("{} was stopped", name_));
      if (fd == out_) {
        auto n = read_available(out_, buffer, name_);
        if (!n) return tl::unexpected(n.error());
        if (*n == 0) close_fd(out_);
        if (*n > 0) {
          if (auto r = output(std::string_view(buffer.data(), static_cast<size_t>(*n))); !r)
            return r;
        }
      } else if (fd == err_) {
        auto n = read_available(err_, errors, name_);
        if (!n) return tl::unexpected(n.error());
        if (*n == 0) close_fd(err_);
        if (*n <= 0) continue;
        std::string_view text(errors.data(), static_cast<size_t>(*n));
        size_t to_head = std::min(text.size(), kStderrHead - stderr_head_.size());
        stderr_head_.append(text.substr(0, to_head));
        stderr_tail_.append(text.substr(to_head));
        if (stderr_tail_.size() > 2 * kStderrTail) {
          stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
          stderr_dropped_ = true;
        }
      } else if (fd == in_) {
        if (pending.empty()) {
          auto next = input();
          if (!next) return tl::unexpected(next.error());
          if (next->empty()) {
            close_fd(in_);
            continue;
          }
          pending = *next;
        }
        ssize_t n = ::send(in_, pending.data(), pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
          pending.remove_prefix(static_cast<size_t>(n));
        } else if (errno == EPIPE || errno == ECONNRESET) {
          close_fd(in_);  // the child stopped reading: its exit status tells why
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          return errno_failure("cannot write to " + name_);
        }
      }
    }
  }
  return {};
}

void Child::terminate() {
  close_fd(in_);
  close_fd(out_);
  close_fd(err_);
  if (pid_ <= 0) return;
  env().kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + kTerminateGrace;
  int status;
  while (env().waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      env().kill(pid_, SIGKILL);
      while (env().waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    env().sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
}

Result<void> Child::reap() {
  close_fd(in_);
  int status = 0;
  while (env().waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return errno_failure("cannot wait for " + name_);
  }
  pid_ = -1;
  if (stderr_tail_.size() > kStderrTail) {
    stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
    stderr_dropped_ = true;
  }
  std::string errors(trim(stderr_head_ + (stderr_dropped_ ? "\n...\n" : "") + stderr_tail_));
  std::string detail = errors.empty() ? "" : ": " + errors;
  if (WIFEXITED(status)) {
    exit_code_ = WEXITSTATUS(status);
    if (exit_code_ == 0) return {};
    return fail(ErrorCode::kGeneral,
                fmt::format("{} failed (exit code {}){}", name_, exit_code_, detail));
  }
  int signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return fail(ErrorCode::kGeneral, fmt::format("{} was killed by signal {} ({}){}", name_, signal,
                                               ::strsignal(signal), detail));
}

Result<std::string> first_output_line(const std::filesystem::path& program,
                                      const std::vector<std::string>& args) {
  auto child =
      Child::spawn(Command{program, args, {}, Command::Stream::kNull, Command::Stream::kPipe});
  if (!child) return tl::unexpected(child.error());
  std::string output;
  auto ran = (*child)->run(nullptr, [&](std::string_view bytes) -> Result<void> {
    if (output.size() < 4096) output.append(bytes);
    return {};
  });
  if (!ran) return tl::unexpected(ran.error());
  return std::string(trim(std::string_view(output).substr(0, output.find('\n'))));
}

}  // namespace migrate
