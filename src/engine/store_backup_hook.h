// The engine's BackupHook backed by the backup store. This adapter lives in
// the engine, above both, so that backup does not depend on the engine.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "backup/backup_service.h"
#include "migrate/engine.h"

namespace migrate {

// The BackupHook of every mutating command: a backup labelled
// "pre-<command>" before the first change. The store in `store_dir` is
// opened at the first backup, so a command with nothing to do never creates
// or cleans it, and only once.
class StoreBackupHook final : public BackupHook {
 public:
  StoreBackupHook(std::filesystem::path store_dir, BackupSettings settings)
      : store_dir_(std::move(store_dir)), settings_(std::move(settings)) {}
  Result<std::optional<std::string>> before_change(std::string_view label, Driver& driver) override;
  const std::optional<Manifest>& taken() const { return taken_; }

 private:
  std::filesystem::path store_dir_;
  BackupSettings settings_;
  std::optional<BackupStore> store_;
  std::optional<Manifest> taken_;
};

}  // namespace migrate
