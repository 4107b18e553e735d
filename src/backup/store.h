// The backup store: a private directory (0700, the user's own) holding, per
// backup, one artifact "<id>.<ext...>" and one manifest "<id>.json", files
// 0600.
//
// A backup is complete only when its manifest exists, and the manifest is
// written last, crash-safely (AtomicFile): a crash or a full disk at any point
// leaves at most a temporary, a pending marker and an artifact without a
// manifest, which the next writing open() removes, and never touches an older
// backup. The store only ever deletes what carries its own marks: temporaries
// ".migrate-<name>.tmp-<pid>" of a writer that is gone, the artifact a
// ".migrate-<id>.pending" marker names, and the scratch files of a gone
// process in its scratch directory ".migrate-scratch-<pid>"; any other file in the directory is
// left alone, so a directory shared with other files is safe. Ids sort by time and stay readable:
// "20261122T143052Z_pre-safe".
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

// What the store puts before the names of its temporaries and markers.
inline constexpr std::string_view kStoreFilePrefix = "migrate-";

// The store's lock (the file ".lock"). Held shared by every process
// while it writes a backup into the store or reads one it picked (restore,
// verify); taken exclusively to remove backups (prune) or leftovers.
// BackupStore::open() removes leftovers only when it can take the lock
// exclusively, so it never mistakes the artifact of a backup whose manifest
// is still being written for a crashed run's, and prune never deletes a
// backup another process is restoring. The kernel drops the lock of a killed
// process.
class StoreLock {
 public:
  static Result<StoreLock> acquire(const std::filesystem::path& dir);
  // Exclusive, waiting up to `wait` for the processes that hold it shared;
  // kLock naming the directory when they still do.
  static Result<StoreLock> acquire_exclusive(const std::filesystem::path& dir,
                                             std::chrono::seconds wait);
  // No lock: for a store whose lock file cannot be created (read-only media),
  // which nobody can remove backups from either.
  static StoreLock none() { return StoreLock(-1); }
  StoreLock(StoreLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;
  ~StoreLock();

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_;
};

class PendingBackup;

// A private directory for this process's scratch files,
// "<store>/.migrate-scratch-<pid>" (0700); removed on destruction when the
// drivers left it empty, else by the next writing open() once the process is
// gone.
class ScratchDir {
 public:
  explicit ScratchDir(std::filesystem::path path) : path_(std::move(path)) {}
  ScratchDir(ScratchDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

enum class StoreAccess {
  kReadOnly,   // `backups`, `verify`: creates and deletes nothing
  kReadWrite,  // creates the directory, removes crashed runs' leftovers
};

class BackupStore {
 public:
  // Opens the store in `dir`. Refused (kRefused, naming the directory) when
  // the directory belongs to another user or other users may enter it (any
  // group or other mode bit): backups hold the whole database, and the store
  // never changes the mode of a directory it did not create. kReadWrite
  // creates a missing directory (mode 0700) and removes leftovers of crashed
  // runs (see above) unless another process is writing a backup; kReadOnly
  // treats a missing directory as an empty store. Fails (kIo) if the
  // directory cannot be created or read.
  static Result<BackupStore> open(const std::filesystem::path& dir,
                                  StoreAccess access = StoreAccess::kReadWrite);

  // Makes a store opened kReadOnly writable, as open(kReadWrite) would have
  // opened it (creating the directory, removing leftovers): for a command
  // that reads before it may write, such as restore resolving its ref, so
  // that a mistyped ref changes nothing. Nothing to do on a writable store.
  Result<void> start_writing();

  const std::filesystem::path& dir() const { return dir_; }
  // File names open() deleted, sorted.
  const std::vector<std::string>& removed_leftovers() const { return removed_leftovers_; }

  // What crashed runs left that the next writing open() removes (see
  // above): how many files and their bytes. Deletes nothing.
  struct Leftovers {
    size_t files = 0;
    std::uint64_t bytes = 0;
  };
  Leftovers leftovers() const;

  // Holds the lock shared while this process reads the backups it picked,
  // so that prune waits; none on a store where the lock file cannot be
  // created (read-only), which nothing can prune.
  StoreLock hold_for_reading() const;

  // Where drivers put this process's scratch files while it backs up,
  // restores or verifies.
  Result<ScratchDir> scratch_dir() const;

  // Complete backups, newest first (by id). A manifest that does not parse,
  // whose id differs from its file name or whose label is not its id's, that belongs to another
  // user, or whose artifact is missing, has the wrong size or belongs to another user is not a
  // valid backup: it is reported in `damaged`. With `database` (a database_identity()), only that
  // database's backups, and the damage of backups that cannot be told apart; `other_databases`
  // counts the rest.
  struct Listing {
    std::vector<Manifest> backups;
    std::vector<Error> damaged;
    size_t other_databases = 0;
  };
  Result<Listing> list(std::string_view database = {}) const;

  // A fresh id "YYYYMMDDTHHMMSSZ_<label>" for `now` (UTC), unique in the store:
  // "-2", "-3", ... is appended when the id, or a file of it, exists. `label`
  // must satisfy is_valid_label().
  std::string new_id(std::chrono::system_clock::time_point now, std::string_view label) const;

  // Starts a backup: takes the write lock and reserves a fresh id (new_id(),
  // then the next free suffix if a concurrent runner took it first) for an
  // artifact "<id><artifact_suffix>".
  Result<PendingBackup> begin_backup(std::chrono::system_clock::time_point now,
                                     std::string_view label,
                                     std::string_view artifact_suffix) const;

  // Finds one backup by REF: "latest" (the newest); an id, manifest file
  // name or artifact file name; a label; a unique prefix of an id; a unique
  // substring of an id — tried in that order, the first kind that matches
  // anything decides. Damaged backups take part like valid ones, so a REF
  // never quietly picks another backup than the one it names: when the match
  // is damaged, its damage is the error ("damaged backup '<id>': why", kIo,
  // the hint naming its files). With `database`, "latest", labels, prefixes
  // and substrings only match that database's backups (and damaged ones whose
  // database is unknown): another database's backup is only picked by its
  // exact id or file name. Several matches of that kind: kUsage error listing
  // the candidate ids. None: kUsage "no backup matches '<ref>'". A REF
  // containing '/' or "..", i.e. a path, is refused (kUsage): REF never names
  // anything outside the store. Control characters of REF are escaped in
  // messages.
  Result<Manifest> resolve(std::string_view ref, std::string_view database = {}) const;

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
  BackupStore(std::filesystem::path dir, bool exists, bool writable)
      : dir_(std::move(dir)), exists_(exists), writable_(writable) {}
  Result<void> remove_leftovers();

  std::filesystem::path dir_;
  bool exists_;    // false: a read-only store whose directory is missing
  bool writable_;  // opened kReadWrite, or start_writing() since
  std::vector<std::string> removed_leftovers_;
};

// A backup being written (BackupStore::begin_backup): holds the store's
// write lock and the reservation of its id, the marker ".migrate-<id>.pending"
// (created exclusively, so two runners never get one id; it names the
// artifact). The artifact is written through AtomicFile with the store's
// prefix; commit() writes the manifest, then drops the marker. Destroyed
// uncommitted, it removes the artifact and the marker; after a crash, the
// next writing open() does.
class PendingBackup {
 public:
  PendingBackup(PendingBackup&& other) noexcept;
  PendingBackup(const PendingBackup&) = delete;
  PendingBackup& operator=(const PendingBackup&) = delete;
  ~PendingBackup();

  const std::string& id() const { return id_; }
  const std::string& artifact() const { return artifact_; }  // file name
  std::filesystem::path artifact_path() const { return store_->dir() / artifact_; }
  // `m` must have this id and artifact.
  Result<void> commit(const Manifest& m);

 private:
  friend class BackupStore;
  PendingBackup(const BackupStore& store, StoreLock lock, std::string id, std::string artifact)
      : store_(&store),
        lock_(std::move(lock)),
        id_(std::move(id)),
        artifact_(std::move(artifact)) {}

  const BackupStore* store_;
  StoreLock lock_;
  std::string id_, artifact_;
  bool done_ = false;
};

// Whether `label` can name backups: [a-z0-9._-]{1,64}, without "..".
bool is_valid_label(std::string_view label);

// `text` with control characters as \xNN, for echoing user input in messages.
std::string escape_control(std::string_view text);

// Binary units with one decimal: "512 B", "1.5 KiB", "1.2 GiB".
std::string human_size(std::uint64_t bytes);

}  // namespace migrate
