#include "core/sql_lexer.h"

#include <algorithm>
#include <optional>

namespace migrate {
namespace {

constexpr size_t npos = std::string_view::npos;
constexpr const char* kString = "unterminated string literal";
constexpr const char* kIdentifier = "unterminated quoted identifier";
constexpr const char* kComment = "unterminated block comment";

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_letter(char c) {
  // Bytes of multi-byte UTF-8 characters count as letters, as in every dialect.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// '$' continues a word in all three dialects, so `a$$b` is one identifier.
bool is_word_char(char c) {
  return is_letter(c) || is_digit(c) || c == '$';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// How a quoted token that opens at some position ends.
struct QuoteRule {
  size_t open_length;  // 2 for PostgreSQL's E'
  char close;
  bool doubled;    // a doubled closing character stands for itself
  bool backslash;  // a backslash escapes the next character
  const char* unterminated;
};

std::optional<QuoteRule> quote_rule_at(std::string_view sql, size_t pos, SqlDialect dialect) {
  char c = sql[pos];
  char next = pos + 1 < sql.size() ? sql[pos + 1] : '\0';
  switch (dialect) {
    case SqlDialect::kSqlite:
      if (c == '\'') return QuoteRule{1, c, true, false, kString};
      if (c == '"' || c == '`') return QuoteRule{1, c, true, false, kIdentifier};
      if (c == '[') return QuoteRule{1, ']', false, false, kIdentifier};
      break;
    case SqlDialect::kPostgres:
      if (c == '\'') return QuoteRule{1, c, true, false, kString};
      if ((c == 'E' || c == 'e') && next == '\'') return QuoteRule{2, next, true, true, kString};
      if (c == '"') return QuoteRule{1, c, true, false, kIdentifier};
      break;
    case SqlDialect::kMysql:
      if (c == '\'' || c == '"') return QuoteRule{1, c, true, true, kString};
      if (c == '`') return QuoteRule{1, c, true, false, kIdentifier};
      break;
  }
  return std::nullopt;
}

// Position just past the closing quote, or npos.
size_t quoted_end(std::string_view sql, size_t pos, const QuoteRule& rule) {
  for (size_t i = pos + rule.open_length; i < sql.size(); ++i) {
    char c = sql[i];
    if (rule.backslash && c == '\\') {
      ++i;
    } else if (c == rule.close) {
      if (!rule.doubled || i + 1 >= sql.size() || sql[i + 1] != c) return i + 1;
      ++i;
    }
  }
  return npos;
}

// MySQL runs /*! ... */ (and MariaDB /*M! ... */) as SQL: mysqldump writes
// whole statements that way, so they are content, not comments.
bool is_executable_comment(std::string_view sql, size_t pos, SqlDialect dialect) {
  if (dialect != SqlDialect::kMysql) return false;
  std::string_view rest = sql.substr(pos);
  return rest.starts_with("/*!") || rest.starts_with("/*M!");
}

}  // namespace

bool SqlToken::is_keyword(std::string_view lower_word) const {
  if (kind != SqlTokenKind::kWord || text.size() != lower_word.size()) return false;
  return std::equal(text.begin(), text.end(), lower_word.begin(),
                    [](char a, char b) { return lower(a) == b; });
}

Result<SqlToken> SqlLexer::next() {
  if (auto skipped = skip_trivia(); !skipped) return tl::unexpected(skipped.error());
  SqlToken token;
  token.offset = pos_;
  token.line = line_;
  token.starts_line = at_line_start(pos_);
  if (pos_ >= sql_.size()) return token;
  auto end = scan(pos_, token.kind);
  if (!end) return tl::unexpected(end.error());
  token.text = sql_.substr(pos_, *end - pos_);
  advance_to(*end);
  return token;
}

std::string_view SqlLexer::take_rest_of_line() {
  size_t end = std::min(sql_.find('\n', pos_), sql_.size());
  std::string_view rest = sql_.substr(pos_, end - pos_);
  pos_ = end;
  return rest;
}

Result<void> SqlLexer::skip_trivia() {
  while (pos_ < sql_.size()) {
    char c = sql_[pos_];
    if (is_blank(c)) {
      if (c == '\n') ++line_;
      ++pos_;
      continue;
    }
    // The mysql client looks for its delimiter before it looks for comments.
    if (at_delimiter(pos_)) return {};
    if (size_t end = line_comment_end(pos_); end != npos) {
      advance_to(end);
      continue;
    }
    if (!sql_.substr(pos_).starts_with("/*") || is_executable_comment(sql_, pos_, dialect_)) {
      return {};
    }
    size_t end = block_comment_end(pos_);
    if (end == npos) return error_here(kComment);
    advance_to(end);
  }
  return {};
}

Result<size_t> SqlLexer::scan(size_t pos, SqlTokenKind& kind) const {
  kind = SqlTokenKind::kQuoted;
  if (at_delimiter(pos)) {
    kind = SqlTokenKind::kDelimiter;
    return pos + delimiter_.size();
  }
  if (auto rule = quote_rule_at(sql_, pos, dialect_)) {
    size_t end = quoted_end(sql_, pos, *rule);
    if (end == npos) return error_here(rule->unterminated);
    return end;
  }
  if (is_executable_comment(sql_, pos, dialect_)) {
    size_t end = block_comment_end(pos);
    if (end == npos) return error_here(kComment);
    return end;
  }
  if (size_t tag_end = dollar_tag_end(pos); tag_end != npos) {
    std::string_view tag = sql_.substr(pos, tag_end - pos);
    size_t close = sql_.find(tag, tag_end);
    if (close == npos) return error_here("unterminated dollar-quoted string " + std::string(tag));
    return close + tag.size();
  }
  if (is_word_char(sql_[pos]) && sql_[pos] != '$') {
    kind = SqlTokenKind::kWord;
    return word_end(pos);
  }
  kind = SqlTokenKind::kSymbol;
  return pos + 1;
}

size_t SqlLexer::line_comment_end(size_t pos) const {
  std::string_view rest = sql_.substr(pos);
  bool comment = rest.starts_with("--");
  if (dialect_ == SqlDialect::kMysql) {
    // MySQL needs a blank or control character after "--": `5--1` is 5 - -1.
    comment = (comment && (rest.size() == 2 || static_cast<unsigned char>(rest[2]) <= ' ')) ||
              rest.starts_with("#");
  }
  if (!comment) return npos;
  return std::min(sql_.find('\n', pos), sql_.size());
}

size_t SqlLexer::block_comment_end(size_t pos) const {
  if (dialect_ != SqlDialect::kPostgres) {
    size_t close = sql_.find("*/", pos + 2);
    return close == npos ? npos : close + 2;
  }
  // PostgreSQL nests block comments.
  int depth = 1;
  for (size_t i = pos + 2; i + 1 < sql_.size(); ++i) {
    if (sql_[i] == '/' && sql_[i + 1] == '*') {
      ++depth;
      ++i;
    } else if (sql_[i] == '*' && sql_[i + 1] == '/') {
      if (--depth == 0) return i + 2;
      ++i;
    }
  }
  return npos;
}

// End of a PostgreSQL dollar-quote opener `$tag$` at pos, or npos. A tag
// cannot start with a digit, which keeps `$1` a parameter.
size_t SqlLexer::dollar_tag_end(size_t pos) const {
  if (dialect_ != SqlDialect::kPostgres || sql_[pos] != '$') return npos;
  size_t i = pos + 1;
  if (i < sql_.size() && is_letter(sql_[i])) {
    while (i < sql_.size() && (is_letter(sql_[i]) || is_digit(sql_[i]))) ++i;
  }
  return i < sql_.size() && sql_[i] == '$' ? i + 1 : npos;
}

// A custom MySQL delimiter ends a word: `END$$` is END followed by `$$`.
size_t SqlLexer::word_end(size_t pos) const {
  size_t i = pos + 1;
  while (i < sql_.size() && is_word_char(sql_[i]) && !at_delimiter(i)) ++i;
  return i;
}

bool SqlLexer::at_delimiter(size_t pos) const {
  return sql_[pos] == delimiter_[0] && sql_.substr(pos).starts_with(delimiter_);
}

bool SqlLexer::at_line_start(size_t pos) const {
  while (pos > 0 && (sql_[pos - 1] == ' ' || sql_[pos - 1] == '\t')) --pos;
  return pos == 0 || sql_[pos - 1] == '\n';
}

void SqlLexer::advance_to(size_t end) {
  line_ += static_cast<int>(std::count(sql_.begin() + pos_, sql_.begin() + end, '\n'));
  pos_ = end;
}

tl::unexpected<Error> SqlLexer::error_here(std::string_view what) const {
  return fail(ErrorCode::kInvalidMigrations,
              "line " + std::to_string(line_) + ": " + std::string(what));
}

}  // namespace migrate
