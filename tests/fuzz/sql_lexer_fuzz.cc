// SqlLexer (src/core/sql_lexer.cc) on arbitrary text, in each dialect and,
// for MySQL, with the delimiters DELIMITER lines set in practice.
//
// Properties: tokens come in order without overlapping, each token's text is
// the input at its offset, its line counts the newlines before it,
// starts_line holds exactly when only blanks precede it on its line, and the
// lexer always reaches kEnd or an error (never loops).
#include <algorithm>
#include <string>

#include "core/sql_lexer.h"
#include "fuzz_check.h"

namespace migrate::fuzz {
namespace {

bool only_blanks_before(std::string_view sql, size_t offset) {
  while (offset > 0 && (sql[offset - 1] == ' ' || sql[offset - 1] == '\t')) --offset;
  return offset == 0 || sql[offset - 1] == '\n';
}

void check_tokens(std::string_view sql, SqlDialect dialect, const std::string& delimiter) {
  SqlLexer lexer(sql, dialect);
  lexer.set_delimiter(delimiter);
  size_t end = 0;
  for (size_t count = 0;; ++count) {
    FUZZ_CHECK(count <= sql.size());  // every token but kEnd consumes input
    auto token = lexer.next();
    if (!token) {
      FUZZ_CHECK(token.error().code == ErrorCode::kInvalidMigrations);
      return;
    }
    FUZZ_CHECK(token->offset >= end);
    FUZZ_CHECK(token->line == 1 + std::count(sql.begin(), sql.begin() + token->offset, '\n'));
    FUZZ_CHECK(token->starts_line == only_blanks_before(sql, token->offset));
    if (token->kind == SqlTokenKind::kEnd) {
      FUZZ_CHECK(token->offset == sql.size());
      return;
    }
    FUZZ_CHECK(!token->text.empty());
    FUZZ_CHECK(token->text.data() == sql.data() + token->offset);
    FUZZ_CHECK(token->offset + token->text.size() <= sql.size());
    if (token->kind == SqlTokenKind::kDelimiter) FUZZ_CHECK(token->text == delimiter);
    if (token->kind == SqlTokenKind::kSymbol) FUZZ_CHECK(token->text.size() == 1);
    end = token->offset + token->text.size();
  }
}

}  // namespace
}  // namespace migrate::fuzz

// The first byte picks the dialect and the delimiter.
extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  using namespace migrate;
  if (size == 0) return 0;
  constexpr SqlDialect kDialects[] = {SqlDialect::kSqlite, SqlDialect::kPostgres,
                                      SqlDialect::kMysql};
  static const std::string kDelimiters[] = {";", "$$", "//", ";;", "|", "\\", "END", "-"};
  SqlDialect dialect = kDialects[data[0] % 3];
  std::string delimiter = dialect == SqlDialect::kMysql ? kDelimiters[(data[0] / 3) % 8] : ";";
  fuzz::check_tokens(fuzz::as_text(data + 1, size - 1), dialect, delimiter);
  return 0;
}
