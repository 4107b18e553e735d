// Objects a superuser put among the built-in ones, and languages pg_dump
// cannot write back.
//
// pg_dump leaves out everything in pg_catalog and information_schema, and
// writes a procedural language whose handler is a built-in function as a bare
// CREATE LANGUAGE, which a server since 13 reads as CREATE EXTENSION and
// fails. A backup of a database holding either could never be restored, so
// the snapshot refuses it before anything is applied. The same objects,
// created after a backup, are part of the fingerprint (so a restore that
// left them cannot pass for exact) and are dropped by the restore.
// "User-created" is an OID past the built-in ones (FirstNormalObjectId) that
// is neither an extension's member nor an internal part of another object.
#pragma once

#include <string>

#include "migrate/error.h"

struct pg_conn;  // libpq's PGconn

namespace migrate::postgres {

// kRefused naming the objects pg_dump cannot reproduce, if there are any,
// or what a new database has that this one lacks (the public schema, the
// plpgsql extension: pg_dump writes neither, so a restore brings them back).
Result<void> refuse_unreproducible_objects(pg_conn* conn);

// A query giving one fingerprint line per user-created object in pg_catalog
// and information_schema (relations in information_schema have lines of their
// own in the schema query) and per user-created procedural language.
std::string system_object_lines_sql();

// A DO block dropping those objects, for the restore's emptying.
std::string drop_system_objects_sql();

}  // namespace migrate::postgres
