// Small filesystem helpers with errors as values.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "migrate/error.h"

namespace migrate {

// The whole file; kIo error naming the path when it cannot be read.
Result<std::string> read_file(const std::filesystem::path& path);

// Creates `path` with `content`, failing if it already exists (so that
// `create` never overwrites a migration).
Result<void> write_new_file(const std::filesystem::path& path, std::string_view content);

}  // namespace migrate
