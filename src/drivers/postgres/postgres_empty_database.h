// The SQL that empties a database in the restore's own transaction, before
// the dump is replayed (postgres_replay.h).
//
// Every user schema but public is dropped with its contents; public is kept
// (pg_dump writes only how it differs from a new database's) and emptied
// object by object, its owner and privileges reset to what a new database
// has and its comment removed (pg_dump writes any it had). Large objects,
// event triggers and foreign servers live outside schemas and go too, as do
// foreign data wrappers, publications and subscriptions; default privileges
// are reset to the built-in ones. plpgsql, which pg_dump never writes, is
// created again if it was dropped.
// Extensions the restoring role may not drop stay; the dump's CREATE
// EXTENSION IF NOT EXISTS keeps them.
// What users put among the built-in objects goes after this
// (postgres_system_objects.h).
#pragma once

namespace migrate::postgres {

// One DO block, for a transaction whose search_path is pg_catalog alone.
const char* empty_database_sql();

}  // namespace migrate::postgres
