#include "util/sha256.h"

#include <openssl/evp.h>

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

}  // namespace migrate
