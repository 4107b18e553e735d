// Scratch databases: the staging copy a restore builds and checks before it
// touches the live database, and the copy `verify --deep` fingerprints.
// They can be as large as the backup, so one left behind by a run that was
// killed must not stay forever: each is named
// migrate_scratch_<host>_<pid>_<random> (host: 8 hex digits of the host
// name's SHA-256), and every run that creates one first drops those of
// this host whose process is gone. `doctor` lists the leftovers, older
// migrates' migrate_verify_<pid>_<random> ones too (those name no host, so
// only a person can tell whether their run is over).
//
// A restore moves the live database's tables into a scratch database named
// with kReplacedSuffix ("trash") while it moves the checked copy's in, and
// drops it when the restore is done. One left behind (the restore was
// killed, or could not drop it) may hold the only copy of what the
// database held before: it is
// never dropped by a run, only reported (doctor, and every run that
// creates a scratch database), for a person to check and drop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/mysql/mysql_connection.h"
#include "migrate/driver.h"

namespace migrate::mysql {

inline constexpr std::string_view kReplacedSuffix = "_replaced";

class ScratchDatabase {
 public:
  // Drops this host's abandoned scratch databases, then creates one with
  // the character set and collation of `conn`'s database. kSql when the
  // server refuses (no CREATE privilege).
  // `suffix` ends the name (kReplacedSuffix for a restore's trash).
  static Result<std::unique_ptr<ScratchDatabase>> create(st_mysql* conn,
                                                         std::string_view suffix = {});
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
  bool replaced = false;     // a restore's trash whose run is gone: never dropped by a run
  std::uint64_t tables = 0;  // how many tables it holds
};
Result<std::vector<ScratchLeftover>> list_scratch_databases(st_mysql* conn);

// doctor: the scratch databases on the server, if any.
Driver::Check scratch_check(st_mysql* conn);

}  // namespace migrate::mysql
