// The PostgreSQL driver through the real binary, against a real server
// (scripts/test-servers.sh). Each test works in a database of its own, created
// through the server's URL and dropped afterwards, so tests run in parallel;
// state is checked independently with psql.
// What both server drivers owe alike (dbmate tables, wrong passwords, runners
// and the lock) is tested once for both in conformance/server_driver_test.cc.
#include <unistd.h>

#include <memory>
#include <random>
#include <set>

#include "drivers/postgres/postgres_conninfo.h"
#include "drivers/postgres/postgres_lock.h"
#include "drivers/postgres_fixture.h"
#include "drivers/postgres_test_support.h"
#include "support/cli_fixture.h"
#include "support/shell.h"
#include "support/test_servers.h"

namespace migrate::testing {
namespace {

// --- without a server: the connection string, scrubbing, the lock key -------

struct ConninfoCase {
  const char* url;
  postgres::Password password;
  const char* conninfo;
};

TEST(PostgresConninfoTest, BuildsLibpqConnectionStrings) {
  using postgres::Password;
  const ConninfoCase cases[] = {
      {"postgres://app:s3cret@db.example:5433/app?sslmode=disable", Password::kInclude,
       "host=db.example port=5433 user=app password=s3cret dbname=app application_name=migrate "
       "connect_timeout=10 sslmode=disable"},
      {"postgres://app:s3cret@db.example/app", Password::kOmit,
       "host=db.example user=app dbname=app application_name=migrate connect_timeout=10"},
      {"postgresql://app@localhost:5432/app?host=/run/postgresql", Password::kInclude,
       "host=/run/postgresql port=5432 user=app dbname=app application_name=migrate "
       "connect_timeout=10"},
      {"postgres://a%20b:it's%20a%5Cpw@h/my%20db", Password::kInclude,
       R"(host=h user='a b' password='it\'s a\\pw' dbname='my db' application_name=migrate )"
       "connect_timeout=10"},
      {"postgres://h/app?connect_timeout=3&application_name=deploy", Password::kInclude,
       "host=h dbname=app application_name=deploy connect_timeout=3"},
  };
  for (const auto& c : cases) {
    auto url = parse_database_url(c.url);
    ASSERT_TRUE(url) << c.url << ": " << url.error().message;
    auto conninfo = postgres::build_conninfo(*url, c.password);
    ASSERT_TRUE(conninfo) << c.url;
    EXPECT_EQ(*conninfo, c.conninfo) << c.url;
  }
}

TEST(PostgresConninfoTest, RefusesParametersLibpqDoesNotKnow) {
  for (const char* text : {"postgres://app:pw@h/app?sslmod=disable", "postgres://h/app?dbname=x"}) {
    auto url = parse_database_url(text);
    ASSERT_TRUE(url) << text;
    auto conninfo = postgres::build_conninfo(*url, postgres::Password::kInclude);
    ASSERT_FALSE(conninfo) << text;
    EXPECT_EQ(conninfo.error().code, ErrorCode::kUsage);
    EXPECT_EQ(conninfo.error().message.find(":pw@"), std::string::npos);
  }
}

TEST(PostgresConninfoTest, ScrubsThePassword) {
  EXPECT_EQ(postgres::scrub_password("bad pw 's3' for s3", "s3"), "bad pw '***' for ***");
  EXPECT_EQ(postgres::scrub_password("nothing to hide", ""), "nothing to hide");
  EXPECT_EQ(postgres::scrub_password("aaaa", "aa"), "******");
}

TEST(PostgresLockKeyTest, IsStableAndPerDatabaseAndTable) {
  // Runners of different migrate versions must agree on the key: never change it.
  EXPECT_EQ(postgres::advisory_lock_key("app", "schema_migrations"), 174331203030593584LL);
  EXPECT_NE(postgres::advisory_lock_key("app", "schema_migrations"),
            postgres::advisory_lock_key("other", "schema_migrations"));
  EXPECT_NE(postgres::advisory_lock_key("app", "schema_migrations"),
            postgres::advisory_lock_key("app", "app.schema_migrations"));
  // The database's own key, which every runner takes first.
  EXPECT_NE(postgres::advisory_lock_key("app"), postgres::advisory_lock_key("other"));
  EXPECT_NE(postgres::advisory_lock_key("app"),
            postgres::advisory_lock_key("app", "schema_migrations"));
}

// --- against the server ------------------------------------------------------

// Three reversible migrations creating tables a, b and c.
class PostgresLifecycleTest : public PostgresDriverTest {
 protected:
  void SetUp() override {
    PostgresDriverTest::SetUp();
    for (const char* t : {"a", "b", "c"}) {
      std::string version = std::string("2026010") +
                            (t[0] == 'a'   ? "1"
                             : t[0] == 'b' ? "2"
                                           : "3") +
                            "000000";
      migration(version, std::string("create_") + t,
                std::string("CREATE TABLE ") + t + " (id bigint PRIMARY KEY);",
                (std::string("DROP TABLE ") + t + ";").c_str());
    }
  }
};

TEST_F(PostgresLifecycleTest, UpStatusAndRollbackByBatchAndStep) {
  auto first = run({"up", "--step", "2"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(run({"up"}).exit_code, 0);
  EXPECT_EQ(applied(), "20260101000000,20260102000000,20260103000000");
  EXPECT_EQ(query("SELECT string_agg(batch::text || ':' || name || ':' || length(checksum) || ':' "
                  "|| (applied_at LIKE '____-__-__T__:__:__%Z'), ',' ORDER BY version) FROM "
                  "schema_migrations"),
            "1:create_a:64:true,1:create_b:64:true,2:create_c:64:true");

  auto status = run({"status", "--exit-code"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_CONTAINS(status.out, "3 applied, 0 pending");

  auto rollback = run({"rollback"});  // the last batch: c
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  EXPECT_EQ(applied(), "20260101000000,20260102000000");
  EXPECT_FALSE(exists("c"));
  EXPECT_EQ(run({"status", "--exit-code"}).exit_code, 3);

  ASSERT_EQ(run({"up"}).exit_code, 0);
  ASSERT_EQ(run({"rollback", "--step", "2"}).exit_code, 0);
  EXPECT_EQ(applied(), "20260101000000");
  EXPECT_FALSE(exists("b"));
  EXPECT_TRUE(exists("a"));
}

TEST_F(PostgresLifecycleTest, RedoResetSeedBaselineAndValidate) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  ASSERT_EQ(query("INSERT INTO c VALUES (1)"), "");
  auto redo = run({"redo"});
  ASSERT_EQ(redo.exit_code, 0) << redo.err;
  EXPECT_EQ(query("SELECT count(*) FROM c"), "0");  // dropped and created again
  EXPECT_EQ(applied(), "20260101000000,20260102000000,20260103000000");

  dir_.write("seeds/01_a.sql", "INSERT INTO a VALUES (1), (2);");
  dir_.write("seeds/02_b.sql", "INSERT INTO b SELECT id FROM a;");
  auto seed = run({"seed"});
  ASSERT_EQ(seed.exit_code, 0) << seed.err;
  EXPECT_EQ(query("SELECT count(*) FROM b"), "2");

  auto validate = run({"validate"});
  EXPECT_EQ(validate.exit_code, 0) << validate.out << validate.err;
  dir_.write("migrations/20260102000000_create_b.sql", "CREATE TABLE b (id int);");
  EXPECT_EQ(run({"validate"}).exit_code, 3);

  auto reset = run({"reset", "--yes"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_EQ(applied(), "");
  EXPECT_FALSE(exists("a"));

  // An existing database that already has a and b: record them, apply only c.
  ASSERT_EQ(query("CREATE TABLE a (id bigint PRIMARY KEY); CREATE TABLE b (id int)"), "");
  auto baseline = run({"baseline", "20260102000000"});
  ASSERT_EQ(baseline.exit_code, 0) << baseline.err;
  EXPECT_EQ(applied(), "20260101000000,20260102000000");
  auto up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(applied(), "20260101000000,20260102000000,20260103000000");
}

TEST_F(PostgresDriverTest, BacksUpBeforeUpAndRestoresThePriorState) {
  migration("20260101000000", "a", "CREATE TABLE a (id int); INSERT INTO a VALUES (1);");
  auto up = run_with_backup({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_CONTAINS(up.out, "backup: ");
  std::string backup_id = query("SELECT backup_id FROM schema_migrations");
  EXPECT_NE(backup_id.find("_pre-up"), std::string::npos) << backup_id;

  auto restore = run_with_backup({"restore", backup_id, "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.out, "matches the backup's fingerprint");
  // The backup was taken before the run created anything, tracking table included.
  EXPECT_FALSE(exists("a"));
  EXPECT_FALSE(exists("schema_migrations"));
}

TEST_F(PostgresDriverTest, FreshDropsEveryKindOfObjectAndReapplies) {
  migration("20260101000000", "create_items", "CREATE TABLE items (id serial PRIMARY KEY);");
  ASSERT_EQ(run({"up"}).exit_code, 0);
  // Objects of every kind, made outside migrate, some depending on others.
  ASSERT_EQ(query(R"sql(
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TYPE pair AS (x int, y int);
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TABLE people (id int GENERATED ALWAYS AS IDENTITY, m mood, p positive);
CREATE SEQUENCE counter;
CREATE VIEW happy_people AS SELECT * FROM people WHERE m = 'happy';
CREATE MATERIALIZED VIEW people_count AS SELECT count(*) FROM people;
CREATE FUNCTION double_it(v int) RETURNS int LANGUAGE sql AS $$ SELECT v * 2 $$;
CREATE PROCEDURE noop() LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER touch_items BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION touch();
)sql"),
            "");
  std::string acl_before = query("SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'");

  auto fresh = run({"fresh", "--yes"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(query("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE "
                  "relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v', 'm', 'S')"),
            "items,items_id_seq,schema_migrations");
  EXPECT_EQ(query("SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace"), "0");
  EXPECT_EQ(query("SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace AND "
                  "typname IN ('mood', 'pair', 'positive')"),
            "0");
  EXPECT_EQ(query("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), "0");
  EXPECT_EQ(applied(), "20260101000000");
  // The schema itself is kept as it was: owner and grants.
  EXPECT_EQ(query("SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'"), acl_before);
}

TEST_F(PostgresDriverTest, FreshKeepsExtensionObjects) {
  if (query("SELECT count(*) FROM pg_available_extensions WHERE name = 'citext'") != "1")
    GTEST_SKIP() << "the citext extension is not installed on the test server";
  ASSERT_EQ(query("CREATE EXTENSION citext; CREATE TABLE mine (e citext)"), "");
  migration("20260101000000", "create_emails", "CREATE TABLE emails (e citext);");
  auto fresh = run({"fresh", "--yes"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_FALSE(exists("mine"));
  EXPECT_TRUE(exists("emails"));
  EXPECT_EQ(query("SELECT count(*) FROM pg_extension WHERE extname = 'citext'"), "1");
}

// The same file through statement-at-a-time execution and through --atomic's
// pipeline.
class PostgresScriptTest : public PostgresDriverTest,
                           public ::testing::WithParamInterface<const char*> {
 protected:
  std::vector<std::string> up_args() const {
    if (!*GetParam()) return {"up"};
    return {"up", GetParam()};
  }
};

TEST_P(PostgresScriptTest, RunsDollarQuotedFunctionsDoBlocksAndTriggers) {
  migration("20260101000000", "audit", R"sql(-- a file of many statements
CREATE TABLE events (id serial PRIMARY KEY, name text, created text);

CREATE FUNCTION stamp() RETURNS trigger AS $body$
BEGIN
  -- semicolons; and 'quotes' inside the body
  NEW.created := 'stamped;' || NEW.name;
  RETURN NEW;
END;
$body$ LANGUAGE plpgsql;

CREATE TRIGGER events_stamp BEFORE INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION stamp();

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM events) THEN
    INSERT INTO events (name) VALUES ('first; of all');
  END IF;
END
$$;
)sql",
            "DROP TABLE events; DROP FUNCTION stamp();");
  auto up = run(up_args());
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(query("SELECT name || '|' || created FROM events"),
            "first; of all|stamped;first; of all");
  ASSERT_EQ(run({"rollback"}).exit_code, 0);
  EXPECT_FALSE(exists("events"));
}

TEST_F(PostgresDriverTest, ErrorNamesTheLineAndRollsBackOnlyThatMigration) {
  migration("20260101000000", "ok", "CREATE TABLE ok (id int);");
  migration("20260102000000", "broken",
            "CREATE TABLE half (id int);\n"  // line 1
            "\n"
            "INSERT INTO half\n"  // line 3
            "  SELECT id\n"
            "  FROM missing_table;\n"  // line 5: the error
            "CREATE TABLE never (id int);\n");
  migration("20260103000000", "later", "CREATE TABLE later (id int);");
  auto r = run({"up"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "20260102000000_broken.sql: line 3:");
  EXPECT_CONTAINS(r.err, "relation \"missing_table\" does not exist (at line 5, SQLSTATE 42P01)");
  EXPECT_EQ(applied(), "20260101000000");
  EXPECT_TRUE(exists("ok"));
  EXPECT_FALSE(exists("half"));  // the failed migration left nothing
  EXPECT_FALSE(exists("later"));
}

TEST_P(PostgresScriptTest, ErrorInsideADoBlockNamesTheFileLine) {
  migration("20260101000000", "do_fail",
            "SELECT 1;\n"
            "DO $$\n"  // line 2: the body's line 1
            "BEGIN\n"
            "  RAISE EXCEPTION 'boom %', 42;\n"  // line 4
            "END\n"
            "$$;\n");
  auto r = run(up_args());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "20260101000000_do_fail.sql: line 2: boom 42 (at line 4, SQLSTATE P0001)");
  EXPECT_EQ(applied(), "");
}

INSTANTIATE_TEST_SUITE_P(Modes, PostgresScriptTest, ::testing::Values("", "--atomic"),
                         [](const auto& info) { return *info.param ? "Atomic" : "PerMigration"; });

TEST_F(PostgresDriverTest, NoTransactionFileRunsCreateIndexConcurrently) {
  migration("20260101000000", "table", "CREATE TABLE big (id int); INSERT INTO big VALUES (1);");
  migration("20260102000000", "index",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY big_id ON big (id);",
            "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY big_id;");
  auto up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_id'::regclass"), "t");
  EXPECT_EQ(applied(), "20260101000000,20260102000000");
  ASSERT_EQ(run({"rollback", "--step", "1"}).exit_code, 0);
  EXPECT_FALSE(exists("big_id"));
}

TEST_F(PostgresDriverTest, ConcurrentlyWithoutTheDirectiveIsRefusedBeforeAnythingRuns) {
  migration("20260101000000", "table", "CREATE TABLE big (id int);");
  migration("20260102000000", "index",
            "SELECT 1;\n\nCREATE INDEX CONCURRENTLY big_id ON big (id);");
  auto r = run({"up"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "20260102000000_index.sql: line 3");
  EXPECT_CONTAINS(r.err, "CONCURRENTLY");
  EXPECT_FALSE(exists("big"));
  EXPECT_EQ(applied(), "");
}

TEST_F(PostgresDriverTest, AtomicUpIsAllOrNothing) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  migration("20260102000000", "b", "CREATE TABLE b (id int);");
  migration("20260103000000", "c", "CREATE TABLE c (id int);\nSELECT 1/0;");
  auto r = run({"up", "--atomic"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "division by zero");
  EXPECT_CONTAINS(r.err, "--atomic: every migration of this run was rolled back");
  EXPECT_FALSE(exists("a"));
  EXPECT_FALSE(exists("b"));
  EXPECT_EQ(applied(), "");

  migration("20260103000000", "c", "CREATE TABLE c (id int);");
  auto ok = run({"up", "--atomic"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(applied(), "20260101000000,20260102000000,20260103000000");
}

TEST_F(PostgresDriverTest, AdoptsARailsTableInAnotherSchema) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  migration("20260102000000", "b", "CREATE TABLE b (id int);");
  ASSERT_EQ(query("CREATE SCHEMA app; CREATE TABLE a (id int);"
                  "CREATE TABLE app.schema_migrations (version character varying NOT NULL "
                  "PRIMARY KEY); INSERT INTO app.schema_migrations VALUES ('20260101000000')"),
            "");
  auto up = run({"up", "--table", "app.schema_migrations"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(query("SELECT string_agg(version || ':' || batch, ',' ORDER BY version) FROM "
                  "app.schema_migrations"),
            "20260101000000:0,20260102000000:1");
  EXPECT_FALSE(exists("public.schema_migrations"));
}

TEST_F(PostgresDriverTest, ConnectsThroughAUnixSocket) {
  auto socket = postgres_socket_test_url();
  REQUIRE_SERVER(socket);
  url_ = with_database(*socket, database_->name());
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  auto up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  auto status = run({"status"});
  EXPECT_CONTAINS(status.out, "1 applied, 0 pending");
  EXPECT_EQ(query("SELECT client_addr IS NULL FROM pg_stat_activity WHERE pid = pg_backend_pid()"),
            "t");
  EXPECT_TRUE(exists("a"));
}

}  // namespace
}  // namespace migrate::testing
