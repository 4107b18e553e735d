// What the PostgreSQL integration tests share: a database of their own on the
// test server, psql for independent checks, and the server's own pg_dump to
// compare states with.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/shell.h"
#include "support/test_servers.h"

namespace migrate::testing {

// psql's unaligned, tuples-only output of `sql` (errors included), without
// the final newline.
std::string psql(const std::string& url, const std::string& sql);

// pg_dump --schema-only of `url`'s database, and every row of it (pg_dump
// --data-only, lines sorted so that row order does not matter); both without
// the per-run \restrict keys.
std::string dump_schema(const std::string& url);
std::string dump_data(const std::string& url);

// How many sessions hold advisory locks on `url`'s database ("0", "1", ...), and
// waiting (up to 5 s) until one is: a runner started in the background has
// taken its lock.
std::string advisory_locks(const std::string& url);
bool wait_for_advisory_lock(const std::string& url);

// A realistic schema: enum (with a value added later), domain, schemas, a
// sequence moved on, dropped and added columns, FKs, identity, generated
// columns, partitions, inheritance, a trigger function, a view, a
// materialized view, comments, and `rows` customers (with 1.5 x `rows`
// invoices and `rows` events). Run by psql, it prints "123456" (a setval).
std::string realistic_schema(int rows);

// The scratch databases (verify --deep) on `server` that a migrate of this
// host left behind: its process is gone. Those another test plants on
// purpose (named with kPlantedScratch) are not counted, nor other hosts'.
inline constexpr const char* kPlantedScratch = "_0badcafe";
std::vector<std::string> abandoned_scratch_databases(const std::string& server);
// This host's tag in scratch database names: migrate_scratch_<tag>_<pid>_...
std::string scratch_host_tag();

// MIGRATE_TEST_POSTGRES_SSL_URL: the test server over TCP with
// sslmode=verify-full and its certificate as sslrootcert (scripts/test-servers.sh).
std::optional<std::string> postgres_ssl_test_url();

// Rewrites the dump of the only backup in `backups` with `sed_script` and
// makes its manifest vouch for the new bytes (size and SHA-256), as anyone
// who may write the store could: only the restore itself can tell. Returns
// "ok", or what failed.
std::string tamper_backup(const std::filesystem::path& backups, const std::string& sed_script);

// A database of the test's own, dropped (with its connections) at the end.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& server_url);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& creation_output() const { return created_; }
  std::string url() const { return with_database(server_url_, name_); }

 private:
  std::string server_url_, name_, created_;
};

}  // namespace migrate::testing
