// The SQL that empties a database for a restore (postgres_empty_database.h).
#include "drivers/postgres/postgres_empty_database.h"

namespace migrate::postgres {

const char* empty_database_sql() {
  return R"sql(
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

  -- Every new database has plpgsql, and pg_dump never writes it: one
  -- created again since the backup (an OID past the built-in ones) was just
  -- dropped, and comes back as built in.
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'plpgsql') THEN
    CREATE EXTENSION plpgsql;
  END IF;

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
  -- No comment, not the standard one: pg_dump (with --quote-all-identifiers)
  -- writes the public schema's comment whenever it has one, the standard
  -- one included, and nothing when it has none.
  IF obj_description(public_oid, 'pg_namespace') IS NOT NULL THEN
    COMMENT ON SCHEMA public IS NULL;
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
}

}  // namespace migrate::postgres
