// Small filesystem helpers with errors as values.
#pragma once

#include <sys/types.h>

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

// Whether `path` names something (symlinks followed).
bool path_exists(const std::filesystem::path& path);

// Creates `dir` and its missing parents, like `mkdir -p`; best effort: a
// directory that cannot be made shows when it is used.
void make_directories(const std::filesystem::path& dir, mode_t mode = 0777);

// Removes `path` if it exists; best effort, for cleaning up.
void remove_if_present(const std::filesystem::path& path);

}  // namespace migrate
