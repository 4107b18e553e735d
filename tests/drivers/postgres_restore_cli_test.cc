// PostgreSQL restores as a user runs them, for what outside testing found:
// objects outside schemas added after the backup, a backup whose content
// differs from its manifest, a restore killed half-way, session settings
// leaking from one migration into the next. Real binary, real server.
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "drivers/postgres_cli_database.h"
#include "drivers/postgres_test_support.h"
#include "support/cli_fixture.h"
#include "support/shell.h"
#include "support/test_servers.h"

namespace migrate::testing {
namespace {

class PostgresRestoreCliTest : public PostgresCliDatabaseTest {
 protected:
  // A connection of the test's own, holding `lock` in an open transaction.
  std::unique_ptr<PGconn, decltype(&PQfinish)> hold(const std::string& lock) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url_.c_str()), &PQfinish);
    EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
    PQclear(PQexec(conn.get(), ("BEGIN; " + lock).c_str()));
    return conn;
  }
  // Polls until `sql` (about this database) answers "t".
  void wait_until(const std::string& sql) {
    while (query(sql) != "t") std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string others_waiting_on_a_lock() {
    return "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() "
           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()";
  }
};

TEST_F(PostgresRestoreCliTest, RestoreRemovesPublicationsWrappersAndDefaultPrivilegesAddedLater) {
  migration("20260101000000", "schema", "CREATE TABLE items (id int PRIMARY KEY, name text);\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "clean"}).exit_code, 0);
  ASSERT_EQ(query("SET client_min_messages = error; CREATE PUBLICATION later_pub FOR TABLE items; "
                  "CREATE SUBSCRIPTION later_sub CONNECTION 'host=127.0.0.1 dbname=none' "
                  "PUBLICATION later_pub WITH (connect = false); "
                  "CREATE FOREIGN DATA WRAPPER later_fdw; "
                  "CREATE SERVER later_server FOREIGN DATA WRAPPER later_fdw; "
                  "CREATE USER MAPPING FOR PUBLIC SERVER later_server OPTIONS (password 'x'); "
                  "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC; "
                  "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON SEQUENCES TO PUBLIC"),
            "");
  auto restore = run({"restore", "latest", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  EXPECT_EQ(query("SELECT (SELECT count(*) FROM pg_publication) || ',' || "
                  "(SELECT count(*) FROM pg_subscription WHERE subdbid = (SELECT oid FROM "
                  "pg_database WHERE datname = current_database())) || ',' || "
                  "(SELECT count(*) FROM pg_foreign_data_wrapper) || ',' || "
                  "(SELECT count(*) FROM pg_foreign_server) || ',' || "
                  "(SELECT count(*) FROM pg_default_acl)"),
            "0,0,0,0,0");
  // A table created now gets the built-in privileges, not PUBLIC's.
  ASSERT_EQ(query("CREATE TABLE fresh (id int)"), "");
  EXPECT_EQ(query("SELECT has_table_privilege('public', 'fresh', 'SELECT')"), "f");
}

// A database whose search_path puts a schema before pg_catalog cannot make
// migrate's own catalog queries run that schema's look-alikes
// (CVE-2018-1058): every command works, and no code of the schema's owner
// runs. The migrations still see the database's path.
TEST_F(PostgresRestoreCliTest, ASchemaBeforePgCatalogOnTheSearchPathHijacksNothing) {
  migration("20260101000000", "schema",
            "CREATE TABLE items (id int PRIMARY KEY);\n"
            "INSERT INTO items SELECT count(*) FROM evil.marker;\n");
  ASSERT_EQ(query("CREATE SCHEMA evil; CREATE TABLE evil.marker (x int); "
                  "CREATE FUNCTION evil.hijacked() RETURNS bool LANGUAGE plpgsql AS "
                  "$$ BEGIN RAISE EXCEPTION 'hijacked: ran as %', current_user; END $$; "
                  "CREATE VIEW evil.pg_attribute AS SELECT attrelid, attname, atttypid, attnum, "
                  "attnotnull, atthasdef, attisdropped, attidentity, attgenerated, atttypmod, "
                  "attlen, attndims, attcollation FROM pg_catalog.pg_attribute "
                  "WHERE evil.hijacked(); "
                  "CREATE VIEW evil.pg_class AS SELECT * FROM pg_catalog.pg_class "
                  "WHERE evil.hijacked(); "
                  "CREATE FUNCTION evil.pg_try_advisory_lock(bigint) RETURNS bool LANGUAGE sql "
                  "AS 'SELECT evil.hijacked()'; "
                  "CREATE FUNCTION evil.current_database() RETURNS name LANGUAGE sql "
                  "AS 'SELECT NULL::name WHERE evil.hijacked()'; "
                  "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = evil, "
                  "pg_catalog, public', current_database()); END $$"),
            "");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"up"},
                                               {"status"},
                                               {"backup", "plain"},
                                               {"verify", "--deep"},
                                               {"restore", "plain", "--yes"},
                                               {"rollback", "--no-backup"},
                                               {"doctor"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << "\n" << r.out << r.err;
    EXPECT_EQ((r.out + r.err).find("hijacked"), std::string::npos) << args[0] << r.out << r.err;
    if (args[0] == "up") {  // new objects went where the database's path sends them
      EXPECT_EQ(query("SELECT to_regclass('evil.items') IS NOT NULL AND "
                      "to_regclass('evil.schema_migrations') IS NOT NULL"),
                "t");
    }
  }
}

// pg_dump writes an extension as CREATE EXTENSION alone: what ALTER
// EXTENSION ... ADD put in it is not in the backup. A restore cannot bring it
// back, and must not claim it did.
TEST_F(PostgresRestoreCliTest, ObjectsAddedToAnExtensionAreNotPassedOffAsRestored) {
  ASSERT_EQ(query("CREATE EXTENSION hstore; CREATE TABLE kept (a int); "
                  "CREATE FUNCTION added() RETURNS int LANGUAGE sql AS 'SELECT 42'"),
            "");
  ASSERT_EQ(run({"backup", "plain"}).exit_code, 0);
  auto clean = run({"restore", "plain", "--yes", "--no-backup"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;  // the extension itself restores

  ASSERT_EQ(query("ALTER EXTENSION hstore ADD FUNCTION added()"), "");
  ASSERT_EQ(run({"backup", "member"}).exit_code, 0);
  auto restore = run({"restore", "member", "--yes", "--no-backup"});
  EXPECT_NE(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.err, "the schema differs");
  EXPECT_EQ((restore.out + restore.err).find("matches the backup's fingerprint"),
            std::string::npos);
  auto verify = run({"verify", "--deep", "member"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
}

// A privilege granted back to exactly PostgreSQL's default leaves an ACL
// that pg_dump writes nothing for, so the restored object has none: the
// same privileges, and the fingerprint must say so.
TEST_F(PostgresRestoreCliTest, AclsSetToTheirDefaultRestore) {
  ASSERT_EQ(query("CREATE TABLE t (id int); GRANT ALL ON t TO CURRENT_USER; "
                  "CREATE SEQUENCE sq; GRANT ALL ON SEQUENCE sq TO CURRENT_USER; "
                  "CREATE FUNCTION fn() RETURNS int LANGUAGE sql AS 'SELECT 1'; "
                  "REVOKE EXECUTE ON FUNCTION fn() FROM PUBLIC; "
                  "GRANT EXECUTE ON FUNCTION fn() TO PUBLIC; "
                  "CREATE TYPE ty AS (a int); GRANT USAGE ON TYPE ty TO PUBLIC; "
                  "CREATE SCHEMA sch; GRANT ALL ON SCHEMA sch TO CURRENT_USER; "
                  "SELECT lo_create(4242) > 0; GRANT ALL ON LARGE OBJECT 4242 TO CURRENT_USER"),
            "t");
  migration("20260101000000", "fill", "INSERT INTO t VALUES (1);\nCREATE TABLE t2 (a int);\n");
  migration("20260101000001", "broken", "SELECT 1 / 0;\n");
  auto safe = run({"safe"});
  EXPECT_EQ(safe.exit_code, 4) << safe.out << safe.err;
  EXPECT_CONTAINS(safe.err, "the database matches it");
  EXPECT_EQ(query("SELECT count(*) FROM t"), "0");
  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// A SQLite backup named by its id is refused by a PostgreSQL restore before
// anything is written: no pre-restore backup, the database unchanged.
TEST_F(PostgresRestoreCliTest, AnotherDatabaseSystemsBackupIsRefusedBeforeAnythingIsWritten) {
  ASSERT_EQ(query("CREATE TABLE items (id int); INSERT INTO items VALUES (7)"), "");
  shell("sqlite3 " + shell_quote((dir_.path() / "lite.db").string()) + " 'CREATE TABLE t (a)'");
  auto lite = run_cli(dir_.path(), {"backup", "lite"}, {{"DATABASE_URL", "sqlite:./lite.db"}});
  ASSERT_EQ(lite.exit_code, 0) << lite.err;
  std::string id = lite.out.substr(7, lite.out.find('\n') - 7);  // "backup <id>"
  auto restore = run({"restore", id, "--yes"});
  EXPECT_EQ(restore.exit_code, 1) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.err, "backup '" + id +
                                   "' is a sqlite backup and cannot be restored into a postgres "
                                   "database; the database was not changed");
  auto all = run({"backups", "--all"});
  EXPECT_EQ(all.out.find("pre-restore"), std::string::npos) << all.out;
  EXPECT_EQ(query("SELECT id FROM items"), "7");
}

// Default privileges make new tables' ACLs list their entries in another
// order than pg_dump's GRANTs give back: the fingerprint compares ACLs as
// sets, so the backup restores, and `safe` undoes a failed run.
TEST_F(PostgresRestoreCliTest, TablesCreatedUnderDefaultPrivilegesRestore) {
  ASSERT_EQ(query("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC; "
                  "CREATE TABLE accounts (id int, balance int); "
                  "INSERT INTO accounts VALUES (1, 100)"),
            "");
  migration("20260101000000", "zero",
            "UPDATE accounts SET balance = 0;\nCREATE TABLE audit (a int);\n");
  migration("20260101000001", "broken", "SELECT * FROM does_not_exist;\n");
  auto safe = run({"safe"});
  EXPECT_EQ(safe.exit_code, 4) << safe.out << safe.err;
  EXPECT_CONTAINS(safe.err, "the database matches it");
  EXPECT_EQ(query("SELECT balance FROM accounts"), "100");
  EXPECT_EQ(query("SELECT to_regclass('audit') IS NULL"), "t");
  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// pg_dump writes foreign-data options in an order of its own: a backup
// with them restores, and `safe` brings it back after a failed migration.
TEST_F(PostgresRestoreCliTest, BackupsWithForeignDataOptionsRestore) {
  migration("20260101000000", "foreign",
            "CREATE FOREIGN DATA WRAPPER w OPTIONS (zeta '1', alpha '2');\n"
            "CREATE SERVER s1 FOREIGN DATA WRAPPER w OPTIONS (host 'x', dbname 'y', port '1');\n"
            "CREATE USER MAPPING FOR PUBLIC SERVER s1 OPTIONS (user 'u', password 'p');\n"
            "CREATE FOREIGN TABLE ft (a int OPTIONS (zcol 'z', acol 'a')) SERVER s1 "
            "OPTIONS (table_name 't', schema_name 's');\n"
            "CREATE TABLE items (id int);\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "foreign"}).exit_code, 0);
  std::string schema = dump_schema(url_);
  ASSERT_EQ(query("ALTER SERVER s1 OPTIONS (SET host 'changed')"), "");
  auto restore = run({"restore", "latest", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  EXPECT_EQ(dump_schema(url_), schema);

  migration("20260102000000", "fails", "INSERT INTO items VALUES (1);\nSELECT 1 / 0;\n");
  auto safe = run({"safe"});
  EXPECT_EQ(safe.exit_code, 4) << safe.out << safe.err;
  EXPECT_EQ(dump_schema(url_), schema);
  EXPECT_EQ(query("SELECT count(*) FROM items"), "0");
}

// Objects outside user schemas created after the backup go too: an access
// method, a cast between built-in types, a table in information_schema, an
// extension in pg_catalog.
TEST_F(PostgresRestoreCliTest, RestoreRemovesCastsAccessMethodsAndExtensionsAddedLater) {
  migration("20260101000000", "schema", "CREATE TABLE items (id int PRIMARY KEY);\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "clean"}).exit_code, 0);
  std::string schema = dump_schema(url_);
  ASSERT_EQ(query("SET client_min_messages = error; "
                  "CREATE ACCESS METHOD myam TYPE TABLE HANDLER heap_tableam_handler; "
                  "CREATE CAST (money AS bytea) WITH INOUT; "
                  "CREATE TABLE information_schema.later (id int); "
                  "CREATE EXTENSION intarray SCHEMA pg_catalog"),
            "");
  auto restore = run({"restore", "latest", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  EXPECT_EQ(query("SELECT (SELECT count(*) FROM pg_am WHERE amname = 'myam') || ',' || "
                  "(SELECT count(*) FROM pg_cast WHERE castsource = 'money'::regtype "
                  "AND casttarget = 'bytea'::regtype) || ',' || "
                  "(to_regclass('information_schema.later') IS NULL) || ',' || "
                  "(SELECT count(*) FROM pg_extension WHERE extname = 'intarray')"),
            "0,0,true,0");
  EXPECT_EQ(dump_schema(url_), schema);
}

// A public schema its users dropped and created again (a common way to
// empty a database) is backed up and restored exactly: safe's restore
// brings back what a failed migration deleted.
TEST_F(PostgresRestoreCliTest, ARecreatedPublicSchemaRestoresExactly) {
  ASSERT_EQ(query("DROP SCHEMA public; CREATE SCHEMA public; "
                  "CREATE TABLE t (id int PRIMARY KEY, v text); "
                  "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 1000) g"),
            "");
  std::string schema = dump_schema(url_);
  migration("20260101000000", "deletes",
            "-- migrate:no-transaction\nDELETE FROM t WHERE id > 10;\nSELECT 1 / 0;\n");
  auto safe = run({"safe"});
  EXPECT_EQ(safe.exit_code, 4) << safe.out << safe.err;
  EXPECT_EQ(query("SELECT count(*) FROM t"), "1000");
  EXPECT_EQ(dump_schema(url_), schema);
}

// What every new database has and pg_dump never writes cannot be missing
// from a backup: a restore would bring it back. safe stops before applying
// anything.
TEST_F(PostgresRestoreCliTest, ADatabaseWithoutThePublicSchemaOrPlpgsqlIsNotBackedUp) {
  const char* lacks[][2] = {{"ALTER SCHEMA public RENAME TO app", "no public schema"},
                            {"DROP EXTENSION plpgsql", "no plpgsql extension"}};
  for (const auto& [statement, message] : lacks) {
    SCOPED_TRACE(statement);
    ASSERT_EQ(query(statement), "");
    migration("20260101000000", "schema", "CREATE TABLE app.items (id int PRIMARY KEY);\n");
    auto safe = run({"safe"});
    EXPECT_EQ(safe.exit_code, 1) << safe.out << safe.err;
    EXPECT_CONTAINS(safe.err, message);
    EXPECT_EQ(query("SELECT to_regclass('app.items') IS NULL"), "t");
  }
}

// plpgsql dropped after a backup comes back with the restore.
TEST_F(PostgresRestoreCliTest, RestoreBringsBackPlpgsqlDroppedAfterTheBackup) {
  ASSERT_EQ(run({"backup", "with"}).exit_code, 0);
  ASSERT_EQ(query("DROP EXTENSION plpgsql"), "");
  auto restore = run({"restore", "latest", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  EXPECT_EQ(query("SELECT count(*) FROM pg_extension WHERE extname = 'plpgsql'"), "1");
}

// A database holding what pg_dump cannot write back (a language whose
// handler is built in: pg_dump writes it without one) is not backed up, so
// safe stops before applying anything instead of failing to restore.
TEST_F(PostgresRestoreCliTest, SafeRefusesABackupThatCouldNotBeRestoredBeforeApplyingAnything) {
  ASSERT_EQ(query("CREATE LANGUAGE plfoo HANDLER plpgsql_call_handler"), "");
  migration("20260101000000", "schema", "CREATE TABLE items (id int PRIMARY KEY);\n");
  auto safe = run({"safe"});
  EXPECT_EQ(safe.exit_code, 1) << safe.out << safe.err;
  EXPECT_CONTAINS(safe.err, "pg_dump cannot reproduce");
  EXPECT_CONTAINS(safe.err, "language plfoo");
  EXPECT_EQ(query("SELECT to_regclass('items') IS NULL"), "t");
  EXPECT_EQ(run({"backup", "manual"}).exit_code, 1);
}

// A backup taken with them restores them, and its fingerprint matches.
TEST_F(PostgresRestoreCliTest, CastsAndAccessMethodsInABackupAreRestored) {
  ASSERT_EQ(query("SET client_min_messages = error; "
                  "CREATE ACCESS METHOD myam TYPE TABLE HANDLER heap_tableam_handler; "
                  "CREATE CAST (money AS bytea) WITH INOUT; "
                  "CREATE EXTENSION intarray SCHEMA pg_catalog"),
            "");
  ASSERT_EQ(run({"backup", "with"}).exit_code, 0);
  ASSERT_EQ(query("DROP ACCESS METHOD myam; DROP CAST (money AS bytea)"), "");
  auto restore = run({"restore", "latest", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_EQ(query("SELECT (SELECT count(*) FROM pg_am WHERE amname = 'myam') || ',' || "
                  "(SELECT count(*) FROM pg_cast WHERE castsource = 'money'::regtype "
                  "AND casttarget = 'bytea'::regtype) || ',' || "
                  "(SELECT count(*) FROM pg_extension WHERE extname = 'intarray')"),
            "1,1,1");
}

TEST_F(PostgresRestoreCliTest, ABackupWhoseContentDiffersFromItsManifestIsRefusedUnchanged) {
  migration("20260101000000", "schema",
            "CREATE TABLE users (id int PRIMARY KEY, email text);\n"
            "INSERT INTO users SELECT g, 'user' || g || '@example.com' "
            "FROM generate_series(1, 1000) g;\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "checked"}).exit_code, 0);
  ASSERT_EQ(
      tamper_backup(dir_.path() / "backups", "s/^1\\tuser1@example.com$/1\\tintruder@example.com/"),
      "ok");
  ASSERT_EQ(query("UPDATE users SET email = 'changed' WHERE id = 2; CREATE TABLE later (id int)"),
            "");
  std::string schema = dump_schema(url_), data = dump_data(url_);

  auto restore = run({"restore", "latest", "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 1) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.err, "does not match the backup's fingerprint");
  EXPECT_CONTAINS(restore.err, "the database was not changed");
  EXPECT_EQ(dump_schema(url_), schema);
  EXPECT_EQ(dump_data(url_), data);
}

// Killed while the restore's transaction is open (held at a lock the test
// takes, a deterministic point), migrate leaves the database as it was:
// nothing but migrate could have committed it.
TEST_F(PostgresRestoreCliTest, AKilledRestoreChangesNothing) {
  migration("20260101000000", "schema",
            "CREATE TABLE items (id int PRIMARY KEY, name text);\n"
            "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 20000) g;\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "before"}).exit_code, 0);
  ASSERT_EQ(query("DELETE FROM items WHERE id % 2 = 0; CREATE TABLE later (id int)"), "");
  std::string schema = dump_schema(url_), data = dump_data(url_);
  for (int signal : {SIGTERM, SIGKILL}) {
    auto holder = hold("LOCK TABLE later IN ACCESS SHARE MODE");
    int pid = spawn_cli(dir_.path(), {"restore", "latest", "--yes", "--no-backup", "--url", url_},
                        dir_.path() / "restore.log");
    wait_until(others_waiting_on_a_lock());  // the restore, emptying the database
    // The restore is migrate's own connection: no client program to outlive it.
    EXPECT_EQ(shell("cat /proc/" + std::to_string(pid) + "/task/*/children"), "");
    ASSERT_EQ(::kill(pid, signal), 0);
    EXPECT_NE(wait_cli(pid), 0) << read_text(dir_.path() / "restore.log");
    holder.reset();  // the restore's backend may go on now: to a rollback
    wait_until(
        "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()");
    EXPECT_EQ(dump_schema(url_), schema) << "signal " << signal;
    EXPECT_EQ(dump_data(url_), data) << "signal " << signal;
  }
}

// A table another session holds exclusively holds up a backup (here the one
// a restore takes first): it gives up after --lock-timeout, saying so, and
// nothing changed.
TEST_F(PostgresRestoreCliTest, ABackupBlockedByAnExclusiveLockGivesUpAfterTheLockTimeout) {
  migration("20260101000000", "schema", "CREATE TABLE items (id int PRIMARY KEY);\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "before"}).exit_code, 0);
  auto holder = hold("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
  auto started = std::chrono::steady_clock::now();
  auto restore = run({"restore", "latest", "--yes", "--lock-timeout", "1"});
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(restore.exit_code, 1) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.err, "lock");
  EXPECT_CONTAINS(restore.err, "the database was not changed");
  EXPECT_LT(waited, std::chrono::seconds(30)) << "the backup waited for the lock";
  holder.reset();
  EXPECT_EQ(run({"backup", "after"}).exit_code, 0);
}

// A restore held up by an application's lock gives up after --lock-timeout
// and says why, instead of waiting silently; nothing changed.
TEST_F(PostgresRestoreCliTest, ARestoreBlockedByAnotherSessionsLockGivesUpAndSaysWhy) {
  migration("20260101000000", "schema",
            "CREATE TABLE items (id int PRIMARY KEY, name text);\n"
            "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "before"}).exit_code, 0);
  ASSERT_EQ(query("DELETE FROM items WHERE id > 50"), "");
  std::string schema = dump_schema(url_), data = dump_data(url_);
  auto holder = hold("LOCK TABLE items IN ACCESS SHARE MODE");
  auto restore = run({"restore", "latest", "--yes", "--no-backup", "--lock-timeout", "1"});
  EXPECT_EQ(restore.exit_code, 1) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.err, "gave up waiting for a lock that another session holds");
  EXPECT_CONTAINS(restore.err, "the database was not changed");
  EXPECT_CONTAINS(restore.err, "--lock-timeout");
  holder.reset();
  EXPECT_EQ(dump_schema(url_), schema);
  EXPECT_EQ(dump_data(url_), data);
}

// A pg_dump child does not outlive a killed migrate.
TEST_F(PostgresRestoreCliTest, AKilledBackupLeavesNoPgDumpRunning) {
  migration("20260101000000", "schema", "CREATE TABLE items (id int PRIMARY KEY);\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  auto holder = hold("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
  int pid =
      spawn_cli(dir_.path(), {"backup", "blocked", "--url", url_}, dir_.path() / "backup.log");
  wait_until(others_waiting_on_a_lock());  // pg_dump, locking the tables
  std::string children = shell("cat /proc/" + std::to_string(pid) + "/task/*/children 2>/dev/null");
  ASSERT_FALSE(children.empty());
  int pg_dump = std::stoi(children);
  ASSERT_NE(read_text("/proc/" + std::to_string(pg_dump) + "/comm").find("pg_dump"),
            std::string::npos);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  wait_cli(pid);
  // Gone, or a zombie waiting for its new parent to reap it.
  auto alive = [&] {
    std::ifstream stat("/proc/" + std::to_string(pg_dump) + "/stat");
    std::string pid_field, comm, state;
    return stat >> pid_field >> comm >> state && state != "Z";
  };
  while (alive()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  SUCCEED();
}

// A verify --deep killed before dropping its scratch database leaves it
// behind: doctor names it, and the next verify --deep on this host drops
// it. Another host's cannot be told dead: reported, never dropped.
TEST_F(PostgresRestoreCliTest, ScratchDatabasesOfAKilledVerifyAreReportedAndDropped) {
  migration("20260101000000", "schema", "CREATE TABLE items (id int PRIMARY KEY);\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "checked"}).exit_code, 0);
  std::string host = scratch_host_tag();
  pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ASSERT_GT(gone, 0);
  wait_cli(gone);  // reaped: no process has this pid now
  std::string ours = "migrate_scratch_" + host + "_" + std::to_string(gone) + kPlantedScratch;
  std::string theirs = "migrate_scratch_00000000_1" + std::string(kPlantedScratch);
  for (const auto& name : {ours, theirs}) ASSERT_EQ(psql(server_, "CREATE DATABASE " + name), "");
  struct Drop {
    std::string server, name;
    ~Drop() { psql(server, "DROP DATABASE IF EXISTS " + name); }
  } drop_ours{server_, ours}, drop_theirs{server_, theirs};

  auto exists = [&](const std::string& name) {
    return psql(server_, "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'");
  };
  auto doctor = run({"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
  EXPECT_CONTAINS(doctor.out, "left by an interrupted verify --deep");
  EXPECT_CONTAINS(doctor.out, theirs);
  // Another test's verify --deep, running meanwhile, may have dropped ours
  // already; while it exists, doctor names it.
  if (exists(ours) == "1") EXPECT_CONTAINS(doctor.out, ours);

  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(exists(ours), "0");
  EXPECT_EQ(exists(theirs), "1");
  EXPECT_EQ(run({"doctor"}).out.find(ours), std::string::npos);
}

// A file made by pg_dump empties search_path for the session; the next file
// of the run, unqualified, still finds its schema. Alone, in one run, or in
// one --atomic transaction.
class PostgresSettingsCliTest : public PostgresRestoreCliTest,
                                public ::testing::WithParamInterface<const char*> {};

TEST_P(PostgresSettingsCliTest, EachMigrationStartsFromTheConnectionsOwnSettings) {
  migration("20260101000000", "dumped",
            "SELECT pg_catalog.set_config('search_path', '', false);\n"
            "SET lock_timeout = '17s';\n"
            "CREATE TABLE public.first (id int);\n");
  migration("20260102000000", "plain",
            "CREATE TABLE second (id int);\n"
            "DO $$ BEGIN IF current_setting('lock_timeout') = '17s' THEN "
            "RAISE EXCEPTION 'lock_timeout leaked from the previous file'; END IF; END $$;\n");
  std::vector<std::string> args = {"up", "--no-backup"};
  if (*GetParam()) args.push_back(GetParam());
  auto up = run(args);
  EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_EQ(query("SELECT to_regclass('public.second') IS NOT NULL"), "t");
}

INSTANTIATE_TEST_SUITE_P(Modes, PostgresSettingsCliTest, ::testing::Values("", "--atomic"));

}  // namespace
}  // namespace migrate::testing
