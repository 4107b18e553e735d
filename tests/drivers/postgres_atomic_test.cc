// `up --atomic` on PostgreSQL, where every statement of the run goes through
// libpq's pipeline mode and the rows through one INSERT: failures still name
// the file, line and statement and leave nothing applied; the server skips
// what follows a failure; what the pipeline cannot carry (COPY) runs the old
// way; no-transaction files are refused.
#include <cstdio>

#include "drivers/postgres_fixture.h"
#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

class PostgresAtomicTest : public PostgresDriverTest {
 protected:
  CliResult up_atomic() { return run({"up", "--atomic"}); }
  // Rows in the tracking table.
  std::string rows() {
    if (!exists("schema_migrations")) return "no table";
    return query("SELECT count(*) FROM schema_migrations");
  }
};

TEST_F(PostgresAtomicTest, AFailureInTheMiddleNamesFileLineAndStatementAndLeavesNothing) {
  // Outside the run's transaction: nextval() would survive its rollback, so
  // the sequence shows whether the server ran anything after the failure.
  ASSERT_EQ(query("CREATE SEQUENCE probe"), "");
  migration("20260101000000", "a", "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);");
  migration("20260102000000", "b", "CREATE TABLE b (id int);");
  migration("20260103000000", "broken",
            "CREATE TABLE half (id int);\n"  // line 1
            "\n"
            "INSERT INTO half\n"                 // line 3: the failing statement
            "  SELECT id FROM missing_table;\n"  // line 4: the error
            "SELECT nextval('probe');\n");
  migration("20260104000000", "later", "SELECT nextval('probe');\nCREATE TABLE later (id int);");
  auto r = up_atomic();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err,
                  "20260103000000_broken.sql: line 3: relation \"missing_table\" does not exist "
                  "(at line 4, SQLSTATE 42P01)\n  statement: INSERT INTO half ...");
  EXPECT_CONTAINS(r.err, "--atomic: every migration of this run was rolled back");
  EXPECT_EQ(rows(), "0");
  for (const char* table : {"a", "b", "half", "later"}) EXPECT_FALSE(exists(table)) << table;
  EXPECT_EQ(query("SELECT is_called FROM probe"), "f");  // nothing ran after the failure

  // Fixed, the same run applies everything as one batch.
  migration("20260103000000", "broken", "CREATE TABLE half (id int);");
  auto ok = up_atomic();
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(query("SELECT string_agg(version || ':' || batch, ',' ORDER BY version) FROM "
                  "schema_migrations"),
            "20260101000000:1,20260102000000:1,20260103000000:1,20260104000000:1");
  EXPECT_EQ(query("SELECT count(*) FROM a"), "1");
  EXPECT_EQ(query("SELECT last_value FROM probe"), "1");
}

// Dollar-quoted functions, triggers and a failing DO block through the
// pipeline: PostgresScriptTest.
TEST_F(PostgresAtomicTest, RunsDoBlocksResultRowsAndEmptyFilesAndRecordsEveryRow) {
  migration("20260101000000", "table",
            "CREATE TABLE events (id serial PRIMARY KEY, name text);\n"
            "CREATE INDEX events_name ON events (name);\n");
  migration("20260102000000", "seed", R"sql(DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM events) THEN
    INSERT INTO events (name) VALUES ('first; of all');
  END IF;
  RAISE NOTICE 'seeded %', (SELECT count(*) FROM events);
END
$$;
SELECT name FROM events;  -- rows in a result are read and dropped
-- only a comment after the last statement
)sql");
  migration("20260103000000", "empty", "-- nothing to do here\n");
  auto r = up_atomic();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "seeded 1");
  EXPECT_EQ(query("SELECT string_agg(name, ',') FROM events"), "first; of all");
  EXPECT_EQ(query("SELECT string_agg(version || ':' || name || ':' || length(checksum) || ':' || "
                  "(backup_id IS NULL) || ':' || (duration_ms >= 0) || ':' || "
                  "(applied_at LIKE '____-__-__T__:__:__.___Z'), ',' ORDER BY version) FROM "
                  "schema_migrations"),
            "20260101000000:table:64:true:true:true,20260102000000:seed:64:true:true:true,"
            "20260103000000:empty:64:true:true:true");
}

TEST_F(PostgresAtomicTest, RecordsEveryRowOfALargeBatch) {
  constexpr int kMigrations = 1001;
  for (int i = 1; i <= kMigrations; ++i) {
    char version[32];  // 2026-01-01, one a minute
    std::snprintf(version, sizeof version, "20260101%02d%02d00", i / 60, i % 60);
    migration(version, "step_" + std::to_string(i),
              "INSERT INTO t VALUES (" + std::to_string(i) + ");");
  }
  migration("20250101000000", "table", "CREATE TABLE t (id int PRIMARY KEY);");
  auto r = up_atomic();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(query("SELECT count(*) || ',' || count(DISTINCT batch) FROM schema_migrations"),
            "1002,1");
  EXPECT_EQ(query("SELECT count(*) FROM t"), "1001");
  // Nothing pending: a second run does nothing.
  auto again = up_atomic();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(rows(), "1002");
}

TEST_F(PostgresAtomicTest, AdoptsADbmateTableAndRecordsTheBackupOfTheRun) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  migration("20260102000000", "b", "CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);");
  migration("20260103000000", "c", "CREATE TABLE c (id int);");
  ASSERT_EQ(query("CREATE TABLE a (id int);"
                  "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
                  "INSERT INTO schema_migrations VALUES ('20260101000000')"),
            "");
  auto r = run_with_backup({"up", "--atomic"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string backup = query("SELECT DISTINCT backup_id FROM schema_migrations WHERE batch = 1");
  EXPECT_CONTAINS(backup, "_pre-up");
  EXPECT_EQ(query("SELECT string_agg(version || ':' || name || ':' || batch, ',' ORDER BY "
                  "version) FROM schema_migrations"),
            "20260101000000::0,20260102000000:b:1,20260103000000:c:1");
}

TEST_F(PostgresAtomicTest, CopyFromStdinRunsTheOldWayAndIsRefusedWithItsMessage) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  migration("20260102000000", "load", "CREATE TABLE b (id int);\nCOPY b FROM STDIN;");
  auto r = up_atomic();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err,
                  "20260102000000_load.sql: line 2: COPY ... FROM STDIN / TO STDOUT cannot run in "
                  "a migration");
  EXPECT_CONTAINS(r.err, "--atomic: every migration of this run was rolled back");
  EXPECT_FALSE(exists("a"));
  EXPECT_EQ(rows(), "0");
}

TEST_F(PostgresAtomicTest, ANoTransactionFileIsRefusedBeforeAnythingRuns) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  migration("20260102000000", "index",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);");
  auto r = up_atomic();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err,
                  "--atomic: 20260102000000_index.sql is marked -- migrate:no-transaction and "
                  "cannot run in the shared transaction; nothing was applied");
  EXPECT_FALSE(exists("a"));
  EXPECT_EQ(rows(), "no table");
}

TEST_F(PostgresAtomicTest, ALostConnectionFailsCleanlyAndLeavesNothing) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  migration("20260102000000", "kill",
            "CREATE TABLE b (id int);\nSELECT pg_terminate_backend(pg_backend_pid());\n"
            "CREATE TABLE c (id int);");
  auto r = up_atomic();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "20260102000000_kill.sql: line 2: ");
  EXPECT_CONTAINS(r.err, "statement: SELECT pg_terminate_backend");
  EXPECT_FALSE(exists("a"));
  EXPECT_FALSE(exists("b"));
  EXPECT_EQ(rows(), "0");
}

}  // namespace
}  // namespace migrate::testing
