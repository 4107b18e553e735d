// create: writing a new migration and its rollback from templates.
#include <fmt/format.h>

#include <cctype>

#include "migrate/embedded_templates.h"
#include "migrate/engine.h"
#include "util/clock.h"
#include "util/files.h"

namespace migrate {
namespace {

// "Add User-Email index" -> "add_user_email_index"; empty when a character
// other than letters, digits, spaces, dashes and underscores appears.
std::string normalise_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 128) {
      out += static_cast<char>(std::tolower(u));
    } else if (c == ' ' || c == '-' || c == '_') {
      if (!out.empty() && out.back() != '_') out += '_';
    } else {
      return {};
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

std::string fill(std::string_view text, const std::string& version, const std::string& name,
                 const std::string& created_at) {
  std::string out(text);
  for (const auto& [key, value] :
       {std::pair{std::string("{{version}}"), version}, std::pair{std::string("{{name}}"), name},
        std::pair{std::string("{{created_at}}"), created_at}}) {
    for (size_t pos = out.find(key); pos != std::string::npos;
         pos = out.find(key, pos + value.size()))
      out.replace(pos, key.size(), value);
  }
  return out;
}

// The project's own template when `templates/<file>` sits next to the
// migrations directory, else the built-in one.
Result<std::string> template_text(const std::filesystem::path& dir, const char* file,
                                  std::string_view builtin) {
  auto custom = dir.parent_path() / "templates" / file;
  if (path_exists(custom)) return read_file(custom);
  return std::string(builtin);
}

}  // namespace

Result<CreatedMigration> create_migration(const std::filesystem::path& dir, std::string_view name,
                                          std::chrono::system_clock::time_point now) {
  std::string normalised = normalise_name(name);
  if (normalised.empty()) {
    return fail(ErrorCode::kUsage,
                fmt::format("invalid migration name '{}': use letters, digits, spaces, dashes or "
                            "underscores",
                            printable(name)));
  }
  // Far below the 255-byte limit of file names, which the rollback file
  // ("<version>_<name>_rollback.sql") would otherwise hit as an I/O error.
  constexpr size_t kMaxName = 100;
  if (normalised.size() > kMaxName) {
    return fail(ErrorCode::kUsage,
                fmt::format("migration name is too long: {} characters, at most {}",
                            normalised.size(), kMaxName),
                "describe the change in a few words, e.g. add_users_email_index");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(ErrorCode::kIo, fmt::format("cannot create migrations directory '{}': {}",
                                            dir.string(), ec.message()));
  }
  auto absolute_dir = std::filesystem::absolute(dir);
  auto up = template_text(absolute_dir, "migration.sql", embedded::k_migration_template);
  if (!up) return tl::unexpected(up.error());
  auto down = template_text(absolute_dir, "rollback.sql", embedded::k_rollback_template);
  if (!down) return tl::unexpected(down.error());

  // Two creates in one second would share a version: take the next free one.
  auto scan = scan_directory(dir);
  auto version_taken = [&](const std::string& v) {
    return scan && (scan->catalog.find(v) != nullptr);
  };
  std::string version = format_version_utc(now);
  while (version_taken(version)) {
    now += std::chrono::seconds(1);
    version = format_version_utc(now);
  }
  std::string created_at = format_iso8601_utc(now);
  CreatedMigration created{dir / fmt::format("{}_{}.sql", version, normalised),
                           dir / fmt::format("{}_{}_rollback.sql", version, normalised)};
  if (auto r = write_new_file(created.migration, fill(*up, version, normalised, created_at)); !r)
    return tl::unexpected(r.error());
  if (auto r = write_new_file(created.rollback, fill(*down, version, normalised, created_at)); !r) {
    remove_if_present(created.migration);
    return tl::unexpected(r.error());
  }
  return created;
}

}  // namespace migrate
