// Scratch databases: the staging copy a restore builds and checks before it
// touches the live database, and the copy `verify --deep` fingerprints.
// They can be as large as the backup, so one left behind by a run that was
// killed must not stay forever: each is named
// migrate_scratch_<host>_<pid>_<random> (host: 8 hex digits of the host
// name's SHA-256), and every run that creates one first drops those of
// this host whose process is gone. `doctor` lists the leftovers, older
// migrates' migrate_verify_<pid>_<random> ones too (those name no host, so
// only a person can tell whether their run is over).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drivers/mysql/mysql_connection.h"
#include "migrate/driver.h"

namespace migrate::mysql {

class ScratchDatabase {
 public:
  // Drops this host's abandoned scratch databases, then creates one with
  // the character set and collation of `conn`'s database. kSql when the
  // server refuses (no CREATE privilege).
  static Result<std::unique_ptr<ScratchDatabase>> create(st_mysql* conn);
  ~ScratchDatabase();  // drops it
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  const std::string& name() const { return name_; }

 private:
  ScratchDatabase(st_mysql* conn, std::string name) : conn_(conn), name_(std::move(name)) {}
  st_mysql* conn_;
  std::string name_;
};

// A scratch database on the server, and whether the run that made it is
// known to be gone (it ran on this host and its process does not exist).
struct ScratchLeftover {
  std::string name;
  bool abandoned = false;
};
Result<std::vector<ScratchLeftover>> list_scratch_databases(st_mysql* conn);

// doctor: the scratch databases on the server, if any.
Driver::Check scratch_check(st_mysql* conn);

}  // namespace migrate::mysql
