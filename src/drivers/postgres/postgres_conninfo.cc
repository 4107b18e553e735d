#include "drivers/postgres/postgres_conninfo.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <map>
#include <set>

namespace migrate::postgres {
namespace {

// libpq's own list of connection keywords, so that the accepted parameters
// follow the installed client library.
const std::set<std::string>& libpq_keywords() {
  static const std::set<std::string> keywords = [] {
    std::set<std::string> out;
    PQconninfoOption* options = PQconndefaults();
    for (PQconninfoOption* o = options; o && o->keyword; ++o) out.insert(o->keyword);
    PQconninfoFree(options);
    return out;
  }();
  return keywords;
}

// A conninfo value: bare when it is a plain word, else single-quoted with
// backslash escapes, as libpq's parser expects.
std::string quote_value(std::string_view value) {
  bool plain = !value.empty();
  for (char c : value)
    plain = plain && c != ' ' && c != '\'' && c != '\\' && c != '\t' && c != '\n';
  if (plain) return std::string(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

Result<std::string> build_conninfo(const DatabaseUrl& url, Password password) {
  // Parameters the URL itself carries; the query may not override them.
  static const std::set<std::string> kFromUrl = {"user", "password", "dbname", "port"};
  std::map<std::string, std::string> values = {{"connect_timeout", "10"},
                                               {"application_name", "migrate"}};
  // The messages name the parameter but not the url: masked() hides only the
  // password of the user-info part, and a query could carry another one.
  for (const auto& [key, value] : url.params) {
    if (kFromUrl.count(key)) {
      return fail(ErrorCode::kUsage,
                  fmt::format("database url: query parameter '{}' is not allowed; write it in "
                              "the url itself (postgres://user:password@host:port/dbname)",
                              key));
    }
    if (!libpq_keywords().count(key)) {
      return fail(ErrorCode::kUsage,
                  fmt::format("database url: unknown PostgreSQL connection parameter '{}'", key),
                  "see \"Parameter Key Words\" in the libpq documentation");
    }
    values[key] = value;
  }
  if (!url.host.empty()) values["host"] = url.host;  // ?host= (a socket) already cleared it
  if (url.port != 0) values["port"] = std::to_string(url.port);
  if (!url.user.empty()) values["user"] = url.user;
  if (password == Password::kInclude && !url.password.empty()) values["password"] = url.password;
  values["dbname"] = url.database;

  std::string conninfo;
  for (const char* key : {"host", "port", "user", "password", "dbname"}) {
    auto it = values.find(key);
    if (it == values.end()) continue;
    conninfo += fmt::format("{}{}={}", conninfo.empty() ? "" : " ", key, quote_value(it->second));
    values.erase(it);
  }
  for (const auto& [key, value] : values)
    conninfo += fmt::format(" {}={}", key, quote_value(value));
  return conninfo;
}

std::string scrub_password(std::string message, std::string_view password) {
  if (password.empty()) return message;
  for (size_t at = message.find(password); at != std::string::npos;
       at = message.find(password, at + 3)) {
    message.replace(at, password.size(), "***");
  }
  return message;
}

std::string connection_message(std::string message, std::string_view password) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  for (size_t at = message.find("\n\t"); at != std::string::npos; at = message.find("\n\t", at))
    message.replace(at, 2, "\n  ");
  return scrub_password(std::move(message), password);
}

std::string connection_message(std::string message, const DatabaseUrl& url) {
  for (const auto& [key, value] : url.params)
    if (key.find("password") != std::string::npos) message = scrub_password(message, value);
  return connection_message(std::move(message), url.password);
}

}  // namespace migrate::postgres
