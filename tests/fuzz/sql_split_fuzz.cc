// split_sql (src/core/sql_script.cc) on arbitrary migration files, in each
// dialect: quotes, comments, dollar quotes, DELIMITER, trigger and routine
// bodies.
//
// Properties, on success: every statement is non-empty and trimmed, the
// statements appear in the file in order without overlapping, each one's
// line is where it appears; and (SQLite, PostgreSQL) splitting is
// idempotent: a statement split again is itself, and the statements joined
// with ";\n" split into the same statements. MySQL statements are left out
// of the last two: after a DELIMITER line, a statement may hold ';'.
// On failure: a kInvalidMigrations error naming a line.
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "migrate/sql_script.h"

namespace migrate::fuzz {
namespace {

constexpr std::string_view kBlanks = " \t\r\n\f\v";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

int line_at(std::string_view text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// The statements embed in `sql` in order: the leftmost embedding exists
// whenever any does. Lines are checked against the embedding, which can
// only land earlier than the real position, so a line may be smaller.
void check_positions(std::string_view sql, const std::vector<Statement>& statements) {
  size_t from = 0;
  int previous_line = 1;
  for (const Statement& s : statements) {
    FUZZ_CHECK(!s.text.empty());
    FUZZ_CHECK(kBlanks.find(s.text.front()) == std::string_view::npos);
    FUZZ_CHECK(kBlanks.find(s.text.back()) == std::string_view::npos);
    size_t at = sql.find(s.text, from);
    FUZZ_CHECK(at != std::string_view::npos);
    FUZZ_CHECK(s.line >= previous_line);
    FUZZ_CHECK(s.line >= line_at(sql, at));
    FUZZ_CHECK(s.line <= line_at(sql, sql.size()));
    from = at + s.text.size();
    previous_line = s.line;
  }
}

std::vector<std::string> texts(const std::vector<Statement>& statements) {
  std::vector<std::string> out;
  for (const Statement& s : statements) out.push_back(s.text);
  return out;
}

void check_idempotent(const std::vector<Statement>& statements, SqlDialect dialect) {
  std::string joined;
  for (const Statement& s : statements) {
    joined += s.text + ";\n";
    if (s.text.starts_with(kUtf8Bom)) return;  // a BOM is only skipped at the start of a file
    auto again = split_sql(s.text, dialect);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->statements.size() == 1);
    FUZZ_CHECK(again->statements[0].text == s.text);
    FUZZ_CHECK(again->statements[0].line == 1);
  }
  auto again = split_sql(joined, dialect);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(texts(again->statements) == texts(statements));
}

}  // namespace
}  // namespace migrate::fuzz

// The first byte picks the dialect.
extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  using namespace migrate;
  if (size == 0) return 0;
  constexpr SqlDialect kDialects[] = {SqlDialect::kSqlite, SqlDialect::kPostgres,
                                      SqlDialect::kMysql};
  SqlDialect dialect = kDialects[data[0] % 3];
  std::string_view sql = fuzz::as_text(data + 1, size - 1);
  auto script = split_sql(sql, dialect);
  if (!script) {
    FUZZ_CHECK(script.error().code == ErrorCode::kInvalidMigrations);
    FUZZ_CHECK(script.error().message.starts_with("line "));
    return 0;
  }
  if (sql.starts_with(fuzz::kUtf8Bom)) sql.remove_prefix(fuzz::kUtf8Bom.size());
  fuzz::check_positions(sql, script->statements);
  if (dialect != SqlDialect::kMysql) fuzz::check_idempotent(script->statements, dialect);
  return 0;
}
