// The writing half of the backup store: the write lock, reserving ids for
// backups in progress, committing and removing backups, and removing what
// crashed runs of the store left.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "backup/store.h"
#include "backup/store_files.h"
#include "util/atomic_file.h"
#include "util/env.h"
#include "util/files.h"

namespace migrate {
namespace {

namespace fs = std::filesystem;
using namespace store_files;

constexpr const char* kLockFile = ".lock";

int open_lock_file(const fs::path& dir) {
  return env().open(dir / kLockFile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

std::string marker_name(std::string_view id) {
  return fmt::format(".{}{}{}", kStoreFilePrefix, id, kPendingSuffix);
}

// The id of a pending marker ".migrate-<id>.pending", or "".
std::string_view marker_id(std::string_view name) {
  std::string prefix = fmt::format(".{}", kStoreFilePrefix);
  if (!name.starts_with(prefix) || !name.ends_with(kPendingSuffix)) return {};
  auto id = name.substr(prefix.size(), name.size() - prefix.size() - kPendingSuffix.size());
  return is_valid_backup_id(id) ? id : std::string_view{};
}

// Whether `name` is a temporary the store wrote: ".migrate-<file of a
// backup>.tmp-<pid>".
bool is_store_temporary(std::string_view name) {
  std::string prefix = fmt::format(".{}", kStoreFilePrefix);
  if (!name.starts_with(prefix) || atomic_temporary_pid(name) == 0) return false;
  auto inner = name.substr(prefix.size(), name.rfind(".tmp-") - prefix.size());
  return is_backup_file_name(inner);
}

// A writer that is gone, or this process's pid left by an earlier run (the
// store is cleaned before this process writes anything; pids repeat in
// containers).
bool writer_gone(long pid) {
  return pid == ::getpid() || !process_alive(pid);
}

// What a marker records: "<pid> <artifact file name>\n".
struct MarkerContent {
  bool own = false;  // written by this user
  long pid = 0;
  std::string artifact;
};

MarkerContent read_marker(const fs::path& path) {
  MarkerContent content;
  int fd = env().open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return content;
  struct stat st;
  content.own = env().fstat(fd, &st) == 0 && foreign_owner(st).empty();
  char buffer[512];
  ssize_t n = env().read(fd, buffer, sizeof buffer - 1);
  env().close(fd);
  if (n <= 0) return content;
  std::string_view text(buffer, static_cast<size_t>(n));
  size_t space = text.find(' ');
  size_t end = text.find('\n');
  if (space == std::string_view::npos || end == std::string_view::npos || end < space)
    return content;
  std::from_chars(text.data(), text.data() + space, content.pid);
  content.artifact = std::string(text.substr(space + 1, end - space - 1));
  return content;
}

// Creates the marker exclusively: false when it exists (another runner's).
Result<bool> write_marker(const fs::path& path, std::string_view artifact) {
  int fd = env().open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return false;
  if (fd < 0)
    return fail(ErrorCode::kIo,
                fmt::format("cannot create '{}': {}", path.string(), os_error_text(errno)));
  std::string text = fmt::format("{} {}\n", ::getpid(), artifact);
  auto written = write_all(fd, text, path);
  // Synced, so that after a crash the marker still names the artifact.
  if (written && env().fsync(fd) != 0)
    written = fail(ErrorCode::kIo,
                   fmt::format("cannot sync '{}': {}", path.string(), os_error_text(errno)));
  env().close(fd);
  if (!written) {
    env().unlink(path);
    return tl::unexpected(written.error());
  }
  return true;
}

// Removes a file of this user's; another user's file is never the store's
// own, however it is named.
bool remove_own_file(const fs::path& path) {
  struct stat st;
  if (env().lstat(path, &st) != 0 || !foreign_owner(st).empty()) return false;
  return env().unlink(path) == 0;
}

// The pid of a scratch directory name ".migrate-scratch-<pid>", or 0.
long scratch_owner(std::string_view name) {
  if (!name.starts_with(kScratchDir)) return 0;
  auto digits = name.substr(kScratchDir.size());
  long pid = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  return ec == std::errc() && end == digits.data() + digits.size() && pid > 0 ? pid : 0;
}

// Scratch directories of gone processes: their scratch files (named with
// that pid), then the directory itself ("<dir>/" at the end of `found`).
void find_scratch_leftovers(const fs::path& dir, std::vector<std::string>& found) {
  std::vector<std::string> names;
  env().list(dir, names);
  for (const auto& name : names) {
    long pid = scratch_owner(name);
    struct stat st;
    if (pid == 0 || !writer_gone(pid) || env().lstat(dir / name, &st) != 0 ||
        !S_ISDIR(st.st_mode) || !foreign_owner(st).empty())
      continue;
    auto files = regular_files(dir / name);
    for (const auto& file : files ? *files : std::vector<std::string>{})
      if (temporary_owner(file) == pid) found.push_back(name + "/" + file);
    found.push_back(name + "/");
  }
}

// What crashed runs left in `dir` (names relative to it, directories ending
// in '/'): temporaries of gone writers, their pending markers with the
// artifact of a backup that never got its manifest, and scratch directories.
std::vector<std::string> find_leftovers(const fs::path& dir) {
  std::vector<std::string> found;
  auto names = regular_files(dir);
  for (const auto& name : names ? *names : std::vector<std::string>{}) {
    if (is_store_temporary(name) && writer_gone(atomic_temporary_pid(name))) found.push_back(name);
    auto id = marker_id(name);
    if (id.empty()) continue;
    MarkerContent marker = read_marker(dir / name);
    if (!marker.own || (marker.pid != 0 && !writer_gone(marker.pid))) continue;
    // Without a manifest the backup never completed; the artifact the marker
    // names is this store's own half-finished work.
    bool complete = path_exists(dir / (std::string(id) + std::string(kManifestSuffix)));
    if (!complete && marker.artifact.starts_with(std::string(id) + ".") &&
        marker.artifact.find('/') == std::string::npos && manifest_id(marker.artifact).empty() &&
        std::binary_search(names->begin(), names->end(), marker.artifact))
      found.push_back(marker.artifact);
    found.push_back(name);
  }
  find_scratch_leftovers(dir, found);
  return found;
}

}  // namespace

Result<StoreLock> StoreLock::acquire(const fs::path& dir) {
  int fd = open_lock_file(dir);
  if (fd < 0 || env().flock(fd, LOCK_SH) != 0) {
    int saved = errno;
    if (fd >= 0) env().close(fd);
    return fail(ErrorCode::kIo, fmt::format("cannot lock backup directory '{}': {}", dir.string(),
                                            os_error_text(saved)));
  }
  return StoreLock(fd);
}

Result<StoreLock> StoreLock::acquire_exclusive(const fs::path& dir, std::chrono::seconds wait) {
  int fd = open_lock_file(dir);
  if (fd < 0)
    return fail(ErrorCode::kIo, fmt::format("cannot lock backup directory '{}': {}", dir.string(),
                                            os_error_text(errno)));
  StoreLock lock(fd);
  auto deadline = env().now() + wait;
  while (env().flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK || env().now() >= deadline) {
      int saved = errno;
      if (saved == EWOULDBLOCK)
        return fail(ErrorCode::kLock,
                    fmt::format("backup directory '{}' is in use: another migrate is writing, "
                                "restoring or verifying a backup there",
                                dir.string()),
                    fmt::format("try again once it has finished (waited {} s, --lock-timeout)",
                                wait.count()));
      return fail(ErrorCode::kIo, fmt::format("cannot lock backup directory '{}': {}", dir.string(),
                                              os_error_text(saved)));
    }
    env().sleep_for(std::chrono::milliseconds(100));
  }
  return lock;
}

StoreLock BackupStore::hold_for_reading() const {
  auto lock = StoreLock::acquire(dir_);
  return lock ? std::move(*lock) : StoreLock::none();
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) env().close(fd_);
}

Result<void> BackupStore::remove_leftovers() {
  // Another process is writing a backup: what looks like a leftover may be
  // its work in progress. The next run cleans up.
  int lock = open_lock_file(dir_);
  if (lock < 0) return {};
  struct CloseLock {
    int fd;
    ~CloseLock() { env().close(fd); }
  } close_lock{lock};
  if (env().flock(lock, LOCK_EX | LOCK_NB) != 0) return {};
  for (const auto& name : find_leftovers(dir_)) {
    // Best effort: a file that cannot be removed (read-only media) must not
    // stop anyone from listing or restoring backups.
    if (name.ends_with('/')) {
      if (env().rmdir(dir_ / name) == 0)
        removed_leftovers_.push_back(name.substr(0, name.size() - 1));
    } else if (remove_own_file(dir_ / name)) {
      removed_leftovers_.push_back(name);
    }
  }
  std::sort(removed_leftovers_.begin(), removed_leftovers_.end());
  if (!removed_leftovers_.empty()) (void)sync_directory(dir_);
  return {};
}

BackupStore::Leftovers BackupStore::leftovers() const {
  Leftovers found;
  if (!exists_) return found;
  for (const auto& name : find_leftovers(dir_)) {
    struct stat st;
    if (name.ends_with('/') || env().lstat(dir_ / name, &st) != 0) continue;
    ++found.files;
    found.bytes += static_cast<std::uint64_t>(st.st_size);
  }
  return found;
}

ScratchDir::~ScratchDir() {
  if (!path_.empty()) env().rmdir(path_);
}

Result<ScratchDir> BackupStore::scratch_dir() const {
  fs::path scratch = dir_ / fmt::format("{}{}", kScratchDir, ::getpid());
  if (env().mkdir(scratch, 0700) != 0 && errno != EEXIST)
    return fail(ErrorCode::kIo, fmt::format("cannot create scratch directory '{}': {}",
                                            scratch.string(), os_error_text(errno)));
  struct stat st;
  if (env().lstat(scratch, &st) != 0 || !S_ISDIR(st.st_mode) || !foreign_owner(st).empty() ||
      (st.st_mode & 077) != 0)
    return fail(
        ErrorCode::kRefused,
        fmt::format("scratch directory '{}' is not a private directory of yours", scratch.string()),
        "remove it; migrate creates it again");
  return ScratchDir(scratch);
}

Result<PendingBackup> BackupStore::begin_backup(std::chrono::system_clock::time_point now,
                                                std::string_view label,
                                                std::string_view artifact_suffix) const {
  auto lock = StoreLock::acquire(dir_);
  if (!lock) return tl::unexpected(lock.error());
  // The first free id from the unsuffixed base on (as new_id() would pick;
  // a taken "-2" goes on to "-3", never "-2-2"). A runner starting in the
  // same second may reserve an id first: the exclusive marker decides, and
  // the check after it catches a backup that completed in between.
  std::string base = store_files::id_base(now, label);
  for (int n = 1;; ++n) {
    std::string id = n == 1 ? base : fmt::format("{}-{}", base, n);
    auto before = regular_files(dir_);
    if (!before) return tl::unexpected(before.error());
    if (id_taken(*before, id)) continue;
    fs::path marker = dir_ / marker_name(id);
    std::string artifact = id + std::string(artifact_suffix);
    auto created = write_marker(marker, artifact);
    if (!created) return tl::unexpected(created.error());
    if (!*created) continue;
    auto after = regular_files(dir_);
    if (!after) {
      env().unlink(marker);
      return tl::unexpected(after.error());
    }
    std::erase(*after, marker.filename().string());
    if (!id_taken(*after, id)) return PendingBackup(*this, std::move(*lock), id, artifact);
    env().unlink(marker);
  }
}

PendingBackup::PendingBackup(PendingBackup&& other) noexcept
    : store_(other.store_),
      lock_(std::move(other.lock_)),
      id_(std::move(other.id_)),
      artifact_(std::move(other.artifact_)),
      done_(std::exchange(other.done_, true)) {}

Result<void> PendingBackup::commit(const Manifest& m) {
  if (m.id != id_ || m.artifact != artifact_)
    return fail(ErrorCode::kGeneral,
                fmt::format("cannot commit backup '{}': it was begun as '{}'", m.id, id_));
  if (auto r = store_->commit_manifest(m); !r) return r;
  done_ = true;
  // The manifest is synced; a marker that outlives a crash here only goes.
  env().unlink(store_->dir() / marker_name(id_));
  return {};
}

PendingBackup::~PendingBackup() {
  if (done_) return;
  // A manifest renamed into place whose directory sync then failed still
  // names the artifact.
  if (!path_exists(store_->manifest_path(id_))) env().unlink(artifact_path());
  env().unlink(store_->dir() / marker_name(id_));
}

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<void> BackupStore::check_free_space(std::uint64_t bytes) const {
  struct statvfs st;
  if (env().statvfs(dir_, &st) != 0)
    return fail(ErrorCode::kIo, fmt::format("cannot check free space in '{}': {}", dir_.string(),
                                            os_error_text(errno)));
  // f_bavail: what an unprivileged writer may use, not the root reserve.
  unsigned __int128 available = static_cast<unsigned __int128>(st.f_bavail) * st.f_frsize;
  if (available >= bytes) return {};
  return fail(ErrorCode::kIo,
              fmt::format("not enough free space in '{}': need {}, have {}", dir_.string(),
                          human_size(bytes), human_size(static_cast<std::uint64_t>(available))),
              "free some space, or remove old backups with `migrate prune`");
}

Result<void> BackupStore::remove(const Manifest& m) const {
  // Only what the store itself would have named: never a path given by accident.
  if (!is_valid_backup_id(m.id) || !starts_with(m.artifact, m.id + ".") ||
      m.artifact.find('/') != std::string::npos)
    return fail(ErrorCode::kGeneral, fmt::format("refusing to remove backup '{}' with artifact "
                                                 "'{}': not a name of this store",
                                                 m.id, m.artifact));
  auto unlink = [](const fs::path& path) -> Result<void> {
    if (env().unlink(path) != 0 && errno != ENOENT)
      return fail(ErrorCode::kIo,
                  fmt::format("cannot remove '{}': {}", path.string(), os_error_text(errno)));
    return {};
  };
  if (auto r = unlink(manifest_path(m.id)); !r) return r;
  if (auto r = sync_directory(dir_); !r) return r;
  if (auto r = unlink(artifact_path(m)); !r) return r;
  return sync_directory(dir_);
}

Result<void> BackupStore::commit_manifest(const Manifest& m) const {
  // A manifest this store would call damaged is a bug in the writer; refuse it
  // here rather than publish a backup that never lists.
  std::string file_name = m.id + std::string(kManifestSuffix);
  std::string text = manifest_to_json(m);
  if (auto parsed = parse_manifest(text, file_name); !parsed) {
    std::string what = parsed.error().message;
    std::string prefix = fmt::format("damaged manifest '{}': ", file_name);
    if (starts_with(what, prefix)) what.erase(0, prefix.size());
    return fail(ErrorCode::kGeneral,
                fmt::format("cannot commit backup '{}': invalid manifest: {}", m.id, what));
  }
  if (auto problem = artifact_problem(artifact_path(m), m); !problem.empty())
    return fail(ErrorCode::kIo, fmt::format("cannot commit backup '{}': {}", m.id, problem));
  return write_file_atomically(manifest_path(m.id), text, kStoreFilePrefix);
}

}  // namespace migrate
