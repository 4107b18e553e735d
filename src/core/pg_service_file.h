// The user's libpq service definitions, for children that are given a
// private service file of migrate's own.
//
// A child (pg_dump) gets its password through a private service file
// (pg_tools.h), which replaces the user's PGSERVICEFILE for it. So that a
// service named in the URL (service=...) or by PGSERVICE still applies, the
// private file carries that service's own lines from the file libpq would
// read: PGSERVICEFILE, else ~/.pg_service.conf, and when the service is not
// there, PGSYSCONFDIR/pg_service.conf. As in libpq, they are defaults under
// the connection string, and the first value of a keyword wins.
#pragma once

#include <optional>
#include <string>

#include "migrate/url.h"

namespace migrate::postgres {

// The keyword=value lines of service `name`, each ending in a newline
// (comments and blank lines left out); nullopt when no file defines it.
std::optional<std::string> user_service_lines(const std::string& name);

// A PostgreSQL `url` naming a service (?service=NAME), with the host, port
// and database name of that service filled in where the URL leaves them
// out, as libpq takes them: so that such a URL names its database and server
// (whose backups are whose, which lock a runner takes). Any other URL, or a
// service no file defines, comes back as it was.
DatabaseUrl with_service_defaults(const DatabaseUrl& url);

}  // namespace migrate::postgres
