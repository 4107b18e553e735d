// Replaying pg_dump's plain output over libpq (postgres_replay.h).
#include "drivers/postgres/postgres_replay.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "drivers/postgres/pg_connection.h"
#include "drivers/postgres/postgres_dump_guard.h"
#include "drivers/postgres/postgres_errors.h"
#include "drivers/postgres/postgres_snapshot.h"
#include "drivers/postgres/postgres_system_objects.h"
#include "util/log.h"
#include "util/strings.h"

namespace migrate::postgres {

namespace {

constexpr size_t kChunk = size_t{1} << 20;
// Statements are sent many at a time: what has gathered goes at the next
// statement_start() past this size, and before every COPY.
constexpr size_t kSendAt = size_t{4} << 20;
constexpr std::string_view kNotChanged = "; the database was not changed";
constexpr std::string_view kMayHaveCommitted = "may have been committed";

// Empties the database in the restore's own transaction, before the dump is
// replayed: every user schema but public is dropped with its contents;
// public is kept (pg_dump writes only how it differs from a new database's)
// and emptied object by object, its owner, privileges and comment reset to
// what a new database has. Large objects, event triggers and foreign servers
// live outside schemas and go too, as do foreign data wrappers, publications
// and subscriptions; default privileges are reset to the built-in ones. Extensions the restoring
// role may not drop stay; the dump's CREATE EXTENSION IF NOT EXISTS keeps them.
// What users put among the built-in objects goes after this
// (postgres_system_objects.h).
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

  -- Objects of the database's own (an OID past the built-in ones) outside
  -- user schemas: extensions (the dump creates those it had again), casts,
  -- access methods, and relations put in information_schema.
  FOR statement IN
    SELECT format('DROP EXTENSION IF EXISTS %I CASCADE', x.extname) FROM pg_extension x
    WHERE x.oid >= 16384 AND pg_has_role(x.extowner, 'USAGE')
    UNION ALL
    SELECT format('DROP CAST IF EXISTS (%s AS %s) CASCADE', c.castsource::regtype,
                  c.casttarget::regtype) FROM pg_cast c
    WHERE c.oid >= 16384
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_cast'::regclass
                        AND d.objid = c.oid AND d.deptype IN ('i', 'e'))
    UNION ALL
    SELECT format('DROP ACCESS METHOD IF EXISTS %I CASCADE', a.amname) FROM pg_am a
    WHERE a.oid >= 16384
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_am'::regclass
                        AND d.objid = a.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP %s IF EXISTS %s CASCADE',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                                 ELSE 'TABLE' END, c.oid::regclass)
    FROM pg_class c WHERE c.relnamespace = 'information_schema'::regnamespace AND c.oid >= 16384
      AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype IN ('i', 'e') AND d.refobjid <> c.oid)
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
    UNION ALL
    SELECT format('DROP FOREIGN DATA WRAPPER %I CASCADE', w.fdwname) FROM pg_foreign_data_wrapper w
    WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_foreign_data_wrapper'::regclass
                        AND d.objid = w.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP PUBLICATION %I', p.pubname) FROM pg_publication p
  LOOP EXECUTE statement; END LOOP;

  -- A subscription with a replication slot cannot be dropped in a
  -- transaction: it is detached from the slot first, which then stays on
  -- the publisher.
  FOR item IN SELECT s.subname, s.subslotname FROM pg_subscription s
              WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) LOOP
    IF item.subslotname IS NOT NULL THEN
      EXECUTE format('ALTER SUBSCRIPTION %I DISABLE', item.subname);
      EXECUTE format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', item.subname);
      RAISE WARNING 'restore dropped subscription "%"; its replication slot "%", if it was created, stays on the publisher',
        item.subname, item.subslotname;
    END IF;
    EXECUTE format('DROP SUBSCRIPTION %I', item.subname);
  END LOOP;

  -- Default privileges back to the built-in ones: every grant revoked, and
  -- a role-wide entry given the built-in default again (an entry equal to
  -- it disappears). The dump's ALTER DEFAULT PRIVILEGES apply on top.
  SELECT array_agg(s ORDER BY step, s) INTO statements FROM (
    SELECT 1, format('ALTER DEFAULT PRIVILEGES FOR ROLE %I%s REVOKE ALL ON %s FROM %s',
                     pg_get_userbyid(d.defaclrole),
                     CASE WHEN d.defaclnamespace <> 0 THEN format(' IN SCHEMA %I', n.nspname) ELSE '' END,
                     k.kind, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)
    FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
    JOIN (VALUES ('r', 'TABLES'), ('S', 'SEQUENCES'), ('f', 'FUNCTIONS'), ('T', 'TYPES'), ('n', 'SCHEMAS'))
      k (objtype, kind) ON k.objtype = d.defaclobjtype::text,
    LATERAL (SELECT DISTINCT grantee FROM aclexplode(d.defaclacl)) a
    UNION ALL
    SELECT 2, format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT %s ON %s TO %s%s',
                     pg_get_userbyid(d.defaclrole), a.privilege_type, k.kind,
                     CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                     CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
    FROM pg_default_acl d
    JOIN (VALUES ('r', 'TABLES', 'r'), ('S', 'SEQUENCES', 's'), ('f', 'FUNCTIONS', 'f'),
                 ('T', 'TYPES', 'T'), ('n', 'SCHEMAS', 'n'))
      k (objtype, kind, acltype) ON k.objtype = d.defaclobjtype::text,
    LATERAL aclexplode(acldefault(k.acltype::"char", d.defaclrole)) a
    WHERE d.defaclnamespace = 0
  ) resets (step, s);
  FOREACH statement IN ARRAY coalesce(statements, '{}') LOOP EXECUTE statement; END LOOP;
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

constexpr const char* kBegin =
    "BEGIN; SET LOCAL client_min_messages = warning; SET LOCAL search_path = pg_catalog; "
    "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0; ";

// A statement that gave up waiting for a lock (lock_timeout) says so plainly.
std::optional<tl::unexpected<Error>> lock_wait_failure(const PGresult* result) {
  if (!result || error_field(result, PG_DIAG_SQLSTATE) != "55P03") return std::nullopt;
  return fail(ErrorCode::kLock,
              "the restore gave up waiting for a lock that another session holds on the "
              "database's objects (--lock-timeout)",
              "end the other session's transaction, or raise --lock-timeout");
}

// The server's warnings during a restore are shown; the rest is debug.
void on_notice(void*, const PGresult* notice) {
  std::string severity = error_field(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string message =
      fmt::format("server {}: {}", severity, error_field(notice, PG_DIAG_MESSAGE_PRIMARY));
  if (severity == "WARNING")
    log::warn(message);
  else
    log::debug(message);
}

// Lines that start a statement in pg_dump's output: its object headers (a
// comment always between statements) and the one-line calls that write
// large objects, which come by the thousand with no header between them.
// (One inside a routine's body would split it: a syntax error, which
// changes nothing.)
bool statement_start(std::string_view line) {
  return line.starts_with("-- Name: ") || line.starts_with("-- Data for Name: ") ||
         line.starts_with("SELECT pg_catalog.lo_open(") ||
         line.starts_with("SELECT pg_catalog.lowrite(") ||
         line.starts_with("SELECT pg_catalog.lo_close(");
}

bool is_copy(std::string_view line) {
  return line.starts_with("COPY ") &&
         (line.ends_with(" FROM stdin;") || line.ends_with(" FROM stdin WITH (FREEZE);"));
}

// The dump's lines, sent as they come: statements gathered and sent many at
// a time, COPY's rows with PQputCopyData.
class Sender {
 public:
  explicit Sender(pg_conn* conn) : conn_(conn) {}

  // `text` is whole lines.
  Result<void> lines(std::string_view text) {
    while (!text.empty()) {
      if (in_copy_) {
        size_t end = text.starts_with("\\.\n") ? 0 : text.find("\n\\.\n");
        if (end != std::string_view::npos && end > 0) ++end;  // past the newline
        auto rows = text.substr(0, std::min(end, text.size()));
        line_ += static_cast<std::uint64_t>(std::count(rows.begin(), rows.end(), '\n'));
        if (!rows.empty() && PQputCopyData(conn_, rows.data(), static_cast<int>(rows.size())) != 1)
          return failure(nullptr);
        if (end == std::string_view::npos) return {};
        text.remove_prefix(end + 3);
        ++line_;
        in_copy_ = false;
        if (PQputCopyEnd(conn_, nullptr) != 1) return failure(nullptr);
        ResultPtr result(PQgetResult(conn_));
        while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
        if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return failure(result.get());
        if (auto r = still_in_transaction(); !r) return r;
        pending_line_ = line_ + 1;
        continue;
      }
      size_t end = text.find('\n');
      auto line = text.substr(0, end);
      text.remove_prefix(std::min(text.size(), end + 1));
      ++line_;
      if (auto r = statement_line(line); !r) return r;
    }
    return {};
  }

  // Sends what is pending; the dump may not end inside a COPY.
  Result<void> finish() {
    if (in_copy_)
      return fail(ErrorCode::kGeneral, "the backup is incomplete: the dump ends inside a COPY");
    return send(false);
  }

 private:
  Result<void> statement_line(std::string_view line) {
    // psql's guard against meta-commands smuggled into a dump: none runs here.
    if (line.starts_with("\\restrict ") || line.starts_with("\\unrestrict ")) {
      pending_ += '\n';  // line numbers stay the dump's
      return {};
    }
    if (is_copy(line)) {
      pending_.append(line);
      if (auto r = send(true); !r) return r;
      in_copy_ = true;
      return {};
    }
    if (pending_.size() >= kSendAt && statement_start(line)) {
      if (auto r = send(false); !r) return r;
    }
    pending_.append(line);
    pending_.push_back('\n');
    return {};
  }

  Result<void> send(bool copy) {
    if (pending_.empty()) return {};
    const char* strings = PQparameterStatus(conn_, "standard_conforming_strings");
    if (auto r = check_dump_statements(pending_, !strings || std::string_view(strings) == "on",
                                       pending_line_);
        !r)
      return r;
    bool standard = !strings || std::string_view(strings) == "on";
    size_t completed = 0;
    ResultPtr result = execute(&completed);
    auto status = PQresultStatus(result.get());
    bool ok = copy ? status == PGRES_COPY_IN
                   : status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
                         status == PGRES_EMPTY_QUERY;
    if (!ok && copy && status == PGRES_COMMAND_OK) {
      return fail(
          ErrorCode::kGeneral,
          fmt::format("the dump is damaged: the COPY at line {} did not start a copy", line_));
    }
    if (!ok) return failure(result.get(), failed_statement(completed, standard));
    if (!copy) {
      if (auto r = still_in_transaction(); !r) return r;
    }
    pending_.clear();
    pending_line_ = line_ + 1;
    return {};
  }

  // Sends the batch; its statements answer one result each, and
  // `completed` counts those that succeeded before an error. Returns the
  // last result (the error, or the COPY that waits for rows).
  ResultPtr execute(size_t* completed) {
    if (PQsendQuery(conn_, pending_.c_str()) != 1) return nullptr;
    ResultPtr last;
    while (PGresult* next = PQgetResult(conn_)) {
      last.reset(next);
      auto status = PQresultStatus(next);
      if (status == PGRES_COPY_IN) break;
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
        ++*completed;
        continue;
      }
      while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);  // nothing runs past an error
      break;
    }
    return last;
  }

  // The offset in pending_ of the statement after the first `completed`.
  std::optional<size_t> failed_statement(size_t completed, bool standard_strings) const {
    auto offsets = statement_offsets(pending_, standard_strings);
    if (completed < offsets.size()) return offsets[completed];
    return std::nullopt;
  }

  // A second guard behind check_dump_statements(): the dump must never
  // have ended the restore's transaction.
  Result<void> still_in_transaction() {
    if (PQtransactionStatus(conn_) == PQTRANS_INTRANS) return {};
    PQclear(PQexec(conn_, "ROLLBACK"));
    return fail(ErrorCode::kGeneral,
                fmt::format("the backup is not a pg_dump the restore can trust: the dump before "
                            "line {} ended the restore's transaction; what it ran until then {}",
                            line_ + 1, kMayHaveCommitted),
                "compare the database with a backup before relying on it");
  }

  // The server's error, placed at a line of the dump: where the server
  // points in the batch, else at the statement that failed.
  tl::unexpected<Error> failure(const PGresult* result,
                                std::optional<size_t> statement = std::nullopt) {
    std::uint64_t at = in_copy_ ? line_ : pending_line_;
    std::string position = result ? error_field(result, PG_DIAG_STATEMENT_POSITION) : "";
    std::optional<size_t> offset = statement;
    if (!position.empty()) offset = static_cast<size_t>(std::stoull(position));
    if (!in_copy_ && offset) {
      auto end = pending_.begin() + static_cast<std::ptrdiff_t>(std::min(pending_.size(), *offset));
      at += static_cast<std::uint64_t>(std::count(pending_.begin(), end, '\n'));
    }
    if (auto waited = lock_wait_failure(result)) return *waited;
    std::string message =
        result ? describe_error(result, Statement{}) : std::string(trim_end(PQerrorMessage(conn_)));
    return fail(PQstatus(conn_) == CONNECTION_BAD ? ErrorCode::kConnection : ErrorCode::kSql,
                fmt::format("line {} of the dump: {}", at, message));
  }

  pg_conn* conn_;
  std::string pending_;
  std::uint64_t line_ = 0;          // lines sent or pending
  std::uint64_t pending_line_ = 1;  // the line pending_ starts at
  bool in_copy_ = false;
};

Result<void> run(pg_conn* conn, const std::string& sql, std::string_view what) {
  ResultPtr result(PQexec(conn, sql.c_str()));
  auto status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
  return lock_wait_failure(result.get())
      .value_or(
          fail(PQstatus(conn) == CONNECTION_BAD ? ErrorCode::kConnection : ErrorCode::kSql,
               fmt::format("cannot {}: {}", what, describe_error(result.get(), Statement{}))));
}

// The dump through `scanner` (tuned, BEGIN/COMMIT of large objects taken
// out) to `sender`, from what `first` already holds on.
Result<void> send_dump(ByteSource& source, DumpScanner& scanner, std::string first, bool at_end,
                       Sender& sender) {
  std::string out = std::move(first);
  std::vector<char> buffer(kChunk);
  for (;;) {
    if (auto r = sender.lines(out); !r) return r;
    out.clear();
    if (at_end) break;
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    at_end = *n == 0;
    scanner.scan(std::string_view(buffer.data(), *n), &out);
  }
  scanner.finish(&out);
  if (auto r = sender.lines(out); !r) return r;
  if (auto r = sender.finish(); !r) return r;
  if (!scanner.complete()) {
    return fail(ErrorCode::kGeneral,
                "the backup is incomplete: the dump does not end with pg_dump's completion marker");
  }
  return {};
}

// Everything up to the decision to commit; the transaction is left open.
Result<ContentFingerprint> replay_in_transaction(
    pg_conn* conn, std::chrono::milliseconds lock_timeout, ByteSource& source, DumpScanner& scanner,
    std::string first, bool at_end,
    const std::function<Result<void>(const ContentFingerprint&)>& accept) {
  std::string lock_wait = fmt::format("SET LOCAL lock_timeout = {}; ", lock_timeout.count());
  if (auto r = run(conn,
                   std::string(kBegin) + lock_wait + kRestoreMemory + kEmptyDatabase +
                       drop_system_objects_sql(),
                   "empty the database for the restore");
      !r)
    return tl::unexpected(r.error());
  Sender sender(conn);
  if (auto r = send_dump(source, scanner, std::move(first), at_end, sender); !r)
    return tl::unexpected(r.error());
  auto restored = fingerprint(conn);
  if (!restored) return restored;
  if (auto r = accept(*restored); !r) return tl::unexpected(r.error());
  return restored;
}

}  // namespace

Result<ContentFingerprint> replay(
    const Target& target, std::chrono::milliseconds lock_timeout, ByteSource& source,
    AfterReplay after, const std::function<Result<void>(const ContentFingerprint&)>& accept) {
  // Nothing runs until the source is known to hold a plain dump.
  DumpScanner scanner(DumpScanner::Replay::kTuned);
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
  auto conn = connect(target);
  if (!conn) {
    conn.error().message += kNotChanged;
    return tl::unexpected(conn.error());
  }
  PQsetNoticeReceiver(conn->get(), on_notice, nullptr);
  // Any failure from here closes the connection with the transaction open:
  // the server rolls it back.
  auto restored = replay_in_transaction(conn->get(), lock_timeout, source, scanner,
                                        std::move(ready), at_end, accept);
  if (!restored) {
    if (restored.error().message.find(kMayHaveCommitted) == std::string::npos)
      restored.error().message += kNotChanged;
    return restored;
  }
  if (after == AfterReplay::kRollBack) {
    (void)run(conn->get(), "ROLLBACK", "roll back");
    return restored;
  }
  ResultPtr result(PQexec(conn->get(), "COMMIT"));
  if (PQresultStatus(result.get()) == PGRES_COMMAND_OK &&
      std::string_view(PQcmdStatus(result.get())) == "COMMIT")
    return restored;
  if (PQstatus(conn->get()) != CONNECTION_BAD)
    return fail(ErrorCode::kSql,
                fmt::format("cannot commit the restore: {}{}",
                            describe_error(result.get(), Statement{}), kNotChanged));
  return fail(ErrorCode::kConnection,
              fmt::format("lost the connection while committing the restore: {}; the restore may "
                          "or may not have been committed",
                          trim_end(PQerrorMessage(conn->get()))),
              "compare the database with the backup's fingerprint before relying on it");
}

}  // namespace migrate::postgres
