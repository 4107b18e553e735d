// The content fingerprint of a PostgreSQL database.
//
// The schema is a canonical description of every user object (schemas other
// than pg_catalog, information_schema and pg_toast*, and the database's
// publications, subscriptions, foreign data wrappers, servers and user
// mappings, default privileges and large objects, collations, conversions,
// operators and their classes and families, text search objects, and what
// users created among the built-in objects, postgres_system_objects.h): one line per object, with
// its definition as the server deparses it (pg_get_indexdef, pg_get_viewdef,
// pg_get_functiondef, ...), owner, privileges and comment, and the position of
// every sequence; no OIDs and no column numbers, so a dump and its restore
// describe alike. Privileges are sets: the entries of an ACL are sorted
// (default privileges and pg_dump's GRANTs list the same ones in different
// orders), and an ACL granting exactly the built-in default counts as none
// (pg_dump writes nothing for it, so a restore leaves none). Foreign-data option lists are sorted:
// pg_dump writes them in an order of its own. The lines are sorted byte-wise and hashed with
// SHA-256.
//
// A table's digest is over its rows exactly as pg_dump writes them: COPY's
// text format, under the output settings pg_dump's session has. Each line is
// hashed and the hashes are summed (RowSetHash), so the order rows happen to
// be stored in does not matter; SHA-256 of "rows sum sum" is the hex digest
// kept. Rows are always read from the database with COPY (for a snapshot, in
// the very snapshot pg_dump exported), never taken from the dump's text.
// Only sequence positions come from a dump: they are outside transactions,
// so no query can read where the dump's snapshot saw them. Ordinary tables and partitions count;
// materialized views do not (pg_dump refreshes them from their query rather than copying them, so
// only whether one is populated is part of the schema), nor do foreign tables.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "drivers/postgres/pg_connection.h"
#include "drivers/postgres/pg_tools.h"
#include "drivers/postgres/postgres_snapshot.h"
#include "drivers/postgres/postgres_system_objects.h"
#include "drivers/postgres/postgres_table_rows.h"
#include "util/crypto.h"

namespace migrate::postgres {

namespace {

constexpr int kMinimumServer = 120000;
constexpr size_t kSequencesPerQuery = 200;

// The settings pg_dump's session has (it sets them itself, or is given
// them by snapshot()), so that COPY here writes each row as in the dump;
// quote_all_identifiers matches --quote-all-identifiers, which reg* values
// follow. The client encoding is set to the server's below, as pg_dump does.
// JIT is off: the schema query's estimates (pg_publication_tables above all)
// can pass jit_above_cost, and compiling it took seconds to save nothing.
constexpr const char* kSettings =
    "SET LOCAL search_path = pg_catalog; SET LOCAL DateStyle = ISO; "
    "SET LOCAL IntervalStyle = postgres; SET LOCAL TimeZone = 'UTC'; "
    "SET LOCAL extra_float_digits = 3; SET LOCAL bytea_output = hex; "
    "SET LOCAL quote_all_identifiers = on; SET LOCAL row_security = off; "
    "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0; "
    "SET LOCAL jit = off; "
    "SELECT pg_catalog.set_config('client_encoding', "
    "pg_catalog.current_setting('server_encoding'), true)";

// Common table expressions shared by the queries below: user schemas, and
// the relations in them that are not part of an extension.
constexpr const char* kUserObjects = R"sql(
WITH ns AS (
  SELECT oid, nspname FROM pg_catalog.pg_namespace
  WHERE nspname <> 'information_schema' AND nspname !~ '^pg_'
),
member AS (SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e'),
rel AS (
  SELECT c.* FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
    AND NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_class'::regclass AND m.objid = c.oid)
)
)sql";

constexpr const char* kSchemaLines = R"sql(
SELECT line FROM (
  -- A public schema its users created again has no ACL (its owner's
  -- default); restored, it has the same rights spelled out (pg_dump's REVOKE
  -- on the public schema a new database has). No comment and the standard
  -- one count as the same: the pg_dump this was written against writes the
  -- standard one and the restore starts from none, but a pg_dump that
  -- leaves the standard one out (as it means to) must not fail restores.
  -- Other schemas are read as they are, so that older backups'
  -- fingerprints still compare.
  SELECT format('schema %I owner %I acl %L comment %L', n.nspname, pg_get_userbyid(n.nspowner),
                CASE WHEN n.nspname = 'public'
                     THEN ARRAY(SELECT e::text FROM unnest(coalesce(n.nspacl, acldefault('n', n.nspowner))) e ORDER BY e::text COLLATE "C")
                     ELSE CASE WHEN n.nspacl IS NULL OR ARRAY(SELECT e::text FROM unnest(n.nspacl) e ORDER BY e::text COLLATE "C") = ARRAY(SELECT e::text FROM unnest(acldefault('n', n.nspowner)) e ORDER BY e::text COLLATE "C") THEN NULL ELSE ARRAY(SELECT e::text FROM unnest(n.nspacl) e ORDER BY e::text COLLATE "C") END END,
                CASE WHEN n.nspname = 'public'
                     THEN coalesce(obj_description(n.oid, 'pg_namespace'), 'standard public schema')
                     ELSE obj_description(n.oid, 'pg_namespace') END)
  FROM pg_namespace n JOIN ns USING (oid)
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_namespace'::regclass AND m.objid = n.oid)
UNION ALL
  SELECT format('relation %s kind %s owner %I acl %L persistence %s options %L populated %s '
                'rls %s %s replica %s am %L tablespace %L partition %L %L inherits %L of %L '
                'definition %L comment %L',
                c.oid::regclass, c.relkind, pg_get_userbyid(c.relowner), CASE WHEN c.relacl IS NULL OR ARRAY(SELECT e::text FROM unnest(c.relacl) e ORDER BY e::text COLLATE "C") = ARRAY(SELECT e::text FROM unnest(acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)) e ORDER BY e::text COLLATE "C") THEN NULL ELSE ARRAY(SELECT e::text FROM unnest(c.relacl) e ORDER BY e::text COLLATE "C") END, c.relpersistence,
                c.reloptions, c.relispopulated, c.relrowsecurity, c.relforcerowsecurity,
                c.relreplident, am.amname, ts.spcname, pg_get_partkeydef(c.oid),
                pg_get_expr(c.relpartbound, c.oid),
                (SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)
                 FROM pg_inherits i WHERE i.inhrelid = c.oid),
                nullif(c.reloftype, 0)::regtype,
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
                obj_description(c.oid, 'pg_class'))
  FROM rel c
  LEFT JOIN pg_am am ON am.oid = c.relam
  LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
UNION ALL
  SELECT format('column %s %s position %s type %s not-null %s default %L identity %L generated %L '
                'collation %L storage %s statistics %s options %L fdw %L acl %L comment %L',
                c.oid::regclass, quote_ident(a.attname),
                row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                a.attidentity, a.attgenerated,
                CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation END,
                a.attstorage, a.attstattarget, a.attoptions,
                CASE WHEN a.attfdwoptions IS NOT NULL THEN ARRAY(SELECT o FROM unnest(a.attfdwoptions) o ORDER BY o COLLATE "C") END, (SELECT array_agg(e ORDER BY e::text COLLATE "C") FROM unnest(a.attacl) e),
                col_description(c.oid, a.attnum))
  FROM rel c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE c.relkind <> 'S'
UNION ALL
  SELECT format('constraint %I on %s type %s definition %L comment %L', k.conname,
                coalesce(nullif(k.conrelid, 0)::regclass::text, nullif(k.contypid, 0)::regtype::text),
                k.contype, pg_get_constraintdef(k.oid), obj_description(k.oid, 'pg_constraint'))
  FROM pg_constraint k JOIN ns ON ns.oid = k.connamespace
  WHERE k.contype <> 't'
    AND NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_type'::regclass AND m.objid = k.contypid)
    AND (k.conrelid = 0 OR k.conrelid IN (SELECT oid FROM rel))
UNION ALL
  SELECT format('index %s on %s definition %L clustered %s replica %s comment %L',
                i.indexrelid::regclass, i.indrelid::regclass, pg_get_indexdef(i.indexrelid),
                i.indisclustered, i.indisreplident, obj_description(i.indexrelid, 'pg_class'))
  FROM pg_index i JOIN rel c ON c.oid = i.indrelid
UNION ALL
  SELECT format('routine %s kind %s owner %I acl %L definition %L comment %L',
                p.oid::regprocedure, p.prokind, pg_get_userbyid(p.proowner), CASE WHEN p.proacl IS NULL OR ARRAY(SELECT e::text FROM unnest(p.proacl) e ORDER BY e::text COLLATE "C") = ARRAY(SELECT e::text FROM unnest(acldefault('f', p.proowner)) e ORDER BY e::text COLLATE "C") THEN NULL ELSE ARRAY(SELECT e::text FROM unnest(p.proacl) e ORDER BY e::text COLLATE "C") END,
                CASE WHEN p.prokind = 'a' THEN
                  (SELECT row(a.aggkind, a.aggnumdirectargs, a.aggtransfn::regprocedure,
                              nullif(a.aggfinalfn, 0)::regprocedure, nullif(a.aggcombinefn, 0)::regprocedure,
                              nullif(a.aggserialfn, 0)::regprocedure, nullif(a.aggdeserialfn, 0)::regprocedure,
                              nullif(a.aggmtransfn, 0)::regprocedure, nullif(a.aggminvtransfn, 0)::regprocedure,
                              nullif(a.aggmfinalfn, 0)::regprocedure, a.aggfinalextra, a.aggmfinalextra,
                              a.aggfinalmodify, a.aggmfinalmodify, nullif(a.aggsortop, 0)::regoperator,
                              a.aggtranstype::regtype, a.aggtransspace, nullif(a.aggmtranstype, 0)::regtype,
                              a.aggmtransspace, a.agginitval, a.aggminitval,
                              pg_get_function_arguments(p.oid), p.prorettype::regtype, p.proparallel)::text
                   FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
                ELSE pg_get_functiondef(p.oid) END,
                obj_description(p.oid, 'pg_proc'))
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_proc'::regclass AND m.objid = p.oid)
UNION ALL
  SELECT format('trigger %I on %s definition %L enabled %s comment %L', g.tgname,
                g.tgrelid::regclass, pg_get_triggerdef(g.oid), g.tgenabled,
                obj_description(g.oid, 'pg_trigger'))
  FROM pg_trigger g JOIN rel c ON c.oid = g.tgrelid
  WHERE NOT g.tgisinternal
UNION ALL
  SELECT format('rule %I on %s definition %L enabled %s comment %L', r.rulename,
                r.ev_class::regclass, pg_get_ruledef(r.oid), r.ev_enabled,
                obj_description(r.oid, 'pg_rewrite'))
  FROM pg_rewrite r JOIN rel c ON c.oid = r.ev_class
  WHERE r.rulename <> '_RETURN'
UNION ALL
  SELECT format('policy %I on %s command %s permissive %s roles %L using %L check %L comment %L',
                p.polname, p.polrelid::regclass, p.polcmd, p.polpermissive,
                (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(r)) END, ', ' ORDER BY 1)
                 FROM unnest(p.polroles) r),
                pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
                obj_description(p.oid, 'pg_policy'))
  FROM pg_policy p JOIN rel c ON c.oid = p.polrelid
UNION ALL
  SELECT format('type %s kind %s owner %I acl %L definition %L comment %L',
                t.oid::regtype, t.typtype, pg_get_userbyid(t.typowner), CASE WHEN t.typacl IS NULL OR ARRAY(SELECT e::text FROM unnest(t.typacl) e ORDER BY e::text COLLATE "C") = ARRAY(SELECT e::text FROM unnest(acldefault('T', t.typowner)) e ORDER BY e::text COLLATE "C") THEN NULL ELSE ARRAY(SELECT e::text FROM unnest(t.typacl) e ORDER BY e::text COLLATE "C") END,
                CASE t.typtype
                  WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                 FROM pg_enum e WHERE e.enumtypid = t.oid)
                  WHEN 'd' THEN format('%s not-null %s default %L collation %L',
                                       format_type(t.typbasetype, t.typtypmod), t.typnotnull,
                                       t.typdefault, nullif(t.typcollation, 0)::regcollation)
                  WHEN 'r' THEN (SELECT format('%s %s %L %L %L', r.rngsubtype::regtype,
                                               opc.opcname, nullif(r.rngcollation, 0)::regcollation,
                                               nullif(r.rngcanonical, 0)::regproc, nullif(r.rngsubdiff, 0)::regproc)
                                 FROM pg_range r JOIN pg_opclass opc ON opc.oid = r.rngsubopc
                                 WHERE r.rngtypid = t.oid)
                  WHEN 'b' THEN format('%s %s %L %L %s %s %s', t.typinput::regproc, t.typoutput::regproc,
                                       nullif(t.typreceive, 0)::regproc, nullif(t.typsend, 0)::regproc,
                                       t.typlen, t.typalign, t.typstorage)
                END,
                obj_description(t.oid, 'pg_type'))
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
  WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                      AND d.objid = t.oid AND d.deptype IN ('i', 'e'))
    AND (t.typrelid = 0 OR t.typrelid IN (SELECT oid FROM rel WHERE relkind = 'c'))
UNION ALL
  SELECT format('sequence %s type %s start %s increment %s min %s max %s cache %s cycle %s owned-by %L',
                s.seqrelid::regclass, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin,
                s.seqmax, s.seqcache, s.seqcycle,
                (SELECT format('%s.%I', d.refobjid::regclass, a.attname)
                 FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0))
  FROM pg_sequence s JOIN rel c ON c.oid = s.seqrelid
UNION ALL
  SELECT format('extension %I version %s schema %I', x.extname, x.extversion, n.nspname)
  FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
UNION ALL
  -- pg_dump writes CREATE EXTENSION alone, so a restore has what the
  -- extension's script makes: an object added with ALTER EXTENSION ... ADD
  -- is gone afterwards, and this line tells. (Not for extensions living in
  -- pg_catalog, plpgsql's home: their members are built in.)
  SELECT format('extension %I members %L', x.extname,
                (SELECT string_agg(pg_describe_object(d.classid, d.objid, d.objsubid), ', '
                                   ORDER BY pg_describe_object(d.classid, d.objid, d.objsubid) COLLATE "C")
                 FROM pg_depend d
                 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = x.oid
                   AND d.deptype = 'e'))
  FROM pg_extension x
  WHERE x.extnamespace <> 'pg_catalog'::regnamespace
UNION ALL
  SELECT format('statistics %I.%I definition %L comment %L', n.nspname, s.stxname,
                pg_get_statisticsobjdef(s.oid), obj_description(s.oid, 'pg_statistic_ext'))
  FROM pg_statistic_ext s JOIN ns n ON n.oid = s.stxnamespace
UNION ALL
  -- Lines of their own, present only when they differ from what CREATE
  -- STATISTICS gives, so that older backups' fingerprints still compare.
  -- stxstattarget is read through jsonb: PostgreSQL 12 has no such column.
  SELECT format('statistics %I.%I owner %I', n.nspname, s.stxname, pg_get_userbyid(s.stxowner))
  FROM pg_statistic_ext s JOIN ns n ON n.oid = s.stxnamespace JOIN pg_class c ON c.oid = s.stxrelid
  WHERE s.stxowner <> c.relowner
UNION ALL
  SELECT format('statistics %I.%I target %s', n.nspname, s.stxname, to_jsonb(s) ->> 'stxstattarget')
  FROM pg_statistic_ext s JOIN ns n ON n.oid = s.stxnamespace
  WHERE coalesce((to_jsonb(s) ->> 'stxstattarget')::int, -1) <> -1
UNION ALL
  SELECT format('collation %I.%I owner %I provider %s deterministic %s encoding %s collate %L '
                'ctype %L locale %L comment %L',
                n.nspname, c.collname, pg_get_userbyid(c.collowner), c.collprovider,
                c.collisdeterministic, c.collencoding, c.collcollate, c.collctype,
                coalesce(to_jsonb(c) ->> 'colliculocale', to_jsonb(c) ->> 'colllocale'),
                obj_description(c.oid, 'pg_collation'))
  FROM pg_collation c JOIN ns n ON n.oid = c.collnamespace
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_collation'::regclass AND m.objid = c.oid)
UNION ALL
  SELECT format('conversion %I.%I owner %I from %s to %s function %s default %s comment %L',
                n.nspname, c.conname, pg_get_userbyid(c.conowner),
                pg_encoding_to_char(c.conforencoding), pg_encoding_to_char(c.contoencoding),
                c.conproc::regprocedure, c.condefault, obj_description(c.oid, 'pg_conversion'))
  FROM pg_conversion c JOIN ns n ON n.oid = c.connamespace
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_conversion'::regclass AND m.objid = c.oid)
UNION ALL
  SELECT format('operator %s owner %I function %s commutator %s negator %s restrict %s join %s '
                'merges %s hashes %s comment %L',
                o.oid::regoperator, pg_get_userbyid(o.oprowner), o.oprcode::regprocedure,
                nullif(o.oprcom, 0)::regoperator, nullif(o.oprnegate, 0)::regoperator,
                nullif(o.oprrest, 0)::regproc, nullif(o.oprjoin, 0)::regproc, o.oprcanmerge,
                o.oprcanhash, obj_description(o.oid, 'pg_operator'))
  FROM pg_operator o JOIN ns n ON n.oid = o.oprnamespace
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_operator'::regclass AND m.objid = o.oid)
UNION ALL
  SELECT format('operator-family %I.%I using %I owner %I operators %L functions %L comment %L',
                n.nspname, f.opfname, a.amname, pg_get_userbyid(f.opfowner),
                (SELECT string_agg(format('%s %s %s %s %s %s', o.amopstrategy, o.amoppurpose,
                                          o.amoplefttype::regtype, o.amoprighttype::regtype,
                                          o.amopopr::regoperator,
                                          nullif(o.amopsortfamily, 0)), ', '
                                   ORDER BY o.amopstrategy, o.amoplefttype::regtype::text,
                                            o.amoprighttype::regtype::text)
                 FROM pg_amop o WHERE o.amopfamily = f.oid),
                (SELECT string_agg(format('%s %s %s %s', p.amprocnum, p.amproclefttype::regtype,
                                          p.amprocrighttype::regtype, p.amproc::regprocedure), ', '
                                   ORDER BY p.amprocnum, p.amproclefttype::regtype::text,
                                            p.amprocrighttype::regtype::text)
                 FROM pg_amproc p WHERE p.amprocfamily = f.oid),
                obj_description(f.oid, 'pg_opfamily'))
  FROM pg_opfamily f JOIN ns n ON n.oid = f.opfnamespace JOIN pg_am a ON a.oid = f.opfmethod
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_opfamily'::regclass AND m.objid = f.oid)
UNION ALL
  SELECT format('operator-class %I.%I using %I family %I.%I type %s default %s key-type %s '
                'owner %I comment %L',
                n.nspname, c.opcname, a.amname, fn.nspname, f.opfname, c.opcintype::regtype,
                c.opcdefault, nullif(c.opckeytype, 0)::regtype, pg_get_userbyid(c.opcowner),
                obj_description(c.oid, 'pg_opclass'))
  FROM pg_opclass c JOIN ns n ON n.oid = c.opcnamespace JOIN pg_am a ON a.oid = c.opcmethod
  JOIN pg_opfamily f ON f.oid = c.opcfamily JOIN pg_namespace fn ON fn.oid = f.opfnamespace
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_opclass'::regclass AND m.objid = c.oid)
UNION ALL
  SELECT format('text-search-configuration %I.%I owner %I parser %I.%I mapping %L comment %L',
                n.nspname, c.cfgname, pg_get_userbyid(c.cfgowner), pn.nspname, p.prsname,
                (SELECT string_agg(format('%s %s %s', m.maptokentype, m.mapseqno,
                                          m.mapdict::regdictionary), ', '
                                   ORDER BY m.maptokentype, m.mapseqno)
                 FROM pg_ts_config_map m WHERE m.mapcfg = c.oid),
                obj_description(c.oid, 'pg_ts_config'))
  FROM pg_ts_config c JOIN ns n ON n.oid = c.cfgnamespace
  JOIN pg_ts_parser p ON p.oid = c.cfgparser JOIN pg_namespace pn ON pn.oid = p.prsnamespace
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_ts_config'::regclass AND m.objid = c.oid)
UNION ALL
  SELECT format('text-search-dictionary %I.%I owner %I template %I.%I options %L comment %L',
                n.nspname, d.dictname, pg_get_userbyid(d.dictowner), tn.nspname, t.tmplname,
                d.dictinitoption, obj_description(d.oid, 'pg_ts_dict'))
  FROM pg_ts_dict d JOIN ns n ON n.oid = d.dictnamespace
  JOIN pg_ts_template t ON t.oid = d.dicttemplate JOIN pg_namespace tn ON tn.oid = t.tmplnamespace
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_ts_dict'::regclass AND m.objid = d.oid)
UNION ALL
  SELECT format('text-search-parser %I.%I start %s token %s end %s headline %s types %s comment %L',
                n.nspname, p.prsname, p.prsstart::regproc, p.prstoken::regproc, p.prsend::regproc,
                nullif(p.prsheadline, 0)::regproc, p.prslextype::regproc,
                obj_description(p.oid, 'pg_ts_parser'))
  FROM pg_ts_parser p JOIN ns n ON n.oid = p.prsnamespace
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_ts_parser'::regclass AND m.objid = p.oid)
UNION ALL
  SELECT format('text-search-template %I.%I init %s lexize %s comment %L', n.nspname, t.tmplname,
                nullif(t.tmplinit, 0)::regproc, t.tmpllexize::regproc,
                obj_description(t.oid, 'pg_ts_template'))
  FROM pg_ts_template t JOIN ns n ON n.oid = t.tmplnamespace
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_ts_template'::regclass AND m.objid = t.oid)
UNION ALL
  SELECT format('event-trigger %I event %s enabled %s function %s tags %L', e.evtname, e.evtevent,
                e.evtenabled, e.evtfoid::regprocedure, e.evttags)
  FROM pg_event_trigger e
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_event_trigger'::regclass AND m.objid = e.oid)
UNION ALL
  SELECT format('default-acl %I schema %L type %s acl %L', pg_get_userbyid(d.defaclrole),
                n.nspname, d.defaclobjtype, (SELECT array_agg(e ORDER BY e::text COLLATE "C") FROM unnest(d.defaclacl) e))
  FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
UNION ALL
  SELECT format('publication %I owner %I all-tables %s actions %s %s %s %s via-root %s tables %L comment %L',
                p.pubname, pg_get_userbyid(p.pubowner), p.puballtables, p.pubinsert, p.pubupdate,
                p.pubdelete, p.pubtruncate, p.pubviaroot,
                (SELECT string_agg(format('%I.%I %s', t.schemaname, t.tablename, to_jsonb(t) - 'pubname'),
                                   ', ' ORDER BY t.schemaname, t.tablename)
                 FROM pg_publication_tables t WHERE t.pubname = p.pubname),
                obj_description(p.oid, 'pg_publication'))
  FROM pg_publication p
UNION ALL
  SELECT format('subscription %I owner %I publications %L comment %L', s.subname,
                pg_get_userbyid(s.subowner), s.subpublications, shobj_description(s.oid, 'pg_subscription'))
  FROM pg_subscription s
  WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
UNION ALL
  SELECT format('foreign-data-wrapper %I owner %I handler %L validator %L options %L acl %L comment %L',
                w.fdwname, pg_get_userbyid(w.fdwowner), nullif(w.fdwhandler, 0)::regproc,
                nullif(w.fdwvalidator, 0)::regproc,
                CASE WHEN w.fdwoptions IS NOT NULL THEN ARRAY(SELECT o FROM unnest(w.fdwoptions) o ORDER BY o COLLATE "C") END, CASE WHEN w.fdwacl IS NULL OR ARRAY(SELECT e::text FROM unnest(w.fdwacl) e ORDER BY e::text COLLATE "C") = ARRAY(SELECT e::text FROM unnest(acldefault('F', w.fdwowner)) e ORDER BY e::text COLLATE "C") THEN NULL ELSE ARRAY(SELECT e::text FROM unnest(w.fdwacl) e ORDER BY e::text COLLATE "C") END,
                obj_description(w.oid, 'pg_foreign_data_wrapper'))
  FROM pg_foreign_data_wrapper w
  WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_foreign_data_wrapper'::regclass AND m.objid = w.oid)
UNION ALL
  SELECT format('foreign-server %I wrapper %I owner %I type %L version %L options %L acl %L comment %L',
                s.srvname, w.fdwname, pg_get_userbyid(s.srvowner), s.srvtype, s.srvversion,
                CASE WHEN s.srvoptions IS NOT NULL THEN ARRAY(SELECT o FROM unnest(s.srvoptions) o ORDER BY o COLLATE "C") END,
                CASE WHEN s.srvacl IS NULL OR ARRAY(SELECT e::text FROM unnest(s.srvacl) e ORDER BY e::text COLLATE "C") = ARRAY(SELECT e::text FROM unnest(acldefault('S', s.srvowner)) e ORDER BY e::text COLLATE "C") THEN NULL ELSE ARRAY(SELECT e::text FROM unnest(s.srvacl) e ORDER BY e::text COLLATE "C") END, obj_description(s.oid, 'pg_foreign_server'))
  FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
UNION ALL
  SELECT format('foreign-table %s server %I options %L', c.oid::regclass, fs.srvname,
                CASE WHEN f.ftoptions IS NOT NULL THEN ARRAY(SELECT o FROM unnest(f.ftoptions) o ORDER BY o COLLATE "C") END)
  FROM pg_foreign_table f JOIN rel c ON c.oid = f.ftrelid
  JOIN pg_foreign_server fs ON fs.oid = f.ftserver
UNION ALL
  SELECT format('user-mapping server %I user %s options %L', u.srvname,
                CASE WHEN u.umuser = 0 THEN 'public' ELSE quote_ident(u.usename) END,
                CASE WHEN u.umoptions IS NOT NULL THEN ARRAY(SELECT o FROM unnest(u.umoptions) o ORDER BY o COLLATE "C") END)
  FROM pg_user_mappings u
UNION ALL
  SELECT format('cast %s as %s function %s context %s method %s', c.castsource::regtype,
                c.casttarget::regtype, nullif(c.castfunc, 0)::regprocedure, c.castcontext,
                c.castmethod)
  FROM pg_cast c
  WHERE c.oid >= 16384
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_cast'::regclass
                      AND d.objid = c.oid AND d.deptype IN ('i', 'e'))  -- a multirange's own
UNION ALL
  SELECT format('access-method %I type %s handler %s', a.amname, a.amtype, a.amhandler::regproc)
  FROM pg_am a
  WHERE a.oid >= 16384
    AND NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_am'::regclass AND m.objid = a.oid)
UNION ALL
  SELECT format('information-schema-relation %s kind %s', c.oid::regclass, c.relkind)
  FROM pg_class c
  WHERE c.relnamespace = 'information_schema'::regnamespace AND c.oid >= 16384
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    AND NOT EXISTS (SELECT 1 FROM member m WHERE m.classid = 'pg_class'::regclass AND m.objid = c.oid)
UNION ALL
  SELECT format('large-object %s owner %I acl %L md5 %s', l.oid, pg_get_userbyid(l.lomowner),
                CASE WHEN l.lomacl IS NULL OR ARRAY(SELECT e::text FROM unnest(l.lomacl) e ORDER BY e::text COLLATE "C") = ARRAY(SELECT e::text FROM unnest(acldefault('L', l.lomowner)) e ORDER BY e::text COLLATE "C") THEN NULL ELSE ARRAY(SELECT e::text FROM unnest(l.lomacl) e ORDER BY e::text COLLATE "C") END, md5(lo_get(l.oid)))
  FROM pg_largeobject_metadata l
) lines (line)
)sql";

// Tables and the columns pg_dump copies (generated ones are computed again).
constexpr const char* kTables = R"sql(
SELECT n.nspname, c.relname, c.oid::regclass::text,
       coalesce((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                 FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.attgenerated = ''), ''),
       pg_catalog.pg_relation_size(c.oid)
FROM rel c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
)sql";

constexpr const char* kSequences = R"sql(
SELECT n.nspname, c.relname, c.oid::regclass::text
FROM rel c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S'
)sql";

struct SequenceAt {
  std::pair<std::string, std::string> key;  // (schema, name), as the dump names it
  std::string name;                         // as regclass writes it
  std::string position;                     // "<last_value> <t|f>"
};

// Where every sequence stands now.
Result<std::vector<SequenceAt>> read_sequences(pg_conn* conn) {
  auto sequences = exec(conn, std::string(kUserObjects) + kSequences, "list sequences");
  if (!sequences) return tl::unexpected(sequences.error());
  const PGresult* list = sequences->get();
  std::vector<SequenceAt> result;
  for (int i = 0; i < PQntuples(list); ++i)
    result.push_back({{value(list, i, 0), value(list, i, 1)}, value(list, i, 2), ""});
  for (size_t first = 0; first < result.size(); first += kSequencesPerQuery) {
    std::string sql;
    for (size_t i = first; i < std::min(result.size(), first + kSequencesPerQuery); ++i) {
      if (!sql.empty()) sql += " UNION ALL ";
      sql += fmt::format("SELECT {}, last_value::text, is_called FROM {}", i, result[i].name);
    }
    auto read = exec(conn, sql, "read sequences");
    if (!read) return tl::unexpected(read.error());
    for (int row = 0; row < PQntuples(read->get()); ++row) {
      auto index = static_cast<size_t>(std::stoul(value(read->get(), row, 0)));
      result[index].position = value(read->get(), row, 1) + " " + value(read->get(), row, 2);
    }
  }
  return result;
}

// "sequence-position <name> <last_value> <t|f>" for every sequence, where
// the database has it. Sequences are outside transactions: one drawn from
// while pg_dump ran may stand further than the dump set it (and a restore
// sets it back to the dump's position). So where the dump differs from the
// database now, its position is taken if the database had it before the
// dump began, or if the sequence moved meanwhile; a dump that disagrees
// with a sequence nobody touched fails the snapshot.
Result<std::vector<std::string>> sequence_lines(pg_conn* conn,
                                                const DumpScanner::SequencePositions* dumped,
                                                const DumpScanner::SequencePositions* before) {
  auto now = read_sequences(conn);
  if (!now) return tl::unexpected(now.error());
  std::vector<std::string> lines;
  for (const auto& sequence : *now) {
    std::string position = sequence.position;
    auto in_dump = dumped ? dumped->find(sequence.key) : DumpScanner::SequencePositions::iterator();
    if (dumped && in_dump != dumped->end() && in_dump->second != position) {
      auto earlier = before ? before->find(sequence.key) : in_dump;
      bool known = before && earlier != before->end();
      if (!known || (earlier->second != in_dump->second && earlier->second == position)) {
        return fail(ErrorCode::kGeneral,
                    fmt::format("pg_dump wrote sequence {} at {}, but the database holds it at {}",
                                sequence.name, in_dump->second, position));
      }
      position = in_dump->second;
    }
    lines.push_back(fmt::format("sequence-position {} {}", sequence.name, position));
  }
  return lines;
}

}  // namespace

Result<DumpScanner::SequencePositions> sequence_positions(pg_conn* conn) {
  if (auto r = exec(conn, kSettings, "read sequences"); !r) return tl::unexpected(r.error());
  auto sequences = read_sequences(conn);
  if (!sequences) return tl::unexpected(sequences.error());
  DumpScanner::SequencePositions positions;
  for (auto& sequence : *sequences) positions[sequence.key] = std::move(sequence.position);
  return positions;
}

Result<ContentFingerprint> fingerprint_in_transaction(
    pg_conn* conn, Readers readers, const std::function<Result<const DumpScanner*>()>& dumped,
    const DumpScanner::SequencePositions* before) {
  if (PQserverVersion(conn) < kMinimumServer) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("PostgreSQL {} is too old for backups; 12 or newer is needed",
                            version_text(PQserverVersion(conn))));
  }
  if (auto r = exec(conn, kSettings, "fingerprint the database"); !r)
    return tl::unexpected(r.error());
  auto schema = exec(conn, std::string(kUserObjects) + kSchemaLines, "read the schema");
  if (!schema) return tl::unexpected(schema.error());
  std::vector<std::string> lines;
  for (int row = 0; row < PQntuples(schema->get()); ++row)
    lines.push_back(value(schema->get(), row, 0));
  schema->reset();
  // None in a database of only ordinary objects: its fingerprint is what it was.
  auto system_objects = exec(conn, system_object_lines_sql(), "read the schema");
  if (!system_objects) return tl::unexpected(system_objects.error());
  for (int row = 0; row < PQntuples(system_objects->get()); ++row)
    lines.push_back(value(system_objects->get(), row, 0));
  system_objects->reset();
  auto tables = exec(conn, std::string(kUserObjects) + kTables, "list tables");
  if (!tables) return tl::unexpected(tables.error());

  // Each table's rows, read from the database (while a dump still streams):
  // never from the dump, so that a dump missing rows (or a scanner misreading
  // it) cannot vouch for itself.
  const PGresult* t = tables->get();
  std::vector<TableToRead> to_read;
  for (int row = 0; row < PQntuples(t); ++row) {
    to_read.push_back(TableToRead{value(t, row, 2), value(t, row, 3),
                                  value(t, row, 0) + "." + value(t, row, 1),
                                  std::stoll(value(t, row, 4))});
  }
  auto read = read_tables(conn, to_read, readers, kSettings);
  if (!read) return tl::unexpected(read.error());
  ContentFingerprint result;
  for (int row = 0; row < PQntuples(t); ++row) {
    const RowSetHash& hash = (*read)[static_cast<size_t>(row)];
    result.tables.push_back(TableSummary{value(t, row, 0) + "." + value(t, row, 1), hash.rows(),
                                         sha256_hex(hash.text())});
  }
  std::sort(result.tables.begin(), result.tables.end(),
            [](const TableSummary& a, const TableSummary& b) { return a.name < b.name; });

  auto dump = dumped();
  if (!dump) return tl::unexpected(dump.error());
  auto positions = sequence_lines(conn, *dump ? &(*dump)->sequences() : nullptr, before);
  if (!positions) return tl::unexpected(positions.error());
  lines.insert(lines.end(), positions->begin(), positions->end());
  std::sort(lines.begin(), lines.end());
  Sha256 hash;
  for (const auto& line : lines) {
    hash.update(line);
    hash.update("\n");
  }
  result.schema_sha256 = hash.finish_hex();
  return result;
}

Result<ContentFingerprint> fingerprint(pg_conn* conn) {
  // Its own repeatable-read transaction makes the schema and every table one
  // consistent state; inside the caller's, a savepoint takes the settings back.
  bool nested = PQtransactionStatus(conn) != PQTRANS_IDLE;
  const char* begin =
      nested ? "SAVEPOINT migrate_fingerprint" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  const char* end = nested
                        ? "ROLLBACK TO SAVEPOINT migrate_fingerprint; RELEASE migrate_fingerprint"
                        : "ROLLBACK";
  if (auto r = exec(conn, begin, "fingerprint the database"); !r) return tl::unexpected(r.error());
  // Helper connections can share only a transaction of our own.
  auto result = fingerprint_in_transaction(
      conn, nested ? Readers::kOne : Readers::kShareSnapshot,
      []() -> Result<const DumpScanner*> { return nullptr; }, nullptr);
  PQclear(PQexec(conn, end));  // ends the read-only transaction; nothing to report
  return result;
}

Result<std::uint64_t> database_size(pg_conn* conn) {
  auto result = exec(conn, "SELECT pg_catalog.pg_database_size(pg_catalog.current_database())",
                     "measure the database");
  if (!result) return tl::unexpected(result.error());
  return static_cast<std::uint64_t>(std::stoull(value(result->get(), 0, 0)));
}

}  // namespace migrate::postgres
