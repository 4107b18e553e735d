#include <soci/sqlite3/soci-sqlite3.h>
#include <soci/version.h>

#include "drivers/mysql/mysql_connection.h"
#include "migrate/version.h"

namespace migrate {

LibraryVersions driver_library_versions() {
  return {{"sqlite", sqlite_api::sqlite3_libversion()},
          {"soci", SOCI_LIB_VERSION},
          {"libmariadb", mysql::client_library_version()}};
}

}  // namespace migrate
