// Small stages of the backup pipeline: counting and hashing what flows
// through, reading a file, discarding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "migrate/byte_stream.h"
#include "util/crypto.h"

namespace migrate {

// SHA-256 of a file's bytes and its size.
struct FileDigest {
  std::string sha256;
  std::uint64_t size = 0;
};

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

Result<FileDigest> digest_file(const std::filesystem::path& path);

// Passes `next`'s bytes on while hashing and counting them. The read that
// completes the expected size (or reaches the end, or goes past it) compares
// size and SHA-256 with `expected` and, on a difference, fails with the error
// `describe` makes of what was read. A consumer that acts only after reading
// its input to the end (every decoder here does) thus never acts on a damaged
// artifact, without reading it twice.
class VerifyingSource final : public ByteSource {
 public:
  using Describe = std::function<Error(const FileDigest& actual)>;
  VerifyingSource(ByteSource& next, FileDigest expected, Describe describe)
      : next_(next), expected_(std::move(expected)), describe_(std::move(describe)) {}
  Result<size_t> read(char* buffer, size_t size) override;

 private:
  Result<size_t> verdict(size_t delivered);

  ByteSource& next_;
  FileDigest expected_;
  Describe describe_;
  Sha256 hash_;
  std::uint64_t bytes_ = 0;
  bool checked_ = false;
};

// Reads `source` to its end, discarding the bytes (to check that a stream decodes).
Result<std::uint64_t> drain(ByteSource& source);

}  // namespace migrate
