// Reaching a MySQL/MariaDB server through the C API (libmariadb): where a
// URL points, native connections, and the few query helpers the driver,
// the lock and the restore share.
//
// The password lives only in ConnectParams and in the client library; every
// message built here has it scrubbed, and the dump tools receive it through
// a private option file (mysql_tools.cc), never on a command line nor in
// their environment.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "migrate/error.h"
#include "migrate/url.h"

struct st_mysql;  // the C API's MYSQL

namespace migrate::mysql {

struct ConnectParams {
  std::string host;  // empty with a unix socket
  unsigned port = 0;
  std::string socket;
  std::string user;
  std::string password;
  std::string database;
  std::string masked_url;  // for messages

  // Command-line options for mariadb-dump/mariadb (no password).
  std::vector<std::string> tool_arguments() const;
};

// kUsage for a query parameter other than ?socket=.
Result<ConnectParams> connect_params(const DatabaseUrl& url);

struct ConnectionDeleter {
  void operator()(st_mysql* conn) const;
};
using Connection = std::unique_ptr<st_mysql, ConnectionDeleter>;

// Whether a connection may answer LOAD DATA LOCAL INFILE. Only the restore's
// loading connections do, and they serve their own rows whatever file the
// server names (mysql_load_data.h).
enum class LocalInfile { kRefuse, kAllow };

// A new utf8mb4 connection to `database` (default: the URL's). kConnection
// with the server's message (password scrubbed) and a hint.
Result<Connection> connect(const ConnectParams& params, const std::string* database = nullptr,
                           LocalInfile local_infile = LocalInfile::kRefuse);

// `message` with every occurrence of the password replaced by ***.
std::string scrub(std::string message, const std::string& password);

// The server's last error on `conn`: "message (error 1064, SQLSTATE 42000)".
std::string error_text(st_mysql* conn);

// Runs one statement and discards every result it produces (CALL gives
// several). kSql "cannot <what>: <error_text>".
Result<void> exec(st_mysql* conn, std::string_view sql, std::string_view what);

using Row = std::vector<std::optional<std::string>>;
// Runs a query and returns its rows (NULL as nullopt).
Result<std::vector<Row>> query(st_mysql* conn, std::string_view sql, std::string_view what);

// The client library's version ("3.3.8"), for `migrate version`.
std::string client_library_version();

// `name` in backticks, backticks doubled.
std::string quote_identifier(std::string_view name);
// 'text' escaped for the connection's character set.
std::string quote_literal(st_mysql* conn, std::string_view text);

}  // namespace migrate::mysql
