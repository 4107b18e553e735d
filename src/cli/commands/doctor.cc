// doctor: what a deploy pipeline wants to know before it migrates.
#include <fmt/format.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <optional>

#include "backup/store.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "migrate/catalog.h"
#include "migrate/planner.h"

namespace migrate::cli {
namespace {

using Check = Driver::Check;

Check backup_dir_check(const std::filesystem::path& dir) {
  std::error_code ec;
  auto existing = dir;
  while (!existing.empty() && !std::filesystem::exists(existing, ec))
    existing = existing.parent_path();
  if (existing.empty()) existing = ".";
  if (::access(existing.c_str(), W_OK | X_OK) != 0)
    return {"backup directory", false, fmt::format("'{}' is not writable", existing.string())};
  struct statvfs fs {};
  if (::statvfs(existing.c_str(), &fs) != 0)
    return {"backup directory", false,
            fmt::format("cannot read free space of '{}'", existing.string())};
  auto free = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  return {"backup directory", true,
          fmt::format("'{}' writable, {} free{}", dir.string(), human_size(free),
                      existing == dir ? "" : " (created on first backup)")};
}

// Interrupted backups leave temporaries and scratch copies (as large as
// the database) that only the next backup removes; worth knowing when the
// disk fills up.
std::optional<Check> leftovers_check(const std::filesystem::path& dir) {
  auto store = BackupStore::open(dir, StoreAccess::kReadOnly);
  if (!store) return std::nullopt;  // the directory check reports it
  auto found = store->leftovers();
  if (found.files == 0) return Check{"backup leftovers", true, "none"};
  return Check{"backup leftovers", true,
               fmt::format("{} file(s), {}, left by interrupted runs in '{}'; the next backup "
                           "removes them",
                           found.files, human_size(found.bytes), dir.string())};
}

std::vector<Check> database_checks(const Config& config) {
  std::vector<Check> checks;
  auto driver = connect(config);
  if (!driver) {
    checks.push_back({"connection", false, driver.error().message});
    return checks;
  }
  checks.push_back({"connection", true,
                    fmt::format("{} ({})", config.url.masked(), (*driver)->server_version())});
  auto lock = (*driver)->acquire_lock(std::chrono::milliseconds(0));
  checks.push_back({"runner lock", lock.has_value(), lock ? "free" : lock.error().message});
  if (lock) (*driver)->release_lock();

  auto catalog = load_catalog(config.migrations_dir);
  auto applied = (*driver)->applied_migrations();
  if (!catalog) {
    checks.push_back({"migrations", false, catalog.error().message});
  } else if (!applied) {
    checks.push_back({"migrations", false, applied.error().message});
  } else {
    auto pending = plan_up(*catalog, *applied, {std::nullopt, std::nullopt, OutOfOrder::kAllow});
    checks.push_back({"migrations", true,
                      fmt::format("{} applied, {} pending in '{}'", applied->size(),
                                  pending ? pending->size() : 0, config.migrations_dir.string())});
  }
  for (auto& check : (*driver)->doctor_checks()) checks.push_back(std::move(check));
  return checks;
}

}  // namespace

void add_doctor_command(CLI::App& app, Action& action) {
  auto* doctor = app.add_subcommand(
      "doctor", "check connectivity, lock, pending migrations, backups and tools");
  doctor->callback([&action] {
    action = [](const Config& c) -> Result<Output> {
      auto checks = database_checks(c);
      checks.push_back(backup_dir_check(c.backup_dir));
      if (auto leftovers = leftovers_check(c.backup_dir)) checks.push_back(*leftovers);
      return render_doctor(checks);
    };
  });
}

}  // namespace migrate::cli
