#include "migrate/version.h"
#include "util/crypto.h"

namespace migrate {

LibraryVersions backup_library_versions() {
  return {{"openssl", openssl_version()}};
}

}  // namespace migrate
