#include "engine/script_loader.h"

#include <fmt/format.h>

#include "migrate/transaction_rules.h"
#include "util/crypto.h"
#include "util/files.h"
#include "util/strings.h"

namespace migrate {
namespace {

// The line of a dbmate `-- migrate:down` marker, 0 if there is none. Here it
// is a plain comment: the "down" statements below it would run as part of
// the migration, so a file written for dbmate must not run at all.
int dbmate_down_marker_line(std::string_view sql) {
  int line = 0;
  while (!sql.empty()) {
    ++line;
    size_t eol = sql.find('\n');
    std::string_view text = trim(sql.substr(0, eol));
    sql.remove_prefix(eol == std::string_view::npos ? sql.size() : eol + 1);
    if (text.starts_with("--") && trim(text.substr(2)).starts_with("migrate:down")) return line;
  }
  return 0;
}

}  // namespace

Result<LoadedScript> load_script(const std::filesystem::path& path, SqlDialect dialect) {
  auto content = read_file(path);
  if (!content) return tl::unexpected(content.error());
  if (int line = dbmate_down_marker_line(*content)) {
    std::string rollback = path.stem().string() + "_rollback.sql";
    return fail(ErrorCode::kRefused,
                fmt::format("{}: line {}: '-- migrate:down' starts a dbmate down section, which "
                            "migrate would run as part of this file; nothing was run",
                            path.filename().string(), line),
                fmt::format("move the statements below it into {} (the rollback file)", rollback));
  }
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
