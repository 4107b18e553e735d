// The encrypting sink and the decrypting source. Each holds at most one
// chunk (1 MiB) of plaintext and one of ciphertext, whatever the size of the
// backup.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "backup/encryption.h"
#include "backup/encryption_format.h"
#include "backup/stage_error.h"

namespace migrate {
namespace {

using encryption::ChunkCipher;
using encryption::HeaderBytes;
using encryption::kChunkSize;
using encryption::kHeaderSize;
using encryption::kLengthSize;
using encryption::kMaxChunks;
using encryption::kTagSize;

void put_u32(unsigned char* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned char>(value >> (24 - 8 * i));
}

uint32_t get_u32(const unsigned char* in) {
  return uint32_t{in[0]} << 24 | uint32_t{in[1]} << 16 | uint32_t{in[2]} << 8 | uint32_t{in[3]};
}

// Buffers one chunk of plaintext in the middle of a frame (length, data,
// tag), encrypts it in place and writes the frame with a single call. A full
// chunk is sealed only when more data arrives, because until then it may
// turn out to be the last one.
class EncryptingSink final : public ByteSink {
 public:
  EncryptingSink(ByteSink& next, const HeaderBytes& header, std::unique_ptr<ChunkCipher> cipher)
      : next_(next),
        header_(header),
        cipher_(std::move(cipher)),
        frame_(
            std::make_unique_for_overwrite<unsigned char[]>(kLengthSize + kChunkSize + kTagSize)) {}
  EncryptingSink(const EncryptingSink&) = delete;
  EncryptingSink& operator=(const EncryptingSink&) = delete;

  Result<void> write(std::string_view bytes) override {
    if (auto usable = stage_.check_usable(); !usable) return usable;
    while (!bytes.empty()) {
      if (filled_ == kChunkSize) {
        if (auto sealed = seal_chunk(/*last=*/false); !sealed) return sealed;
      }
      size_t n = std::min(bytes.size(), kChunkSize - filled_);
      std::memcpy(frame_.get() + kLengthSize + filled_, bytes.data(), n);
      filled_ += n;
      bytes.remove_prefix(n);
    }
    return {};
  }

  Result<void> finish() override {
    if (auto usable = stage_.check_usable(); !usable) return usable;
    if (auto sealed = seal_chunk(/*last=*/true); !sealed) return sealed;
    stage_.mark_finished();
    return stage_.remember(next_.finish());
  }

 private:
  Result<void> seal_chunk(bool last) {
    if (!header_written_) {
      auto written = next_.write(
          std::string_view(reinterpret_cast<const char*>(header_.data()), header_.size()));
      if (!written) return stage_.remember(written);
      header_written_ = true;
    }
    if (index_ >= kMaxChunks) {
      return stage_.record(
          Error{ErrorCode::kIo, "backup is too large to encrypt (over 4 PiB)", {}});
    }
    unsigned char* data = frame_.get() + kLengthSize;
    put_u32(frame_.get(), static_cast<uint32_t>(filled_));
    if (auto sealed = cipher_->seal(index_, last, data, filled_, data + filled_); !sealed) {
      return stage_.remember(sealed);
    }
    size_t frame_size = kLengthSize + filled_ + kTagSize;
    ++index_;
    filled_ = 0;
    return stage_.remember(
        next_.write(std::string_view(reinterpret_cast<const char*>(frame_.get()), frame_size)));
  }

  ByteSink& next_;
  HeaderBytes header_;
  std::unique_ptr<ChunkCipher> cipher_;
  std::unique_ptr<unsigned char[]> frame_;
  size_t filled_ = 0;
  uint64_t index_ = 0;
  bool header_written_ = false;
  SinkStageError stage_{"encrypting sink"};
};

// Reads from `input` until `size` bytes arrived or the stream ended.
Result<size_t> read_fully(ByteSource& input, unsigned char* out, size_t size) {
  size_t total = 0;
  while (total < size) {
    auto got = input.read(reinterpret_cast<char*>(out) + total, size - total);
    if (!got) return tl::unexpected(got.error());
    if (*got == 0) break;
    total += *got;
  }
  return total;
}

// Whether a chunk is the last one is not stored in the clear: the source
// reads the next length field ahead, treats "end of input" as "this is the
// last chunk", and lets the tag confirm it. A failed tag is retried with the
// other flag only to name the problem (truncation or appended data).
class DecryptingSource final : public ByteSource {
 public:
  DecryptingSource(ByteSource& input, std::unique_ptr<ChunkCipher> cipher)
      : input_(input),
        cipher_(std::move(cipher)),
        frame_(std::make_unique_for_overwrite<unsigned char[]>(kChunkSize + kTagSize)),
        plain_(std::make_unique_for_overwrite<unsigned char[]>(kChunkSize)) {}
  DecryptingSource(const DecryptingSource&) = delete;
  DecryptingSource& operator=(const DecryptingSource&) = delete;

  Result<size_t> read(char* buffer, size_t size) override {
    if (stage_.failed()) return tl::unexpected(stage_.error());
    while (plain_pos_ == plain_size_) {
      if (done_) return 0;
      if (auto next = next_chunk(); !next) return stage_.record(next.error());
    }
    size_t n = std::min(size, plain_size_ - plain_pos_);
    std::memcpy(buffer, plain_.get() + plain_pos_, n);
    plain_pos_ += n;
    return n;
  }

 private:
  Result<void> next_chunk() {
    uint64_t chunk = index_ + 1;  // as users count
    if (!have_length_) {
      auto got = read_fully(input_, length_, kLengthSize);
      if (!got) return tl::unexpected(got.error());
      if (*got < kLengthSize) return truncated();
    }
    have_length_ = false;
    size_t size = get_u32(length_);
    if (size > kChunkSize || index_ >= kMaxChunks) return auth_failed(chunk);
    auto got = read_fully(input_, frame_.get(), size + kTagSize);
    if (!got) return tl::unexpected(got.error());
    if (*got < size + kTagSize) return truncated();

    auto ahead = read_fully(input_, length_, kLengthSize);
    if (!ahead) return tl::unexpected(ahead.error());
    bool at_end = *ahead == 0;
    // A partial length field means more data follows: not the last chunk,
    // and the next call reports the truncation.
    have_length_ = *ahead == kLengthSize;

    const unsigned char* tag = frame_.get() + size;
    if (!cipher_->open(index_, at_end, frame_.get(), size, tag, plain_.get())) {
      if (cipher_->open(index_, !at_end, frame_.get(), size, tag, plain_.get())) {
        if (at_end) return truncated();
        return fail(ErrorCode::kIo, "cannot decrypt backup: unexpected data after the last chunk",
                    "the artifact is damaged");
      }
      return auth_failed(chunk);
    }
    ++index_;
    done_ = at_end;
    plain_pos_ = 0;
    plain_size_ = size;
    return {};
  }

  static tl::unexpected<Error> truncated() {
    return fail(ErrorCode::kIo,
                "cannot decrypt backup: artifact is truncated (last chunk missing)");
  }

  static tl::unexpected<Error> auth_failed(uint64_t chunk) {
    return fail(ErrorCode::kIo, "cannot decrypt backup: authentication failed at chunk " +
                                    std::to_string(chunk) + " (wrong key or damaged artifact)");
  }

  ByteSource& input_;
  std::unique_ptr<ChunkCipher> cipher_;
  std::unique_ptr<unsigned char[]> frame_;  // ciphertext and tag of one chunk
  std::unique_ptr<unsigned char[]> plain_;  // its verified plaintext
  size_t plain_pos_ = 0;
  size_t plain_size_ = 0;
  unsigned char length_[kLengthSize] = {};
  bool have_length_ = false;
  uint64_t index_ = 0;
  bool done_ = false;
  StageError stage_;
};

}  // namespace

Result<std::unique_ptr<ByteSink>> make_encrypting_sink(const BackupKey& key, ByteSink& next) {
  auto header = encryption::new_header(key);
  if (!header) return tl::unexpected(header.error());
  encryption::Key aes_key;
  if (auto derived = encryption::derive_key(key, *header, aes_key); !derived) {
    return tl::unexpected(derived.error());
  }
  HeaderBytes bytes = encryption::encode_header(*header);
  auto cipher = ChunkCipher::create(aes_key, bytes, *header, encryption::Direction::kSeal);
  if (!cipher) return tl::unexpected(cipher.error());
  return std::make_unique<EncryptingSink>(next, bytes, std::move(*cipher));
}

Result<std::unique_ptr<ByteSource>> make_decrypting_source(const BackupKey& key,
                                                           ByteSource& input) {
  HeaderBytes bytes{};
  auto got = read_fully(input, bytes.data(), bytes.size());
  if (!got) return tl::unexpected(got.error());
  std::string_view start(reinterpret_cast<const char*>(bytes.data()), *got);
  if (*got < encryption::kMagic.size() || !looks_encrypted(start)) {
    return fail(ErrorCode::kIo, "not an encrypted migrate backup");
  }
  if (*got < kHeaderSize) {
    return fail(ErrorCode::kIo, "cannot decrypt backup: artifact is truncated (header incomplete)");
  }
  auto header = encryption::decode_header(bytes);
  if (!header) return tl::unexpected(header.error());
  encryption::Key aes_key;
  if (auto derived = encryption::derive_key(key, *header, aes_key); !derived) {
    return tl::unexpected(derived.error());
  }
  auto cipher = ChunkCipher::create(aes_key, bytes, *header, encryption::Direction::kOpen);
  if (!cipher) return tl::unexpected(cipher.error());
  return std::make_unique<DecryptingSource>(input, std::move(*cipher));
}

}  // namespace migrate
