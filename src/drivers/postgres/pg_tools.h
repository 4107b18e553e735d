// The PostgreSQL client programs behind backups: finding the pg_dump that
// suits the server, pointing it (and new connections) at a database, running
// it without a shell (drivers/child_process.h), and reading the parts of
// pg_dump's plain output that a backup must check.
//
// A child gets its password and sslpassword through a private in-memory
// service file: no secret is on its command line or, but for a password a
// service file cannot hold (see Target::environment), in its environment.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drivers/child_process.h"
#include "drivers/postgres/postgres_snapshot.h"
#include "drivers/row_set_hash.h"
#include "migrate/error.h"
#include "util/strings.h"

namespace migrate::postgres {

// Where children and new connections go: the database of some
// ConnectionParams, or another one on the same server. The password travels
// apart from the connection string: a private service file for children, a
// parameter for libpq.
struct Target {
  std::vector<std::pair<std::string, std::string>> options;  // libpq keywords, no secret
  std::string password;
  std::string ssl_password;  // sslpassword: a child reads it from a private file, never argv
  // The service the connection names (service=, else PGSERVICE) and its
  // lines in the user's service file, which the private file carries on
  // (pg_service_file.h); empty when there is none.
  std::string service;
  std::string service_lines;

  // Adds server options ("-c name=value ...") to the `options` keyword.
  void add_options(std::string_view server_options);
  std::string conninfo() const;  // "host='...' port='...' ...", for --dbname=
  // PGSERVICEFILE and PGSERVICE naming the private file and the service in
  // it (the user's own, or migrate's); PGPASSWORD only
  // for a password with a line break or white space at either end.
  std::vector<std::pair<std::string, std::string>> environment() const;
  // What a child must be given as its private file (Child::spawn): a
  // service file holding the password and sslpassword, then the user's
  // service's lines, which environment() points it at; empty when there is
  // neither secret.
  std::string private_file() const;
};

// kUsage when params.conninfo is not a valid connection string. A password
// found in it is moved out of it.
Result<Target> make_target(const ConnectionParams& params, const std::string* database = nullptr);

struct ConnectionDeleter {
  void operator()(pg_conn* conn) const;
};
using Connection = std::unique_ptr<pg_conn, ConnectionDeleter>;

// A new connection; kConnection with libpq's message when it fails.
Result<Connection> connect(const Target& target);

// Versions are numbers as PQserverVersion() reports them: 150004 for 15.4,
// 90624 for 9.6.24.
int major_version(int version);               // 15, or 906 for 9.6
std::string major_version_text(int version);  // "15", "9.6"
std::string version_text(int version);        // "15.4", "9.6.24"

// The version in a `--version` line ("pg_dump (PostgreSQL) 15.4 (Debian
// 15.4-1)" gives 150004), or nullopt when there is none.
std::optional<int> parse_tool_version(std::string_view line);

struct Tool {
  std::filesystem::path path;
  int version = 0;
  std::string version_line;  // what `--version` printed, trimmed
};

// Runs `path --version`.
Result<Tool> probe_tool(const std::filesystem::path& path);

// Finds `name` ("pg_dump", "psql") for a server of `server_version`. Looks in
// the directories packages install the server's major version into
// (/usr/lib/postgresql/15/bin, /usr/pgsql-15/bin, ...), then on PATH, then in
// other installed versions' directories. The server's major version wins;
// failing that, the oldest newer one. kRefused when every one found is older
// than the server (a dump tool older than the server cannot be trusted with
// it), kUnsupported when there is none; both name the package to install.
// With `only_dir` (the setting MIGRATE_PG_BINDIR), only that directory is
// looked in (a deliberate choice of installation is never second-guessed).
inline constexpr const char* kToolDirVariable = "MIGRATE_PG_BINDIR";
Result<Tool> find_tool(std::string_view name, int server_version,
                       const std::filesystem::path& only_dir = {});

// Row hashing is shared with the MySQL driver (drivers/row_set_hash.h).
using migrate::RowSetHash;
using migrate::siphash24;

// What a backup needs to know about pg_dump's plain output, learnt while the
// bytes stream past: that it is a whole dump, and where its sequences stood.
// Lines are tracked across chunks; COPY data is told apart from statements,
// so no row can pass for one. (No row is hashed from a dump: fingerprints
// read the database, postgres_fingerprint.cc.)
class DumpScanner {
 public:
  // (schema, name) -> "<last_value> <t|f>", as the dump's setval() sets it.
  using SequencePositions = std::map<std::pair<std::string, std::string>, std::string>;
  // kTuned changes the filtered output, line for line (the line numbers
  // stay the dump's), for a faster replay of the same content: the COPY of a
  // table the dump itself created gets WITH (FREEZE) (a table it did not
  // create, an extension's that was kept, is loaded as dumped), and foreign
  // keys are validated with hash joins disabled (see replay() in
  // postgres_snapshot.cc for why both are sound and faster). Only the first
  // line of a statement right after one of pg_dump's object headers counts
  // or changes, never a line inside a routine's body.
  enum class Replay { kAsDumped, kTuned };

  explicit DumpScanner(Replay replay = Replay::kAsDumped) : tuned_(replay == Replay::kTuned) {}

  // Reads `chunk`. With `filtered`, appends the chunk to it minus the
  // BEGIN/COMMIT that pg_dump wraps large objects in: a restore replays the
  // dump inside its own transaction, which an inner COMMIT would end early.
  void scan(std::string_view chunk, std::string* filtered = nullptr);
  // Call once at the end of the stream.
  void finish(std::string* filtered = nullptr);

  // Whether pg_dump's header has been read, and whether it was there: the
  // first two lines of a plain dump.
  bool header_read() const { return lines_ >= 2; }
  bool looks_like_dump() const { return header_ok_; }
  // Whether pg_dump's completion marker ended the stream.
  bool complete() const { return complete_; }
  const SequencePositions& sequences() const { return sequences_; }

 private:
  void line(std::string_view text, std::string* filtered);

  bool tuned_;
  std::set<std::pair<std::string, std::string>> created_;  // tables CREATEd so far
  enum class Header { kNone, kForeignKey, kTableData, kOther };
  Header header_ = Header::kNone;  // the object header just read, if any
  bool hash_joins_off_ = false;
  std::string partial_;
  std::uint64_t lines_ = 0;
  bool header_ok_ = false;
  bool in_copy_ = false;
  bool blobs_next_ = false;  // a large objects section header was read
  bool in_blobs_ = false;
  bool complete_ = false;
  SequencePositions sequences_;
};

}  // namespace migrate::postgres
