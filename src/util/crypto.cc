#include "util/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "util/hex.h"

namespace migrate {

namespace {

// Fetched once: OpenSSL 3 looks the algorithm up in its providers on every
// implicit fetch, which costs more than hashing a small migration file.
const EVP_MD* sha256_algorithm() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

struct Sha256::Context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  // Allocation failure of a hash context is not recoverable in any caller.
  if (!context_->ctx || !sha256_algorithm() ||
      EVP_DigestInit_ex2(context_->ctx, sha256_algorithm(), nullptr) != 1)
    throw std::runtime_error("cannot initialise SHA-256");
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(context_->ctx, bytes.data(), bytes.size());
}

std::string Sha256::finish_hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->ctx, digest, &length);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes);
  return hash.finish_hex();
}

struct Aes256Gcm::Context {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int encrypt = 1;
  ~Context() { EVP_CIPHER_CTX_free(ctx); }
};

Aes256Gcm::Aes256Gcm(std::unique_ptr<Context> context) : context_(std::move(context)) {}
Aes256Gcm::~Aes256Gcm() = default;

std::unique_ptr<Aes256Gcm> Aes256Gcm::create(const unsigned char* key, Direction direction) {
  auto context = std::make_unique<Context>();
  context->encrypt = direction == Direction::kSeal ? 1 : 0;
  if (!context->ctx || EVP_CipherInit_ex(context->ctx, EVP_aes_256_gcm(), nullptr, key, nullptr,
                                         context->encrypt) != 1) {
    return nullptr;
  }
  return std::unique_ptr<Aes256Gcm>(new Aes256Gcm(std::move(context)));
}

bool Aes256Gcm::start(const unsigned char* nonce, std::string_view aad) {
  int length = 0;
  return EVP_CipherInit_ex(context_->ctx, nullptr, nullptr, nullptr, nonce, context_->encrypt) ==
             1 &&
         EVP_CipherUpdate(context_->ctx, nullptr, &length,
                          reinterpret_cast<const unsigned char*>(aad.data()),
                          static_cast<int>(aad.size())) == 1;
}

bool Aes256Gcm::seal(const unsigned char* nonce, std::string_view aad, unsigned char* data,
                     size_t size, unsigned char* tag) {
  EVP_CIPHER_CTX* ctx = context_->ctx;
  int length = 0;
  return size <= INT32_MAX && start(nonce, aad) &&
         (size == 0 || EVP_EncryptUpdate(ctx, data, &length, data, static_cast<int>(size)) == 1) &&
         EVP_EncryptFinal_ex(ctx, data + size, &length) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagSize, tag) == 1;
}

bool Aes256Gcm::open(const unsigned char* nonce, std::string_view aad, const unsigned char* in,
                     size_t size, const unsigned char* tag, unsigned char* out) {
  EVP_CIPHER_CTX* ctx = context_->ctx;
  int length = 0;
  return size <= INT32_MAX && start(nonce, aad) &&
         (size == 0 || EVP_DecryptUpdate(ctx, out, &length, in, static_cast<int>(size)) == 1) &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagSize,
                             const_cast<unsigned char*>(tag)) == 1 &&
         EVP_DecryptFinal_ex(ctx, out + size, &length) == 1;
}

bool scrypt(std::string_view secret, std::string_view salt, const ScryptCost& cost,
            unsigned char* out, size_t out_size) {
  return EVP_PBE_scrypt(secret.data(), secret.size(),
                        reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), cost.n,
                        cost.r, cost.p, cost.max_memory, out, out_size) == 1;
}

bool random_bytes(unsigned char* out, size_t size) {
  return size <= INT32_MAX && RAND_bytes(out, static_cast<int>(size)) == 1;
}

void wipe(void* bytes, size_t size) {
  OPENSSL_cleanse(bytes, size);
}

std::string openssl_version() {
  return OpenSSL_version(OPENSSL_VERSION_STRING);
}

}  // namespace migrate
