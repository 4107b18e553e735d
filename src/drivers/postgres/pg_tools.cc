#include "drivers/postgres/pg_tools.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace migrate::postgres {
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

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  return text;
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

std::string Target::conninfo() const {
  std::string text;
  for (const auto& [keyword, value] : options) {
    std::string quoted;
    for (char c : value) {
      if (c == '\'' || c == '\\') quoted += '\\';
      quoted += c;
    }
    text += fmt::format("{}{}='{}'", text.empty() ? "" : " ", keyword, quoted);
  }
  return text;
}

void Target::add_options(std::string_view server_options) {
  for (auto& [keyword, value] : options) {
    if (keyword != "options") continue;
    value = fmt::format("{} {}", value, server_options);
    return;
  }
  options.emplace_back("options", std::string(server_options));
}

std::vector<std::pair<std::string, std::string>> Target::environment() const {
  if (password.empty()) return {};
  return {{"PGPASSWORD", password}};
}

Result<Target> make_target(const ConnectionParams& params, const std::string* database) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(params.conninfo.c_str(), &error);
  if (!parsed) {
    std::string message(trim(error ? error : "out of memory"));
    PQfreemem(error);
    return fail(ErrorCode::kUsage, fmt::format("invalid connection string: {}", message));
  }
  Target target;
  target.password = params.password;
  bool has_database = false;
  for (PQconninfoOption* option = parsed; option->keyword; ++option) {
    if (!option->val) continue;
    std::string_view keyword = option->keyword;
    if (keyword == "password") {
      if (target.password.empty()) target.password = option->val;
      continue;
    }
    if (keyword == "dbname") {
      has_database = true;
      if (database) continue;
    }
    target.options.emplace_back(keyword, option->val);
  }
  PQconninfoFree(parsed);
  if (database) {
    target.options.emplace_back("dbname", *database);
  } else if (!has_database && !params.database.empty()) {
    target.options.emplace_back("dbname", params.database);
  }
  return target;
}

void ConnectionDeleter::operator()(pg_conn* conn) const {
  PQfinish(conn);
}

Result<Connection> connect(const Target& target) {
  std::vector<const char*> keywords, values;
  for (const auto& [keyword, value] : target.options) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  if (!target.password.empty()) {
    keywords.push_back("password");
    values.push_back(target.password.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  Connection conn(PQconnectdbParams(keywords.data(), values.data(), 0));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return fail(ErrorCode::kConnection,
                fmt::format("cannot connect: {}", trim(PQerrorMessage(conn.get()))));
  }
  return conn;
}

int major_version(int version) {
  return version >= 100000 ? version / 10000 : version / 100;
}

std::string major_version_text(int version) {
  if (version >= 100000) return std::to_string(version / 10000);
  return fmt::format("{}.{}", version / 10000, version / 100 % 100);
}

std::string version_text(int version) {
  if (version >= 100000) return fmt::format("{}.{}", version / 10000, version % 10000);
  return fmt::format("{}.{}.{}", version / 10000, version / 100 % 100, version % 100);
}

std::optional<int> parse_tool_version(std::string_view line) {
  // The version is the first word that starts with a digit: "15.4",
  // "9.6.24", "17beta2".
  size_t pos = 0;
  while (pos < line.size()) {
    bool word_start = pos == 0 || line[pos - 1] == ' ';
    if (word_start && std::isdigit(static_cast<unsigned char>(line[pos]))) break;
    ++pos;
  }
  if (pos == line.size()) return std::nullopt;
  int parts[3] = {0, 0, 0};
  for (int i = 0; i < 3 && pos < line.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[pos]))) break;
    while (pos < line.size() && std::isdigit(static_cast<unsigned char>(line[pos])))
      parts[i] = parts[i] * 10 + (line[pos++] - '0');
    if (pos >= line.size() || line[pos] != '.') break;
    ++pos;
  }
  if (parts[0] >= 10) return parts[0] * 10000 + parts[1];
  return parts[0] * 10000 + parts[1] * 100 + parts[2];
}

Result<Tool> probe_tool(const std::filesystem::path& path) {
  auto child = Child::spawn(
      Command{path, {"--version"}, {}, Command::Stream::kNull, Command::Stream::kPipe});
  if (!child) return tl::unexpected(child.error());
  std::string output;
  auto ran = (*child)->run(nullptr, [&](std::string_view bytes) -> Result<void> {
    if (output.size() < 4096) output.append(bytes);
    return {};
  });
  if (!ran) return tl::unexpected(ran.error());
  std::string line(trim(std::string_view(output).substr(0, output.find('\n'))));
  auto version = parse_tool_version(line);
  if (!version) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("cannot tell the version of '{}' from '{}'", path.string(), line));
  }
  return Tool{path, *version, line};
}

Result<Tool> find_tool(std::string_view name, int server_version) {
  const std::string major = major_version_text(server_version);
  const std::string package = fmt::format("postgresql-client-{}", major);
  std::vector<std::filesystem::path> own, others;
  for (const char* pattern :
       {"/usr/lib/postgresql/{}/bin", "/usr/pgsql-{}/bin", "/opt/homebrew/opt/postgresql@{}/bin",
        "/usr/local/opt/postgresql@{}/bin"})
    own.push_back(std::filesystem::path(fmt::format(fmt::runtime(pattern), major)) / name);
  if (const char* path = std::getenv("PATH")) {
    std::string_view dirs(path);
    while (!dirs.empty()) {
      auto dir = dirs.substr(0, dirs.find(':'));
      if (!dir.empty()) own.push_back(std::filesystem::path(dir) / name);
      dirs.remove_prefix(std::min(dirs.size(), dir.size() + 1));
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
    others.push_back(entry.path() / "bin" / name);

  std::vector<Tool> found;
  auto probe_all = [&](const std::vector<std::filesystem::path>& candidates) -> const Tool* {
    for (const auto& candidate : candidates) {
      if (::access(candidate.c_str(), X_OK) != 0) continue;
      if (std::any_of(found.begin(), found.end(),
                      [&](const Tool& t) { return t.path == candidate; }))
        continue;
      auto tool = probe_tool(candidate);
      if (!tool) continue;
      found.push_back(*tool);
      if (major_version(tool->version) == major_version(server_version)) return &found.back();
    }
    return nullptr;
  };
  if (const Tool* exact = probe_all(own)) return *exact;
  if (const Tool* exact = probe_all(others)) return *exact;

  const Tool* newer = nullptr;
  const Tool* newest = nullptr;
  for (const auto& tool : found) {
    if (tool.version > server_version && (!newer || tool.version < newer->version)) newer = &tool;
    if (!newest || tool.version > newest->version) newest = &tool;
  }
  if (newer) return *newer;
  if (newest) {
    return fail(ErrorCode::kRefused,
                fmt::format("{} {} is older than the server {}; install {}", name,
                            version_text(newest->version), version_text(server_version), package),
                fmt::format("found '{}'; a dump tool older than the server may miss objects",
                            newest->path.string()));
  }
  return fail(ErrorCode::kUnsupported, fmt::format("{} not found; install {}", name, package),
              fmt::format("looked in {} and on PATH", own.front().parent_path().string()));
}

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

namespace {

// SipHash-2-4 state for one key; two of them run over the same words.
struct SipState {
  std::uint64_t v0, v1, v2, v3;
  SipState(std::uint64_t k0, std::uint64_t k1)
      : v0(0x736f6d6570736575ULL ^ k0),
        v1(0x646f72616e646f6dULL ^ k1),
        v2(0x6c7967656e657261ULL ^ k0),
        v3(0x7465646279746573ULL ^ k1) {}
  static std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
  void round() {
    v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
    v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
    v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
    v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
  }
  void absorb(std::uint64_t m) {
    v3 ^= m;
    round(), round();
    v0 ^= m;
  }
  std::uint64_t finish() {
    v2 ^= 0xff;
    round(), round(), round(), round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

// Little-endian, whatever the host.
std::uint64_t load_le(const char* p, size_t n) {
  std::uint64_t m = 0;
  if (n == 8 && std::endian::native == std::endian::little) {
    std::memcpy(&m, p, 8);
    return m;
  }
  for (size_t i = 0; i < n; ++i) m |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return m;
}

void siphash24_two(const std::uint64_t keys[4], std::string_view data, std::uint64_t out[2]) {
  SipState a(keys[0], keys[1]), b(keys[2], keys[3]);
  const char* p = data.data();
  size_t left = data.size();
  for (; left >= 8; p += 8, left -= 8) {
    std::uint64_t m = load_le(p, 8);
    a.absorb(m);
    b.absorb(m);
  }
  std::uint64_t m = load_le(p, left) | (std::uint64_t{data.size() & 0xff} << 56);
  a.absorb(m);
  b.absorb(m);
  out[0] = a.finish();
  out[1] = b.finish();
}

// Fixed keys: the hash must be the same in every run, on every host.
constexpr std::uint64_t kRowKeys[4] = {0x6d69677261746531ULL, 0x726f772d68617368ULL,
                                       0x6d69677261746532ULL, 0x726f772d68617368ULL};

}  // namespace

std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::string_view data) {
  const std::uint64_t keys[4] = {k0, k1, k0, k1};
  std::uint64_t out[2];
  siphash24_two(keys, data, out);
  return out[0];
}

void RowSetHash::add(std::string_view line) {
  std::uint64_t hashes[2];
  siphash24_two(kRowKeys, line, hashes);
  sums_[0] += hashes[0];
  sums_[1] += hashes[1];
  ++rows_;
}

std::string RowSetHash::text() const {
  return fmt::format("{} {:016x} {:016x}", rows_, sums_[0], sums_[1]);
}

// pg_dump's plain format, as far as a backup relies on it.

void DumpScanner::scan(std::string_view chunk, std::string* filtered) {
  if (!partial_.empty()) {
    size_t end = chunk.find('\n');
    if (end == std::string_view::npos) {
      partial_.append(chunk);
      return;
    }
    partial_.append(chunk.substr(0, end));
    line(partial_, filtered);
    partial_.clear();
    chunk.remove_prefix(end + 1);
  }
  for (;;) {
    const void* found = std::memchr(chunk.data(), '\n', chunk.size());
    if (!found) break;
    size_t end = static_cast<size_t>(static_cast<const char*>(found) - chunk.data());
    line(chunk.substr(0, end), filtered);
    chunk.remove_prefix(end + 1);
  }
  partial_.assign(chunk);
}

void DumpScanner::finish(std::string* filtered) {
  if (partial_.empty()) return;
  std::string last = std::move(partial_);
  partial_.clear();
  line(last, filtered);
}

namespace {

constexpr std::string_view kSetval = "SELECT pg_catalog.setval(";

// 'text' with doubled quotes; advances `s` past it.
std::optional<std::string> parse_literal(std::string_view& s) {
  if (s.empty() || s.front() != '\'') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] != '\'') {
      out += s[i];
    } else if (i + 1 < s.size() && s[i + 1] == '\'') {
      out += '\'';
      ++i;
    } else {
      s.remove_prefix(i + 1);
      return out;
    }
  }
  return std::nullopt;
}

// One part of a qualified name: "quoted ""x""" or unquoted.
std::optional<std::string> parse_identifier(std::string_view& s) {
  if (s.empty()) return std::nullopt;
  if (s.front() != '"') {
    size_t end = std::min(s.find_first_of(". "), s.size());
    std::string out(s.substr(0, end));
    s.remove_prefix(end);
    return out;
  }
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] != '"') {
      out += s[i];
    } else if (i + 1 < s.size() && s[i + 1] == '"') {
      out += '"';
      ++i;
    } else {
      s.remove_prefix(i + 1);
      return out;
    }
  }
  return std::nullopt;
}

// SELECT pg_catalog.setval('"public"."users_id_seq"', 42, true);
std::optional<std::pair<std::pair<std::string, std::string>, std::string>> parse_setval(
    std::string_view text) {
  text.remove_prefix(kSetval.size());
  auto literal = parse_literal(text);
  if (!literal) return std::nullopt;
  std::string_view name(*literal);
  auto schema = parse_identifier(name);
  if (!schema || name.empty() || name.front() != '.') return std::nullopt;
  name.remove_prefix(1);
  auto sequence = parse_identifier(name);
  if (!sequence || !name.empty()) return std::nullopt;
  if (!text.starts_with(", ")) return std::nullopt;
  text.remove_prefix(2);
  size_t digits = text.find(',');
  if (digits == std::string_view::npos) return std::nullopt;
  std::string value(text.substr(0, digits));
  text.remove_prefix(digits);
  std::string called;
  if (text == ", true);")
    called = "t";
  else if (text == ", false);")
    called = "f";
  else
    return std::nullopt;
  return std::make_pair(std::make_pair(*schema, *sequence), value + " " + called);
}

// COPY "public"."users" ("id", "email") FROM stdin;
std::optional<std::pair<std::string, std::string>> parse_copy(std::string_view text) {
  text.remove_prefix(5);
  auto schema = parse_identifier(text);
  if (!schema || text.empty() || text.front() != '.') return std::nullopt;
  text.remove_prefix(1);
  auto table = parse_identifier(text);
  if (!table || text.empty() || text.front() != ' ') return std::nullopt;
  return std::make_pair(*schema, *table);
}

bool is_blobs_header(std::string_view text) {
  return text.starts_with("-- Data for Name: ") &&
         (text.find("; Type: BLOBS;") != std::string_view::npos ||
          text.find("; Type: LARGE OBJECTS;") != std::string_view::npos);
}

}  // namespace

void DumpScanner::line(std::string_view text, std::string* filtered) {
  ++lines_;
  auto emit = [&] {
    if (!filtered) return;
    filtered->append(text);
    filtered->push_back('\n');
  };
  if (lines_ <= 2) {
    header_ok_ = lines_ == 1 ? text == "--" : header_ok_ && text == "-- PostgreSQL database dump";
  }
  if (in_copy_) {
    if (text == "\\.") {
      in_copy_ = false;
      copy_rows_ = nullptr;
    } else if (copy_rows_) {
      copy_rows_->add(text);
    }
    return emit();
  }
  if (complete_ && !(text.empty() || text == "--" || text.starts_with("\\unrestrict ")))
    complete_ = false;  // the marker was not the end after all
  if (text.starts_with("COPY ") && text.ends_with(" FROM stdin;")) {
    in_copy_ = true;
    if (hash_rows_) {
      if (auto table = parse_copy(text)) copy_rows_ = &tables_[*table];
    }
  } else if (text == "-- PostgreSQL database dump complete") {
    complete_ = true;
  } else if (is_blobs_header(text)) {
    blobs_next_ = true;
  } else if (text == "BEGIN;" && blobs_next_) {
    blobs_next_ = false;
    in_blobs_ = true;
    if (filtered) return;
  } else if (text == "COMMIT;" && in_blobs_) {
    in_blobs_ = false;
    if (filtered) return;
  } else if (text.starts_with(kSetval)) {
    if (auto parsed = parse_setval(text)) sequences_[parsed->first] = parsed->second;
  } else if (!text.empty() && text != "--") {
    blobs_next_ = false;
  }
  emit();
}

}  // namespace migrate::postgres
