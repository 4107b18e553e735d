// Which other processes have a file open, read from /proc (Linux). Used
// before a SQLite restore replaces the database file: a process holding the
// old file would go on using it, so then the restore copies in place instead.
#pragma once

#include <filesystem>
#include <vector>

namespace migrate {

// Pids of the processes other than this one that have `path` open, as far
// as this user may look (another user's processes are visible to root only).
// Empty where /proc is not available.
std::vector<long> other_processes_with_open(const std::filesystem::path& path);

}  // namespace migrate
