// Small stages of the backup pipeline: counting and hashing what flows
// through, reading a file, discarding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "backup/checksum.h"
#include "migrate/byte_stream.h"

namespace migrate {

// Passes bytes on to `next`, hashing and counting them (the artifact's
// SHA-256 is taken of the bytes as stored, after compression and encryption).
class HashingSink final : public ByteSink {
 public:
  explicit HashingSink(ByteSink& next) : next_(next) {}
  Result<void> write(std::string_view bytes) override;
  Result<void> finish() override;
  // Valid after finish().
  const std::string& sha256() const { return digest_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  ByteSink& next_;
  Sha256 hash_;
  std::string digest_;
  std::uint64_t bytes_ = 0;
};

// Reads a file front to back.
class FileSource final : public ByteSource {
 public:
  static Result<std::unique_ptr<FileSource>> open(const std::filesystem::path& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  Result<size_t> read(char* buffer, size_t size) override;

 private:
  FileSource(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::filesystem::path path_;
};

// SHA-256 of a file's bytes and its size.
struct FileDigest {
  std::string sha256;
  std::uint64_t size = 0;
};
Result<FileDigest> digest_file(const std::filesystem::path& path);

// Reads `source` to its end, discarding the bytes (to check that a stream decodes).
Result<std::uint64_t> drain(ByteSource& source);

}  // namespace migrate
