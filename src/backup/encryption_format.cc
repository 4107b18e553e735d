#include "backup/encryption_format.h"

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "util/crypto.h"

namespace migrate::encryption {
namespace {

// scrypt cost for new artifacts: 32 MiB and roughly 0.1 s, once per backup.
constexpr uint8_t kScryptLog2N = 15;
constexpr uint8_t kScryptR = 8;
constexpr uint8_t kScryptP = 1;
// The header is read before anything is authenticated, so its parameters are
// bounded: a damaged byte must not make restore allocate gigabytes.
constexpr uint64_t kMaxScryptMemory = uint64_t{256} << 20;

constexpr size_t kNonceSize = Aes256Gcm::kNonceSize;
constexpr size_t kAadSize = kHeaderSize + 8 + 1;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void put_be(unsigned char* out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<unsigned char>(value >> (8 * (bytes - 1 - i)));
}

tl::unexpected<Error> damaged_header(const std::string& what) {
  return fail(ErrorCode::kIo, "cannot decrypt backup: " + what + " in the header",
              "the artifact is damaged or was written by a newer migrate");
}

}  // namespace

// A secret of 64 characters all but one or two of which are hex digits is
// a hex key with a typo, not a passphrase: used as one, the backups would
// need the typo to restore. Says where the stray characters are, or "".
std::string near_hex_key_problem(std::string_view secret) {
  if (secret.size() != 2 * kKeySize) return "";
  std::vector<size_t> stray;
  for (size_t i = 0; i < secret.size(); ++i)
    if (hex_value(secret[i]) < 0) stray.push_back(i + 1);
  if (stray.empty() || stray.size() > 2) return "";
  return stray.size() == 1
             ? fmt::format("character {} is not a hex digit", stray[0])
             : fmt::format("characters {} and {} are not hex digits", stray[0], stray[1]);
}

bool is_raw_hex_key(std::string_view secret) {
  if (secret.size() != 2 * kKeySize) return false;
  for (char c : secret) {
    if (hex_value(c) < 0) return false;
  }
  return true;
}

Result<Header> new_header(const BackupKey& key) {
  if (key.secret.empty())
    return fail(ErrorCode::kUsage, "the backup key from " + key.origin + " is empty");
  if (auto typo = near_hex_key_problem(key.secret); !typo.empty()) {
    return fail(ErrorCode::kUsage,
                fmt::format("the backup key from {} has 64 characters, like a raw 256-bit key in "
                            "hex, but {}",
                            key.origin, typo),
                "fix the key; a passphrase of 64 characters that are nearly all hex digits is "
                "refused as a likely typo of a hex key");
  }
  Header header;
  if (is_raw_hex_key(key.secret)) {
    header.kdf = Kdf::kRawKey;
  } else {
    header.kdf = Kdf::kScrypt;
    header.log2_n = kScryptLog2N;
    header.r = kScryptR;
    header.p = kScryptP;
  }
  if (!random_bytes(header.salt.data(), header.salt.size()) ||
      !random_bytes(header.nonce_prefix.data(), header.nonce_prefix.size())) {
    return fail(ErrorCode::kGeneral, "cannot generate random bytes for backup encryption");
  }
  return header;
}

HeaderBytes encode_header(const Header& header) {
  HeaderBytes bytes{};
  unsigned char* p = bytes.data();
  std::memcpy(p, kMagic.data(), kMagic.size());
  p += kMagic.size();
  *p++ = kFormatVersion;
  *p++ = static_cast<unsigned char>(header.kdf);
  *p++ = header.log2_n;
  *p++ = header.r;
  *p++ = header.p;
  std::memcpy(p, header.salt.data(), header.salt.size());
  p += header.salt.size();
  std::memcpy(p, header.nonce_prefix.data(), header.nonce_prefix.size());
  return bytes;
}

Result<Header> decode_header(const HeaderBytes& bytes) {
  const unsigned char* p = bytes.data();
  if (std::memcmp(p, kMagic.data(), kMagic.size()) != 0) {
    return fail(ErrorCode::kIo, "not an encrypted migrate backup");
  }
  p += kMagic.size();
  unsigned version = *p++;
  if (version != kFormatVersion) {
    return fail(ErrorCode::kIo,
                "unsupported encrypted backup format version " + std::to_string(version) +
                    " (this migrate reads version " + std::to_string(kFormatVersion) + ")",
                "use a newer migrate to restore this backup");
  }
  Header header;
  unsigned kdf = *p++;
  header.log2_n = *p++;
  header.r = *p++;
  header.p = *p++;
  std::memcpy(header.salt.data(), p, header.salt.size());
  p += header.salt.size();
  std::memcpy(header.nonce_prefix.data(), p, header.nonce_prefix.size());
  if (kdf == static_cast<unsigned>(Kdf::kRawKey)) {
    header.kdf = Kdf::kRawKey;
  } else if (kdf == static_cast<unsigned>(Kdf::kScrypt)) {
    header.kdf = Kdf::kScrypt;
    bool sane = header.log2_n >= 1 && header.log2_n <= 30 && header.r >= 1 && header.p >= 1 &&
                (uint64_t{128} * header.r << header.log2_n) <= kMaxScryptMemory && header.p <= 16;
    if (!sane) return damaged_header("unsupported scrypt parameters");
  } else {
    return damaged_header("unknown key derivation " + std::to_string(kdf));
  }
  return header;
}

Key::~Key() {
  wipe(bytes_.data(), bytes_.size());
}

Result<void> derive_key(const BackupKey& key, const Header& header, Key& out) {
  if (key.secret.empty())
    return fail(ErrorCode::kUsage, "the backup key from " + key.origin + " is empty");
  if (header.kdf == Kdf::kRawKey) {
    if (!is_raw_hex_key(key.secret)) {
      return fail(ErrorCode::kIo,
                  "cannot decrypt backup: it was encrypted with a raw 256-bit key, but " +
                      key.origin + " holds a passphrase",
                  "use the key the backup was made with");
    }
    for (size_t i = 0; i < kKeySize; ++i) {
      out.data()[i] = static_cast<unsigned char>(hex_value(key.secret[2 * i]) << 4 |
                                                 hex_value(key.secret[2 * i + 1]));
    }
    return {};
  }
  // OpenSSL's default memory cap (32 MiB) is just below what N=2^15, r=8 needs.
  ScryptCost cost{.n = uint64_t{1} << header.log2_n,
                  .r = header.r,
                  .p = header.p,
                  .max_memory = 2 * kMaxScryptMemory};
  std::string_view salt(reinterpret_cast<const char*>(header.salt.data()), header.salt.size());
  if (!scrypt(key.secret, salt, cost, out.data(), kKeySize)) {
    return fail(ErrorCode::kGeneral, "cannot derive the backup key from the passphrase in " +
                                         key.origin + " (scrypt failed, out of memory?)");
  }
  return {};
}

struct ChunkCipher::State {
  std::unique_ptr<Aes256Gcm> cipher;
  unsigned char nonce[kNonceSize] = {};
  unsigned char aad[kAadSize] = {};
};

ChunkCipher::ChunkCipher(std::unique_ptr<State> state) : state_(std::move(state)) {}
ChunkCipher::~ChunkCipher() = default;

Result<std::unique_ptr<ChunkCipher>> ChunkCipher::create(const Key& key, const HeaderBytes& header,
                                                         const Header& fields,
                                                         Direction direction) {
  auto state = std::make_unique<State>();
  state->cipher =
      Aes256Gcm::create(key.data(), direction == Direction::kSeal ? Aes256Gcm::Direction::kSeal
                                                                  : Aes256Gcm::Direction::kOpen);
  if (!state->cipher) return fail(ErrorCode::kGeneral, "cannot set up AES-256-GCM");
  std::memcpy(state->nonce, fields.nonce_prefix.data(), fields.nonce_prefix.size());
  std::memcpy(state->aad, header.data(), header.size());
  return std::unique_ptr<ChunkCipher>(new ChunkCipher(std::move(state)));
}

std::string_view ChunkCipher::start_chunk(uint64_t index, bool last) {
  State& s = *state_;
  put_be(s.nonce + 8, index, 4);
  put_be(s.aad + kHeaderSize, index, 8);
  s.aad[kAadSize - 1] = last ? 1 : 0;
  return {reinterpret_cast<const char*>(s.aad), kAadSize};
}

Result<void> ChunkCipher::seal(uint64_t index, bool last, unsigned char* data, size_t size,
                               unsigned char* tag) {
  if (size > kChunkSize ||
      !state_->cipher->seal(state_->nonce, start_chunk(index, last), data, size, tag)) {
    return fail(ErrorCode::kGeneral, "AES-256-GCM encryption failed");
  }
  return {};
}

bool ChunkCipher::open(uint64_t index, bool last, const unsigned char* in, size_t size,
                       const unsigned char* tag, unsigned char* out) {
  if (size > kChunkSize) return false;
  std::string_view aad = start_chunk(index, last);
  return state_->cipher->open(state_->nonce, aad, in, size, tag, out);
}

}  // namespace migrate::encryption
