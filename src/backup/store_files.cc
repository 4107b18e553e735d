#include "backup/store_files.h"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "backup/store.h"
#include "util/atomic_file.h"
#include "util/env.h"

namespace migrate::store_files {

namespace fs = std::filesystem;

std::string_view manifest_id(std::string_view file_name) {
  if (!file_name.ends_with(kManifestSuffix)) return {};
  auto id = file_name.substr(0, file_name.size() - kManifestSuffix.size());
  return is_valid_backup_id(id) ? id : std::string_view{};
}

Result<std::vector<std::string>> regular_files(const fs::path& dir) {
  std::vector<std::string> all;
  if (env().list(dir, all) != 0)
    return fail(ErrorCode::kIo,
                fmt::format("cannot read directory '{}': {}", dir.string(), os_error_text(errno)));
  std::vector<std::string> names;
  for (auto& name : all) {
    struct stat st;
    if (env().lstat(dir / name, &st) == 0 && S_ISREG(st.st_mode)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

std::string user_name(uid_t uid) {
  struct passwd entry, *found = nullptr;
  char buffer[4096];
  if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found)
    return fmt::format("{} (uid {})", entry.pw_name, uid);
  return fmt::format("uid {}", uid);
}

}  // namespace

std::string foreign_owner(const struct stat& st) {
  uid_t self = ::geteuid();
  if (st.st_uid == self) return "";
  return fmt::format("owned by {}, not by you ({})", user_name(st.st_uid), user_name(self));
}

bool is_backup_file_name(std::string_view name) {
  for (size_t dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1))
    if (dot + 1 < name.size() && is_valid_backup_id(name.substr(0, dot))) return true;
  return false;
}

std::string id_base(std::chrono::system_clock::time_point now, std::string_view label) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm p{};
  gmtime_r(&seconds, &p);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z_{}", p.tm_year + 1900, p.tm_mon + 1,
                     p.tm_mday, p.tm_hour, p.tm_min, p.tm_sec, label);
}

bool id_taken(const std::vector<std::string>& names, std::string_view id) {
  std::string file = std::string(id) + ".";
  std::string temporary = fmt::format(".{}", file);
  std::string own = fmt::format(".{}{}", kStoreFilePrefix, file);
  // The manifest, an artifact, a marker or a temporary of a backup in progress.
  return std::any_of(names.begin(), names.end(), [&](const std::string& name) {
    return name.starts_with(file) || name.starts_with(temporary) || name.starts_with(own);
  });
}

// Why the artifact of `m` cannot be the one the manifest describes, or "".
std::string artifact_problem(const fs::path& path, const Manifest& m) {
  struct stat st;
  if (env().lstat(path, &st) != 0)
    return errno == ENOENT
               ? fmt::format("artifact '{}' is missing", m.artifact)
               : fmt::format("cannot stat artifact '{}': {}", m.artifact, os_error_text(errno));
  if (!S_ISREG(st.st_mode)) return fmt::format("artifact '{}' is not a regular file", m.artifact);
  if (auto owner = foreign_owner(st); !owner.empty())
    return fmt::format("artifact '{}' is {}; it is not trusted", m.artifact, owner);
  if (static_cast<std::uint64_t>(st.st_size) != m.artifact_size)
    return fmt::format("artifact '{}' has {} bytes, the manifest says {}", m.artifact, st.st_size,
                       m.artifact_size);
  return "";
}

}  // namespace migrate::store_files
