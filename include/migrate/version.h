// Versions of migrate and of the libraries it was built with (`migrate version`).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace migrate {

using LibraryVersions = std::vector<std::pair<std::string, std::string>>;

// Database client libraries (implemented in src/drivers).
LibraryVersions driver_library_versions();
// Hashing, compression and encryption libraries (implemented in src/backup).
LibraryVersions backup_library_versions();

}  // namespace migrate
