// The backup store: a private directory (0700) holding, per backup, one
// artifact "<id>.<ext...>" and one manifest "<id>.json", files 0600.
//
// A backup is complete only when its manifest exists, and the manifest is
// written last, crash-safely (AtomicFile): a crash or a full disk at any point
// leaves at most a temporary or an artifact without a manifest, which the
// next open() removes, and never touches an older backup. Ids sort by time
// and stay readable: "20261122T143052Z_pre-safe".
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backup/manifest.h"
#include "migrate/error.h"

namespace migrate {

// Held (shared) by every process while it writes a backup into the store.
// BackupStore::open() removes leftovers only when it can take the lock
// exclusively, so it never mistakes the artifact of a backup whose manifest
// is still being written for a crashed run's. The kernel drops the lock of a
// killed process.
class StoreWriteLock {
 public:
  static Result<StoreWriteLock> acquire(const std::filesystem::path& dir);
  StoreWriteLock(StoreWriteLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  StoreWriteLock(const StoreWriteLock&) = delete;
  StoreWriteLock& operator=(const StoreWriteLock&) = delete;
  ~StoreWriteLock();

 private:
  explicit StoreWriteLock(int fd) : fd_(fd) {}
  int fd_;
};

class BackupStore {
 public:
  // Creates the directory (mode 0700; tightens an existing one to 0700) and
  // removes leftovers of crashed runs: AtomicFile temporaries whose writer is
  // no longer running (with SQLite's -journal/-wal/-shm companions), and
  // artifacts "<id>.<ext...>" that no manifest names. Files that do not have
  // the store's naming are left alone, and so is any artifact of a backup
  // whose manifest exists but is damaged. Fails (kIo) if the directory cannot
  // be created, restricted or read.
  static Result<BackupStore> open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  // File names open() deleted, sorted.
  const std::vector<std::string>& removed_leftovers() const { return removed_leftovers_; }

  // Complete backups, newest first (by id). A manifest that does not parse,
  // whose id differs from its file name, or whose artifact is missing or has
  // the wrong size is not a valid backup: it is reported in `damaged`.
  struct Listing {
    std::vector<Manifest> backups;
    std::vector<Error> damaged;
  };
  Result<Listing> list() const;

  // A fresh id "YYYYMMDDTHHMMSSZ_<label>" for `now` (UTC), unique in the store:
  // "-2", "-3", ... is appended when the id, or a file of it, exists. `label`
  // must satisfy is_valid_label().
  std::string new_id(std::chrono::system_clock::time_point now, std::string_view label) const;

  // Finds one complete backup by REF: "latest"; an id, manifest file name or
  // artifact file name; a label; a unique prefix of an id; a unique substring
  // of an id — tried in that order, the first kind that matches anything
  // decides. Several matches of that kind: kUsage error listing the candidate
  // ids. None: kUsage "no backup matches '<ref>'" (or the damage, when REF
  // names a damaged backup exactly). A REF containing '/' or "..", i.e. a
  // path, is refused (kUsage): REF never names anything outside the store.
  Result<Manifest> resolve(std::string_view ref) const;

  std::filesystem::path artifact_path(const Manifest& m) const { return dir_ / m.artifact; }
  std::filesystem::path manifest_path(std::string_view id) const;

  // Fails (kIo) with "not enough free space in '<dir>': need X, have Y" when
  // the filesystem has fewer than `bytes` available to this user.
  Result<void> check_free_space(std::uint64_t bytes) const;

  // Deletes a backup: the manifest first (so it stops listing as valid, and
  // that is synced before anything else goes), then the artifact. A file
  // already gone is not an error.
  Result<void> remove(const Manifest& m) const;

  // Commits a backup whose artifact is in place (written with AtomicFile):
  // checks that `m` is valid and that the artifact exists with
  // m.artifact_size bytes, then writes the manifest atomically. Fails if a
  // manifest for m.id exists.
  Result<void> commit_manifest(const Manifest& m) const;

 private:
  explicit BackupStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<void> remove_leftovers();

  std::filesystem::path dir_;
  std::vector<std::string> removed_leftovers_;
};

// Whether `label` can name backups: [a-z0-9._-]{1,64}, without "..".
bool is_valid_label(std::string_view label);

// Binary units with one decimal: "512 B", "1.5 KiB", "1.2 GiB".
std::string human_size(std::uint64_t bytes);

}  // namespace migrate
