#include "engine/store_backup_hook.h"

namespace migrate {

Result<std::optional<std::string>> StoreBackupHook::before_change(std::string_view label,
                                                                  Driver& driver) {
  std::string_view reason = label.starts_with("pre-") ? label.substr(4) : label;
  if (!store_) {
    auto opened = BackupStore::open(store_dir_);
    if (!opened) return tl::unexpected(opened.error());
    store_.emplace(std::move(*opened));
  }
  auto manifest = take_backup(driver, *store_, settings_, label, reason);
  if (!manifest) return tl::unexpected(manifest.error());
  taken_ = *manifest;
  return std::optional<std::string>(manifest->id);
}

}  // namespace migrate
