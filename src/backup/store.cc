#include "backup/store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <set>
#include <tuple>

#include "backup/database_identity.h"
#include "backup/store_files.h"
#include "util/atomic_file.h"
#include "util/env.h"
#include "util/files.h"

namespace migrate {
namespace {

namespace fs = std::filesystem;
using namespace store_files;

constexpr size_t kMaxManifestBytes = size_t{64} << 20;
constexpr size_t kMaxListedCandidates = 10;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Result<std::string> read_small_file(const fs::path& path) {
  int fd = env().open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return fail(ErrorCode::kIo,
                fmt::format("cannot read '{}': {}", path.string(), os_error_text(errno)));
  std::string text;
  char buffer[65536];
  while (true) {
    ssize_t n = env().read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      env().close(fd);
      return fail(ErrorCode::kIo,
                  fmt::format("cannot read '{}': {}", path.string(), os_error_text(saved)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxManifestBytes) {
      env().close(fd);
      return fail(ErrorCode::kIo,
                  fmt::format("damaged manifest '{}': larger than {}", path.filename().string(),
                              human_size(kMaxManifestBytes)));
    }
  }
  env().close(fd);
  return text;
}

// Another user's file in the store was not written by this user's migrate:
// restoring it would run whatever that user put there.
std::string foreign_file_problem(const fs::path& path) {
  struct stat st;
  if (env().lstat(path, &st) != 0) return "";  // reading it reports the error
  auto owner = foreign_owner(st);
  if (owner.empty()) return "";
  return fmt::format("backup file '{}' is {}; it is not trusted", path.filename().string(), owner);
}

// `text` as one word for a shell command in a hint: quoted when needed.
std::string shell_word(const std::string& text) {
  bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._-+", c);
  });
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return escape_control(quoted + "'");
}

std::int64_t sort_time(const Manifest& m) {
  auto t = parse_utc_timestamp(m.created_at);
  return t ? t->time_since_epoch().count() : 0;
}

struct Damaged {
  std::string id;
  std::string database;  // identity, "" when the manifest could not be read
  Error error;
  std::string label;      // the manifest's, else the one in the id
  std::string artifact;   // file name, "" when the manifest could not be read
  std::int64_t time = 0;  // creation time, else the manifest's change time
};

// Manifests with the file they came from, valid or not; what list() and
// resolve() both start from.
struct Scan {
  std::vector<Manifest> backups;
  std::vector<Damaged> damaged;
};

Error damage(std::string message, std::string hint = {}) {
  return Error{ErrorCode::kIo, std::move(message), std::move(hint)};
}

// The label part of an id "YYYYMMDDTHHMMSSZ_<label>[-N]".
std::string_view id_label(std::string_view id) {
  return id.size() > 17 ? id.substr(17) : std::string_view{};
}

// Whether a manifest's label is the one its id carries (with or without
// the "-N" uniqueness suffix).
bool label_fits_id(std::string_view label, std::string_view id) {
  std::string_view tail = id_label(id);
  if (tail == label) return true;
  if (!starts_with(tail, label) || tail.size() < label.size() + 2 || tail[label.size()] != '-')
    return false;
  auto digits = tail.substr(label.size() + 1);
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::int64_t change_time(const fs::path& path) {
  struct stat st;
  if (env().lstat(path, &st) != 0) return 0;
  return std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec))
      .count();
}

// The hint for a damaged backup: the store never deletes a backup on its own
// (prune judges valid ones only), so name the files to delete.
std::string damaged_hint(const BackupStore& store, const std::string& id,
                         const std::string& artifact) {
  std::string files = shell_word((store.dir() / (id + std::string(kManifestSuffix))).string());
  if (!artifact.empty() && path_exists(store.dir() / artifact)) {
    files += ' ';
    files += shell_word((store.dir() / artifact).string());
  }
  return fmt::format(
      "name an older backup explicitly (`migrate backups` lists them); if you no longer need "
      "this one, delete its files: rm -- {}",
      files);
}

Result<Scan> scan_store(const BackupStore& store) {
  auto names = regular_files(store.dir());
  if (!names) return tl::unexpected(names.error());
  Scan scan;
  for (const auto& name : *names) {
    std::string id(manifest_id(name));
    if (id.empty()) continue;
    const fs::path path = store.dir() / name;
    Damaged d{id, "", Error{}, std::string(id_label(id)), "", change_time(path)};
    auto add_damaged = [&](Error e) {
      d.error = std::move(e);
      if (!starts_with(d.error.message, "damaged backup '"))
        d.error.message =
            fmt::format("damaged backup '{}': {}", escape_control(id), d.error.message);
      d.error.hint = damaged_hint(store, id, d.artifact);
      scan.damaged.push_back(std::move(d));
    };
    if (auto problem = foreign_file_problem(path); !problem.empty()) {
      add_damaged(damage(problem));
      continue;
    }
    auto text = read_small_file(path);
    if (!text) {
      add_damaged(text.error());
      continue;
    }
    auto m = parse_manifest(*text, name);
    if (!m) {
      add_damaged(m.error());
      continue;
    }
    d.database = database_identity(m->database);
    d.label = m->label;
    d.artifact = m->artifact;
    if (auto t = sort_time(*m)) d.time = t;
    if (m->id != id) {
      add_damaged(damage(fmt::format("its manifest's id '{}' does not match the file name '{}'",
                                     escape_control(m->id), escape_control(name))));
    } else if (!label_fits_id(m->label, id)) {
      add_damaged(damage(fmt::format("its manifest's label '{}' does not match its id",
                                     escape_control(m->label))));
    } else if (auto problem = artifact_problem(store.artifact_path(*m), *m); !problem.empty()) {
      add_damaged(damage(escape_control(problem)));
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

// A backup as resolve() sees it: valid or damaged alike, so that a ref
// naming a damaged backup is refused instead of quietly picking another.
struct Candidate {
  std::string_view id, label, artifact;
  std::string database;  // identity, "" = unknown
  std::int64_t time;
  const Manifest* valid;  // null when damaged
  const Error* damage;    // null when valid
};

std::vector<Candidate> candidates(const Scan& scan) {
  std::vector<Candidate> all;
  for (const auto& m : scan.backups)
    all.push_back(
        {m.id, m.label, m.artifact, database_identity(m.database), sort_time(m), &m, nullptr});
  for (const auto& d : scan.damaged)
    all.push_back({d.id, d.label, d.artifact, d.database, d.time, nullptr, &d.error});
  std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
    return std::make_tuple(a.id.substr(0, 16), a.time, a.id) >
           std::make_tuple(b.id.substr(0, 16), b.time, b.id);
  });
  return all;
}

std::string id_list(const std::vector<const Candidate*>& matches) {
  std::string ids;
  for (size_t i = 0; i < matches.size() && i < kMaxListedCandidates; ++i)
    ids += (i ? ", " : "") + std::string(matches[i]->id);
  if (matches.size() > kMaxListedCandidates)
    ids += fmt::format(" and {} more", matches.size() - kMaxListedCandidates);
  return ids;
}

tl::unexpected<Error> ambiguous(std::string_view ref,
                                const std::vector<const Candidate*>& matches) {
  return fail(ErrorCode::kUsage,
              fmt::format("backup reference '{}' is ambiguous: it matches {}", escape_control(ref),
                          id_list(matches)),
              "give a full id");
}

// Whether a backup of `m` belongs to `database` ("" stands for any).
bool of_database(const Manifest& m, std::string_view database) {
  return database.empty() || database_identity(m.database) == database;
}

// The kinds of REF, in the order resolve() tries them.
using Matcher = bool (*)(const Candidate&, std::string_view);
constexpr Matcher kExactMatch = [](const Candidate& c, std::string_view r) {
  return c.id == r || std::string(c.id) + std::string(kManifestSuffix) == r ||
         (!c.artifact.empty() && c.artifact == r);
};
constexpr Matcher kLooseMatches[] = {
    [](const Candidate& c, std::string_view r) { return c.label == r; },
    [](const Candidate& c, std::string_view r) { return starts_with(c.id, r); },
    [](const Candidate& c, std::string_view r) { return c.id.find(r) != std::string_view::npos; },
};

// A candidate of `database` ("" = any); a damaged backup whose manifest
// cannot be read might be of any database.
bool of_database(const Candidate& c, std::string_view database) {
  return database.empty() || c.database.empty() || c.database == database;
}

std::vector<const Candidate*> matching(const std::vector<Candidate>& all, Matcher matches,
                                       std::string_view ref, std::string_view database) {
  std::vector<const Candidate*> found;
  for (const auto& c : all)
    if (of_database(c, database) && matches(c, ref)) found.push_back(&c);
  return found;
}

// The backup a ref picked, or the refusal of a damaged one.
Result<Manifest> picked(const Candidate& c) {
  if (c.valid) return *c.valid;
  return tl::unexpected(*c.damage);
}

}  // namespace

Result<BackupStore> BackupStore::open(const fs::path& dir, StoreAccess access) {
  if (access == StoreAccess::kReadWrite) {
    if (dir.has_parent_path()) make_directories(dir.parent_path());
    // Created private from the start: no moment where another user can look in.
    if (env().mkdir(dir, 0700) != 0 && errno != EEXIST)
      return fail(ErrorCode::kIo, fmt::format("cannot create backup directory '{}': {}",
                                              dir.string(), os_error_text(errno)));
  }
  struct stat st;
  if (env().stat(dir, &st) != 0) {
    if (errno == ENOENT && access == StoreAccess::kReadOnly) return BackupStore(dir, false, false);
    return fail(ErrorCode::kIo, fmt::format("cannot open backup directory '{}': {}", dir.string(),
                                            os_error_text(errno)));
  }
  if (!S_ISDIR(st.st_mode))
    return fail(ErrorCode::kIo,
                fmt::format("backup directory '{}' is not a directory", dir.string()));
  if (auto owner = foreign_owner(st); !owner.empty())
    return fail(ErrorCode::kRefused,
                fmt::format("backup directory '{}' is {}", dir.string(), owner),
                "use a directory of your own (-b DIR or MIGRATE_BACKUP_DIR)");
  // Backups hold the whole database. Tightening the mode instead would take
  // a shared directory's sticky bit or the project directory away from others.
  if ((st.st_mode & 077) != 0)
    return fail(ErrorCode::kRefused,
                fmt::format("backup directory '{}' is open to other users (mode {:04o})",
                            dir.string(), st.st_mode & 07777),
                fmt::format("run `chmod 700 {}` if it holds only backups, or choose another "
                            "directory (-b DIR or MIGRATE_BACKUP_DIR)",
                            shell_word(dir.string())));
  BackupStore store(dir, true, access == StoreAccess::kReadWrite);
  if (access == StoreAccess::kReadWrite) {
    if (auto cleaned = store.remove_leftovers(); !cleaned) return tl::unexpected(cleaned.error());
  }
  return store;
}

Result<void> BackupStore::start_writing() {
  if (writable_) return {};
  auto writable = open(dir_, StoreAccess::kReadWrite);
  if (!writable) return tl::unexpected(writable.error());
  *this = std::move(*writable);
  return {};
}

Result<BackupStore::Listing> BackupStore::list(std::string_view database) const {
  Listing listing;
  if (!exists_) return listing;
  auto scan = scan_store(*this);
  if (!scan) return tl::unexpected(scan.error());
  for (auto& m : scan->backups) {
    if (of_database(m, database))
      listing.backups.push_back(std::move(m));
    else
      ++listing.other_databases;
  }
  for (auto& d : scan->damaged) {
    if (database.empty() || d.database.empty() || d.database == database)
      listing.damaged.push_back(std::move(d.error));
    else
      ++listing.other_databases;
  }
  return listing;
}

std::string BackupStore::new_id(std::chrono::system_clock::time_point now,
                                std::string_view label) const {
  std::string base = store_files::id_base(now, label);
  auto names = regular_files(dir_);
  std::string id = base;
  for (int n = 2; names ? id_taken(*names, id) : path_exists(manifest_path(id)); ++n)
    id = fmt::format("{}-{}", base, n);
  return id;
}

Result<Manifest> BackupStore::resolve(std::string_view ref, std::string_view database) const {
  if (ref.empty())
    return fail(ErrorCode::kUsage, "empty backup reference", "give an id or 'latest'");
  if (ref.find('/') != std::string_view::npos || ref.find("..") != std::string_view::npos ||
      ref.find('\0') != std::string_view::npos)
    return fail(ErrorCode::kUsage,
                fmt::format("backup reference '{}' is a path; it must name a backup in '{}'",
                            escape_control(ref), dir_.string()),
                "run `migrate backups` to list them");
  Scan scan;
  if (exists_) {
    auto scanned = scan_store(*this);
    if (!scanned) return tl::unexpected(scanned.error());
    scan = std::move(*scanned);
  }
  auto all = candidates(scan);
  std::string hint =
      fmt::format("run `migrate backups` to list the backups in '{}'", dir_.string());
  auto none = [&]() -> tl::unexpected<Error> {
    return fail(ErrorCode::kUsage, fmt::format("no backup matches '{}'", escape_control(ref)),
                hint);
  };
  if (ref == "latest") {
    // The newest backup, damaged or not: quietly restoring an older one
    // would lose whatever the newest held.
    for (const auto& c : all)
      if (of_database(c, database)) return picked(c);
    if (!all.empty() && !database.empty())
      hint = fmt::format(
          "the backups in '{}' are of other databases (`migrate backups --all` "
          "lists them); name one by its full id",
          dir_.string());
    return none();
  }
  if (auto found = matching(all, kExactMatch, ref, {}); found.size() == 1)
    return picked(*found.front());
  for (Matcher matches : kLooseMatches) {
    auto found = matching(all, matches, ref, database);
    if (found.size() == 1) return picked(*found.front());
    if (found.size() > 1) return ambiguous(ref, found);
    if (auto others = matching(all, matches, ref, {}); !others.empty()) {
      hint = fmt::format("backups of other databases match: {}; name one by its full id",
                         id_list(others));
      break;
    }
  }
  return none();
}

fs::path BackupStore::manifest_path(std::string_view id) const {
  return dir_ / (std::string(id) + std::string(kManifestSuffix));
}

bool is_valid_label(std::string_view label) {
  if (label.empty() || label.size() > 64 || label.find("..") != std::string_view::npos)
    return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

std::string escape_control(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      out += fmt::format("\\x{:02x}", byte);
    else
      out += c;
  }
  return out;
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
