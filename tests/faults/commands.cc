#include "faults/commands.h"

#include <stdexcept>

#include "backup/backup_service.h"
#include "backup/database_identity.h"
#include "engine/store_backup_hook.h"
#include "migrate/catalog.h"
#include "migrate/driver.h"
#include "migrate/engine.h"
#include "migrate/url.h"

namespace migrate::testing {
namespace {

struct Session {
  DatabaseUrl url;
  std::filesystem::path store_dir;
  BackupSettings settings;
};

Result<Session> session(const SqliteWorld& world) {
  auto url = parse_database_url(world.url());
  if (!url) return tl::unexpected(url.error());
  BackupSettings settings;
  settings.database = manifest_database_url(*url);
  settings.driver_name = "sqlite";
  return Session{*url, world.store(), settings};
}

Result<void> backup(const Session& s) {
  auto driver = open_driver(s.url, {});
  if (!driver) return tl::unexpected(driver.error());
  auto store = BackupStore::open(s.store_dir);
  if (!store) return tl::unexpected(store.error());
  auto manifest = take_backup(**driver, *store, s.settings, "manual", "backup");
  if (!manifest) return tl::unexpected(manifest.error());
  return {};
}

Result<void> restore(const Session& s, const std::string& id) {
  // As `migrate restore` does: one store, opened read-only until the ref resolves.
  auto store = BackupStore::open(s.store_dir, StoreAccess::kReadOnly);
  if (!store) return tl::unexpected(store.error());
  auto manifest = store->resolve(id, database_identity(s.settings.database));
  if (!manifest) return tl::unexpected(manifest.error());
  if (auto writing = store->start_writing(); !writing) return writing;
  auto driver = open_driver(s.url, {});
  if (!driver) return tl::unexpected(driver.error());
  if (auto lock = (*driver)->acquire_lock(std::chrono::seconds(5)); !lock) return lock;
  auto outcome = restore_backup(**driver, *store, s.settings, *manifest, PreRestoreBackup::kTake);
  (*driver)->release_lock();
  if (!outcome) return tl::unexpected(outcome.error());
  if (!outcome->difference.empty()) return fail(ErrorCode::kGeneral, outcome->difference);
  return {};
}

Result<void> up(const SqliteWorld& world, const Session& s) {
  auto catalog = load_catalog(world.migrations());
  if (!catalog) return tl::unexpected(catalog.error());
  auto driver = open_driver(s.url, {"schema_migrations", LockConnection::kOpenAhead});
  if (!driver) return tl::unexpected(driver.error());
  StoreBackupHook hook(s.store_dir, s.settings);
  EngineContext ctx{**driver, hook, std::chrono::seconds(5)};
  auto report = run_up(ctx, *catalog, UpRequest{});
  if (!report) return tl::unexpected(report.error());
  return {};
}

}  // namespace

const char* command_name(Command command) {
  switch (command) {
    case Command::kBackup:
      return "backup";
    case Command::kRestore:
      return "restore";
    case Command::kUp:
      return "up";
  }
  return "?";
}

std::string prepare(const SqliteWorld& world, Command command) {
  if (command != Command::kRestore) return "";
  auto s = session(world);
  if (!s) throw std::runtime_error(s.error().message);
  auto store = BackupStore::open(s->store_dir);
  if (!store) throw std::runtime_error(store.error().message);
  auto driver = open_driver(s->url, {});
  if (!driver) throw std::runtime_error(driver.error().message);
  auto manifest = take_backup(**driver, *store, s->settings, "state-a", "backup");
  if (!manifest) throw std::runtime_error(manifest.error().message);
  world.change_data();
  return manifest->id;
}

Result<void> open_store_for_writing(const SqliteWorld& world) {
  auto store = BackupStore::open(world.store());
  if (!store) return tl::unexpected(store.error());
  return {};
}

Result<void> run_command(const SqliteWorld& world, Command command, const std::string& backup_id) {
  auto s = session(world);
  if (!s) return tl::unexpected(s.error());
  switch (command) {
    case Command::kBackup:
      return backup(*s);
    case Command::kRestore:
      return restore(*s, backup_id);
    case Command::kUp:
      return up(world, *s);
  }
  return fail(ErrorCode::kGeneral, "unknown command");
}

}  // namespace migrate::testing
