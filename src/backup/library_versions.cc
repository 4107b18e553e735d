#include <openssl/crypto.h>

#include "migrate/version.h"

namespace migrate {

LibraryVersions backup_library_versions() {
  return {{"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)}};
}

}  // namespace migrate
