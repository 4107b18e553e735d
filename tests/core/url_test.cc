#include "migrate/url.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace migrate {
namespace {

struct GoodUrl {
  std::string text;
  DatabaseKind kind;
  std::string scheme;
  std::string path = {};
  std::string user = {};
  std::string password = {};
  std::string host = {};
  int port = 0;
  std::string database = {};
  std::map<std::string, std::string> params = {};
};

TEST(ParseDatabaseUrl, AcceptsEachSchemeAndForm) {
  using enum DatabaseKind;
  const GoodUrl cases[] = {
      {"sqlite:relative/path.db", kSqlite, "sqlite", "relative/path.db"},
      {"sqlite:./app.db", kSqlite, "sqlite", "./app.db"},
      {"sqlite:///absolute/path.db", kSqlite, "sqlite", "/absolute/path.db"},
      {"sqlite:/absolute/path.db", kSqlite, "sqlite", "/absolute/path.db"},
      {"sqlite://relative.db", kSqlite, "sqlite", "relative.db"},
      {"sqlite::memory:", kSqlite, "sqlite", ":memory:"},
      {"sqlite:my%20app.db", kSqlite, "sqlite", "my%20app.db"},  // file names are literal
      {"SQLite:app.db", kSqlite, "sqlite", "app.db"},
      {"postgres://user:pass@host:5432/db?sslmode=disable",
       kPostgres,
       "postgres",
       "",
       "user",
       "pass",
       "host",
       5432,
       "db",
       {{"sslmode", "disable"}}},
      {"postgresql://app@db/app", kPostgres, "postgresql", "", "app", "", "db", 0, "app"},
      {"postgres://db/app", kPostgres, "postgres", "", "", "", "db", 0, "app"},
      {"postgres:///app", kPostgres, "postgres", "", "", "", "", 0, "app"},
      {"postgres://app:p%40ss%3Aw%2Fd%25@db/my%20db", kPostgres, "postgres", "", "app", "p@ss:w/d%",
       "db", 0, "my db"},
      {"postgres://us%65r:%F0%9F%94%91@db/app", kPostgres, "postgres", "", "user",
       "\xF0\x9F\x94\x91", "db", 0, "app"},
      // Unencoded '/', '@', '?' and ':' in a password still land in the password.
      {"postgres://app:pa/s@s?w:d@db/app", kPostgres, "postgres", "", "app", "pa/s@s?w:d", "db", 0,
       "app"},
      {"postgres://app@localhost/app?host=/run/postgresql",
       kPostgres,
       "postgres",
       "",
       "app",
       "",
       "",
       0,
       "app",
       {{"host", "/run/postgresql"}}},
      {"postgres://app@:5433/app?host=%2Frun%2Fpostgresql",
       kPostgres,
       "postgres",
       "",
       "app",
       "",
       "",
       5433,
       "app",
       {{"host", "/run/postgresql"}}},
      {"postgres://u:pw@[::1]:5433/app", kPostgres, "postgres", "", "u", "pw", "::1", 5433, "app"},
      {"postgres://[2001:db8::7]/app", kPostgres, "postgres", "", "", "", "2001:db8::7", 0, "app"},
      {"postgres://[::1]/app?application_name=me@ci",
       kPostgres,
       "postgres",
       "",
       "",
       "",
       "::1",
       0,
       "app",
       {{"application_name", "me@ci"}}},
      {"postgres://db:65535/app?sslmode=verify-full&application_name=migrate%20ci",
       kPostgres,
       "postgres",
       "",
       "",
       "",
       "db",
       65535,
       "app",
       {{"sslmode", "verify-full"}, {"application_name", "migrate ci"}}},
      {"postgres://db:1/app?a=1&&b=",
       kPostgres,
       "postgres",
       "",
       "",
       "",
       "db",
       1,
       "app",
       {{"a", "1"}, {"b", ""}}},
      {"mysql://root:secret@127.0.0.1:3306/shop", kMysql, "mysql", "", "root", "secret",
       "127.0.0.1", 3306, "shop"},
      {"mariadb://root@localhost/shop?socket=/run/mysqld/mysqld.sock",
       kMysql,
       "mariadb",
       "",
       "root",
       "",
       "",
       0,
       "shop",
       {{"socket", "/run/mysqld/mysqld.sock"}}},
      {"mysql://db.internal_1/shop?sslmode=whatever",
       kMysql,
       "mysql",
       "",
       "",
       "",
       "db.internal_1",
       0,
       "shop",
       {{"sslmode", "whatever"}}},  // sslmode is checked for postgres only
  };
  for (const GoodUrl& c : cases) {
    SCOPED_TRACE(c.text);
    auto url = parse_database_url(c.text);
    ASSERT_TRUE(url.has_value()) << url.error().message;
    EXPECT_EQ(url->kind, c.kind);
    EXPECT_EQ(url->scheme, c.scheme);
    EXPECT_EQ(url->path, c.path);
    EXPECT_EQ(url->user, c.user);
    EXPECT_EQ(url->password, c.password);
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->database, c.database);
    EXPECT_EQ(url->params, c.params);
  }
}

struct BadUrl {
  std::string text;
  std::string message;
};

// libpq's service file may hold the database's name (pg_service_file.h).
TEST(ParseDatabaseUrl, APostgresServiceMayNameTheDatabase) {
  auto url = parse_database_url("postgres:///?service=app");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->database, "");
  EXPECT_EQ(url->params.at("service"), "app");
}

TEST(ParseDatabaseUrl, RejectsBadUrlsWithoutShowingThePassword) {
  const std::string kSupported = "(supported: sqlite, postgres, postgresql, mysql, mariadb)";
  const BadUrl cases[] = {
      {"", "database url is empty"},
      {"app.db", "invalid database url 'app.db': missing scheme " + kSupported},
      {"mongodb://app:s3cret@db/app",
       "invalid database url 'mongodb://app:***@db/app': unsupported scheme 'mongodb' " +
           kSupported},
      {"app:s3cret@db/app",
       "invalid database url 'app:***@db/app': unsupported scheme 'app' " + kSupported},
      {"postgres:app:s3cret@db/app",
       "invalid database url 'postgres:***@db/app': expected '//' after 'postgres:'"},
      {"postgres://app:s3cret@db:99999/app",
       "invalid database url 'postgres://app:***@db:99999/app': the port is out of range "
       "(1-65535)"},
      {"postgres://app:s3cret@db:0/app",
       "invalid database url 'postgres://app:***@db:0/app': the port is out of range (1-65535)"},
      {"mysql://app:s3cret@db:33o6/app",
       "invalid database url 'mysql://app:***@db:33o6/app': the port is not a number"},
      {"mysql://app:s3cret@db:/app",
       "invalid database url 'mysql://app:***@db:/app': missing port number after ':'"},
      {"postgres://app:s3cret@db",
       "invalid database url 'postgres://app:***@db': missing the database name (as in "
       "postgres://host/dbname)"},
      {"mariadb://app:s3cret@db/",
       "invalid database url 'mariadb://app:***@db/': missing the database name (as in "
       "mariadb://host/dbname)"},
      {"mysql://app:s3cret@db/?service=app",
       "invalid database url 'mysql://app:***@db/?service=app': missing the database name (as "
       "in mysql://host/dbname)"},
      {"postgres://app:s3cr%zzet@db/app",
       "invalid database url 'postgres://app:***@db/app': invalid percent-encoding in the "
       "password"},
      {"postgres://ap%4:s3cret@db/app",
       "invalid database url 'postgres://ap%4:***@db/app': invalid percent-encoding in the user "
       "name"},
      {"postgres://app:s3cret@db/app%2",
       "invalid database url 'postgres://app:***@db/app%2': invalid percent-encoding in the "
       "database name"},
      {"postgres://app:s3cret@db/app?x=%G1",
       "invalid database url 'postgres://app:***@db/app?x=%G1': invalid percent-encoding in query "
       "parameter 'x'"},
      {"postgres://app:s3cret@db/app?sslmode=maybe",
       "invalid database url 'postgres://app:***@db/app?sslmode=maybe': sslmode 'maybe' is not "
       "one of disable, allow, prefer, require, verify-ca, verify-full"},
      {"postgres://app:s3cret@db/app?sslmode",
       "invalid database url 'postgres://app:***@db/app?sslmode': query parameter 'sslmode' has "
       "no value"},
      {"postgres://app:s3cret@db/app?a=1&a=2",
       "invalid database url 'postgres://app:***@db/app?a=1&a=2': query parameter 'a' is given "
       "twice"},
      {"postgres://app:s3cret@db/app?=1",
       "invalid database url 'postgres://app:***@db/app?=1': query parameter with an empty name"},
      {"postgres://app:s3cret@db/app?host=run/pg",
       "invalid database url 'postgres://app:***@db/app?host=run/pg': ?host= must be an absolute "
       "unix socket path, got 'run/pg'"},
      {"mysql://app:s3cret@db/app?socket=mysqld.sock",
       "invalid database url 'mysql://app:***@db/app?socket=mysqld.sock': ?socket= must be an "
       "absolute unix socket path, got 'mysqld.sock'"},
      {"postgres://app:s3cret@[::1/app",
       "invalid database url 'postgres://app:***@[::1/app': unterminated '[' in the host"},
      {"postgres://[app:s3cret@::1]/app",
       "invalid database url 'postgres://[app:***@::1]/app': the port is not a number"},
      // A user name in brackets reads as an IPv6 host: no reason quotes the rest.
      {"mysql://[admin]:s3cret@db/app",
       "invalid database url 'mysql://[admin]:***@db/app': cannot read the text in '[...]' as an "
       "IPv6 host, and an '@' follows (write an '@' in a query value as %40)"},
      {"mysql://[:]:s3cret@",
       "invalid database url 'mysql://[:***@': cannot read the text in "
       "'[...]' as an IPv6 host, and an '@' follows (write an '@' in a "
       "query value as %40)"},
      {"postgres://app:s3cret@[db]/app",
       "invalid database url 'postgres://app:***@[db]/app': invalid ipv6 address 'db'"},
      {"postgres://app:s3cret@[::1]x/app",
       "invalid database url 'postgres://app:***@[::1]x/app': unexpected text after ']' in the "
       "host"},
      {"postgres://app:s3cret@d b/app",
       "invalid database url 'postgres://app:***@d b/app': invalid host 'd b'"},
      {"postgres://app:s3cret@db/app#x",
       "invalid database url 'postgres://app:***@db/app#x': unexpected '#' (write it as %23)"},
      {"mysql://app:s3cret@db/a/b",
       "invalid database url 'mysql://app:***@db/a/b': database name 'a/b' must not contain '/'"},
      // Unencoded reserved characters in the password: still masked.
      {"postgres://app:s3/cret@db:99999/app",
       "invalid database url 'postgres://app:***@db:99999/app': the port is out of range "
       "(1-65535)"},
      {"mongodb://app:s3@cret@db/app",
       "invalid database url 'mongodb://app:***@db/app': unsupported scheme 'mongodb' " +
           kSupported},
      {"sqlite:", "invalid database url 'sqlite:': missing the database file path"},
      {"sqlite://", "invalid database url 'sqlite://': missing the database file path"},
      // Credentials in query parameters: masked like the password.
      {"postgres://app@db/app?sslpassword=s3cret&sslmode=maybe",
       "invalid database url 'postgres://app@db/app?sslpassword=***&sslmode=maybe': sslmode "
       "'maybe' is not one of disable, allow, prefer, require, verify-ca, verify-full"},
      {"mysql://app@db/app?password=s3cret&socket=x",
       "invalid database url 'mysql://app@db/app?password=***&socket=x': ?socket= must be an "
       "absolute unix socket path, got 'x'"},
      {"sqlite:app.db?password=s3cret",
       "invalid database url 'sqlite:app.db?password=***': query parameters are not supported in "
       "sqlite urls"},
      {"postgres://app:pw@db:0/app?Api-Key=s3cret&x=1&pass%77ord=s3cret",
       "invalid database url 'postgres://app:***@db:0/app?Api-Key=***&x=1&pass%77ord=***': the "
       "port "
       "is out of range (1-65535)"},
      // No '@': the "port" may be a password, so it is hidden and never quoted.
      {"postgres://migrate:s3cret",
       "invalid database url 'postgres://migrate:***': the port is not a number"},
      {"postgres://migrate:s3cret/x",
       "invalid database url 'postgres://migrate:***/x': the port is not a number"},
      {"mysql://migrate:123456/x",
       "invalid database url 'mysql://migrate:***/x': the port is out of range (1-65535)"},
      {"postgres://db:54x2/app?sslpassword=s3cret",
       "invalid database url 'postgres://db:***/app?sslpassword=***': the port is not a number"},
      // Control characters are escaped, not echoed.
      {"oracle\x1b[2J://db/app",
       "invalid database url 'oracle\\x1b[2J://db/app': unsupported scheme 'oracle\\x1b[2J' " +
           kSupported},
      {"sqlite:app.db?mode=ro",
       "invalid database url 'sqlite:app.db?mode=ro': query parameters are not supported in "
       "sqlite urls"},
  };
  for (const BadUrl& c : cases) {
    SCOPED_TRACE(c.text);
    auto url = parse_database_url(c.text);
    ASSERT_FALSE(url.has_value());
    EXPECT_EQ(url.error().code, ErrorCode::kUsage);
    EXPECT_EQ(url.error().message, c.message);
    for (const char* secret : {"s3cret", "cret"}) {
      EXPECT_EQ(url.error().message.find(secret), std::string::npos);
      EXPECT_EQ(url.error().hint.find(secret), std::string::npos);
    }
  }
}

TEST(DatabaseUrlMasked, ReplacesThePasswordOnly) {
  const std::pair<std::string, std::string> cases[] = {
      {"postgres://app:s3cret@db:5432/app?sslmode=disable",
       "postgres://app:***@db:5432/app?sslmode=disable"},
      {"postgres://app:s3cret@db/app", "postgres://app:***@db/app"},
      {"postgresql://app@db/app", "postgresql://app@db/app"},
      {"postgres://db/app", "postgres://db/app"},
      {"postgres://:s3cret@db/app", "postgres://:***@db/app"},
      {"mysql://root:s3cret@[::1]:3306/shop", "mysql://root:***@[::1]:3306/shop"},
      {"mariadb://u:s3cret@localhost/shop?socket=/run/mysqld/mysqld.sock",
       "mariadb://u:***@/shop?socket=/run/mysqld/mysqld.sock"},
      {"postgres://a%40b:s3cret@db/my%20db?application_name=a%26b%40c",
       "postgres://a%40b:***@db/my%20db?application_name=a%26b%40c"},
      {"sqlite:./app.db", "sqlite:./app.db"},
      {"sqlite:relative/path.db", "sqlite:relative/path.db"},
      {"sqlite:///absolute/path.db", "sqlite:///absolute/path.db"},
      {"sqlite::memory:", "sqlite::memory:"},
  };
  for (const auto& [text, masked] : cases) {
    SCOPED_TRACE(text);
    auto url = parse_database_url(text);
    ASSERT_TRUE(url.has_value()) << url.error().message;
    EXPECT_EQ(url->masked(), masked);
    // The masked form parses back to the same URL, less the password.
    auto again = parse_database_url(masked);
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_EQ(again->masked(), masked);
    EXPECT_EQ(again->user, url->user);
    EXPECT_EQ(again->host, url->host);
    EXPECT_EQ(again->port, url->port);
    EXPECT_EQ(again->database, url->database);
    EXPECT_EQ(again->params, url->params);
    EXPECT_EQ(again->path, url->path);
  }
}

TEST(DatabaseUrlMasked, HidesCredentialQueryParameters) {
  auto url = parse_database_url(
      "postgres://app:pw@db/app?sslpassword=s3cret&sslmode=disable&token=s3cret&"
      "ssl_key=s3cret&application_name=api");
  ASSERT_TRUE(url.has_value()) << url.error().message;
  EXPECT_EQ(url->params.at("sslpassword"), "s3cret");  // the driver still gets it
  EXPECT_EQ(url->masked(),
            "postgres://app:***@db/app?application_name=api&ssl_key=***&sslmode=disable&"
            "sslpassword=***&token=***");
}

TEST(IsSecretParameter, MatchesCredentialNames) {
  for (const char* name :
       {"password", "sslpassword", "PASSWORD", "passwd", "pwd", "secret", "client_secret", "token",
        "access-token", "key", "apikey", "api_key", "sslkey", "passphrase"}) {
    EXPECT_TRUE(is_secret_parameter(name)) << name;
  }
  for (const char* name : {"sslmode", "host", "socket", "application_name", "user", "sslcert",
                           "connect_timeout", "keepalives"}) {
    EXPECT_FALSE(is_secret_parameter(name)) << name;
  }
}

TEST(MaskUrlText, MasksUrlsInsideArguments) {
  EXPECT_EQ(mask_url_text("--url=postgres://app:s3cret@db/app?token=t0k"),
            "--url=postgres://app:***@db/app?token=***");
  EXPECT_EQ(mask_url_text("20260101000000"), "20260101000000");
  EXPECT_EQ(mask_url_text("a\nb"), "a\\x0ab");
}

}  // namespace
}  // namespace migrate
