// The one home of OpenSSL: SHA-256, AES-256-GCM, scrypt, random bytes,
// wiping secrets. Primitives only; what the bytes mean (the encrypted
// artifact format, checksums of files and rows) belongs to the callers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace migrate {

// Incremental SHA-256 for data that arrives in pieces, through OpenSSL's EVP
// interface (which picks the SHA-NI path on CPUs that have it).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // Lower-case hex digest; the object must not be updated afterwards.
  std::string finish_hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

std::string sha256_hex(std::string_view bytes);

// AES-256-GCM with one key and many messages (each with its own nonce). The
// key schedule is set up once; each message only loads its nonce.
class Aes256Gcm {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  enum class Direction { kSeal, kOpen };

  // Null when OpenSSL cannot set the cipher up.
  static std::unique_ptr<Aes256Gcm> create(const unsigned char* key, Direction direction);
  ~Aes256Gcm();
  Aes256Gcm(const Aes256Gcm&) = delete;
  Aes256Gcm& operator=(const Aes256Gcm&) = delete;

  // Encrypts `size` bytes at `data` in place, authenticating `aad` with
  // them, and writes the tag (kTagSize bytes) to `tag`.
  bool seal(const unsigned char* nonce, std::string_view aad, unsigned char* data, size_t size,
            unsigned char* tag);
  // Decrypts `size` bytes from `in` into `out` (which must not overlap) and
  // returns whether the tag matched; on false, `out` holds garbage.
  bool open(const unsigned char* nonce, std::string_view aad, const unsigned char* in, size_t size,
            const unsigned char* tag, unsigned char* out);

 private:
  struct Context;
  explicit Aes256Gcm(std::unique_ptr<Context> context);
  bool start(const unsigned char* nonce, std::string_view aad);

  std::unique_ptr<Context> context_;
};

struct ScryptCost {
  uint64_t n = 0;
  uint32_t r = 0;
  uint32_t p = 0;
  uint64_t max_memory = 0;  // bytes scrypt may use; more fails
};

// Derives `out_size` bytes from `secret` and `salt`; false when scrypt fails
// (out of memory, or the cost exceeds max_memory).
bool scrypt(std::string_view secret, std::string_view salt, const ScryptCost& cost,
            unsigned char* out, size_t out_size);

// Fills `out` from the operating system's random source; false on failure.
bool random_bytes(unsigned char* out, size_t size);

// Overwrites secret bytes in a way the compiler may not optimize away.
void wipe(void* bytes, size_t size);

// The OpenSSL release this binary runs with, e.g. "3.0.15".
std::string openssl_version();

}  // namespace migrate
