// The pieces of the encrypted artifact format shared by the encrypting sink
// and the decrypting source: the header, key derivation and the per-chunk
// AES-256-GCM operation. The layout itself is documented in encryption.h.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "backup/encryption.h"
#include "migrate/error.h"
#include "util/crypto.h"

namespace migrate::encryption {

inline constexpr std::string_view kMagic = "MIGRATEENC";
inline constexpr uint8_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 39;
inline constexpr size_t kChunkSize = size_t{1} << 20;  // plaintext bytes per chunk, at most
inline constexpr size_t kLengthSize = 4;
inline constexpr size_t kTagSize = Aes256Gcm::kTagSize;
inline constexpr size_t kKeySize = Aes256Gcm::kKeySize;
// The nonce holds a 32-bit chunk counter.
inline constexpr uint64_t kMaxChunks = uint64_t{1} << 32;

enum class Kdf : uint8_t { kRawKey = 0, kScrypt = 1 };

struct Header {
  Kdf kdf = Kdf::kScrypt;
  uint8_t log2_n = 0;
  uint8_t r = 0;
  uint8_t p = 0;
  std::array<unsigned char, 16> salt{};
  std::array<unsigned char, 8> nonce_prefix{};
};

using HeaderBytes = std::array<unsigned char, kHeaderSize>;

// A fresh header for a new artifact: the key derivation follows from the
// form of the secret; salt and nonce prefix are random.
Result<Header> new_header(const BackupKey& key);
HeaderBytes encode_header(const Header& header);
// Parses and range-checks `bytes` (kHeaderSize of them); errors are kIo.
Result<Header> decode_header(const HeaderBytes& bytes);

// An AES-256 key that is wiped when it goes out of scope.
class Key {
 public:
  Key() = default;
  ~Key();
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;

  unsigned char* data() { return bytes_.data(); }
  const unsigned char* data() const { return bytes_.data(); }

 private:
  std::array<unsigned char, kKeySize> bytes_{};
};

// Turns the secret into the key the header asks for (raw hex or scrypt).
Result<void> derive_key(const BackupKey& key, const Header& header, Key& out);

// True for a secret that is used as the key itself: exactly 64 hex digits.
bool is_raw_hex_key(std::string_view secret);

enum class Direction { kSeal, kOpen };

// AES-256-GCM bound to one artifact: its key, nonce prefix and header (the
// start of every chunk's additional data). One instance per stream.
class ChunkCipher {
 public:
  static Result<std::unique_ptr<ChunkCipher>> create(const Key& key, const HeaderBytes& header,
                                                     const Header& fields, Direction direction);
  ~ChunkCipher();
  ChunkCipher(const ChunkCipher&) = delete;
  ChunkCipher& operator=(const ChunkCipher&) = delete;

  // Encrypts `size` bytes at `data` in place and writes the tag to `tag`.
  Result<void> seal(uint64_t index, bool last, unsigned char* data, size_t size,
                    unsigned char* tag);
  // Decrypts `size` bytes from `in` into `out` (which must not overlap) and
  // returns whether the tag matched; on false, `out` holds garbage.
  bool open(uint64_t index, bool last, const unsigned char* in, size_t size,
            const unsigned char* tag, unsigned char* out);

 private:
  struct State;
  explicit ChunkCipher(std::unique_ptr<State> state);
  // Sets the nonce of chunk `index` and returns its additional data.
  std::string_view start_chunk(uint64_t index, bool last);

  std::unique_ptr<State> state_;
};

}  // namespace migrate::encryption
