#include "drivers/mysql/mysql_connection.h"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysql.h>

namespace migrate::mysql {
namespace {

constexpr unsigned kConnectTimeoutSeconds = 10;

std::string connection_hint(unsigned error) {
  switch (error) {
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1698:  // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
      return "check the user name and password in the database url";
    case 1049:  // ER_BAD_DB_ERROR
      return "check the database name; migrate does not create databases";
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_LOST:
      return "is the server running and reachable there? --wait waits for it to accept "
             "connections";
    default:
      return {};
  }
}

}  // namespace

std::vector<std::string> ConnectParams::tool_arguments() const {
  std::vector<std::string> args;
  if (!socket.empty()) {
    args.push_back("--protocol=SOCKET");
    args.push_back("--socket=" + socket);
  } else {
    args.push_back("--protocol=TCP");
    args.push_back("--host=" + host);
    if (port) args.push_back("--port=" + std::to_string(port));
  }
  if (!user.empty()) args.push_back("--user=" + user);
  return args;
}

Result<ConnectParams> connect_params(const DatabaseUrl& url) {
  ConnectParams params;
  for (const auto& [name, value] : url.params) {
    if (name != "socket") {
      return fail(ErrorCode::kUsage,
                  fmt::format("unknown parameter '{}' in the MySQL url '{}'", name, url.masked()),
                  "the MySQL/MariaDB driver understands ?socket=/path/to/mysqld.sock");
    }
    params.socket = value;
  }
  params.host = params.socket.empty() ? (url.host.empty() ? "localhost" : url.host) : "";
  params.port = url.port > 0 ? static_cast<unsigned>(url.port) : 0;
  params.user = url.user;
  params.password = url.password;
  params.database = url.database;
  params.masked_url = url.masked();
  return params;
}

void ConnectionDeleter::operator()(st_mysql* conn) const {
  mysql_close(conn);
}

std::string scrub(std::string message, const std::string& password) {
  if (password.size() < 3) return message;  // too short to tell from ordinary text
  for (size_t at = message.find(password); at != std::string::npos;
       at = message.find(password, at + 3))
    message.replace(at, password.size(), "***");
  return message;
}

Result<Connection> connect(const ConnectParams& params, const std::string* database,
                           LocalInfile local_infile) {
  Connection conn(mysql_init(nullptr));
  if (!conn) return fail(ErrorCode::kGeneral, "cannot initialise the MySQL client: out of memory");
  unsigned timeout = kConnectTimeoutSeconds;
  mysql_optionsv(conn.get(), MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_optionsv(conn.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  unsigned allow_infile = local_infile == LocalInfile::kAllow ? 1 : 0;
  mysql_optionsv(conn.get(), MYSQL_OPT_LOCAL_INFILE, &allow_infile);
  unsigned protocol = params.socket.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
  if (!params.socket.empty() || params.host != "localhost")
    mysql_optionsv(conn.get(), MYSQL_OPT_PROTOCOL, &protocol);
  const std::string& db = database ? *database : params.database;
  if (!mysql_real_connect(
          conn.get(), params.socket.empty() ? params.host.c_str() : nullptr, params.user.c_str(),
          params.password.c_str(), db.empty() ? nullptr : db.c_str(), params.port,
          params.socket.empty() ? nullptr : params.socket.c_str(), CLIENT_MULTI_RESULTS)) {
    unsigned error = mysql_errno(conn.get());
    return fail(ErrorCode::kConnection,
                fmt::format("cannot connect to '{}': {}", params.masked_url,
                            scrub(mysql_error(conn.get()), params.password)),
                connection_hint(error));
  }
  return conn;
}

std::string error_text(st_mysql* conn) {
  return fmt::format("{} (error {}, SQLSTATE {})", mysql_error(conn), mysql_errno(conn),
                     mysql_sqlstate(conn));
}

Result<void> exec(st_mysql* conn, std::string_view sql, std::string_view what) {
  auto failure = [&] {
    return fail(ErrorCode::kSql, fmt::format("cannot {}: {}", what, error_text(conn)));
  };
  if (mysql_real_query(conn, sql.data(), sql.size()) != 0) return failure();
  for (;;) {
    if (MYSQL_RES* result = mysql_store_result(conn))
      mysql_free_result(result);
    else if (mysql_field_count(conn) != 0)
      return failure();
    int next = mysql_next_result(conn);
    if (next > 0) return failure();
    if (next < 0) return {};
  }
}

Result<std::vector<Row>> query(st_mysql* conn, std::string_view sql, std::string_view what) {
  auto failure = [&] {
    return fail(ErrorCode::kSql, fmt::format("cannot {}: {}", what, error_text(conn)));
  };
  if (mysql_real_query(conn, sql.data(), sql.size()) != 0) return failure();
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> result(mysql_store_result(conn),
                                                                  &mysql_free_result);
  if (!result) {
    if (mysql_field_count(conn) != 0) return failure();
    return std::vector<Row>{};
  }
  std::vector<Row> rows;
  unsigned columns = mysql_num_fields(result.get());
  while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
    unsigned long* lengths = mysql_fetch_lengths(result.get());
    Row values(columns);
    for (unsigned i = 0; i < columns; ++i)
      if (row[i]) values[i] = std::string(row[i], lengths[i]);
    rows.push_back(std::move(values));
  }
  while (mysql_next_result(conn) == 0) {
    if (MYSQL_RES* more = mysql_store_result(conn)) mysql_free_result(more);
  }
  return rows;
}

std::string client_library_version() {
  return mysql_get_client_info();
}

std::string quote_identifier(std::string_view name) {
  std::string quoted = "`";
  for (char c : name) {
    if (c == '`') quoted += '`';
    quoted += c;
  }
  return quoted + "`";
}

std::string quote_literal(st_mysql* conn, std::string_view text) {
  std::string escaped(text.size() * 2 + 1, '\0');
  unsigned long n = mysql_real_escape_string(conn, escaped.data(), text.data(), text.size());
  escaped.resize(n);
  return "'" + escaped + "'";
}

}  // namespace migrate::mysql
