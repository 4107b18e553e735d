// Snapshots are pg_dump's plain SQL, owners and privileges included: a
// restore is meant to bring back the exact state, and replaying as the same
// role (or a superuser) into the same cluster always accepts them. Restoring
// as a role that may not take on the dump's owners fails, atomically, with
// psql's message. Identifiers are all quoted, so the dump reads the same to a
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

#include "drivers/postgres/pg_tools.h"
#include "drivers/postgres/postgres_table_rows.h"
#include "util/log.h"

namespace migrate::postgres {

namespace {

constexpr size_t kChunk = size_t{1} << 20;
constexpr int kMinimumServer = 120000;  // pg_get_functiondef of procedures, generated columns

// Empties the database in the restore's own transaction, before the dump is
// replayed: every user schema but public is dropped with its contents;
// public is kept (pg_dump writes only how it differs from a new database's)
// and emptied object by object, its owner, privileges and comment reset to
// what a new database has. Large objects, event triggers and foreign servers
// live outside schemas and go too. Extensions the restoring role may not drop
// stay; the dump's CREATE EXTENSION IF NOT EXISTS keeps them.
constexpr const char* kEmptyDatabase = R"sql(
DO $migrate$
DECLARE
  statements text[];
  statement text;
  public_oid oid;
  owner_oid oid;
  initial aclitem[];
  item record;
BEGIN
  FOR statement IN
    SELECT format('DROP EVENT TRIGGER %I', e.evtname) FROM pg_event_trigger e
    WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_event_trigger'::regclass
                        AND d.objid = e.oid AND d.deptype = 'e')
  LOOP EXECUTE statement; END LOOP;

  FOR statement IN
    SELECT format('DROP SCHEMA %I CASCADE', n.nspname) FROM pg_namespace n
    WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' AND n.nspname <> 'public'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                        AND d.objid = n.oid AND d.deptype = 'e')
  LOOP EXECUTE statement; END LOOP;

  public_oid := (SELECT oid FROM pg_namespace WHERE nspname = 'public');
  IF public_oid IS NULL THEN
    CREATE SCHEMA public;
    public_oid := (SELECT oid FROM pg_namespace WHERE nspname = 'public');
  END IF;
  SELECT array_agg(s) INTO statements FROM (
    SELECT format('DROP EXTENSION IF EXISTS %I CASCADE', x.extname) FROM pg_extension x
    WHERE x.extnamespace = public_oid AND pg_has_role(x.extowner, 'USAGE')
    UNION ALL
    SELECT format('DROP %s IF EXISTS %s CASCADE',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                                 ELSE 'TABLE' END, c.oid::regclass)
    FROM pg_class c WHERE c.relnamespace = public_oid AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype IN ('i', 'e') AND d.refobjid <> c.oid)
    UNION ALL
    SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure) FROM pg_proc p
    WHERE p.pronamespace = public_oid
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                        AND d.objid = p.oid AND d.deptype IN ('i', 'e'))
    UNION ALL
    SELECT format('DROP %s IF EXISTS %s CASCADE', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
                  t.oid::regtype)
    FROM pg_type t WHERE t.typnamespace = public_oid
      AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                        AND d.objid = t.oid AND d.deptype IN ('i', 'e'))
    UNION ALL
    SELECT format('DROP OPERATOR IF EXISTS %s CASCADE', o.oid::regoperator) FROM pg_operator o
    WHERE o.oprnamespace = public_oid
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_operator'::regclass
                        AND d.objid = o.oid AND d.deptype IN ('i', 'e'))
    UNION ALL
    SELECT format('DROP OPERATOR FAMILY IF EXISTS public.%I USING %I CASCADE', f.opfname, a.amname)
    FROM pg_opfamily f JOIN pg_am a ON a.oid = f.opfmethod WHERE f.opfnamespace = public_oid
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_opfamily'::regclass
                        AND d.objid = f.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP COLLATION IF EXISTS public.%I CASCADE', c.collname) FROM pg_collation c
    WHERE c.collnamespace = public_oid
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_collation'::regclass
                        AND d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP CONVERSION IF EXISTS public.%I CASCADE', c.conname) FROM pg_conversion c
    WHERE c.connamespace = public_oid
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_conversion'::regclass
                        AND d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP TEXT SEARCH CONFIGURATION IF EXISTS public.%I CASCADE', c.cfgname)
    FROM pg_ts_config c WHERE c.cfgnamespace = public_oid
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_ts_config'::regclass
                        AND d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP TEXT SEARCH DICTIONARY IF EXISTS public.%I CASCADE', c.dictname)
    FROM pg_ts_dict c WHERE c.dictnamespace = public_oid
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_ts_dict'::regclass
                        AND d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP STATISTICS IF EXISTS public.%I', s.stxname) FROM pg_statistic_ext s
    WHERE s.stxnamespace = public_oid
  ) drops (s);
  FOREACH statement IN ARRAY coalesce(statements, '{}') LOOP EXECUTE statement; END LOOP;

  owner_oid := coalesce((SELECT oid FROM pg_roles WHERE rolname = 'pg_database_owner'), 10);
  IF (SELECT nspowner FROM pg_namespace WHERE oid = public_oid) <> owner_oid THEN
    EXECUTE format('ALTER SCHEMA public OWNER TO %I', pg_get_userbyid(owner_oid));
  END IF;
  initial := coalesce(
    (SELECT i.initprivs FROM pg_init_privs i WHERE i.objoid = public_oid
       AND i.classoid = 'pg_namespace'::regclass AND i.objsubid = 0),
    acldefault('n', owner_oid) || makeaclitem(0, owner_oid,
      CASE WHEN owner_oid = 10 THEN 'USAGE, CREATE' ELSE 'USAGE' END, false));
  IF (SELECT coalesce(nspacl, acldefault('n', nspowner)) FROM pg_namespace WHERE oid = public_oid)
       IS DISTINCT FROM initial THEN
    FOR item IN SELECT DISTINCT a.grantee FROM pg_namespace n,
                  aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
                WHERE n.oid = public_oid LOOP
      EXECUTE format('REVOKE ALL ON SCHEMA public FROM %s CASCADE',
                     CASE WHEN item.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(item.grantee)) END);
    END LOOP;
    FOR item IN SELECT * FROM aclexplode(initial) LOOP
      EXECUTE format('GRANT %s ON SCHEMA public TO %s%s', item.privilege_type,
                     CASE WHEN item.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(item.grantee)) END,
                     CASE WHEN item.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
  END IF;
  IF obj_description(public_oid, 'pg_namespace') IS DISTINCT FROM 'standard public schema' THEN
    COMMENT ON SCHEMA public IS 'standard public schema';
  END IF;

  PERFORM lo_unlink(l.oid) FROM pg_largeobject_metadata l;
  FOR statement IN
    SELECT format('DROP SERVER %I CASCADE', s.srvname) FROM pg_foreign_server s
    WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_foreign_server'::regclass
                        AND d.objid = s.oid AND d.deptype = 'e')
  LOOP EXECUTE statement; END LOOP;
END
$migrate$;
)sql";

// Memory for the index builds of the restore's own transaction, never less
// than the server's setting: they then sort in memory. (A foreign key's
// initial check runs with it too, as its work_mem.) A sort takes only what
// it needs, so this is a cap, reached only by tables that large.
constexpr const char* kRestoreMemory =
    "SELECT pg_catalog.set_config(s.name, s.value, true) "
    "FROM (VALUES ('maintenance_work_mem', '512MB')) s (name, value) "
    "WHERE pg_catalog.pg_size_bytes(pg_catalog.current_setting(s.name)) < "
    "pg_catalog.pg_size_bytes(s.value);";

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

Result<ResultPtr> exec(pg_conn* conn, const std::string& sql, std::string_view what) {
  ResultPtr result(PQexec(conn, sql.c_str()));
  auto status = PQresultStatus(result.get());
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return result;
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return fail(ErrorCode::kSql, fmt::format("cannot {}: {}", what, message));
}

Result<void> require_idle(pg_conn* conn, std::string_view what) {
  if (PQtransactionStatus(conn) == PQTRANS_IDLE) return {};
  return fail(ErrorCode::kGeneral,
              fmt::format("cannot {} while the connection has a transaction open", what));
}

// Replays the dump read from `source` with psql into the database `target`
// names, after emptying it, in one transaction that is committed only when
// the whole dump, up to pg_dump's completion marker, ran without error.
//
// The replay is tuned (DumpScanner::Replay::kTuned, bench/POSTGRES_RESULTS.md):
// - COPY ... WITH (FREEZE) for the tables the dump creates: legal, since they
//   are created in this transaction, and all-or-nothing like the rest. Rows
//   are written frozen and pages all-visible, so no first read sets hint
//   bits, and the foreign keys' checks can use index-only scans. As
//   PostgreSQL documents, a transaction whose snapshot predates the commit
//   then sees these rows.
// - Foreign keys are validated with hash joins disabled: the initial check is
//   an anti-join of the two tables, and a merge join over the indexes (or
//   over a sort) was 2 to 5 times faster than hashing the referenced table.
Result<void> replay(const Tool& psql, const Target& target, ByteSource& source) {
  // Nothing runs until the source is known to hold a plain dump.
  DumpScanner scanner(DumpScanner::Rows::kSkip, DumpScanner::Replay::kTuned);
  std::string ready;
  std::vector<char> buffer(kChunk);
  bool at_end = false;
  while (!scanner.header_read() && !at_end) {
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    at_end = *n == 0;
    scanner.scan(std::string_view(buffer.data(), *n), &ready);
  }
  if (!scanner.looks_like_dump()) {
    return fail(ErrorCode::kGeneral,
                "the backup does not hold a PostgreSQL dump (pg_dump's plain format); "
                "the database was not changed");
  }

  // The preamble goes on the dump's first line (a comment), so psql's line
  // numbers in errors are the dump's own.
  std::string preamble =
      "BEGIN; SET LOCAL client_min_messages = warning; SET LOCAL search_path = pg_catalog; "
      "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0;";
  preamble += kRestoreMemory;
  preamble += kEmptyDatabase;
  std::replace(preamble.begin(), preamble.end(), '\n', ' ');
  std::optional<Error> input_error;
  bool commit_sent = false;
  auto stop = [&](Error error) {
    input_error = error;
    return tl::unexpected(std::move(error));
  };
  // Without pg_dump's completion marker the dump was cut short: psql is
  // stopped before it sees a COMMIT, so the transaction rolls back.
  auto end_of_dump = [&](std::string& out) -> Result<void> {
    scanner.finish(&out);
    if (!scanner.complete()) {
      return fail(ErrorCode::kGeneral,
                  "the backup is incomplete: the dump does not end with pg_dump's completion "
                  "marker");
    }
    out += "COMMIT;\n";
    commit_sent = true;
    return {};
  };
  enum class Stage { kFirst, kSource, kDone } stage = Stage::kFirst;
  std::string chunk;
  Child::Input input = [&]() -> Result<std::string_view> {
    if (stage == Stage::kDone) return std::string_view();
    chunk.clear();
    if (stage == Stage::kFirst) {
      stage = at_end ? Stage::kDone : Stage::kSource;
      chunk = preamble + ready;
      if (at_end) {
        if (auto r = end_of_dump(chunk); !r) return stop(r.error());
      }
      return std::string_view(chunk);
    }
    for (;;) {
      auto n = source.read(buffer.data(), buffer.size());
      if (!n) return stop(n.error());
      if (*n == 0) {
        stage = Stage::kDone;
        if (auto r = end_of_dump(chunk); !r) return stop(r.error());
        return std::string_view(chunk);
      }
      scanner.scan(std::string_view(buffer.data(), *n), &chunk);
      if (!chunk.empty()) return std::string_view(chunk);
    }
  };

  auto child =
      Child::spawn(Command{psql.path,
                           {"--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1",
                            "--file=-", "--dbname=" + target.conninfo()},
                           target.environment(),
                           Command::Stream::kPipe,
                           Command::Stream::kNull});
  if (!child) return tl::unexpected(child.error());
  auto ran = (*child)->run(input, nullptr);
  if (ran) return {};
  if (input_error) {
    input_error->message += "; the database was not changed";
    return tl::unexpected(*input_error);
  }
  // psql stops at the first error (exit code 3), which rolls the transaction
  // back, COMMIT included; other failures leave it open, or in doubt when
  // they came while committing.
  Error error = ran.error();
  int exit_code = (*child)->exit_code();
  if (exit_code == 3) error.code = ErrorCode::kSql;
  if (exit_code == 2) error.code = ErrorCode::kConnection;
  if (!commit_sent || exit_code == 3) {
    error.message += "; the database was not changed";
  } else {
    error.message += "; the restore may or may not have been committed";
    error.hint = "compare the database with the backup's fingerprint before relying on it";
  }
  return tl::unexpected(error);
}

std::string quote_identifier(pg_conn* conn, const std::string& name) {
  char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
  std::string result = quoted ? quoted : name;
  PQfreemem(quoted);
  return result;
}

std::string scratch_database_name() {
  std::random_device random;
  return fmt::format("migrate_verify_{}_{:08x}", ::getpid(), random());
}

// A database created for `verify --deep`, dropped when this goes away.
class ScratchDatabase {
 public:
  ScratchDatabase(pg_conn* conn, std::string name) : conn_(conn), name_(std::move(name)) {}
  ~ScratchDatabase() {
    bool force = PQserverVersion(conn_) >= 130000;
    std::string sql = fmt::format("DROP DATABASE IF EXISTS {}{}", quote_identifier(conn_, name_),
                                  force ? " WITH (FORCE)" : "");
    if (auto r = exec(conn_, sql, fmt::format("drop the scratch database '{}'", name_)); !r)
      log::warn(r.error().message);
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }

 private:
  pg_conn* conn_;
  std::string name_;
};

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
  auto pg_dump = find_tool("pg_dump", PQserverVersion(conn));
  if (!pg_dump) return tl::unexpected(pg_dump.error());
  if (auto r = require_idle(conn, "take a snapshot"); !r) return tl::unexpected(r.error());
  auto dump_target = make_target(params);
  if (!dump_target) return tl::unexpected(dump_target.error());
  // Rows are written (and fingerprinted) in UTC and with bytea in hex,
  // whatever the server's defaults: see postgres_fingerprint.cc.
  dump_target->add_options("-c TimeZone=UTC -c bytea_output=hex");

  // One snapshot for pg_dump and for the schema read here while it runs (the
  // rows and sequence positions are taken from the dump as it streams).
  auto exported = exec(conn,
                       "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                       "SELECT pg_catalog.pg_export_snapshot()",
                       "start the snapshot");
  if (!exported) return tl::unexpected(exported.error());
  struct EndTransaction {
    pg_conn* conn;
    ~EndTransaction() { ResultPtr(PQexec(conn, "ROLLBACK")); }  // read only: nothing to keep
  } end{conn};
  std::string snapshot_id = PQgetvalue(exported->get(), 0, 0);

  auto child =
      Child::spawn(Command{pg_dump->path,
                           {"--format=plain", "--quote-all-identifiers", "--no-password",
                            "--snapshot=" + snapshot_id, "--dbname=" + dump_target->conninfo()},
                           dump_target->environment(),
                           Command::Stream::kNull,
                           Command::Stream::kPipe});
  if (!child) return tl::unexpected(child.error());

  DumpScanner scanner(DumpScanner::Rows::kHash);
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

  auto fingerprint =
      fingerprint_in_transaction(conn, Readers::kOne, [&]() -> Result<const DumpScanner*> {
        streamer.join();
        if (!dumped) return tl::unexpected(dumped.error());
        if (!scanner.complete()) {
          return fail(ErrorCode::kGeneral,
                      "pg_dump exited without finishing the dump (no completion marker)");
        }
        return &scanner;
      });
  if (!fingerprint) return tl::unexpected(fingerprint.error());
  if (auto r = sink.finish(); !r) return tl::unexpected(r.error());
  return SnapshotInfo{size, std::move(*fingerprint)};
}

Result<void> restore(pg_conn* conn, const ConnectionParams& params, ByteSource& source,
                     const std::filesystem::path&) {
  auto psql = find_tool("psql", PQserverVersion(conn));
  if (!psql) return tl::unexpected(psql.error());
  if (auto r = require_idle(conn, "restore"); !r) return r;
  auto restore_target = make_target(params);
  if (!restore_target) return tl::unexpected(restore_target.error());
  return replay(*psql, *restore_target, source);
}

Result<ContentFingerprint> fingerprint_snapshot(pg_conn* conn, const ConnectionParams& params,
                                                ByteSource& source, const std::filesystem::path&) {
  auto psql = find_tool("psql", PQserverVersion(conn));
  if (!psql) return tl::unexpected(psql.error());
  if (auto r = require_idle(conn, "create a scratch database"); !r)
    return tl::unexpected(r.error());
  std::string name = scratch_database_name();
  auto create = create_database_sql(conn, name);
  if (!create) return tl::unexpected(create.error());
  if (auto r = exec(conn, *create, fmt::format("create the scratch database '{}'", name)); !r)
    return tl::unexpected(r.error());
  ScratchDatabase scratch(conn, name);
  auto scratch_target = make_target(params, &scratch.name());
  if (!scratch_target) return tl::unexpected(scratch_target.error());
  if (auto r = replay(*psql, *scratch_target, source); !r) return tl::unexpected(r.error());
  auto scratch_conn = connect(*scratch_target);
  if (!scratch_conn) return tl::unexpected(scratch_conn.error());
  auto result = fingerprint(scratch_conn->get());
  scratch_conn->reset();  // DROP DATABASE waits for no one
  return result;
}

}  // namespace migrate::postgres
