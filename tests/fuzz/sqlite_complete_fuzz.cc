// The SQLite dialect of split_sql (src/core/sql_script.cc) against SQLite's
// own sqlite3_complete(), which the sqlite3 shell uses to decide where a
// statement ends.
//
// The reference split: walking the file, a ';' ends a statement when
// sqlite3_complete() accepts the text from the previous end up to and
// including it (so a ';' in a string, comment or trigger body does not). The
// text between two ends is one statement, or nothing when it holds no token
// (";;", comments). The property: split_sql succeeds exactly when the text
// after the last end is empty of tokens or completed by a ';', and then its
// statements are the reference's, one for one: each is the reference
// statement's text minus the blanks and comments around it, and its line is
// where that text starts.
//
// Where the two legitimately differ, the input is left out or normalized:
//   - sqlite3_complete() reads a C string: the input is cut at a NUL byte;
//   - it does not count '\v' as a blank: '\v' becomes ' ';
//   - split_sql skips a UTF-8 byte order mark: the reference does too;
//   - sqlite3_complete() also takes EXPLAIN ... CREATE TRIGGER and CREATE
//     TEMP TEMP TRIGGER (SQL that SQLite rejects) for trigger headers:
//     inputs with such a statement are left out.
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/sql_lexer.h"
#include "fuzz_check.h"
#include "migrate/sql_script.h"

namespace migrate::fuzz {
namespace {

bool complete(const std::string& text) {
  return sqlite3_complete(text.c_str()) != 0;
}

// No token: only blanks and finished comments. After a ';' such text leaves
// the input complete; so do tokens that end in a ';', which after a word
// also leave it complete, while blanks and comments after a word do not.
bool empty_of_tokens(std::string_view text) {
  return complete(";" + std::string(text) + "\n") && !complete("x" + std::string(text) + "\n");
}

struct Piece {
  size_t begin;
  size_t end;  // the statement's ';' excluded
};

// The reference split: the pieces between statement ends, and the rest.
std::vector<Piece> reference_pieces(const std::string& sql, Piece& rest) {
  std::vector<Piece> pieces;
  size_t begin = 0;
  for (size_t i = sql.find(';'); i != std::string::npos; i = sql.find(';', i + 1)) {
    if (complete(sql.substr(begin, i + 1 - begin))) {
      pieces.push_back({begin, i});
      begin = i + 1;
    }
  }
  rest = {begin, sql.size()};
  return pieces;
}

// Blanks and finished comments, and not ending inside a line comment (where
// an "x" after it would be no token).
bool clean_prefix(std::string_view text) {
  return empty_of_tokens(text) && !complete(";" + std::string(text) + "x");
}

// Where `text` sits in `piece` with nothing but blanks and comments around
// it: at the piece's first token.
size_t position_in(std::string_view piece, std::string_view text) {
  for (size_t at = piece.find(text); at != std::string_view::npos; at = piece.find(text, at + 1)) {
    if (clean_prefix(piece.substr(0, at)) && empty_of_tokens(piece.substr(at + text.size()))) {
      return at;
    }
  }
  return std::string_view::npos;
}

// EXPLAIN anywhere, or CREATE followed by two TEMP/TEMPORARY words.
bool has_odd_trigger_header(std::string_view sql) {
  SqlLexer lexer(sql, SqlDialect::kSqlite);
  int temps_after_create = -1;  // -1: the previous word was not CREATE or TEMP
  for (;;) {
    auto token = lexer.next();
    if (!token || token->kind == SqlTokenKind::kEnd) return false;
    if (token->is_keyword("explain")) return true;
    if (token->is_keyword("create")) {
      temps_after_create = 0;
    } else if (temps_after_create >= 0 &&
               (token->is_keyword("temp") || token->is_keyword("temporary"))) {
      if (++temps_after_create == 2) return true;
    } else {
      temps_after_create = -1;
    }
  }
}

std::string normalize(std::string_view input) {
  std::string sql(input.substr(0, input.find('\0')));
  std::replace(sql.begin(), sql.end(), '\v', ' ');
  return sql;
}

// `input` goes to split_sql, which skips a leading byte order mark; the
// reference reads the text after it (no line changes).
void check_against_sqlite(const std::string& input) {
  std::string sql = input.starts_with("\xEF\xBB\xBF") ? input.substr(3) : input;
  Piece rest{};
  std::vector<Piece> pieces = reference_pieces(sql, rest);
  std::string_view rest_text = std::string_view(sql).substr(rest.begin);
  bool rest_empty = empty_of_tokens(rest_text);
  bool rest_ok = rest_empty || complete(std::string(rest_text) + "\n;");

  auto script = split_sql(input, SqlDialect::kSqlite);
  FUZZ_CHECK(script.has_value() == rest_ok);
  if (!script) return;
  if (!rest_empty) pieces.push_back(rest);

  const std::vector<Statement>& statements = script->statements;
  size_t next = 0;
  for (const Piece& piece : pieces) {
    std::string_view text = std::string_view(sql).substr(piece.begin, piece.end - piece.begin);
    if (empty_of_tokens(text)) continue;
    FUZZ_CHECK(next < statements.size());
    const Statement& statement = statements[next++];
    size_t at = position_in(text, statement.text);
    FUZZ_CHECK(at != std::string_view::npos);
    size_t offset = piece.begin + at;
    FUZZ_CHECK(statement.line == 1 + std::count(sql.begin(), sql.begin() + offset, '\n'));
  }
  FUZZ_CHECK(next == statements.size());
}

}  // namespace
}  // namespace migrate::fuzz

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  std::string sql = migrate::fuzz::normalize(migrate::fuzz::as_text(data, size));
  if (migrate::fuzz::has_odd_trigger_header(sql)) return 0;
  migrate::fuzz::check_against_sqlite(sql);
  return 0;
}
