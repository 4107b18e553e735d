#include "util/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace migrate {

Result<std::string> read_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
  std::string content;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      return fail(ErrorCode::kIo,
                  fmt::format("cannot read '{}': {}", path.string(), std::strerror(saved)));
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

Result<void> write_new_file(const std::filesystem::path& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot create '{}': {}", path.string(), std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return fail(ErrorCode::kIo,
                  fmt::format("cannot write '{}': {}", path.string(), std::strerror(saved)));
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot write '{}': {}", path.string(), std::strerror(errno)));
  }
  return {};
}

}  // namespace migrate
