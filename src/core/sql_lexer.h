// Tokens of a migration file, as far as statement splitting needs them.
//
// The lexer knows each dialect's quoting and comment rules so that a ';'
// inside a string, quoted identifier, dollar quote or comment is never taken
// for a delimiter. It does not tell keywords from identifiers or numbers: a
// word is a word, and the splitter decides what a word means.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "migrate/error.h"
#include "migrate/sql_script.h"

namespace migrate {

enum class SqlTokenKind {
  kWord,       // keyword, identifier or number
  kQuoted,     // string, quoted identifier, dollar quote, MySQL /*! */ comment
  kSymbol,     // any other single character
  kDelimiter,  // the current statement delimiter
  kEnd,        // end of input
};

struct SqlToken {
  SqlTokenKind kind = SqlTokenKind::kEnd;
  std::string_view text;
  size_t offset = 0;         // where the token begins in the input
  int line = 1;              // 1-based line where the token begins
  bool starts_line = false;  // only blanks precede it on its line

  // Whether this is a word equal to `lower` (a lowercase keyword), ignoring case.
  bool is_keyword(std::string_view lower) const;
};

class SqlLexer {
 public:
  SqlLexer(std::string_view sql, SqlDialect dialect) : sql_(sql), dialect_(dialect) {}

  // The next significant token: whitespace and comments are skipped. Fails
  // (kInvalidMigrations) on an unterminated quote or block comment, naming the
  // line where it began.
  Result<SqlToken> next();

  // Consumes the rest of the current line, without its newline. MySQL's
  // DELIMITER command takes its argument this way, outside the SQL grammar.
  std::string_view take_rest_of_line();

  // Statements end at `delimiter` from now on (MySQL's DELIMITER command).
  void set_delimiter(std::string delimiter) { delimiter_ = std::move(delimiter); }

 private:
  Result<void> skip_trivia();
  Result<size_t> scan(size_t pos, SqlTokenKind& kind) const;
  size_t line_comment_end(size_t pos) const;
  size_t block_comment_end(size_t pos) const;
  size_t dollar_tag_end(size_t pos) const;
  size_t word_end(size_t pos) const;
  bool at_delimiter(size_t pos) const;
  bool at_line_start(size_t pos) const;
  void advance_to(size_t end);
  tl::unexpected<Error> error_here(std::string_view what) const;

  std::string_view sql_;
  SqlDialect dialect_;
  std::string delimiter_ = ";";
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace migrate
