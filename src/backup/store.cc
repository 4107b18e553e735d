#include "backup/store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <limits>
#include <set>
#include <tuple>

#include "backup/atomic_file.h"

namespace migrate {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifestSuffix = ".json";
constexpr size_t kMaxManifestBytes = size_t{64} << 20;
constexpr size_t kMaxListedCandidates = 10;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The id of a manifest file name "<id>.json", or "" for any other name.
std::string_view manifest_id(std::string_view file_name) {
  if (!ends_with(file_name, kManifestSuffix)) return {};
  auto id = file_name.substr(0, file_name.size() - kManifestSuffix.size());
  return is_valid_backup_id(id) ? id : std::string_view{};
}

// Names of the regular files in `dir` (symlinks, directories and the like
// are never the store's own files).
Result<std::vector<std::string>> regular_files(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code status_ec;
    if (it->symlink_status(status_ec).type() == fs::file_type::regular)
      names.push_back(it->path().filename().string());
  }
  if (ec)
    return fail(ErrorCode::kIo, fmt::format("cannot read directory '{}': {}", dir.string(),
                                            os_error_text(ec.value())));
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> read_small_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return fail(ErrorCode::kIo,
                fmt::format("cannot read '{}': {}", path.string(), os_error_text(errno)));
  std::string text;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return fail(ErrorCode::kIo,
                  fmt::format("cannot read '{}': {}", path.string(), os_error_text(saved)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxManifestBytes) {
      ::close(fd);
      return fail(ErrorCode::kIo,
                  fmt::format("damaged manifest '{}': larger than {}", path.filename().string(),
                              human_size(kMaxManifestBytes)));
    }
  }
  ::close(fd);
  return text;
}

// Why the artifact of `m` cannot be the one the manifest describes, or "".
std::string artifact_problem(const fs::path& path, const Manifest& m) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT
               ? fmt::format("artifact '{}' is missing", m.artifact)
               : fmt::format("cannot stat artifact '{}': {}", m.artifact, os_error_text(errno));
  if (!S_ISREG(st.st_mode)) return fmt::format("artifact '{}' is not a regular file", m.artifact);
  if (static_cast<std::uint64_t>(st.st_size) != m.artifact_size)
    return fmt::format("artifact '{}' has {} bytes, the manifest says {}", m.artifact, st.st_size,
                       m.artifact_size);
  return "";
}

// Whether `name` looks like an artifact "<id>.<ext...>" whose manifest is not
// among `manifest_ids`. Ids may contain dots, so every split is tried.
bool is_orphan_artifact(std::string_view name, const std::set<std::string, std::less<>>& ids) {
  if (!manifest_id(name).empty()) return false;
  bool artifact_shaped = false;
  for (size_t dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1)) {
    auto id = name.substr(0, dot);
    if (dot + 1 == name.size() || !is_valid_backup_id(id)) continue;
    if (ids.count(id)) return false;
    artifact_shaped = true;
  }
  return artifact_shaped;
}

std::int64_t sort_time(const Manifest& m) {
  auto t = parse_utc_timestamp(m.created_at);
  return t ? t->time_since_epoch().count() : 0;
}

// Manifests with the file they came from, valid or not; what list() and
// resolve() both start from.
struct Scan {
  std::vector<Manifest> backups;
  std::vector<std::pair<std::string, Error>> damaged;  // id, what is wrong
};

Result<Scan> scan_store(const BackupStore& store) {
  auto names = regular_files(store.dir());
  if (!names) return tl::unexpected(names.error());
  Scan scan;
  for (const auto& name : *names) {
    std::string id(manifest_id(name));
    if (id.empty()) continue;
    auto text = read_small_file(store.dir() / name);
    if (!text) {
      scan.damaged.emplace_back(id, text.error());
      continue;
    }
    auto m = parse_manifest(*text, name);
    if (!m) {
      scan.damaged.emplace_back(id, m.error());
    } else if (m->id != id) {
      scan.damaged.emplace_back(id, Error{ErrorCode::kIo,
                                          fmt::format("damaged manifest '{}': its id '{}' does not "
                                                      "match the file name",
                                                      name, m->id),
                                          {}});
    } else if (auto problem = artifact_problem(store.artifact_path(*m), *m); !problem.empty()) {
      scan.damaged.emplace_back(
          id, Error{ErrorCode::kIo, fmt::format("damaged backup '{}': {}", id, problem),
                    "remove it with `migrate prune` or by deleting its manifest"});
    } else {
      scan.backups.push_back(std::move(*m));
    }
  }
  // Ids order by second; within one second the creation time decides.
  std::sort(scan.backups.begin(), scan.backups.end(), [](const Manifest& a, const Manifest& b) {
    return std::make_tuple(std::string_view(a.id).substr(0, 16), sort_time(a), a.id) >
           std::make_tuple(std::string_view(b.id).substr(0, 16), sort_time(b), b.id);
  });
  return scan;
}

tl::unexpected<Error> ambiguous(std::string_view ref, const std::vector<const Manifest*>& matches) {
  std::string ids;
  for (size_t i = 0; i < matches.size() && i < kMaxListedCandidates; ++i)
    ids += (i ? ", " : "") + matches[i]->id;
  if (matches.size() > kMaxListedCandidates)
    ids += fmt::format(" and {} more", matches.size() - kMaxListedCandidates);
  return fail(ErrorCode::kUsage,
              fmt::format("backup reference '{}' is ambiguous: it matches {}", ref, ids),
              "give a full id");
}

}  // namespace

Result<BackupStore> BackupStore::open(const fs::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  // Created private from the start: no moment where another user can look in.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail(ErrorCode::kIo, fmt::format("cannot create backup directory '{}': {}", dir.string(),
                                            os_error_text(errno)));
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return fail(ErrorCode::kIo, fmt::format("cannot open backup directory '{}': {}", dir.string(),
                                            os_error_text(errno)));
  if (!S_ISDIR(st.st_mode))
    return fail(ErrorCode::kIo,
                fmt::format("backup directory '{}' is not a directory", dir.string()));
  if ((st.st_mode & 07777) != 0700 && ::chmod(dir.c_str(), 0700) != 0)
    return fail(ErrorCode::kIo,
                fmt::format("cannot restrict backup directory '{}' to mode 0700: {}", dir.string(),
                            os_error_text(errno)));
  BackupStore store(dir);
  if (auto cleaned = store.remove_leftovers(); !cleaned) return tl::unexpected(cleaned.error());
  return store;
}

namespace {

constexpr const char* kLockFile = ".lock";

int open_lock_file(const fs::path& dir) {
  return ::open((dir / kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

}  // namespace

Result<StoreWriteLock> StoreWriteLock::acquire(const fs::path& dir) {
  int fd = open_lock_file(dir);
  if (fd < 0 || ::flock(fd, LOCK_SH) != 0) {
    int saved = errno;
    if (fd >= 0) ::close(fd);
    return fail(ErrorCode::kIo, fmt::format("cannot lock backup directory '{}': {}", dir.string(),
                                            os_error_text(saved)));
  }
  return StoreWriteLock(fd);
}

StoreWriteLock::~StoreWriteLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> BackupStore::remove_leftovers() {
  // Another process is writing a backup: what looks like a leftover may be
  // its work in progress. The next run cleans up.
  int lock = open_lock_file(dir_);
  if (lock < 0) return {};
  struct CloseLock {
    int fd;
    ~CloseLock() { ::close(fd); }
  } close_lock{lock};
  if (::flock(lock, LOCK_EX | LOCK_NB) != 0) return {};
  auto names = regular_files(dir_);
  if (!names) return tl::unexpected(names.error());
  // Any manifest, even a damaged one, keeps its artifact: the backup may be
  // from a newer migrate, and deleting data is never the way to report damage.
  std::set<std::string, std::less<>> ids;
  for (const auto& name : *names)
    if (auto id = manifest_id(name); !id.empty()) ids.emplace(id);
  const long self = ::getpid();
  for (const auto& name : *names) {
    bool leftover = false;
    if (long owner = temporary_owner(name); owner != 0)
      // This process opens the store before writing into it, so a temporary
      // with its own pid is an earlier run's (pids repeat in containers).
      leftover = owner == self || !process_alive(owner);
    else
      leftover = is_orphan_artifact(name, ids);
    // Best effort: a file that cannot be removed (read-only media) must not
    // stop anyone from listing or restoring backups.
    if (leftover && ::unlink((dir_ / name).c_str()) == 0) removed_leftovers_.push_back(name);
  }
  if (!removed_leftovers_.empty()) (void)sync_directory(dir_);
  return {};
}

Result<BackupStore::Listing> BackupStore::list() const {
  auto scan = scan_store(*this);
  if (!scan) return tl::unexpected(scan.error());
  Listing listing;
  listing.backups = std::move(scan->backups);
  for (auto& [id, error] : scan->damaged) listing.damaged.push_back(std::move(error));
  return listing;
}

std::string BackupStore::new_id(std::chrono::system_clock::time_point now,
                                std::string_view label) const {
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm p{};
  gmtime_r(&seconds, &p);
  std::string base = fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z_{}", p.tm_year + 1900,
                                 p.tm_mon + 1, p.tm_mday, p.tm_hour, p.tm_min, p.tm_sec, label);
  auto names = regular_files(dir_);
  auto taken = [&](const std::string& id) {
    if (!names) return fs::exists(manifest_path(id));
    // The manifest, an artifact or a temporary of a backup in progress.
    return std::any_of(names->begin(), names->end(), [&](const std::string& name) {
      return starts_with(name, id + ".") || starts_with(name, "." + id + ".");
    });
  };
  std::string id = base;
  for (int n = 2; taken(id); ++n) id = fmt::format("{}-{}", base, n);
  return id;
}

Result<Manifest> BackupStore::resolve(std::string_view ref) const {
  if (ref.empty())
    return fail(ErrorCode::kUsage, "empty backup reference", "give an id or 'latest'");
  if (ref.find('/') != std::string_view::npos || ref.find("..") != std::string_view::npos ||
      ref.find('\0') != std::string_view::npos)
    return fail(ErrorCode::kUsage,
                fmt::format("backup reference '{}' is a path; it must name a backup in '{}'", ref,
                            dir_.string()),
                "run `migrate backups` to list them");
  auto scan = scan_store(*this);
  if (!scan) return tl::unexpected(scan.error());
  const auto& backups = scan->backups;
  auto none = [&] {
    return fail(ErrorCode::kUsage, fmt::format("no backup matches '{}'", ref),
                fmt::format("run `migrate backups` to list the backups in '{}'", dir_.string()));
  };
  if (ref == "latest") {
    if (backups.empty()) return none();
    return backups.front();
  }
  using Matcher = bool (*)(const Manifest&, std::string_view);
  static constexpr Matcher kTiers[] = {
      [](const Manifest& m, std::string_view r) {
        return m.id == r || m.id + std::string(kManifestSuffix) == r || m.artifact == r;
      },
      [](const Manifest& m, std::string_view r) { return m.label == r; },
      [](const Manifest& m, std::string_view r) { return starts_with(m.id, r); },
      [](const Manifest& m, std::string_view r) { return m.id.find(r) != std::string::npos; },
  };
  for (Matcher matches : kTiers) {
    std::vector<const Manifest*> found;
    for (const auto& m : backups)
      if (matches(m, ref)) found.push_back(&m);
    if (found.size() == 1) return *found.front();
    if (found.size() > 1) return ambiguous(ref, found);
  }
  // Naming a damaged backup exactly deserves the damage, not "no match".
  for (const auto& [id, error] : scan->damaged)
    if (id == ref || id + std::string(kManifestSuffix) == ref) return tl::unexpected(error);
  return none();
}

fs::path BackupStore::manifest_path(std::string_view id) const {
  return dir_ / (std::string(id) + std::string(kManifestSuffix));
}

Result<void> BackupStore::check_free_space(std::uint64_t bytes) const {
  struct statvfs st;
  if (::statvfs(dir_.c_str(), &st) != 0)
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
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
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
  return write_file_atomically(manifest_path(m.id), text);
}

bool is_valid_label(std::string_view label) {
  if (label.empty() || label.size() > 64 || label.find("..") != std::string_view::npos)
    return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

std::string human_size(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  // So that 1023.96 KiB reads "1.0 MiB", not "1024.0 KiB".
  if (value >= 1023.95 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

}  // namespace migrate
