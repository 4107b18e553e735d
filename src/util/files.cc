#include "util/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/env.h"

namespace migrate {

Result<std::string> read_file(const std::filesystem::path& path) {
  int fd = env().open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
  std::string content;
  char buffer[65536];
  for (;;) {
    ssize_t n = env().read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      env().close(fd);
      return fail(ErrorCode::kIo,
                  fmt::format("cannot read '{}': {}", path.string(), std::strerror(saved)));
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  env().close(fd);
  return content;
}

Result<void> write_new_file(const std::filesystem::path& path, std::string_view content) {
  int fd = env().open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot create '{}': {}", path.string(), std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = env().write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      env().close(fd);
      env().unlink(path);
      return fail(ErrorCode::kIo,
                  fmt::format("cannot write '{}': {}", path.string(), std::strerror(saved)));
    }
    written += static_cast<size_t>(n);
  }
  if (env().close(fd) != 0) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot write '{}': {}", path.string(), std::strerror(errno)));
  }
  return {};
}

bool path_exists(const std::filesystem::path& path) {
  struct stat st;
  return env().stat(path, &st) == 0;
}

void make_directories(const std::filesystem::path& dir, mode_t mode) {
  if (dir.empty() || path_exists(dir)) return;
  if (dir.has_parent_path() && dir.parent_path() != dir) make_directories(dir.parent_path(), mode);
  env().mkdir(dir, mode);
}

void remove_if_present(const std::filesystem::path& path) {
  env().unlink(path);
}

}  // namespace migrate
