// File-level helpers shared by the two halves of the backup store: reading
// it (store.cc) and writing and cleaning it (store_writing.cc). Internal to
// src/backup.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "backup/manifest.h"
#include "migrate/error.h"

namespace migrate::store_files {

inline constexpr std::string_view kManifestSuffix = ".json";
inline constexpr std::string_view kPendingSuffix = ".pending";
inline constexpr std::string_view kScratchDir = ".migrate-scratch-";  // + pid

// The id of a manifest file name "<id>.json", or "" for any other name.
std::string_view manifest_id(std::string_view file_name);

// Names of the regular files in `dir`, sorted (symlinks, directories and the
// like are never the store's own files).
Result<std::vector<std::string>> regular_files(const std::filesystem::path& dir);

// "" when `st` belongs to this process's user, else "owned by nobody (uid
// 65534), not by you (alice (uid 1000))".
std::string foreign_owner(const struct stat& st);

// "YYYYMMDDTHHMMSSZ_<label>" for `now` (UTC): a backup id before any "-N"
// suffix that keeps it unique.
std::string id_base(std::chrono::system_clock::time_point now, std::string_view label);

// Whether `name` is the name of one of the store's files (manifest or
// artifact) of a backup id: "<id>.<something>".
bool is_backup_file_name(std::string_view name);

// Whether a file among `names` belongs to backup `id`: its manifest, an
// artifact, a pending marker or a temporary.
bool id_taken(const std::vector<std::string>& names, std::string_view id);

// Why the artifact of `m` at `path` cannot be the one the manifest
// describes (missing, not a regular file, another user's, wrong size), or "".
std::string artifact_problem(const std::filesystem::path& path, const Manifest& m);

}  // namespace migrate::store_files
