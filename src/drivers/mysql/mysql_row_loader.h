// Loading a dump's rows on several connections at once, table by table, as
// myloader does. Each table goes whole to one connection: as one LOAD DATA
// statement (mysql_load_data.h) when it has more than one INSERT and
// columns LOAD DATA reads as the INSERT does, else as its own INSERTs.
// Tables are loaded largest first, so that the longest one starts at once.
//
// Rows do not depend on one another here: foreign and unique checks are
// off, every row carries its key, and the dump's triggers are created only
// after every row is in.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drivers/mysql/mysql_connection.h"

namespace migrate::mysql {

// Where one INSERT statement of the dump lies in the restore's scratch file.
struct Span {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// One table's INSERT statements, in dump order.
struct TableRows {
  std::string name;
  std::vector<Span> inserts;
  std::uint64_t bytes = 0;
  // Every INSERT is "INSERT INTO `name` VALUES ...", without a column list.
  bool plain = true;
  // Set by load_tables(): the LOAD DATA statement, or none for INSERTs.
  std::optional<std::string> load_data;
};

// Reads one span of the scratch file; called from several threads at once.
using SpanReader = std::function<Result<std::string>(Span)>;

// Loads every table of `tables` into `database` on at most `connections`
// connections of their own (UTC, no foreign or unique checks). Fails with
// the first error, naming the table; the other connections stop after
// their current statement.
Result<void> load_tables(const ConnectParams& params, const std::string& database,
                         std::vector<TableRows> tables, const SpanReader& read, int connections);

// The VALUES tuples of an INSERT statement (`prefix` is its text up to and
// including "VALUES"), each without its parentheses and ended by a newline:
// the file LOAD DATA reads. Appends to `lines`.
void append_tuple_lines(std::string_view statement, size_t prefix, std::string& lines);

}  // namespace migrate::mysql
