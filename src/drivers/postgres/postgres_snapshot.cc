// Snapshots are pg_dump's plain SQL, owners and privileges included: a
// restore is meant to bring back the exact state, and replaying as the same
// role (or a superuser) into the same cluster always accepts them. Restoring
// as a role that may not take on the dump's owners fails, atomically, with
// the server's message. Identifiers are all quoted, so the dump reads the same to a
// newer server whose keywords differ.
#include "drivers/postgres/postgres_snapshot.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "drivers/postgres/pg_connection.h"
#include "drivers/postgres/pg_tools.h"
#include "drivers/postgres/postgres_replay.h"
#include "drivers/postgres/postgres_scratch.h"
#include "drivers/postgres/postgres_system_objects.h"
#include "drivers/postgres/postgres_table_rows.h"
#include "util/log.h"

namespace migrate::postgres {

namespace {

constexpr int kMinimumServer = 120000;  // pg_get_functiondef of procedures, generated columns

Result<void> require_idle(pg_conn* conn, std::string_view what) {
  if (PQtransactionStatus(conn) == PQTRANS_IDLE) return {};
  return fail(ErrorCode::kGeneral,
              fmt::format("cannot {} while the connection has a transaction open", what));
}

// CREATE DATABASE for a scratch copy of the current database: from
// template0 (what pg_dump expects to restore into), same encoding and locale.
Result<std::string> create_database_sql(pg_conn* conn, const std::string& name) {
  auto settings = exec(conn,
                       "SELECT pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, "
                       "d.datctype, to_jsonb(d) ->> 'datlocprovider', "
                       "coalesce(to_jsonb(d) ->> 'datlocale', to_jsonb(d) ->> 'daticulocale') "
                       "FROM pg_catalog.pg_database d WHERE d.datname = current_database()",
                       "read the database's encoding");
  if (!settings) return tl::unexpected(settings.error());
  const PGresult* row = settings->get();
  auto literal = [&](int column) {
    const char* value = PQgetvalue(row, 0, column);
    char* quoted = PQescapeLiteral(conn, value, std::strlen(value));
    std::string result = quoted ? quoted : "''";
    PQfreemem(quoted);
    return result;
  };
  std::string sql =
      fmt::format("CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}",
                  quote_identifier(conn, name), literal(0), literal(1), literal(2));
  std::string provider = PQgetvalue(row, 0, 3);
  if (provider == "i") sql += " LOCALE_PROVIDER icu ICU_LOCALE " + literal(4);
  if (provider == "b") sql += " LOCALE_PROVIDER builtin BUILTIN_LOCALE " + literal(4);
  if (provider == "c") sql += " LOCALE_PROVIDER libc";
  return sql;
}

}  // namespace

Result<SnapshotInfo> snapshot(pg_conn* conn, const ConnectionParams& params, ByteSink& sink,
                              const std::filesystem::path&) {
  if (PQserverVersion(conn) < kMinimumServer) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("PostgreSQL {} is too old for backups; 12 or newer is needed",
                            version_text(PQserverVersion(conn))));
  }
  auto pg_dump = find_tool("pg_dump", PQserverVersion(conn), params.tool_dir);
  if (!pg_dump) return tl::unexpected(pg_dump.error());
  if (auto r = require_idle(conn, "take a snapshot"); !r) return tl::unexpected(r.error());
  auto dump_target = make_target(params);
  if (!dump_target) return tl::unexpected(dump_target.error());
  // Rows are written (and fingerprinted) in UTC and with bytea in hex,
  // whatever the server's defaults: see postgres_fingerprint.cc.
  dump_target->add_options("-c TimeZone=UTC -c bytea_output=hex");

  // One snapshot for pg_dump and for the schema read here while it runs (the
  // rows and sequence positions are taken from the dump as it streams).
  // The schema and rows read here wait for locks no longer than pg_dump does.
  auto exported = exec(conn,
                       fmt::format("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                                   "SET LOCAL lock_timeout = {}; "
                                   "SELECT pg_catalog.pg_export_snapshot()",
                                   params.lock_timeout.count()),
                       "start the snapshot");
  if (!exported) return tl::unexpected(exported.error());
  struct EndTransaction {
    pg_conn* conn;
    ~EndTransaction() { ResultPtr(PQexec(conn, "ROLLBACK")); }  // read only: nothing to keep
  } end{conn};
  std::string snapshot_id = PQgetvalue(exported->get(), 0, 0);
  // Refused before anything is applied: a backup that cannot be restored.
  if (auto r = refuse_unreproducible_objects(conn); !r) return tl::unexpected(r.error());

  // Where the sequences stand as the dump begins (see sequence_lines()).
  auto before = sequence_positions(conn);
  if (!before) return tl::unexpected(before.error());
  std::string secrets = dump_target->private_file();
  std::vector<std::string> arguments = {"--format=plain", "--quote-all-identifiers",
                                        "--no-password", "--snapshot=" + snapshot_id};
  // A table another session holds exclusively (an ALTER, a VACUUM FULL)
  // fails the backup after --lock-timeout, naming it, instead of a silent wait.
  if (params.lock_timeout.count() > 0)
    arguments.push_back(fmt::format("--lock-wait-timeout={}", params.lock_timeout.count()));
  arguments.push_back("--dbname=" + dump_target->conninfo());
  auto child = Child::spawn(Command{pg_dump->path, std::move(arguments), dump_target->environment(),
                                    Command::Stream::kNull, Command::Stream::kPipe,
                                    /*libpq_environment=*/true},
                            secrets.empty() ? nullptr : &secrets);
  if (!child) return tl::unexpected(child.error());

  DumpScanner scanner;
  std::uint64_t size = 0;
  Result<void> dumped;
  std::thread streamer([&] {
    dumped = (*child)->run(nullptr, [&](std::string_view bytes) -> Result<void> {
      scanner.scan(bytes);
      size += bytes.size();
      return sink.write(bytes);
    });
    scanner.finish();
  });
  struct Join {
    std::thread& thread;
    Child& child;
    ~Join() {  // when the fingerprint failed before waiting for the dump
      if (!thread.joinable()) return;
      child.cancel();
      thread.join();
    }
  } join{streamer, **child};

  auto fingerprint = fingerprint_in_transaction(
      conn, Readers::kShareSnapshot,
      [&]() -> Result<const DumpScanner*> {
        streamer.join();
        if (!dumped) return tl::unexpected(dumped.error());
        if (!scanner.complete()) {
          return fail(ErrorCode::kGeneral,
                      "pg_dump exited without finishing the dump (no completion marker)");
        }
        return &scanner;
      },
      &*before);
  if (!fingerprint) return tl::unexpected(fingerprint.error());
  if (auto r = sink.finish(); !r) return tl::unexpected(r.error());
  return SnapshotInfo{size, std::move(*fingerprint)};
}

Result<ContentFingerprint> restore(pg_conn* conn, const ConnectionParams& params,
                                   ByteSource& source, const ContentFingerprint* expected) {
  if (auto r = require_idle(conn, "restore"); !r) return tl::unexpected(r.error());
  auto restore_target = make_target(params);
  if (!restore_target) return tl::unexpected(restore_target.error());
  // The restored state must be the backup's own before it may replace the
  // live one.
  auto check = [&](const ContentFingerprint& restored) -> Result<void> {
    if (!expected) return {};
    std::string difference = describe_difference(*expected, restored);
    if (difference.empty()) return {};
    return fail(ErrorCode::kRefused,
                fmt::format("the restored database does not match the backup's fingerprint "
                            "({}), so it was rolled back",
                            difference),
                "the backup is damaged or was altered; restore another one");
  };
  return replay(*restore_target, params.lock_timeout, source, AfterReplay::kCommit, check);
}

Result<ContentFingerprint> fingerprint_snapshot(pg_conn* conn, const ConnectionParams& params,
                                                ByteSource& source, const std::filesystem::path&) {
  if (auto r = require_idle(conn, "create a scratch database"); !r)
    return tl::unexpected(r.error());
  drop_abandoned_scratch_databases(conn);
  std::string name = scratch_database_name();
  auto create = create_database_sql(conn, name);
  if (!create) return tl::unexpected(create.error());
  // Not the backup's failure: this connection cannot check any backup so.
  if (auto r = exec(conn, *create, fmt::format("create the scratch database '{}'", name)); !r) {
    return fail(ErrorCode::kUnsupported, r.error().message,
                "verify --deep restores a backup into a scratch database on the same server: "
                "connect as a role that may create databases (CREATEDB), or verify without "
                "--deep");
  }
  ScratchDatabase scratch(conn, name);
  auto scratch_target = make_target(params, &scratch.name());
  if (!scratch_target) return tl::unexpected(scratch_target.error());
  // Fingerprinted in the replay's transaction, which is then rolled back:
  // nothing is written for good, and the database is dropped empty.
  return replay(*scratch_target, params.lock_timeout, source, AfterReplay::kRollBack,
                [](const ContentFingerprint&) -> Result<void> { return {}; });
}

}  // namespace migrate::postgres
