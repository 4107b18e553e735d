#include "drivers/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

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
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int fd = -1;
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

tl::unexpected<Error> errno_failure(std::string_view what) {
  return fail(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(errno)));
}

// The child's environment: ours, with `overrides` set or replaced.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view item(*entry);
    auto name = item.substr(0, item.find('='));
    bool replaced = std::any_of(overrides.begin(), overrides.end(),
                                [&](const auto& o) { return o.first == name; });
    if (!replaced) env.emplace_back(item);
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
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
    ssize_t n = ::read(fd, buffer.data() + filled, buffer.size() - filled);
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

Result<std::unique_ptr<Child>> Child::spawn(const Command& command) {
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

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (child_in.fd >= 0)
    posix_spawn_file_actions_adddup2(&actions, child_in.fd, 0);
  else
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (child_out.fd >= 0)
    posix_spawn_file_actions_adddup2(&actions, child_out.fd, 1);
  else
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, child_err.fd, 2);
  // The child starts with default signal handling whatever this process
  // ignores or blocks (SIGPIPE in particular).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attributes, &signals);
  sigfillset(&signals);
  sigdelset(&signals, SIGKILL);
  sigdelset(&signals, SIGSTOP);
  posix_spawnattr_setsigdefault(&attributes, &signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv{command.program.string()};
  argv.insert(argv.end(), command.args.begin(), command.args.end());
  auto envp = child_environment(command.environment);
  auto argv_pointers = pointers(argv);
  auto envp_pointers = pointers(envp);
  int rc = ::posix_spawn(&child->pid_, command.program.c_str(), &actions, &attributes,
                         argv_pointers.data(), envp_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    child->pid_ = -1;
    return fail(ErrorCode::kIo,
                fmt::format("cannot run '{}': {}", command.program.string(), std::strerror(rc)));
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
  [[maybe_unused]] auto n = ::write(cancel_write_, &byte, 1);
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
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + kTerminateGrace;
  int status;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
}

Result<void> Child::reap() {
  close_fd(in_);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
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
