// The schema half of a MySQL/MariaDB content fingerprint, read from the
// database itself: every table, view, sequence, routine, trigger and event
// as the server shows it (SHOW CREATE ..., information_schema), never from
// the text of a dump. A restore replays a dump through migrate's own
// parser; a fingerprint taken from that text would carry the parser's
// mistakes on both sides of the comparison and so could never catch them.
//
// Table definitions (columns, indexes, foreign keys, options) come from SHOW
// CREATE TABLE without their AUTO_INCREMENT counter, and sequences from SHOW
// CREATE SEQUENCE without their position: those two numbers move while a
// backup runs, so each entry carries them apart (`counter`), and a backup
// hashes the values its dump holds instead (mysql_snapshot.cc).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drivers/mysql/mysql_connection.h"

namespace migrate::mysql {

struct CatalogEntry {
  std::string kind;  // "TABLE", "VIEW", "SEQUENCE", "FUNCTION", "TRIGGER", ...
  std::string name;
  std::string definition;  // what the server shows, counters cut out
  std::string counter;     // AUTO_INCREMENT or the sequence's next value; "" for none
};

struct Catalog {
  std::vector<CatalogEntry> entries;  // by kind, then name
  std::vector<std::string> tables;    // the tables that hold rows, by name
};

// The catalog of the connection's current database. Names of that
// database inside definitions (a sequence as a column's default) are cut,
// so a copy in another database reads the same (a restore renames the
// dump's own database to the one it restores into).
Result<Catalog> read_catalog(st_mysql* conn);

// Whether two catalogs define the same objects, counters aside.
bool same_definitions(const Catalog& a, const Catalog& b);

// SHA-256 of the catalog. `counter`, when given, supplies each entry's
// counter in place of the one read (nullopt: none).
using CounterSource = std::function<std::optional<std::string>(const CatalogEntry&)>;
std::string catalog_sha256(const Catalog& catalog, const CounterSource& counter = nullptr);

}  // namespace migrate::mysql
