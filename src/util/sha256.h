// SHA-256, through OpenSSL's EVP interface (which picks the SHA-NI path on
// CPUs that have it). Used for migration file checksums and, streaming, for
// backup artifacts. With src/backup/ (encryption), the only users of
// OpenSSL.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace migrate {

// Incremental hash for data that arrives in pieces.
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

}  // namespace migrate
