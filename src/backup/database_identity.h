// Which database a backup belongs to.
//
// One backup directory is often shared by several databases (the default
// ./backups of a project with a test and a development database), so
// `restore latest`, labels, `prune` and `verify` must only ever pick the
// current database's backups. A manifest records the database as a
// password-free URL; the identity reduces such a URL to what names the same
// database however it is spelled: the driver, the server's host and port
// (default ports filled in) and the database name for servers, the absolute
// path for SQLite. The user a URL connects as is not part of it.
#pragma once

#include <string>
#include <string_view>

#include "migrate/url.h"

namespace migrate {

// The URL to record in a manifest: masked (no password), with a SQLite path
// made absolute and canonical, so that it names the same file from any
// working directory, and a PostgreSQL service's server and database spelled
// out (pg_service_file.h).
std::string manifest_database_url(const DatabaseUrl& url);

// The identity of the database a recorded URL (manifest_database_url(), or a
// masked URL of an older manifest, whose relative SQLite path is taken from
// the working directory) names, e.g. "sqlite:/srv/app/app.db" or
// "postgres://db.example:5432/app". Text that does not parse is its own
// identity.
std::string database_identity(std::string_view recorded_url);

}  // namespace migrate
