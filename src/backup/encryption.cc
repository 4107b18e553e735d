// Key files and artifact sniffing. The streams themselves live in
// encryption_stream.cc, the format in encryption_format.cc.

#include "backup/encryption.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "backup/encryption_format.h"
#include "util/crypto.h"
#include "util/env.h"
#include "util/hex.h"

namespace migrate {
namespace {

// A key file is a few dozen bytes; anything this large is the wrong file.
constexpr size_t kMaxKeyFileSize = 64 * 1024;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) env().close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Holds key material read from disk and wipes it afterwards.
class SecretBuffer {
 public:
  explicit SecretBuffer(size_t size) : bytes_(size, '\0') {}
  ~SecretBuffer() { wipe(bytes_.data(), bytes_.size()); }
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

Result<BackupKey> read_key_file(const std::filesystem::path& path) {
  std::string origin = "key file '" + path.string() + "'";
  // Open first and check the opened file, so that the file checked is the
  // file read even if the path is swapped underneath us.
  Fd fd(env().open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ENOENT) {
      return fail(ErrorCode::kUsage, origin + " does not exist",
                  "create it with: openssl rand -hex 32 > " + path.string() + " && chmod 600 " +
                      path.string());
    }
    return fail(ErrorCode::kUsage, "cannot read " + origin + ": " + std::strerror(err));
  }
  struct stat info {};
  if (env().fstat(fd.get(), &info) != 0) {
    return fail(ErrorCode::kUsage, "cannot read " + origin + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) return fail(ErrorCode::kUsage, origin + " is not a regular file");
  if ((info.st_mode & 077) != 0) {
    return fail(
        ErrorCode::kUsage,
        origin + " is accessible by group or others (mode " + octal_mode(info.st_mode) + ")",
        "restrict it with: chmod 600 " + path.string());
  }
  if (info.st_size == 0) return fail(ErrorCode::kUsage, origin + " is empty");
  if (static_cast<uint64_t>(info.st_size) > kMaxKeyFileSize) {
    return fail(ErrorCode::kUsage, origin + " is too large to be a key (over 64 KiB)");
  }

  SecretBuffer buffer(static_cast<size_t>(info.st_size));
  size_t total = 0;
  while (total < buffer.bytes().size()) {
    ssize_t got =
        env().read(fd.get(), buffer.bytes().data() + total, buffer.bytes().size() - total);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      return fail(ErrorCode::kUsage, "cannot read " + origin + ": " + std::strerror(errno));
    if (got == 0) break;
    total += static_cast<size_t>(got);
  }
  std::string_view content(buffer.bytes().data(), total);

  BackupKey key;
  key.origin = std::move(origin);
  if (content.size() == encryption::kKeySize) {
    key.secret = hex_encode(content);
    return key;
  }
  if (content.ends_with('\n')) content.remove_suffix(1);
  if (content.ends_with('\r')) content.remove_suffix(1);
  if (content.empty()) return fail(ErrorCode::kUsage, key.origin + " is empty");
  key.secret.assign(content);
  return key;
}

bool looks_encrypted(std::string_view first_bytes) {
  if (first_bytes.size() < 8) return false;
  std::string_view magic = encryption::kMagic;
  size_t compared = std::min(first_bytes.size(), magic.size());
  return first_bytes.substr(0, compared) == magic.substr(0, compared);
}

}  // namespace migrate
