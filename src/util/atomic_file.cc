#include "util/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>

#include "util/env.h"

namespace migrate {
namespace {

constexpr size_t kBufferSize = size_t{1} << 20;
// Writeback is started every this many bytes, so that the disk works while
// the data is still being produced and the final fsync has little left to do.
constexpr std::uint64_t kWritebackEvery = std::uint64_t{8} << 20;

std::filesystem::path directory_of(const std::filesystem::path& path) {
  auto parent = path.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  return Error{ErrorCode::kIo,
               fmt::format("cannot {} '{}': {}", what, path.string(), os_error_text(error_number)),
               {}};
}

tl::unexpected<Error> io_failure(std::string_view what, const std::filesystem::path& path,
                                 int error_number) {
  return tl::unexpected<Error>(io_error(what, path, error_number));
}

// Renames without replacing: renameat2(RENAME_NOREPLACE) where the filesystem
// supports it, otherwise link + unlink, which also refuses an existing target.
int rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (env().rename_no_replace(from, to) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return errno;
  if (env().link(from, to) != 0) return errno;
  // The final name is in place; a temporary that cannot be unlinked is only a
  // leftover for the next run to remove.
  env().unlink(from);
  return 0;
}

}  // namespace

std::string os_error_text(int error_number) {
  std::string text = std::strerror(error_number);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

Result<void> write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    ssize_t n = env().write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_failure("write", path, errno);
    }
    // A zero-byte write on a regular file means the device is full.
    if (n == 0) return io_failure("write", path, ENOSPC);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> sync_directory(const std::filesystem::path& dir) {
  int fd = env().open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_failure("open directory", dir, errno);
  int rc = env().fsync(fd);
  int saved = errno;
  env().close(fd);
  // Some filesystems cannot sync a directory at all; there is nothing to wait for.
  if (rc != 0 && saved != EINVAL) return io_failure("sync directory", dir, saved);
  return {};
}

long atomic_temporary_pid(std::string_view file_name) {
  constexpr std::string_view kMarker = ".tmp-";
  if (file_name.size() < 2 || file_name[0] != '.') return 0;
  size_t marker = file_name.rfind(kMarker);
  // ".<name>" needs at least one character of name before the marker.
  if (marker == std::string_view::npos || marker < 2) return 0;
  std::string_view digits = file_name.substr(marker + kMarker.size());
  if (digits.empty() || digits.size() > 10) return 0;
  long pid = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) return 0;
  return pid;
}

long temporary_owner(std::string_view name) {
  for (std::string_view companion : {"-journal", "-wal", "-shm"})
    if (name.ends_with(companion)) name.remove_suffix(companion.size());
  return atomic_temporary_pid(name);
}

// Signal 0 only asks whether the process exists; EPERM means it does (another user's).
bool process_alive(long pid) {
  if (pid > std::numeric_limits<pid_t>::max()) return false;
  return env().kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

bool is_atomic_temporary(std::string_view file_name) {
  return atomic_temporary_pid(file_name) != 0;
}

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::filesystem::path& final_path,
                                                       std::string_view prefix) {
  if (!final_path.has_filename())
    return fail(ErrorCode::kIo,
                fmt::format("cannot create '{}': not a file name", final_path.string()));
  auto temporary = directory_of(final_path) /
                   fmt::format(".{}{}.tmp-{}", prefix, final_path.filename().string(), ::getpid());
  int fd = env().open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      return fail(ErrorCode::kIo,
                  fmt::format("cannot create '{}': it already exists", temporary.string()),
                  "it is a leftover of a crashed run; remove it");
    return io_failure("create", temporary, errno);
  }
  // The umask may have taken bits away but never adds any; make the mode exact.
  if (env().fchmod(fd, 0600) != 0) {
    int saved = errno;
    env().close(fd);
    env().unlink(temporary);
    return io_failure("set the mode of", temporary, saved);
  }
  return std::unique_ptr<AtomicFile>(new AtomicFile(final_path, std::move(temporary), fd));
}

AtomicFile::AtomicFile(std::filesystem::path final_path, std::filesystem::path temporary_path,
                       int fd)
    : final_path_(std::move(final_path)), temporary_path_(std::move(temporary_path)), fd_(fd) {}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) env().close(fd_);
  if (state_ != State::kCommitted) env().unlink(temporary_path_);
}

tl::unexpected<Error> AtomicFile::broken(Error error) {
  state_ = State::kFailed;
  return tl::unexpected<Error>(std::move(error));
}

Result<void> AtomicFile::flush() {
  if (buffer_.empty()) return {};
  auto written = write_all(fd_, buffer_, temporary_path_);
  on_disk_ += buffer_.size();
  buffer_.clear();
  if (!written) return broken(written.error());
  start_writeback();
  return {};
}

void AtomicFile::start_writeback() {
  if (on_disk_ - writeback_from_ < kWritebackEvery) return;
  // Asynchronous (no WAIT flags); a filesystem without it only loses the overlap.
  (void)::sync_file_range(fd_, static_cast<off_t>(writeback_from_),
                          static_cast<off_t>(on_disk_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
  writeback_from_ = on_disk_;
}

Result<void> AtomicFile::write(std::string_view bytes) {
  if (state_ != State::kOpen)
    return fail(ErrorCode::kGeneral,
                fmt::format("cannot write '{}': the file is already finished or failed",
                            temporary_path_.string()));
  bytes_written_ += bytes.size();
  if (buffer_.size() + bytes.size() <= kBufferSize) {
    if (buffer_.capacity() < kBufferSize) buffer_.reserve(kBufferSize);
    buffer_.append(bytes);
    return {};
  }
  // Too much to buffer: empty the buffer, then write large pieces directly
  // instead of copying them.
  if (auto flushed = flush(); !flushed) return flushed;
  if (bytes.size() >= kBufferSize) {
    if (auto written = write_all(fd_, bytes, temporary_path_); !written)
      return broken(written.error());
    on_disk_ += bytes.size();
    start_writeback();
    return {};
  }
  buffer_.append(bytes);
  return {};
}

Result<void> AtomicFile::finish() {
  if (state_ == State::kFinished || state_ == State::kCommitted) return {};
  if (state_ == State::kFailed)
    return fail(ErrorCode::kGeneral, fmt::format("cannot finish '{}': an earlier write failed",
                                                 temporary_path_.string()));
  if (auto flushed = flush(); !flushed) return flushed;
  if (env().fsync(fd_) != 0) return broken(io_error("sync", temporary_path_, errno));
  // close() can report a delayed write error (NFS); the descriptor is gone either way.
  int rc = env().close(fd_);
  fd_ = -1;
  if (rc != 0 && errno != EINTR) return broken(io_error("close", temporary_path_, errno));
  state_ = State::kFinished;
  return {};
}

Result<void> AtomicFile::commit(Existing existing) {
  if (state_ == State::kCommitted) return {};
  if (auto finished = finish(); !finished) return finished;
  int error_number = 0;
  if (existing == Existing::kReplace) {
    if (env().rename(temporary_path_, final_path_) != 0) error_number = errno;
  } else {
    error_number = rename_no_replace(temporary_path_, final_path_);
  }
  if (error_number != 0) {
    if (error_number == EEXIST)
      return fail(ErrorCode::kIo,
                  fmt::format("cannot create '{}': it already exists", final_path_.string()));
    return io_failure("rename into", final_path_, error_number);
  }
  state_ = State::kCommitted;
  return sync_directory(directory_of(final_path_));
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   std::string_view prefix) {
  auto file = AtomicFile::create(path, prefix);
  if (!file) return tl::unexpected(file.error());
  if (auto written = (*file)->write(content); !written) return written;
  return (*file)->commit();
}

}  // namespace migrate
