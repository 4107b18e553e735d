#include "engine/script_loader.h"

#include <fmt/format.h>

#include "backup/checksum.h"
#include "migrate/transaction_rules.h"
#include "util/files.h"

namespace migrate {

Result<LoadedScript> load_script(const std::filesystem::path& path, SqlDialect dialect) {
  auto content = read_file(path);
  if (!content) return tl::unexpected(content.error());
  auto script = split_sql(*content, dialect);
  if (!script) {
    return fail(script.error().code,
                fmt::format("{}: {}", path.filename().string(), script.error().message));
  }
  if (auto conflict = find_transaction_conflict(*script, dialect)) {
    return fail(ErrorCode::kRefused,
                fmt::format("{}: line {}: {}; nothing was run", path.filename().string(),
                            conflict->statement.line, conflict->reason),
                "put `-- migrate:no-transaction` on the file's first line to run it outside a "
                "transaction");
  }
  return LoadedScript{path, sha256_hex(*content), std::move(*script)};
}

Result<std::string> file_checksum(const std::filesystem::path& path) {
  auto content = read_file(path);
  if (!content) return tl::unexpected(content.error());
  return sha256_hex(*content);
}

}  // namespace migrate
