// What the conformance suite needs to know about one database system, so
// that every scenario is written once and run against SQLite, PostgreSQL and
// MariaDB alike: a scratch database of its own, the SQL a real application
// would run on it, and the system's own tools to look at the result.
//
// The suite judges migrate's backups and restores, so nothing here uses
// migrate's code: queries go through the database's own client (sqlite3,
// psql, mariadb) and states are compared through its own dump tool
// (sqlite3 .dump, pg_dump, mariadb-dump).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace migrate::testing {

// A database of the test's own, empty when created and dropped (or deleted)
// when destroyed.
class ScratchTarget {
 public:
  virtual ~ScratchTarget() = default;

  // The URL migrate is given (password included: never print it).
  virtual std::string url() const = 0;
  // What creating the database printed: empty when it worked.
  virtual std::string creation_output() const = 0;
  // The client's output of `sql` (rows one a line, columns joined by '|' or
  // a tab, errors and warnings included), without the final newline.
  virtual std::string query(const std::string& sql) const = 0;
  // The database's own dump of everything in it: schema, rows, routines,
  // triggers, sequences. Two dumps of equal databases are equal.
  virtual std::string dump() const = 0;
};

// One database system under test. The SQL texts describe one small
// application (a clinic: patients, doctors, appointments) in the system's
// own dialect.
struct Dialect {
  std::string name;  // the test-name suffix: sqlite, postgres, mariadb

  // The server to create scratch databases on; nullopt when the system needs
  // a server and none is configured. SQLite needs none and returns "".
  std::optional<std::string> (*server)();
  // A new empty database on `server`, with files (if any) under `dir`.
  std::unique_ptr<ScratchTarget> (*create)(const std::string& server, const TempDir& dir);

  // A first migration using every kind of object the system has: tables
  // with defaults, checks and foreign keys, indexes (unique, partial and
  // expression ones where supported), views, triggers, sequences, routines
  // (one whose body holds blank lines and whose result does too), types and
  // comments, with rows in the tables.
  std::string every_object;
  // The routine of every_object whose body and result hold blank lines,
  // alone: a migration of its own.
  std::string routine;
  // After a backup, through the client: more objects of every kind, all
  // named later_..., the routine changed, rows inserted, updated and
  // deleted, sequences moved on. Prints nothing when it works.
  std::string changes;
  // A first migration whose first statement creates a table and whose second
  // one fails.
  std::string failing_first;

  // Query: the routine with blank lines called for 'Ada', newlines shown as
  // '|' ("Dear Ada,||see you soon.").
  std::string greeting;
  // Query: the current value of every sequence of every_object (counters
  // included), in one line.
  std::string sequences;
  // Query: the names of the objects called later_... (those `changes`
  // creates), one a line; empty when there is none.
  std::string later_objects;
  // Names that a dump of every_object shows, one per kind of object.
  std::vector<std::string> dumped_names;
};

const Dialect& sqlite_dialect();
const Dialect& postgres_dialect();
const Dialect& mariadb_dialect();

}  // namespace migrate::testing
