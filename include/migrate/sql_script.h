// Splitting a migration file into statements.
//
// Drivers execute a file statement by statement so that an error can name the
// line it came from; `--dry-run` prints the same statements. Splitting is a
// pure function over the file's text: it understands quoting, comments and the
// block syntax of each dialect well enough to find where statements end:
//   - SQLite: '...', "...", `...`, [...], -- and /* */ comments, and
//     CREATE TRIGGER ... BEGIN ... END; bodies (a trigger ends at an END that
//     directly follows a ';', as sqlite3_complete() decides).
//   - PostgreSQL: '...', E'...' (backslash escapes), "...", $tag$...$tag$
//     dollar quotes, nested /* */ comments.
//   - MySQL: '...' and "..." with backslash escapes, `...`, #, -- and /* */
//     comments, and DELIMITER lines as the mysql client understands them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "migrate/error.h"

namespace migrate {

enum class SqlDialect { kSqlite, kPostgres, kMysql };

struct Statement {
  std::string text;  // the statement without its terminating delimiter, trimmed
  int line = 0;      // 1-based line in the file where the statement starts
};

struct SqlScript {
  std::vector<Statement> statements;
  bool no_transaction = false;  // the file carries `-- migrate:no-transaction`
};

// Splits `sql` into statements. Comment-only or empty input gives no
// statements. Fails (kInvalidMigrations) only on input that can never be
// valid: an unterminated string, quoted identifier, comment or dollar quote,
// or an unterminated trigger body; the message gives the line where it began.
// The caller prefixes the file name.
Result<SqlScript> split_sql(std::string_view sql, SqlDialect dialect);

// True when a line among the file's leading comment lines (before the first
// statement) is `-- migrate:no-transaction` (whitespace tolerant).
bool has_no_transaction_directive(std::string_view sql);

}  // namespace migrate
