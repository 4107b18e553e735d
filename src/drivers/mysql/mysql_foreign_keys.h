// Foreign keys of other databases that reference this one's tables.
//
// A restore swaps the database's tables for the checked copy's in one
// RENAME TABLE (mysql_move.h), or drops and recreates them: InnoDB carries
// a foreign key that another database's table holds along with the table
// it references, so such a key would end up pointing at the restore's
// trash database, or at rows the backup may not hold. A restore is
// therefore refused while any exists, before anything changes. Backups do
// not look: the server opens every table of every database to answer,
// which is no price for each backup (and a backup is fine to take).
#pragma once

#include <string>
#include <vector>

#include "drivers/mysql/mysql_connection.h"

namespace migrate::mysql {

// One foreign key of another database's table that references `database`.
struct IncomingForeignKey {
  std::string schema;      // the database that holds it
  std::string table;       // its table there
  std::string name;        // the constraint's name
  std::string referenced;  // the referenced table of `database`
};

Result<std::vector<IncomingForeignKey>> incoming_foreign_keys(st_mysql* conn,
                                                              const std::string& database);

// kRefused, naming the keys, when another database references `database`.
Result<void> refuse_incoming_foreign_keys(st_mysql* conn, const std::string& database);

}  // namespace migrate::mysql
