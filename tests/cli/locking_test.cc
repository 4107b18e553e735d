// Two or more runners on one SQLite database.
#include <sqlite3.h>

#include <thread>

#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

class LockingTest : public CliTest {};

TEST_F(LockingTest, ConcurrentRunnersApplyEachMigrationOnce) {
  // Each migration appends to a log table: applying one twice would show.
  migration("20260101000000", "log", "CREATE TABLE log (version TEXT);");
  for (int i = 1; i <= 20; ++i) {
    std::string version = "202601020000" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    migration(version, "step", "INSERT INTO log VALUES ('" + version + "');");
  }
  for (const auto& runner : run_cli_together(dir_.path(), {"up"}, 4))
    EXPECT_EQ(runner.exit_code, 0) << runner.out;
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM log"), "20");
  EXPECT_EQ(query_one(db(), "SELECT count(DISTINCT version) FROM log"), "20");
  EXPECT_EQ(applied().size(), 21u);
}

TEST_F(LockingTest, SecondRunnerTimesOutNamingTheLock) {
  migration("20260101000000", "a", "CREATE TABLE a (x);");
  // Another process's connection holds SQLite's exclusive lock.
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto started = std::chrono::steady_clock::now();
  auto r = run({"up", "--lock-timeout", "1"});
  auto waited = std::chrono::steady_clock::now() - started;
  sqlite3_close(holder);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "waiting for the exclusive lock on SQLite database './app.db'");
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_TRUE(applied().empty());
  // Once the holder is gone the same command succeeds.
  EXPECT_EQ(run({"up", "--lock-timeout", "1"}).exit_code, 0);
  EXPECT_EQ(applied().size(), 1u);
}

TEST_F(LockingTest, WaiterProceedsWhenTheHolderFinishes) {
  migration("20260101000000", "a", "CREATE TABLE a (x);");
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  int pid = spawn_cli(dir_.path(), {"up", "--lock-timeout", "30"}, dir_.path() / "waiter.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  sqlite3_close(holder);
  EXPECT_EQ(wait_cli(pid), 0) << read_text(dir_.path() / "waiter.log");
  EXPECT_EQ(applied().size(), 1u);
}

// WAL databases (PRAGMA journal_mode=WAL set by the user): every open
// connection keeps a shared lock there, so waiters must let go of theirs.
TEST_F(LockingTest, ConcurrentRunnersOnAWalDatabaseApplyEachMigrationOnce) {
  exec(db(), "PRAGMA journal_mode = WAL;");
  migration("20260101000000", "log", "CREATE TABLE log (version TEXT);");
  for (int i = 1; i <= 20; ++i) {
    std::string version = "202601020000" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    migration(version, "step", "INSERT INTO log VALUES ('" + version + "');");
  }
  for (const auto& runner : run_cli_together(dir_.path(), {"up", "--no-backup"}, 6))
    EXPECT_EQ(runner.exit_code, 0) << runner.out;
  for (const auto& runner : run_cli_together(dir_.path(), {"up"}, 3))
    EXPECT_EQ(runner.exit_code, 0) << runner.out;
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM log"), "20");
  EXPECT_EQ(query_one(db(), "SELECT count(DISTINCT version) FROM log"), "20");
  EXPECT_EQ(applied().size(), 21u);
  EXPECT_EQ(query_one(db(), "PRAGMA journal_mode"), "wal");
}

// The holder is this test's connection in a write transaction on a WAL
// database: it keeps the lock however long the waiter polls.
TEST_F(LockingTest, RunnerOnAWalDatabaseTimesOutNamingTheLockWithoutBlockingTheHolder) {
  exec(db(), "PRAGMA journal_mode = WAL; CREATE TABLE held (x);");
  migration("20260101000000", "a", "CREATE TABLE a (x);");
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN EXCLUSIVE; INSERT INTO held VALUES (1);", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  auto r = run({"up", "--lock-timeout", "1"});
  // The holder was never blocked: it writes and commits after the wait.
  EXPECT_EQ(sqlite3_exec(holder, "INSERT INTO held VALUES (2); COMMIT;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(holder);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_CONTAINS(r.err, "waiting for the exclusive lock on SQLite database './app.db'");
  EXPECT_EQ(r.err.find("migrations/"), std::string::npos) << r.err;
  EXPECT_TRUE(applied().empty());
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM held"), "2");
  EXPECT_EQ(run({"up", "--lock-timeout", "1"}).exit_code, 0);
  EXPECT_EQ(applied().size(), 1u);
}

// A migrate-style holder (exclusive locking mode) on a WAL database.
TEST_F(LockingTest, RunnerOnAWalDatabaseWaitsForAnExclusiveModeHolder) {
  exec(db(), "PRAGMA journal_mode = WAL;");
  migration("20260101000000", "a", "CREATE TABLE a (x);");
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto r = run({"up", "--lock-timeout", "1"});
  sqlite3_close(holder);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_CONTAINS(r.err, "waiting for the exclusive lock on SQLite database './app.db'");
  EXPECT_TRUE(applied().empty());
}

// An idle connection to a WAL database keeps a shared lock on the file for
// as long as it is open: the runner cannot lock the database exclusively,
// and must say so (naming the lock) instead of failing a migration with
// "database is locked".
TEST_F(LockingTest, AnOpenConnectionToAWalDatabaseIsReportedAsTheLockHolder) {
  exec(db(), "PRAGMA journal_mode = WAL; CREATE TABLE app (x);");
  migration("20260101000000", "a", "CREATE TABLE a (x);");
  sqlite3* application = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &application), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(application, "SELECT count(*) FROM app", nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto r = run({"up", "--lock-timeout", "1", "--no-backup"});
  EXPECT_EQ(sqlite3_exec(application, "INSERT INTO app VALUES (1)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(application);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_CONTAINS(r.err, "waiting for the exclusive lock on SQLite database './app.db'");
  EXPECT_CONTAINS(r.err, "another connection has the database open in WAL mode");
  EXPECT_EQ(r.err.find("20260101000000_a"), std::string::npos) << r.err;
  EXPECT_TRUE(applied().empty());
  EXPECT_EQ(run({"up", "--lock-timeout", "1", "--no-backup"}).exit_code, 0);
  EXPECT_EQ(applied().size(), 1u);
}

}  // namespace
}  // namespace migrate::testing
