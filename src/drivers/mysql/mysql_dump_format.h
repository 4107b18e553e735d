// mariadb-dump's output, as far as a backup relies on it: where statements
// end, which ones carry rows, whether the dump is whole, and the content
// fingerprint of what it holds.
//
// The reader follows the mysql client's rules for what it is given: quotes
// ('...', "..." with backslash escapes, `...`), comments, and DELIMITER
// lines, so a trigger or routine body written with DELIMITER ;; stays one
// statement and a ';' inside a string never ends one. Statements arrive in
// dump order through a callback, text without its delimiter.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/row_set_hash.h"
#include "migrate/error.h"
#include "migrate/fingerprint.h"

namespace migrate::mysql {

struct DumpStatement {
  enum class Kind { kSchema, kRows };
  Kind kind = Kind::kSchema;
  std::string_view text;   // without the delimiter
  std::string_view table;  // kRows: the table (unquoted)
};

class DumpReader {
 public:
  using Handler = std::function<Result<void>(const DumpStatement&)>;
  // One row of an INSERT: its table and its VALUES tuple without the
  // parentheses ("1,'a',NULL"), called before the INSERT's statement.
  using RowHandler = std::function<void(std::string_view table, std::string_view tuple)>;
  // Whether `handler` is given the INSERT statements too, or only the
  // schema ones (saves copying the rows when only their tuples matter).
  enum class Inserts { kDeliver, kSkip };
  explicit DumpReader(Handler handler = nullptr, RowHandler rows = nullptr,
                      Inserts inserts = Inserts::kDeliver)
      : handler_(std::move(handler)), rows_(std::move(rows)), inserts_(inserts) {}

  // Reads `chunk`; fails with the handler's first error.
  Result<void> feed(std::string_view chunk);
  // The end of the stream.
  Result<void> finish();

  // Whether the header line of a mariadb-dump/mysqldump dump was read first.
  bool looks_like_dump() const { return header_ok_; }
  // The database the dump was taken of (its "-- Host: ... Database: x"
  // header line); "" when it does not say.
  const std::string& database() const { return database_; }
  // Whether the dump's completion comment ended it.
  bool complete() const { return complete_ && current_.empty(); }

 private:
  Result<void> line(std::string_view text);
  Result<void> row_line(std::string_view text);
  Result<void> emit();
  bool delivers_inserts() const { return handler_ && inserts_ == Inserts::kDeliver; }

  Handler handler_;
  RowHandler rows_;
  Inserts inserts_;
  std::string rows_table_;  // set while reading an INSERT's row lines
  bool in_rows_ = false;
  std::string partial_;  // a line not yet ended
  std::string current_;  // the statement being read
  std::string delimiter_ = ";";
  enum class Quote { kNone, kSingle, kDouble, kBacktick, kComment } quote_ = Quote::kNone;
  bool first_line_ = true;
  bool header_ok_ = false;
  bool complete_ = false;
  std::string database_;
};

// Calls `row` with each tuple of an INSERT's VALUES list, without its
// parentheses: "1,'a',NULL". `values` starts at the first '('. For INSERTs
// written on one line (mysqldump); mariadb-dump writes a row per line.
void for_each_tuple(std::string_view values, const std::function<void(std::string_view)>& row);

// What a dump contributes to a content fingerprint: per table the
// RowSetHash of its VALUES tuples, and the counters its schema statements
// set (a table's AUTO_INCREMENT, a sequence's SETVAL position), which a
// backup hashes in place of the live ones (mysql_catalog.h). The schema
// itself is read from the database, not from this text.
class DumpFingerprint {
 public:
  void add(const DumpStatement& statement);  // kSchema only; rows come through add_row
  void add_row(std::string_view table, std::string_view tuple);
  // Takes in the rows of `other`, the fingerprint of another dump of the
  // same database.
  void merge_rows(const DumpFingerprint& other);
  // The counter the dump sets for table or sequence `name`; nullopt: none.
  std::optional<std::string> counter(const std::string& name) const;
  // The fingerprint with `schema_sha256` and a row summary for each of
  // `tables` (those without rows: 0 rows).
  ContentFingerprint finish(std::string schema_sha256, const std::vector<std::string>& tables);

 private:
  std::map<std::string, std::string, std::less<>> counters_;
  std::map<std::string, RowSetHash> tables_;
  std::string last_table_;           // rows come table by table:
  RowSetHash* last_rows_ = nullptr;  // where the last one's go
};

}  // namespace migrate::mysql
