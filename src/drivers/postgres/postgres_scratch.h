// The scratch databases `verify --deep` restores a backup into.
//
// Each is named migrate_scratch_<host>_<pid>_<random>: <host> a short hash
// of this machine's name, <pid> the migrate that created it. It is dropped
// when the check ends; a migrate killed before that leaves it behind, and
// the next `verify --deep` on the same host drops the ones whose process is
// gone and that its role owns. `doctor` lists every leftover it can see.
#pragma once

#include <string>
#include <vector>

struct pg_conn;  // libpq's PGconn

namespace migrate::postgres {

// A new scratch database name for this process.
std::string scratch_database_name();

// Drops this host's scratch databases whose migrate is gone, those the
// connected role owns (never another role's); failures are
// warnings (a check must not fail for another run's leftovers).
void drop_abandoned_scratch_databases(pg_conn* conn);

// Scratch databases on the server that no running migrate owns: this host's
// whose process is gone, other hosts' (which cannot be told apart), and
// the migrate_verify_* ones older versions named.
std::vector<std::string> leftover_scratch_databases(pg_conn* conn);

// A database created for `verify --deep`, dropped when this goes away.
class ScratchDatabase {
 public:
  ScratchDatabase(pg_conn* conn, std::string name) : conn_(conn), name_(std::move(name)) {}
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }

 private:
  pg_conn* conn_;
  std::string name_;
};

}  // namespace migrate::postgres
