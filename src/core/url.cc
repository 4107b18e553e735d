// Database URL parsing and masking.
//
// A URL usually arrives through an environment variable and its errors end up
// in deploy logs, so this file is built around one rule: the password leaves
// it only through DatabaseUrl::password. Error messages show the URL through
// mask_text(), and no error reason quotes text from the user-info part.

#include "migrate/url.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace migrate {
namespace {

constexpr auto npos = std::string_view::npos;
constexpr std::string_view kSupported = "sqlite, postgres, postgresql, mysql, mariadb";

struct Scheme {
  std::string_view name;
  DatabaseKind kind;
};
constexpr std::array<Scheme, 5> kSchemes = {{
    {"sqlite", DatabaseKind::kSqlite},
    {"postgres", DatabaseKind::kPostgres},
    {"postgresql", DatabaseKind::kPostgres},
    {"mysql", DatabaseKind::kMysql},
    {"mariadb", DatabaseKind::kMysql},
}};

constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) {
  return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

// Where the user-info part of `rest` (the text after "scheme://") ends, or
// npos. The last '@' wins so that an unencoded '@', '/', '?' or ':' in a
// password still lands in the password, and so in the masked part of any
// message. The price: a literal '@' in a query value must be written %40.
size_t userinfo_end(std::string_view rest) {
  size_t at = rest.rfind('@');
  // "[::1]/db?x=a@b": the URL opens with an IPv6 host, so the '@' is later.
  if (rest.starts_with('[') && rest.find(']') < at) return npos;
  return at;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return std::nullopt;
    out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
    i += 2;
  }
  return out;
}

// The query string with the value of every credential-like parameter
// (is_secret_parameter) replaced by ***.
std::string mask_query(std::string_view query) {
  std::string out;
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    auto key = percent_decode(raw_key);
    bool secret = eq != npos && is_secret_parameter(key ? *key : std::string(raw_key));
    out += secret ? std::string(raw_key) + "=***" : std::string(pair);
    if (amp == npos) return out;
    out += '&';
    query.remove_prefix(amp + 1);
  }
}

// The text with any password replaced by ***, for errors about a URL that
// did not parse (so there is no DatabaseUrl to call masked() on). Without a
// "://" (a missing scheme, "postgres:user:pw@db") everything from the first
// ':' to the last '@' is hidden: better too much than the password. Secret
// query parameters (?sslpassword=) are hidden too.
std::string mask_text(std::string_view text) {
  size_t sep = text.find("://");
  size_t start = sep == npos ? 0 : sep + 3;
  std::string_view rest = text.substr(start);
  // The last '@' even where the URL opens with '[' (see userinfo_end): the
  // text did not parse, so hide too much rather than a password.
  size_t at = rest.rfind('@');
  size_t colon = at == npos ? npos : rest.substr(0, at).find(':');
  std::string out = colon == npos ? std::string(text)
                                  : std::string(text.substr(0, start + colon + 1)) + "***" +
                                        std::string(rest.substr(at));
  size_t after_userinfo = colon == npos ? 0 : start + colon + 4;
  size_t question = out.find('?', after_userinfo);
  if (question == npos) return out;
  return out.substr(0, question + 1) + mask_query(std::string_view(out).substr(question + 1));
}

// Encodes all but unreserved characters and those in `safe`, so that
// masked() prints a URL that parses back to the same values.
std::string percent_encode(std::string_view s, std::string_view safe = {}) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || safe.find(c) != npos) {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

// Whether the URL opens with '[' and so is read as an IPv6 host although it
// holds an '@' (see userinfo_end). "[user]:pw@host" is read that way too:
// then any part of the text may be a password, and no error may quote one.
bool bracket_hides_userinfo(std::string_view text) {
  size_t sep = text.find("://");
  if (sep == npos) return false;
  std::string_view rest = text.substr(sep + 3);
  return rest.rfind('@') != npos && userinfo_end(rest) == npos;
}

// Parses one URL; every error goes through bad() so that it is masked.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<DatabaseUrl> parse() const;

 private:
  tl::unexpected<Error> bad(const std::string& reason) const { return bad_in(text_, reason); }
  tl::unexpected<Error> bad_in(std::string_view text, const std::string& reason,
                               std::string hint = {}) const {
    std::string why = bracket_hides_userinfo(text_)
                          ? "cannot read the text in '[...]' as an IPv6 host, and an '@' follows "
                            "(write an '@' in a query value as %40)"
                          : printable(reason);
    return fail(ErrorCode::kUsage, "invalid database url '" + mask_url_text(text) + "': " + why,
                std::move(hint));
  }
  tl::unexpected<Error> bad_port(std::string_view port, const std::string& reason) const;
  Result<DatabaseUrl> sqlite(std::string_view rest) const;
  Result<DatabaseUrl> server(DatabaseKind kind, std::string scheme, std::string_view rest) const;
  Result<void> host_and_port(std::string_view hostport, DatabaseUrl& url) const;
  Result<void> query(std::string_view query, DatabaseUrl& url) const;
  Result<void> check_params(DatabaseUrl& url) const;

  std::string_view text_;
};

Result<DatabaseUrl> Parser::parse() const {
  if (text_.empty()) return fail(ErrorCode::kUsage, "database url is empty");
  size_t colon = text_.find(':');
  std::string scheme;
  for (char c : text_.substr(0, colon == npos ? 0 : colon)) {
    scheme += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (scheme.empty()) return bad("missing scheme (supported: " + std::string(kSupported) + ")");
  for (const Scheme& s : kSchemes) {
    if (s.name != scheme) continue;
    std::string_view rest = text_.substr(colon + 1);
    if (s.kind == DatabaseKind::kSqlite) return sqlite(rest);
    return server(s.kind, scheme, rest);
  }
  return bad("unsupported scheme '" + std::string(text_.substr(0, colon)) +
             "' (supported: " + std::string(kSupported) + ")");
}

// sqlite:PATH, with an optional empty authority "//", so that
// sqlite:///abs/app.db is "/abs/app.db" and sqlite://app.db is "app.db".
// The path is taken literally: file names are not percent-decoded.
Result<DatabaseUrl> Parser::sqlite(std::string_view rest) const {
  if (rest.starts_with("//")) rest.remove_prefix(2);
  if (rest.find('?') != npos) return bad("query parameters are not supported in sqlite urls");
  if (rest.empty()) return bad("missing the database file path");
  DatabaseUrl url;
  url.kind = DatabaseKind::kSqlite;
  url.scheme = "sqlite";
  url.path = std::string(rest);
  return url;
}

Result<DatabaseUrl> Parser::server(DatabaseKind kind, std::string scheme,
                                   std::string_view rest) const {
  if (!rest.starts_with("//")) return bad("expected '//' after '" + scheme + ":'");
  rest.remove_prefix(2);
  DatabaseUrl url;
  url.kind = kind;
  url.scheme = std::move(scheme);

  if (size_t at = userinfo_end(rest); at != npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    size_t colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return bad("invalid percent-encoding in the user name");
    url.user = *user;
    if (colon != npos) {
      auto password = percent_decode(userinfo.substr(colon + 1));
      if (!password) return bad("invalid percent-encoding in the password");
      url.password = *password;
    }
  }
  if (rest.find('#') != npos) return bad("unexpected '#' (write it as %23)");

  std::string_view query_text;
  if (size_t q = rest.find('?'); q != npos) {
    query_text = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  if (auto ok = host_and_port(rest.substr(0, slash), url); !ok) return tl::unexpected(ok.error());

  std::string_view database = slash == npos ? std::string_view() : rest.substr(slash + 1);
  if (database.find('/') != npos) {
    return bad("database name '" + std::string(database) + "' must not contain '/'");
  }
  auto decoded = percent_decode(database);
  if (!decoded) return bad("invalid percent-encoding in the database name");
  url.database = *decoded;

  if (auto ok = query(query_text, url); !ok) return tl::unexpected(ok.error());
  // A PostgreSQL service (?service=NAME) may name the database instead.
  if (url.database.empty() && !(kind == DatabaseKind::kPostgres && url.params.count("service"))) {
    return bad("missing the database name (as in " + url.scheme + "://host/dbname)");
  }
  if (auto ok = check_params(url); !ok) return tl::unexpected(ok.error());
  return url;
}

// host, host:port, [ipv6] or [ipv6]:port; an empty host means the driver's
// default (a local socket), as with libpq's postgres:///db.
Result<void> Parser::host_and_port(std::string_view hostport, DatabaseUrl& url) const {
  std::string_view host = hostport;
  std::string_view port;
  bool has_port = false;
  if (hostport.starts_with('[')) {
    size_t close = hostport.find(']');
    if (close == npos) return bad("unterminated '[' in the host");
    host = hostport.substr(1, close - 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("unexpected text after ']' in the host");
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
    bool ok = host.find(':') != npos;
    for (char c : host) ok = ok && (is_hex(c) || c == ':' || c == '.');
    if (!ok) return bad("invalid ipv6 address '" + std::string(host) + "'");
  } else {
    size_t colon = hostport.find(':');
    has_port = colon != npos;
    if (has_port) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
    }
    for (char c : host) {
      if (!is_alnum(c) && c != '-' && c != '.' && c != '_') {
        return bad("invalid host '" + std::string(host) + "'");
      }
    }
  }
  url.host = std::string(host);
  if (!has_port) return {};
  if (port.empty()) return bad("missing port number after ':'");
  for (char c : port) {
    if (!is_digit(c)) return bad_port(port, "the port is not a number");
  }
  int value = 0;
  for (char c : port.substr(0, 6)) value = value * 10 + (c - '0');
  if (port.size() > 5 || value < 1 || value > 65535) {
    return bad_port(port, "the port is out of range (1-65535)");
  }
  url.port = value;
  return {};
}

// A bad port is never quoted: without an '@', "postgres://user:secret/db"
// reads the password as the port, so then the URL hides it too.
tl::unexpected<Error> Parser::bad_port(std::string_view port, const std::string& reason) const {
  size_t sep = text_.find("://");
  size_t at = port.data() - text_.data();
  bool userinfo = sep != npos && text_.substr(sep + 3, at - sep - 3).find('@') != npos;
  if (userinfo || bracket_hides_userinfo(text_)) return bad(reason);
  std::string text =
      std::string(text_.substr(0, at)) + "***" + std::string(text_.substr(at + port.size()));
  return bad_in(text, reason,
                "if the text after ':' is a password, put '@host' after it "
                "(scheme://user:password@host/dbname)");
}

Result<void> Parser::query(std::string_view query, DatabaseUrl& url) const {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    size_t eq = pair.find('=');
    std::string raw_key(pair.substr(0, eq));
    if (eq == npos) return bad("query parameter '" + raw_key + "' has no value");
    auto key = percent_decode(raw_key);
    auto value = percent_decode(pair.substr(eq + 1));
    if (!key || !value) return bad("invalid percent-encoding in query parameter '" + raw_key + "'");
    if (key->empty()) return bad("query parameter with an empty name");
    if (!url.params.emplace(*key, *value).second) {
      return bad("query parameter '" + *key + "' is given twice");
    }
  }
  return {};
}

// The parameters migrate itself interprets. A unix socket replaces the host
// (postgres://app@localhost/app?host=/run/postgresql is a common form).
Result<void> Parser::check_params(DatabaseUrl& url) const {
  const char* socket_key = url.kind == DatabaseKind::kPostgres ? "host" : "socket";
  if (auto it = url.params.find(socket_key); it != url.params.end()) {
    if (!it->second.starts_with('/')) {
      return bad(fmt::format("?{}= must be an absolute unix socket path, got '{}'", socket_key,
                             it->second));
    }
    url.host.clear();
  }
  if (url.kind != DatabaseKind::kPostgres) return {};
  if (auto it = url.params.find("sslmode"); it != url.params.end()) {
    for (std::string_view mode : kSslModes) {
      if (mode == it->second) return {};
    }
    return bad("sslmode '" + it->second +
               "' is not one of disable, allow, prefer, require, verify-ca, verify-full");
  }
  return {};
}

}  // namespace

std::string DatabaseUrl::masked() const {
  if (kind == DatabaseKind::kSqlite) {
    // The canonical spelling of each form parse_database_url accepts.
    return path.starts_with('/') ? "sqlite://" + path : "sqlite:" + path;
  }
  std::string out = scheme + "://";
  if (!user.empty() || !password.empty()) {
    out += percent_encode(user);
    if (!password.empty()) out += ":***";
    out += '@';
  }
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != 0) out += ":" + std::to_string(port);
  out += '/';
  out += percent_encode(database);
  char separator = '?';
  for (const auto& [key, value] : params) {
    out += separator + percent_encode(key) + "=" +
           (is_secret_parameter(key) ? "***" : percent_encode(value, "/:"));
    separator = '&';
  }
  return out;
}

Result<DatabaseUrl> parse_database_url(std::string_view text) {
  return Parser(text).parse();
}

bool is_secret_parameter(std::string_view name) {
  std::string key;
  for (char c : name) {
    if (c == '-' || c == '_') continue;  // ssl_password, api-key
    key += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  for (std::string_view exact : {"pwd", "pass", "auth", "credentials"}) {
    if (key == exact) return true;
  }
  for (std::string_view suffix : {"password", "passwd", "secret", "token", "key", "passphrase"}) {
    if (key.ends_with(suffix)) return true;
  }
  return false;
}

std::string mask_url_text(std::string_view text) {
  return printable(mask_text(text));
}

}  // namespace migrate
