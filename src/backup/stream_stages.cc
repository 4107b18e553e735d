#include "backup/stream_stages.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/env.h"

namespace migrate {
namespace {
constexpr size_t kChunk = 1 << 20;
}

Result<void> HashingSink::write(std::string_view bytes) {
  hash_.update(bytes);
  bytes_ += bytes.size();
  return next_.write(bytes);
}

Result<void> HashingSink::finish() {
  digest_ = hash_.finish_hex();
  return next_.finish();
}

Result<std::unique_ptr<FileSource>> FileSource::open(const std::filesystem::path& path) {
  int fd = env().open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(ErrorCode::kIo,
                fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<FileSource>(new FileSource(fd, path));
}

FileSource::~FileSource() {
  env().close(fd_);
}

Result<size_t> FileSource::read(char* buffer, size_t size) {
  for (;;) {
    ssize_t n = env().read(fd_, buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR)
      return fail(ErrorCode::kIo,
                  fmt::format("cannot read '{}': {}", path_.string(), std::strerror(errno)));
  }
}

Result<size_t> VerifyingSource::read(char* buffer, size_t size) {
  if (checked_) return 0;
  auto n = next_.read(buffer, size);
  if (!n) return n;
  hash_.update(std::string_view(buffer, *n));
  bytes_ += *n;
  if (*n == 0 || bytes_ >= expected_.size) return verdict(*n);
  return n;
}

Result<size_t> VerifyingSource::verdict(size_t delivered) {
  checked_ = true;
  FileDigest actual{hash_.finish_hex(), bytes_};
  // Past the expected size: count what is left, for the message.
  std::vector<char> rest(kChunk);
  for (auto more = next_.read(rest.data(), rest.size()); more && *more > 0;
       more = next_.read(rest.data(), rest.size()))
    actual.size += *more;
  if (actual.size != expected_.size || actual.sha256 != expected_.sha256)
    return tl::unexpected(describe_(actual));
  return delivered;
}

Result<FileDigest> digest_file(const std::filesystem::path& path) {
  auto source = FileSource::open(path);
  if (!source) return tl::unexpected(source.error());
  std::vector<char> buffer(kChunk);
  Sha256 hash;
  FileDigest digest;
  for (;;) {
    auto n = (*source)->read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    hash.update(std::string_view(buffer.data(), *n));
    digest.size += *n;
  }
  digest.sha256 = hash.finish_hex();
  return digest;
}

Result<std::uint64_t> drain(ByteSource& source) {
  std::vector<char> buffer(kChunk);
  std::uint64_t total = 0;
  for (;;) {
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) return total;
    total += *n;
  }
}

}  // namespace migrate
