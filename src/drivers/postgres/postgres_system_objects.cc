// Objects among the built-in ones (postgres_system_objects.h).
#include "drivers/postgres/postgres_system_objects.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <string>

#include "drivers/postgres/pg_connection.h"

namespace migrate::postgres {

namespace {

// (classid, objid, type, identity) of every user-created object in
// pg_catalog and information_schema, but information_schema's relations, and
// of every user-created procedural language: the common table expressions
// the queries below end with.
constexpr const char* kSystemObjects = R"sql(
WITH sys AS (
  SELECT oid FROM pg_catalog.pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema')
),
candidates (classid, objid, nsp) AS (
  SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, oid, pronamespace FROM pg_catalog.pg_proc
  UNION ALL SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, oid, oprnamespace
    FROM pg_catalog.pg_operator
  UNION ALL SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, oid, typnamespace
    FROM pg_catalog.pg_type
  UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, oid, relnamespace
    FROM pg_catalog.pg_class WHERE relnamespace = 'pg_catalog'::pg_catalog.regnamespace
  UNION ALL SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, oid, dictnamespace
    FROM pg_catalog.pg_ts_dict
  UNION ALL SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, oid, cfgnamespace
    FROM pg_catalog.pg_ts_config
  UNION ALL SELECT 'pg_catalog.pg_ts_parser'::pg_catalog.regclass, oid, prsnamespace
    FROM pg_catalog.pg_ts_parser
  UNION ALL SELECT 'pg_catalog.pg_ts_template'::pg_catalog.regclass, oid, tmplnamespace
    FROM pg_catalog.pg_ts_template
  UNION ALL SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, oid, collnamespace
    FROM pg_catalog.pg_collation
  UNION ALL SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, oid, connamespace
    FROM pg_catalog.pg_conversion
  UNION ALL SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, oid, opcnamespace
    FROM pg_catalog.pg_opclass
  UNION ALL SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, oid, opfnamespace
    FROM pg_catalog.pg_opfamily
  UNION ALL SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, oid, stxnamespace
    FROM pg_catalog.pg_statistic_ext
  -- What hangs on information_schema's own tables: an index, a policy, a
  -- rule, a trigger (those on a table a user put there go with the table).
  UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, oid, relnamespace
    FROM pg_catalog.pg_class
    WHERE relkind IN ('i', 'I') AND relnamespace = 'information_schema'::pg_catalog.regnamespace
  UNION ALL SELECT 'pg_catalog.pg_policy'::pg_catalog.regclass, p.oid, c.relnamespace
    FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  UNION ALL SELECT 'pg_catalog.pg_rewrite'::pg_catalog.regclass, r.oid, c.relnamespace
    FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
  UNION ALL SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass, t.oid, c.relnamespace
    FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
),
objects (classid, objid) AS (
  SELECT c.classid, c.objid FROM candidates c
  WHERE c.objid >= 16384 AND c.nsp IN (SELECT oid FROM sys)
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = c.classid
                      AND d.objid = c.objid AND d.deptype IN ('i', 'e'))
  UNION ALL
  SELECT 'pg_catalog.pg_language'::pg_catalog.regclass, l.oid FROM pg_catalog.pg_language l
  WHERE l.oid >= 16384
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_language'::pg_catalog.regclass
                      AND d.objid = l.oid AND d.deptype = 'e')
),
described AS (
  SELECT o.classid, o.objid, i.type, i.identity
  FROM objects o, pg_catalog.pg_identify_object(o.classid, o.objid, 0) i
)
)sql";

// What pg_dump cannot write back: whatever is in a system schema, and a
// language whose handler, inline or validator function is (pg_dump then
// omits them), and relations put in information_schema.
constexpr const char* kUnreproducible = R"sql(
SELECT format('%s %s', type, identity) FROM (
  SELECT type, identity FROM described
  WHERE classid <> 'pg_catalog.pg_language'::pg_catalog.regclass
  UNION ALL
  SELECT type, identity FROM described
  JOIN pg_catalog.pg_language l ON l.oid = objid
  WHERE classid = 'pg_catalog.pg_language'::pg_catalog.regclass
    AND EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                WHERE p.oid IN (l.lanplcallfoid, l.laninline, l.lanvalidator)
                  AND (p.pronamespace IN (SELECT oid FROM sys) OR p.pronamespace IN
                       (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname ~ '^pg_')))
  UNION ALL
  SELECT 'relation', c.oid::pg_catalog.regclass::text FROM pg_catalog.pg_class c
  WHERE c.relnamespace = 'information_schema'::pg_catalog.regnamespace AND c.oid >= 16384
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype IN ('i', 'e') AND d.refobjid <> c.oid)
) unreproducible (type, identity)
ORDER BY 1
)sql";

constexpr const char* kLines = R"sql(
SELECT format('system-object %s %s', type, identity) FROM described
)sql";

// Dropped by name, each IF EXISTS: dropping one may have taken others
// with it. (The DO block's body is the query that follows kSystemObjects.)
constexpr const char* kDropStart = R"sql(
DO $migrate$
DECLARE
  statement text;
BEGIN
  FOR statement IN )sql";
constexpr const char* kDropEnd = R"sql(
    SELECT format('DROP %s IF EXISTS %s CASCADE',
                  CASE type WHEN 'statistics object' THEN 'STATISTICS'
                            WHEN 'composite type' THEN 'TYPE' ELSE upper(type) END, identity)
    FROM described ORDER BY classid, objid DESC
  LOOP EXECUTE statement; END LOOP;
END
$migrate$;
)sql";

// What every new database has and pg_dump never writes: a database without
// it would get it back from a restore.
constexpr const char* kMissingBuiltIns = R"sql(
SELECT what FROM (VALUES
  ('public schema', NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'public')),
  ('plpgsql extension',
   NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'plpgsql'))
) built_in (what, missing) WHERE missing
)sql";

constexpr int kNamedAtMost = 10;

Result<void> refuse_missing_built_ins(pg_conn* conn) {
  auto missing = exec(conn, kMissingBuiltIns, "look for what the database lacks");
  if (!missing) return tl::unexpected(missing.error());
  if (PQntuples(missing->get()) == 0) return {};
  std::string what = value(missing->get(), 0, 0);
  if (PQntuples(missing->get()) > 1) what += " and no " + value(missing->get(), 1, 0);
  return fail(ErrorCode::kRefused,
              fmt::format("cannot back up the database: it has no {}; every new database has "
                          "one and pg_dump never writes it, so a restore would bring it back and "
                          "not match the backup",
                          what),
              "create it again (CREATE SCHEMA public; CREATE EXTENSION plpgsql), or keep your "
              "objects in a schema of your own name beside it");
}

}  // namespace

Result<void> refuse_unreproducible_objects(pg_conn* conn) {
  if (auto r = refuse_missing_built_ins(conn); !r) return r;
  auto found = exec(conn, std::string(kSystemObjects) + kUnreproducible,
                    "look for objects pg_dump cannot back up");
  if (!found) return tl::unexpected(found.error());
  int count = PQntuples(found->get());
  if (count == 0) return {};
  std::string names;
  for (int row = 0; row < count && row < kNamedAtMost; ++row)
    names += fmt::format("{}{}", row == 0 ? "" : ", ", value(found->get(), row, 0));
  if (count > kNamedAtMost) names += fmt::format(" and {} more", count - kNamedAtMost);
  return fail(ErrorCode::kRefused,
              fmt::format("cannot back up the database: pg_dump cannot reproduce {} ({}), so a "
                          "restore of the backup would fail",
                          count == 1 ? "this object" : "these objects", names),
              "pg_dump leaves out objects in pg_catalog and information_schema, and writes a "
              "procedural language whose handler is a built-in function without it; drop them, "
              "or create them in a schema of the database's own");
}

std::string system_object_lines_sql() {
  return std::string(kSystemObjects) + kLines;
}

std::string drop_system_objects_sql() {
  return std::string(kDropStart) + kSystemObjects + kDropEnd;
}

}  // namespace migrate::postgres
