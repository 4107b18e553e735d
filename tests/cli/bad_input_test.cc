// Bad input of every kind: each case asserts the exit code, the message that
// names what is wrong, and that the database did not change.
#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

struct BadInput {
  const char* label;
  std::vector<std::pair<std::string, std::string>>
      files;  // written after the base migration is applied
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  int exit_code;
  std::string message;           // must appear in stderr
  std::string never = "secret";  // must appear nowhere in the output
};

constexpr const char* kBase = "migrations/20260101000000_create_users.sql";
constexpr const char* kBaseRollback = "migrations/20260101000000_create_users_rollback.sql";
constexpr const char* kDelete = "<delete>";  // as file content: remove the file
const std::string kPending = "migrations/20260201000000_pending.sql";

std::vector<BadInput> cases() {
  return {
      // Migration file names and directories.
      {"misnamed file",
       {{"migrations/create_posts.sql", "SELECT 1;"}},
       {"up"},
       {},
       1,
       "'create_posts.sql': version must be 14 digits"},
      {"capitals in description",
       {{"migrations/20260201000000_AddPosts.sql", ""}},
       {"up"},
       {},
       1,
       "'20260201000000_AddPosts.sql': description must be lowercase"},
      {"impossible date",
       {{"migrations/20261301000000_posts.sql", ""}},
       {"up"},
       {},
       1,
       "'20261301000000_posts.sql': version is not a valid date"},
      {"duplicate version",
       {{"migrations/20260201000000_a.sql", ""}, {"migrations/20260201000000_b.sql", ""}},
       {"up"},
       {},
       1,
       "duplicate version 20260201000000"},
      {"orphan rollback",
       {{"migrations/20260201000000_x_rollback.sql", ""}},
       {"up"},
       {},
       1,
       "'20260201000000_x_rollback.sql': rollback file without its migration"},
      {"invalid directory blocks status too",
       {{"migrations/oops.sql", ""}},
       {"status"},
       {},
       1,
       "'oops.sql'"},
      {"missing directory",
       {},
       {"up", "--dir", "nope"},
       {},
       1,
       "migrations directory 'nope' does not exist"},
      {"out of order",
       {{"migrations/20251231000000_old.sql", "CREATE TABLE old (x);"}},
       {"up"},
       {},
       1,
       "20251231000000_old.sql"},
      {"irreversible",
       {{kBaseRollback, kDelete}},
       {"rollback"},
       {},
       1,
       "irreversible migrations (no _rollback.sql file); nothing was rolled back:\n  "
       "20260101000000_create_users.sql"},
      // SQL in files.
      {"syntax error names file and line",
       {{kPending, "CREATE TABLE a (x);\n\nCREAT TABLE b (x);"}},
       {"up"},
       {},
       1,
       "20260201000000_pending.sql: line 3: near \"CREAT\": syntax error"},
      {"unterminated string",
       {{kPending, "INSERT INTO users VALUES (1, 'open);"}},
       {"up"},
       {},
       1,
       "20260201000000_pending.sql: line 1: unterminated string"},
      {"unterminated comment",
       {{kPending, "SELECT 1;\n/* never closed"}},
       {"up"},
       {},
       1,
       "20260201000000_pending.sql: line 2: unterminated block comment"},
      {"unterminated trigger",
       {{kPending, "CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 1;"}},
       {"up"},
       {},
       1,
       "20260201000000_pending.sql: line 1: unterminated trigger"},
      {"vacuum needs the directive",
       {{kPending, "CREATE TABLE a (x);\nVACUUM;"}},
       {"up"},
       {},
       1,
       "20260201000000_pending.sql: line 2: VACUUM cannot run inside a transaction"},
      {"dbmate down section",
       {{kPending, "-- migrate:up\nCREATE TABLE a (x);\n\n-- migrate:down\nDROP TABLE a;"}},
       {"up"},
       {},
       1,
       "20260201000000_pending.sql: line 4: '-- migrate:down' starts a dbmate down section"},
      {"explicit COMMIT",
       {{kPending, "CREATE TABLE a (x);\nCOMMIT;"}},
       {"up"},
       {},
       1,
       "line 2: COMMIT controls the transaction"},
      {"constraint violation",
       {{kPending, "INSERT INTO users (id) VALUES (7);\nINSERT INTO users (id) VALUES (7);"}},
       {"up"},
       {},
       1,
       "line 2: UNIQUE constraint failed: users.id"},
      {"changed applied migration blocks up",
       {{kBase, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, edited INT);"},
        {kPending, "CREATE TABLE posts (id INTEGER);"}},
       {"up"},
       {},
       1,
       "applied migrations changed since they were applied (checksum differs); nothing was "
       "applied:\n  20260101000000_create_users.sql"},
      {"changed applied migration blocks safe",
       {{kBase, "-- edited\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);"},
        {kPending, "CREATE TABLE posts (id INTEGER);"}},
       {"safe"},
       {},
       1,
       "20260101000000_create_users.sql"},
      {"changed applied migration blocks a dry run too",
       {{kBase, "-- edited"}, {kPending, "CREATE TABLE posts (id INTEGER);"}},
       {"up", "--dry-run"},
       {},
       1,
       "pass --allow-changed"},
      {"safe --atomic with no-transaction file",
       {{kPending, "-- migrate:no-transaction\nCREATE TABLE a (x);"}},
       {"safe", "--atomic"},
       {},
       1,
       "--atomic: 20260201000000_pending.sql is marked -- migrate:no-transaction"},
      {"atomic with no-transaction file",
       {{kPending, "-- migrate:no-transaction\nCREATE TABLE a (x);"}},
       {"up", "--atomic"},
       {},
       1,
       "--atomic: 20260201000000_pending.sql is marked -- migrate:no-transaction"},
      {"failing rollback file",
       {{kBaseRollback, "DROP TABLE nothing_here;"}},
       {"rollback"},
       {},
       1,
       "20260101000000_create_users_rollback.sql: line 1: no such table: nothing_here"},
      // URLs.
      {"unknown scheme", {}, {"up", "--url", "oracle://scott:secret@db/orcl"}, {}, 2, "oracle"},
      {"port out of range",
       {},
       {"status", "--url", "postgres://app:secret@db:99999/app"},
       {},
       2,
       "99999"},
      {"unreachable server",
       {},
       {"status", "--url", "postgres://app:secret@127.0.0.1:1/app"},
       {},
       1,
       "cannot connect to 'postgres://app:***@127.0.0.1:1/app'"},
      {"bad percent escape from env",
       {},
       {"status"},
       {{"DATABASE_URL", "mysql://app:secret%zz@db/app"}},
       2,
       "DATABASE_URL"},
      {"empty url", {}, {"status", "--url", ""}, {}, 2, "--url"},
      // Credentials in query parameters are masked like the password.
      {"sslpassword of an unreachable server",
       {},
       {"status", "--url", "postgres://app@127.0.0.1:1/app?sslpassword=secret&sslmode=disable"},
       {},
       1,
       "cannot connect to 'postgres://app@127.0.0.1:1/app?sslmode=disable&sslpassword=***'"},
      {"password parameter in a mysql url",
       {},
       {"status", "--url", "mysql://app@127.0.0.1:1/app?password=secret"},
       {},
       2,
       "password=***"},
      {"password parameter in a sqlite url",
       {},
       {"up", "--url", "sqlite:app.db?password=secret"},
       {},
       2,
       "'sqlite:app.db?password=***': query parameters are not supported"},
      {"url echoed by the argument parser",
       {},
       {"status", "extra", "postgres://app:secret@db/app?token=secret"},
       {},
       2,
       "postgres://app:***@db/app?token=***"},
      {"url in a --flag=value echoed by the argument parser",
       {},
       {"status", "--frob=mysql://app:secret@db/app"},
       {},
       2,
       "--frob=mysql://app:***@db/app"},
      {"sqlite file in a missing directory",
       {},
       {"up", "--url", "sqlite:/nonexistent/dir/app.db"},
       {},
       1,
       "cannot open SQLite database '/nonexistent/dir/app.db'"},
      {"server url without database",
       {},
       {"status", "--url", "mysql://app:secret@db"},
       {},
       2,
       "database"},
      // Flags and configuration.
      // CLI11's range check printed a 300-digit number: never again.
      {"zero steps",
       {},
       {"up", "--step", "0"},
       {},
       2,
       "--step: must be a positive integer",
       "179769"},
      {"steps not a number",
       {},
       {"rollback", "--step", "two"},
       {},
       2,
       "--step: must be a positive integer",
       "179769"},
      {"negative keep-last",
       {},
       {"prune", "--keep-last", "-1"},
       {},
       2,
       "--keep-last: must be a whole number (0 or more)",
       "179769"},
      {"negative lock timeout", {}, {"up", "--lock-timeout", "-5"}, {}, 2, "--lock-timeout"},
      {"lock timeout from env",
       {},
       {"up"},
       {{"MIGRATE_LOCK_TIMEOUT", "soon"}},
       2,
       "MIGRATE_LOCK_TIMEOUT"},
      {"table name injection", {}, {"up", "--table", "x; DROP TABLE users"}, {}, 2, "--table"},
      {"table in sqlite's temp schema",
       {},
       {"up", "--table", "temp.sm"},
       {},
       2,
       "invalid value 'temp.sm' for --table: a schema-qualified table name is only supported on "
       "PostgreSQL"},
      {"table named by a reserved word",
       {},
       {"up", "--table", "select"},
       {},
       2,
       "invalid value 'select' for --table: 'select' is a reserved SQL word"},
      {"control characters in a flag value are escaped",
       {},
       {"up", "--to", "\x1b[2J\nforged"},
       {},
       2,
       "--to \\x1b[2J\\x0aforged: no migration with that version",
       "\x1b"},
      {"migrations dir is a file",
       {},
       {"up", "-d", "app.db"},
       {},
       1,
       "migrations directory 'app.db' is not a directory"},
      {"create name too long",
       {},
       {"create", std::string(300, 'a')},
       {},
       2,
       "migration name is too long: 300 characters, at most 100"},
      {"unknown command", {}, {"frobnicate"}, {}, 2, "frobnicate"},
      {"unknown flag", {}, {"up", "--frob"}, {}, 2, "--frob"},
      {"no command", {}, {}, {}, 2, "subcommand"},
      {"up to unknown version", {}, {"up", "--to", "20990101000000"}, {}, 2, "--to 20990101000000"},
      {"step with to",
       {},
       {"rollback", "--step", "1", "--to", "20260101000000"},
       {},
       2,
       "cannot be combined"},
      {"rollback to nonsense", {}, {"rollback", "--to", "yesterday"}, {}, 2, "--to yesterday"},
      {"baseline unknown version",
       {},
       {"baseline", "20250101000000"},
       {},
       2,
       "no migration with that version"},
      {"bad create name",
       {},
       {"create", "add/../users"},
       {},
       2,
       "invalid migration name 'add/../users'"},
      {"malformed .env", {{".env", "# comment\nDATABASE_URL\n"}}, {"status"}, {}, 2, ".env line 2"},
      {"unknown key in migrate.toml",
       {{"migrate.toml", "colour = true\n"}},
       {"status"},
       {},
       2,
       "migrate.toml line 1"},
      {"bad MIGRATE_YES", {}, {"reset"}, {{"MIGRATE_YES", "maybe"}}, 2, "MIGRATE_YES"},
      {"reset without confirmation", {}, {"reset"}, {}, 2, "pass --yes"},
      {"fresh without confirmation", {}, {"fresh"}, {}, 2, "pass --yes"},
  };
}

class BadInputTest : public CliTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(BadInputTest, FailsClearlyAndChangesNothing) {
  const auto& c = GetParam();
  dir_.write(kBase, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);");
  dir_.write(kBaseRollback, "DROP TABLE users;");
  ASSERT_EQ(run({"up"}).exit_code, 0);
  exec(db(), "INSERT INTO users (email) VALUES ('keep@example.com')");
  for (const auto& [path, content] : c.files) {
    if (content == kDelete)
      std::filesystem::remove(dir_.path() / path);
    else
      dir_.write(path, content);
  }
  auto objects_before = objects();
  auto applied_before = applied();

  auto r = run(c.args, c.env);
  EXPECT_EQ(r.exit_code, c.exit_code) << r.err << r.out;
  EXPECT_CONTAINS(r.err, c.message);
  EXPECT_EQ((r.out + r.err).find(c.never), std::string::npos) << r.err;
  EXPECT_EQ(objects(), objects_before);
  EXPECT_EQ(applied(), applied_before);
  EXPECT_EQ(query_one(db(), "SELECT group_concat(email) FROM users"), "keep@example.com");
}

std::string case_name(const ::testing::TestParamInfo<BadInput>& info) {
  std::string name;
  for (char c : std::string(info.param.label))
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, BadInputTest, ::testing::ValuesIn(cases()), case_name);

}  // namespace
}  // namespace migrate::testing
