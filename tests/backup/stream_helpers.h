// In-memory ByteSink/ByteSource and test data for the backup stream stages.
// Writes and reads go through deliberately odd piece sizes so that buffer
// boundaries inside the stages are crossed at every possible phase.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/byte_stream.h"
#include "migrate/error.h"

namespace migrate::backup_test {

inline constexpr size_t kMiB = size_t{1} << 20;

class StringSink final : public ByteSink {
 public:
  Result<void> write(std::string_view bytes) override {
    if (finished) return fail(ErrorCode::kGeneral, "write after finish");
    data.append(bytes);
    ++writes;
    return {};
  }
  Result<void> finish() override {
    if (finished) return fail(ErrorCode::kGeneral, "finished twice");
    finished = true;
    return {};
  }

  std::string data;
  size_t writes = 0;
  bool finished = false;
};

// Fails every call, to check that downstream errors come back up.
class FailingSink final : public ByteSink {
 public:
  Result<void> write(std::string_view) override { return fail(ErrorCode::kIo, "disk full"); }
  Result<void> finish() override { return fail(ErrorCode::kIo, "disk full"); }
};

// Serves `data` in reads of at most `max_read` bytes, like a pipe would.
class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data, size_t max_read = 65521)
      : data_(std::move(data)), max_read_(max_read) {}
  Result<size_t> read(char* buffer, size_t size) override {
    size_t n = std::min({size, max_read_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, buffer);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t max_read_;
  size_t pos_ = 0;
};

// Writes `bytes` in pieces whose sizes cycle through awkward values.
inline Result<void> write_in_pieces(ByteSink& sink, std::string_view bytes) {
  static constexpr size_t kPieces[] = {1, 7, 4093, 65537, kMiB + 3, 3, 300007};
  for (size_t i = 0; !bytes.empty(); ++i) {
    size_t n = std::min(bytes.size(), kPieces[i % std::size(kPieces)]);
    if (auto written = sink.write(bytes.substr(0, n)); !written) return written;
    bytes.remove_prefix(n);
  }
  return {};
}

// Reads `source` to its end with a buffer of `buffer_size` bytes.
inline Result<std::string> read_all(ByteSource& source, size_t buffer_size) {
  std::string out;
  std::vector<char> buffer(buffer_size);
  for (;;) {
    auto got = source.read(buffer.data(), buffer.size());
    if (!got) return tl::unexpected(got.error());
    if (*got == 0) return out;
    out.append(buffer.data(), *got);
  }
}

inline std::string random_bytes(size_t size, uint64_t seed = 42) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = rng();
    std::copy_n(reinterpret_cast<const char*>(&word), 8, out.data() + i);
  }
  for (; i < size; ++i) out[i] = static_cast<char>(rng());
  return out;
}

// Looks like a SQL dump: compresses well but is not one repeated byte.
inline std::string dump_like_text(size_t size) {
  std::string out;
  out.reserve(size + 128);
  for (uint64_t row = 0; out.size() < size; ++row) {
    out += "INSERT INTO accounts (id, email, balance) VALUES (" + std::to_string(row) + ", 'user" +
           std::to_string(row * 7919 % 100003) + "@example.com', " +
           std::to_string(row * 31 % 10007) + ".25);\n";
  }
  out.resize(size);
  return out;
}

// A fresh directory, removed with its contents afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "migrate-backup-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace migrate::backup_test
