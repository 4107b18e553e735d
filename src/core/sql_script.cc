#include "migrate/sql_script.h"

#include <array>
#include <span>
#include <string>
#include <utility>

#include "core/sql_lexer.h"
#include "util/strings.h"

namespace migrate {
namespace {

constexpr size_t npos = std::string_view::npos;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The first keywords of a statement whose body may contain ';'.
using Header = std::array<std::string_view, 4>;
constexpr Header kTriggerHeaders[] = {
    {"create", "trigger"}, {"create", "temp", "trigger"}, {"create", "temporary", "trigger"}};
constexpr Header kRoutineHeaders[] = {{"create", "function"},
                                      {"create", "procedure"},
                                      {"create", "or", "replace", "function"},
                                      {"create", "or", "replace", "procedure"}};

std::span<const Header> block_headers(SqlDialect dialect) {
  switch (dialect) {
    case SqlDialect::kSqlite:
      return kTriggerHeaders;
    case SqlDialect::kPostgres:
      return kRoutineHeaders;
    case SqlDialect::kMysql:
      break;  // DELIMITER does this job in MySQL
  }
  return {};
}

Error invalid(int line, std::string_view what) {
  return Error{
      ErrorCode::kInvalidMigrations, "line " + std::to_string(line) + ": " + std::string(what), {}};
}

// Follows the block syntax that lets ';' appear inside one statement:
// SQLite trigger bodies, where a ';' ends the statement only right after
// `; END` (the sqlite3_complete() rule, so CASE ... END; does not), and
// PostgreSQL BEGIN ATOMIC bodies, counted the way psql counts them.
class BlockTracker {
 public:
  explicit BlockTracker(SqlDialect dialect) : dialect_(dialect) {}

  // Whether the statement is inside a body that has not ended yet, so that
  // a delimiter here belongs to the statement.
  bool in_body() const {
    if (kind_ != Kind::kBlock) return false;
    if (dialect_ == SqlDialect::kSqlite) return trigger_ != TriggerState::kEnd;
    return begin_depth_ > 0;
  }

  // Feeds the statement's significant tokens in order, delimiters included.
  void observe(const SqlToken& token) {
    if (kind_ == Kind::kUndecided) {
      observe_header(token);
    } else if (kind_ == Kind::kBlock && dialect_ == SqlDialect::kSqlite) {
      observe_trigger(token);
    } else if (kind_ == Kind::kBlock) {
      observe_routine(token);
    }
  }

  void reset() { *this = BlockTracker(dialect_); }

 private:
  enum class Kind { kUndecided, kPlain, kBlock };
  enum class TriggerState { kBody, kSemicolon, kEnd };

  void observe_header(const SqlToken& token) {
    std::span<const Header> headers = block_headers(dialect_);
    size_t index = header_index_++;
    bool undecided = false;
    for (size_t h = 0; h < headers.size(); ++h) {
      unsigned bit = 1u << h;
      if (!(candidates_ & bit)) continue;
      if (!token.is_keyword(headers[h][index])) {
        candidates_ &= ~bit;
      } else if (index + 1 == headers[h].size() || headers[h][index + 1].empty()) {
        kind_ = Kind::kBlock;
        return;
      } else {
        undecided = true;
      }
    }
    if (!undecided) kind_ = Kind::kPlain;
  }

  void observe_trigger(const SqlToken& token) {
    if (token.kind == SqlTokenKind::kDelimiter) {
      trigger_ = TriggerState::kSemicolon;
    } else if (token.is_keyword("end") && trigger_ == TriggerState::kSemicolon) {
      trigger_ = TriggerState::kEnd;
    } else {
      trigger_ = TriggerState::kBody;
    }
  }

  void observe_routine(const SqlToken& token) {
    if (token.kind == SqlTokenKind::kSymbol) {
      if (token.text == "(") ++paren_depth_;
      if (token.text == ")" && paren_depth_ > 0) --paren_depth_;
    }
    if (paren_depth_ > 0) return;
    // CASE ... END only matters inside a body, where its END must not close it.
    if (token.is_keyword("begin") || (token.is_keyword("case") && begin_depth_ > 0)) {
      ++begin_depth_;
    } else if (token.is_keyword("end") && begin_depth_ > 0) {
      --begin_depth_;
    }
  }

  SqlDialect dialect_;
  Kind kind_ = Kind::kUndecided;
  size_t header_index_ = 0;
  unsigned candidates_ = ~0u;  // bit h: still matching headers[h]
  TriggerState trigger_ = TriggerState::kBody;
  int paren_depth_ = 0;
  int begin_depth_ = 0;
};

// One pass over the tokens, collecting a statement from its first to its
// last significant token so that surrounding comments fall away.
class Splitter {
 public:
  Splitter(std::string_view sql, SqlDialect dialect)
      : sql_(sql), dialect_(dialect), lexer_(sql, dialect), block_(dialect) {}

  Result<std::vector<Statement>> run() {
    for (;;) {
      auto token = lexer_.next();
      if (!token) return tl::unexpected(token.error());
      if (token->kind == SqlTokenKind::kEnd) break;
      if (is_delimiter_command(*token)) {
        if (auto changed = change_delimiter(*token); !changed) {
          return tl::unexpected(changed.error());
        }
      } else if (token->kind == SqlTokenKind::kDelimiter && !block_.in_body()) {
        finish();
      } else {
        add(*token);
      }
    }
    if (begin_ != npos && block_.in_body()) return tl::unexpected(unterminated_body());
    finish();
    return std::move(statements_);
  }

 private:
  // The mysql client reads DELIMITER itself, only between statements.
  bool is_delimiter_command(const SqlToken& token) const {
    return dialect_ == SqlDialect::kMysql && begin_ == npos && token.starts_line &&
           token.is_keyword("delimiter");
  }

  Result<void> change_delimiter(const SqlToken& token) {
    std::string_view argument = trim(lexer_.take_rest_of_line());
    argument = argument.substr(0, argument.find_first_of(" \t\r\f\v"));
    if (argument.empty()) {
      return tl::unexpected(invalid(token.line, "DELIMITER must be followed by a delimiter"));
    }
    lexer_.set_delimiter(std::string(argument));
    return {};
  }

  void add(const SqlToken& token) {
    if (begin_ == npos) {
      begin_ = token.offset;
      line_ = token.line;
    }
    end_ = token.offset + token.text.size();
    block_.observe(token);
  }

  void finish() {
    if (begin_ != npos) {
      statements_.push_back({std::string(sql_.substr(begin_, end_ - begin_)), line_});
    }
    begin_ = npos;
    block_.reset();
  }

  Error unterminated_body() const {
    if (dialect_ == SqlDialect::kSqlite) {
      return invalid(line_, "unterminated trigger body (missing END;)");
    }
    return invalid(line_, "unterminated BEGIN ATOMIC body (missing END)");
  }

  std::string_view sql_;
  SqlDialect dialect_;
  SqlLexer lexer_;
  BlockTracker block_;
  std::vector<Statement> statements_;
  size_t begin_ = npos;  // offset of the current statement; npos between statements
  size_t end_ = 0;       // just past its last significant token
  int line_ = 0;
};

std::string_view without_bom(std::string_view sql) {
  if (sql.starts_with(kUtf8Bom)) sql.remove_prefix(kUtf8Bom.size());
  return sql;
}

}  // namespace

Result<SqlScript> split_sql(std::string_view sql, SqlDialect dialect) {
  sql = without_bom(sql);
  auto statements = Splitter(sql, dialect).run();
  if (!statements) return tl::unexpected(statements.error());
  return SqlScript{std::move(*statements), has_no_transaction_directive(sql)};
}

bool has_no_transaction_directive(std::string_view sql) {
  sql = without_bom(sql);
  while (!sql.empty()) {
    size_t eol = sql.find('\n');
    std::string_view line = trim(sql.substr(0, eol));
    sql.remove_prefix(eol == npos ? sql.size() : eol + 1);
    if (line.empty()) continue;
    if (!line.starts_with("--")) return false;  // the first statement or another comment style
    if (trim(line.substr(2)) == "migrate:no-transaction") return true;
  }
  return false;
}

}  // namespace migrate
