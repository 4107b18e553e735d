// The whole lifecycle on SQLite through the real binary.
#include <nlohmann/json.hpp>

#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

using nlohmann::json;

class LifecycleTest : public CliTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "create_users",
              "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", "DROP TABLE users;");
    migration("20260102000000", "create_posts",
              "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n"
              "CREATE INDEX posts_by_user ON posts(user_id);",
              "DROP TABLE posts;");
    migration("20260103000000", "seed_admin",
              "INSERT INTO users (email) VALUES ('admin@example.com');",
              "DELETE FROM users WHERE email = 'admin@example.com';");
  }
};

TEST_F(LifecycleTest, UpAppliesEverythingAsOneBatchAndRecordsEveryColumn) {
  auto r = run({"up"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "applied 3 migrations (batch 1)");
  EXPECT_EQ(applied(),
            (std::vector<std::string>{"20260101000000", "20260102000000", "20260103000000"}));
  auto rows =
      query(db(),
            "SELECT name, length(checksum), batch, applied_at LIKE '____-__-__T__:__:__%Z', "
            "duration_ms >= 0, backup_id LIKE '________T______Z_pre-up' FROM schema_migrations "
            "ORDER BY version");
  EXPECT_EQ(rows[0], (std::vector<std::string>{"create_users", "64", "1", "1", "1", "1"}));
  EXPECT_EQ(query_one(db(), "SELECT email FROM users"), "admin@example.com");

  auto again = run({"up"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_CONTAINS(again.out, "nothing to do");
}

TEST_F(LifecycleTest, MigrateIsAnAliasOfUp) {
  auto r = run({"migrate", "--step", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(applied(), std::vector<std::string>{"20260101000000"});
}

TEST_F(LifecycleTest, StatusShowsStatesAndExitCode) {
  ASSERT_EQ(run({"up", "--to", "20260102000000"}).exit_code, 0);
  auto r = run({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "20260101000000  create_users");
  EXPECT_CONTAINS(r.out, "2 applied, 1 pending, 0 changed, 0 missing");
  EXPECT_EQ(run({"status", "--exit-code"}).exit_code, 3);
  ASSERT_EQ(run({"up"}).exit_code, 0);
  EXPECT_EQ(run({"status", "--exit-code"}).exit_code, 0);
}

TEST_F(LifecycleTest, StatusReportsChangedAndMissingFiles) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  dir_.write("migrations/20260102000000_create_posts.sql", "CREATE TABLE posts (id INTEGER);");
  std::filesystem::remove(dir_.path() / "migrations/20260103000000_seed_admin.sql");
  std::filesystem::remove(dir_.path() / "migrations/20260103000000_seed_admin_rollback.sql");
  auto r = run({"status", "--json"});
  EXPECT_EQ(r.exit_code, 0);
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["migrations"][1]["state"], "changed");
  EXPECT_EQ(doc["migrations"][2]["state"], "missing");
  EXPECT_EQ(doc["summary"]["changed"], 1);
  EXPECT_EQ(run({"status", "--exit-code"}).exit_code, 3);
  auto v = run({"validate"});
  EXPECT_EQ(v.exit_code, 3);
  EXPECT_CONTAINS(v.out, "'20260102000000_create_posts.sql': changed since it was applied");
  EXPECT_CONTAINS(v.out, "'20260103000000_seed_admin.sql': applied but the file is missing");
}

TEST_F(LifecycleTest, RollbackGoesByBatchThenStepThenTo) {
  ASSERT_EQ(run({"up", "--step", "1"}).exit_code, 0);
  ASSERT_EQ(run({"up"}).exit_code, 0);  // batch 2: posts and admin
  auto r = run({"rollback"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "rolled back 2 migrations");
  EXPECT_EQ(applied(), std::vector<std::string>{"20260101000000"});
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'posts'"), "0");

  ASSERT_EQ(run({"up"}).exit_code, 0);
  ASSERT_EQ(run({"rollback", "--step", "1"}).exit_code, 0);
  EXPECT_EQ(applied(), (std::vector<std::string>{"20260101000000", "20260102000000"}));
  ASSERT_EQ(run({"up"}).exit_code, 0);
  ASSERT_EQ(run({"rollback", "--to", "20260101000000"}).exit_code, 0);
  EXPECT_EQ(applied(), std::vector<std::string>{"20260101000000"});
}

TEST_F(LifecycleTest, DryRunPrintsPlanAndSqlAndChangesNothing) {
  auto r = run({"up", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "-- apply 20260101000000_create_users.sql");
  EXPECT_CONTAINS(r.out, "CREATE INDEX posts_by_user ON posts(user_id);");
  EXPECT_CONTAINS(r.out, "nothing was changed");
  EXPECT_TRUE(applied().empty());
  EXPECT_TRUE(objects().empty());

  ASSERT_EQ(run({"up"}).exit_code, 0);
  auto down = run({"rollback", "--dry-run", "--json"});
  ASSERT_EQ(down.exit_code, 0);
  auto doc = json::parse(down.out);
  EXPECT_EQ(doc["dry_run"], true);
  EXPECT_EQ(doc["migrations"][0]["file"], "20260103000000_seed_admin_rollback.sql");
  EXPECT_EQ(doc["migrations"][0]["statements"][0]["line"], 1);
  EXPECT_EQ(applied().size(), 3u);
}

TEST_F(LifecycleTest, RedoRollsBackAndReappliesTheLastMigration) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  exec(db(), "INSERT INTO users (email) VALUES ('kept@example.com')");
  auto r = run({"redo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "redid 20260103000000_seed_admin.sql");
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users WHERE email = 'admin@example.com'"), "1");
  EXPECT_EQ(query_one(db(), "SELECT batch FROM schema_migrations WHERE version = '20260103000000'"),
            "2");
}

TEST_F(LifecycleTest, ResetNeedsYesWithoutATerminal) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  auto refused = run({"reset"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_CONTAINS(refused.err, "pass --yes");
  EXPECT_EQ(applied().size(), 3u);

  auto r = run({"reset", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(applied().empty());
  EXPECT_EQ(objects(), std::vector<std::string>{"table:schema_migrations"});
  EXPECT_EQ(run({"reset"}, {{"MIGRATE_YES", "1"}}).exit_code, 0);
}

TEST_F(LifecycleTest, ResetAsksOnATerminal) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  auto declined = run_cli_in_terminal(dir_.path(), {"reset"}, "no\n");
  EXPECT_EQ(declined.exit_code, 1);
  EXPECT_CONTAINS(declined.out, "'reset' rolls back every applied migration in sqlite:./app.db");
  EXPECT_CONTAINS(declined.out, "'reset' cancelled; nothing changed");
  EXPECT_EQ(applied().size(), 3u);

  auto confirmed = run_cli_in_terminal(dir_.path(), {"reset"}, "yes\n");
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.out;
  EXPECT_TRUE(applied().empty());
}

TEST_F(LifecycleTest, FreshDropsEverythingAndReappliesWithSeeds) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  exec(db(), "CREATE TABLE stray (x); CREATE VIEW stray_view AS SELECT * FROM stray;");
  dir_.write("seeds/01_users.sql", "INSERT INTO users (email) VALUES ('seed@example.com');");
  EXPECT_EQ(run({"fresh"}).exit_code, 2);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'stray'"), "1");

  auto r = run({"fresh", "--seed", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name LIKE 'stray%'"), "0");
  EXPECT_EQ(applied().size(), 3u);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "2");
  // The seed file is reported as a seed, not counted as a fourth migration.
  EXPECT_CONTAINS(r.out, "applied 3 migrations (batch 1)");
  EXPECT_CONTAINS(r.out, "seeded 1 seed file\n");
}

TEST_F(LifecycleTest, SeedRunsFilesInNameOrderEachInATransaction) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  dir_.write("seeds/02_second.sql", "INSERT INTO users (email) VALUES ('b');");
  dir_.write("seeds/01_first.sql", "INSERT INTO users (email) VALUES ('a');");
  dir_.write("seeds/03_broken.sql",
             "INSERT INTO users (email) VALUES ('c');\nINSERT INTO nowhere VALUES (1);");
  auto r = run({"seed"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "03_broken.sql: line 2: no such table: nowhere");
  EXPECT_EQ(
      query_one(db(), "SELECT group_concat(email, ',') FROM (SELECT email FROM users ORDER BY id)"),
      "admin@example.com,a,b");
}

TEST_F(LifecycleTest, BaselineRecordsWithoutRunning) {
  auto r = run({"baseline", "20260102000000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "recorded 2 migrations");
  EXPECT_EQ(applied(), (std::vector<std::string>{"20260101000000", "20260102000000"}));
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'users'"), "0");
}

TEST_F(LifecycleTest, OutOfOrderIsRefusedThenAllowed) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  migration("20260101120000", "late_merge", "CREATE TABLE late (x);", "DROP TABLE late;");
  auto refused = run({"up"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_CONTAINS(refused.err, "20260101120000_late_merge.sql");
  EXPECT_CONTAINS(refused.err, "--allow-out-of-order");
  EXPECT_EQ(applied().size(), 3u);
  ASSERT_EQ(run({"up", "--allow-out-of-order"}).exit_code, 0);
  // The late migration is the newest batch, so rollback takes it alone.
  ASSERT_EQ(run({"rollback"}).exit_code, 0);
  EXPECT_EQ(applied().size(), 3u);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'late'"), "0");
}

TEST_F(LifecycleTest, IrreversibleMigrationIsNotRolledBack) {
  migration("20260104000000", "drop_posts", "DROP TABLE posts;", nullptr);
  ASSERT_EQ(run({"up"}).exit_code, 0);
  auto r = run({"rollback", "--step", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "irreversible");
  EXPECT_CONTAINS(r.err, "20260104000000_drop_posts.sql");
  EXPECT_EQ(applied().size(), 4u);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "1");
}

TEST_F(LifecycleTest, AtomicRunIsAllOrNothing) {
  migration("20260104000000", "broken", "CREATE TABLE fine (x);\nINSERT INTO missing VALUES (1);");
  auto r = run({"up", "--atomic"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "20260104000000_broken.sql: line 2: no such table: missing");
  EXPECT_CONTAINS(r.err, "every migration of this run was rolled back");
  EXPECT_TRUE(applied().empty());
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name IN ('users', 'fine')"),
            "0");

  // Without --atomic, the migrations before the broken one stay applied.
  auto plain = run({"up"});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_CONTAINS(plain.err, "3 migration(s) applied before it in this run stay applied");
  EXPECT_EQ(applied().size(), 3u);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'fine'"), "0");
}

TEST_F(LifecycleTest, NoTransactionFileRunsStatementByStatement) {
  migration("20260104000000", "vacuum", "-- migrate:no-transaction\nVACUUM;");
  ASSERT_EQ(run({"up"}).exit_code, 0);
  EXPECT_EQ(applied().size(), 4u);
  migration("20260105000000", "vacuum_again", "-- needs the directive\nVACUUM;");
  auto r = run({"up"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(
      r.err, "20260105000000_vacuum_again.sql: line 2: VACUUM cannot run inside a transaction");
  EXPECT_EQ(run({"up", "--atomic", "--to", "20260104000000"}).exit_code,
            0);  // nothing pending up to it
}

TEST_F(LifecycleTest, AdoptsADbmateTable) {
  exec(db(),
       "CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY);"
       "INSERT INTO schema_migrations VALUES ('20260101000000');"
       "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);");
  auto status = run({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_CONTAINS(status.out, "1 applied, 2 pending");
  auto r = run({"up"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(applied().size(), 3u);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM pragma_table_info('schema_migrations')"), "7");
  EXPECT_EQ(query_one(db(), "SELECT batch FROM schema_migrations WHERE version = '20260102000000'"),
            "1");
}

TEST_F(LifecycleTest, CustomTrackingTable) {
  ASSERT_EQ(run({"up", "--table", "app_migrations"}).exit_code, 0);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM app_migrations"), "3");
  EXPECT_TRUE(applied().empty());
}

TEST_F(LifecycleTest, CreateWritesBothFilesFromTemplates) {
  auto r = run({"create", "Add Orders"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::filesystem::path> created;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "migrations"))
    if (e.path().string().find("add_orders") != std::string::npos) created.push_back(e.path());
  ASSERT_EQ(created.size(), 2u);
  EXPECT_CONTAINS(r.out, "_add_orders.sql");
  EXPECT_CONTAINS(r.out, "_add_orders_rollback.sql");
  std::string body = read_text(created[0]);
  EXPECT_CONTAINS(body, "add_orders");
  EXPECT_EQ(body.find("{{"), std::string::npos);

  // A templates/ folder next to the migrations directory overrides the built-in ones.
  dir_.write("templates/migration.sql", "-- custom {{name}} at {{version}}\n");
  auto second = run({"create", "second", "--json"});
  ASSERT_EQ(second.exit_code, 0);
  auto doc = json::parse(second.out);
  std::string text = read_text(dir_.path() / doc["migration"].get<std::string>());
  EXPECT_EQ(text.rfind("-- custom second at 2", 0), 0u) << text;
  // The new files are valid migrations.
  EXPECT_EQ(run({"up"}).exit_code, 0);
}

TEST_F(LifecycleTest, JsonErrorsAreOneDocumentOnStdout) {
  auto r = run({"rollback", "--to", "nope", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["error"]["code"], "usage");
  EXPECT_EQ(doc["error"]["exit_code"], 2);
  EXPECT_CONTAINS(doc["error"]["message"].get<std::string>(), "--to nope");
}

TEST_F(LifecycleTest, DoctorReportsEachCheck) {
  ASSERT_EQ(run({"up", "--step", "1", "--no-backup"}).exit_code, 0);
  auto r = run({"doctor", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["ok"], true);
  std::map<std::string, std::string> details;
  for (const auto& c : doc["checks"]) details[c["check"]] = c["detail"];
  EXPECT_CONTAINS(details["connection"], "SQLite 3.");
  EXPECT_EQ(details["runner lock"], "free");
  EXPECT_CONTAINS(details["migrations"], "1 applied, 2 pending");
  EXPECT_CONTAINS(details["backup directory"], "writable");

  auto broken = run({"doctor", "--url", "sqlite:/nonexistent/dir/app.db"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_CONTAINS(broken.out, "FAIL  connection");
}

TEST_F(LifecycleTest, VersionPrintsLibraries) {
  auto r = run({"version", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  auto doc = json::parse(r.out);
  EXPECT_TRUE(doc.contains("migrate"));
  EXPECT_TRUE(doc.contains("sqlite"));
  EXPECT_TRUE(doc.contains("openssl"));
}

}  // namespace
}  // namespace migrate::testing
