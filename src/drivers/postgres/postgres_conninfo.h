// Turning a postgres:// DatabaseUrl into a libpq connection string.
//
// The URL is never handed to libpq as is: migrate parses and validates it
// itself (url.h), so that what libpq sees is exactly what the user was shown.
// Query parameters that are libpq keywords (sslmode, sslrootcert,
// target_session_attrs, ...) pass through; anything else is a usage error
// rather than a silently ignored typo. `?host=/dir` selects a unix socket.
#pragma once

#include <string>
#include <string_view>

#include "migrate/error.h"
#include "migrate/url.h"

namespace migrate::postgres {

enum class Password { kInclude, kOmit };

// "host=127.0.0.1 port=5432 user=app dbname=app connect_timeout=10
// application_name=migrate ...". With Password::kOmit the password is left
// out (for child processes, which get it through a private service file). kUsage for a
// query parameter libpq does not know.
Result<std::string> build_conninfo(const DatabaseUrl& url, Password password);

// `message` with every occurrence of `password` replaced by ***: libpq and
// SOCI messages are passed on, and none of them may ever carry it.
std::string scrub_password(std::string message, std::string_view password);

// A libpq or SOCI connection message made fit for our errors: trailing
// newline trimmed, tab-indented continuation lines indented like our hints,
// the password scrubbed.
std::string connection_message(std::string message, std::string_view password);
// The same with every secret of `url` scrubbed: the password and each
// password-like query parameter (sslpassword).
std::string connection_message(std::string message, const DatabaseUrl& url);

}  // namespace migrate::postgres
