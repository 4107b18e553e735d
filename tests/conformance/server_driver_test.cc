// What the two server drivers (PostgreSQL, MariaDB) owe alike, written once
// and run against both through the built binary: adopting a dbmate table,
// refusing a tracking table without a version column, a wrong password that
// is clear and never printed, eight runners that apply each migration once,
// and a second runner that times out naming the lock. What differs between
// the servers (their SQL, their lock's name) is in ServerCase; the state is
// checked with each server's own client.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "conformance/dialect.h"
#include "drivers/postgres_test_support.h"
#include "support/cli_fixture.h"
#include "support/test_servers.h"

namespace migrate::testing {

struct ServerCase {
  const Dialect* dialect;
  // A pause inside a migration, briefly and for four seconds.
  std::string brief_sleep, long_sleep;
  // Queries: the applied versions comma-joined in order ('' when none); the
  // tracking table's column names comma-joined in order; whether the table
  // {} exists ("1" or "t" as true_value says).
  std::string applied, tracking_columns, table_exists, true_value;
  // The server's message for a wrong password.
  std::string access_denied;
  // The refusal of a tracking table without a version column.
  std::string no_version_column;
  // Whether the runner lock of `database` is held, waiting up to 5 s for it.
  bool (*wait_for_lock)(const ScratchTarget& db, const std::string& database);
  // Whether no runner lock is held any more.
  bool (*lock_free)(const ScratchTarget& db, const std::string& database);
  // What the error of a runner that timed out on `database`'s lock contains.
  std::vector<std::string> (*lock_timeout_message)(const std::string& database);
};

// How gtest and ctest name a case's parameter: "postgres", not an address.
void PrintTo(const ServerCase* server, std::ostream* out) {
  *out << server->dialect->name;
}

namespace {

std::string mariadb_lock(const std::string& database) {
  return "migrate:" + database + ":schema_migrations";
}

const ServerCase& postgres_case() {
  static const ServerCase c{
      .dialect = &postgres_dialect(),
      .brief_sleep = "SELECT pg_sleep(0.01);",
      .long_sleep = "SELECT pg_sleep(4);",
      .applied =
          "SELECT coalesce(string_agg(version, ',' ORDER BY version), '') FROM "
          "schema_migrations",
      .tracking_columns =
          "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
          "information_schema.columns WHERE table_name = 'schema_migrations'",
      .table_exists = "SELECT to_regclass('{}') IS NOT NULL",
      .true_value = "t",
      .access_denied = "password authentication failed for user",
      .no_version_column = "table 'schema_migrations' exists but has no 'version' column",
      .wait_for_lock = [](const ScratchTarget& db,
                          const std::string&) { return wait_for_advisory_lock(db.url()); },
      .lock_free = [](const ScratchTarget& db,
                      const std::string&) { return advisory_locks(db.url()) == "0"; },
      .lock_timeout_message =
          [](const std::string& database) {
            return std::vector<std::string>{"timed out after 1 s waiting for the advisory lock",
                                            "on database '" + database + "' (held by pid "};
          },
  };
  return c;
}

const ServerCase& mariadb_case() {
  static const ServerCase c{
      .dialect = &mariadb_dialect(),
      .brief_sleep = "DO SLEEP(0.01);",
      .long_sleep = "DO SLEEP(4);",
      .applied =
          "SELECT COALESCE(GROUP_CONCAT(version ORDER BY version), '') FROM "
          "schema_migrations",
      .tracking_columns =
          "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM "
          "information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
          "TABLE_NAME = 'schema_migrations'",
      .table_exists =
          "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
          "DATABASE() AND TABLE_NAME = '{}'",
      .true_value = "1",
      .access_denied = "Access denied for user 'migrate'",
      // The table's name as the driver quotes it.
      .no_version_column = "table '`schema_migrations`' exists but has no 'version' column",
      .wait_for_lock =
          [](const ScratchTarget& db, const std::string& database) {
            std::string held = "SELECT IS_USED_LOCK('" + mariadb_lock(database) + "') IS NOT NULL";
            for (int i = 0; i < 100 && db.query(held) != "1"; ++i)
              std::this_thread::sleep_for(std::chrono::milliseconds(50));
            return db.query(held) == "1";
          },
      .lock_free =
          [](const ScratchTarget& db, const std::string& database) {
            return db.query("SELECT IS_USED_LOCK('" + mariadb_lock(database) + "') IS NOT NULL") ==
                   "0";
          },
      .lock_timeout_message =
          [](const std::string& database) {
            return std::vector<std::string>{
                "timed out after 1 s waiting for the locks 'migrate:" + database + "' and '" +
                    mariadb_lock(database) + "' (GET_LOCK)",
                ", held by connection "};
          },
  };
  return c;
}

class ServerDriverTest : public ::testing::TestWithParam<const ServerCase*> {
 protected:
  void SetUp() override {
    auto server = server_case().dialect->server();
    REQUIRE_SERVER(server);
    db_ = server_case().dialect->create(*server, dir_);
    ASSERT_EQ(db_->creation_output(), "");
    url_ = db_->url();
    std::string path = url_.substr(0, url_.find('?'));
    database_ = path.substr(path.rfind('/') + 1);
    std::filesystem::create_directories(dir_.path() / "migrations");
  }
  const ServerCase& server_case() const { return *GetParam(); }

  void migration(const std::string& version, const std::string& name, const std::string& up) {
    dir_.write("migrations/" + version + "_" + name + ".sql", up);
  }
  // The binary on this test's database, without backups.
  CliResult run(std::vector<std::string> args) {
    if (args.front() == "up") args.push_back("--no-backup");
    return run_cli(dir_.path(), args, {{"DATABASE_URL", url_}});
  }
  std::string query(const std::string& sql) const { return db_->query(sql); }
  bool exists(const std::string& table) const {
    std::string sql = server_case().table_exists;
    return query(sql.replace(sql.find("{}"), 2, table)) == server_case().true_value;
  }
  std::string applied() const {
    return exists("schema_migrations") ? query(server_case().applied) : "";
  }

  TempDir dir_;
  std::unique_ptr<ScratchTarget> db_;
  std::string url_, database_;
};

TEST_P(ServerDriverTest, AdoptsADbmateTable) {
  // dbmate applied the first one.
  ASSERT_EQ(query("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)"), "");
  ASSERT_EQ(query("INSERT INTO schema_migrations VALUES ('20260101000000')"), "");
  migration("20260101000000", "old", "CREATE TABLE old_one (id int);");
  migration("20260102000000", "new", "CREATE TABLE new_one (id int);");
  auto up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_FALSE(exists("old_one"));
  EXPECT_TRUE(exists("new_one"));
  EXPECT_EQ(applied(), "20260101000000,20260102000000");
  EXPECT_EQ(query(server_case().tracking_columns),
            "version,name,checksum,batch,applied_at,duration_ms,backup_id");
  EXPECT_CONTAINS(run({"status"}).out, "2 applied, 0 pending");
}

TEST_P(ServerDriverTest, RefusesATableWithoutVersionColumn) {
  ASSERT_EQ(query("CREATE TABLE schema_migrations (id int)"), "");
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  auto up = run({"up"});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_CONTAINS(up.err, server_case().no_version_column);
  EXPECT_FALSE(exists("a"));
}

TEST_P(ServerDriverTest, WrongPasswordIsClearAndNeverPrinted) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  size_t at = url_.rfind('@'), colon = url_.rfind(':', at);
  std::string wrong = url_.substr(0, colon + 1) + "Wr0ng-s3cret-pw" + url_.substr(at);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"}, std::vector<std::string>{"up", "--json"},
        std::vector<std::string>{"doctor"}, std::vector<std::string>{"backup"}}) {
    args.insert(args.end(), {"--url", wrong});
    auto r = run_cli(dir_.path(), args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_CONTAINS(r.out + r.err, server_case().access_denied);
    if (args[0] != "doctor") EXPECT_CONTAINS(r.out + r.err, "check the user name and password");
    EXPECT_EQ((r.out + r.err).find("Wr0ng-s3cret-pw"), std::string::npos) << r.out << r.err;
    EXPECT_CONTAINS(r.out + r.err, ":***@");
  }
  EXPECT_FALSE(exists("a"));
}

TEST_P(ServerDriverTest, EightRunnersApplyEachMigrationExactlyOnce) {
  ASSERT_EQ(query("CREATE TABLE log (version varchar(20))"), "");
  for (int i = 1; i <= 30; ++i) {
    std::string version = "202601020000" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    // DDL too: MariaDB commits it implicitly, mid-migration.
    migration(version, "step",
              "INSERT INTO log VALUES ('" + version + "');\n" + server_case().brief_sleep +
                  "\nCREATE TABLE t" + version + " (id int);");
  }
  for (const auto& runner : run_cli_together(
           dir_.path(), {"up", "--no-backup", "--lock-timeout", "120", "--url", url_}, 8))
    EXPECT_EQ(runner.exit_code, 0) << runner.out;
  EXPECT_EQ(query("SELECT concat(count(*), ',', count(DISTINCT version)) FROM log"), "30,30");
  EXPECT_EQ(query("SELECT concat(count(*), ',', max(batch)) FROM schema_migrations"), "30,1");
}

TEST_P(ServerDriverTest, SecondRunnerTimesOutNamingTheLockAndItsHolder) {
  migration("20260101000000", "slow", server_case().long_sleep);
  int holder =
      spawn_cli(dir_.path(), {"up", "--no-backup", "--url", url_}, dir_.path() / "holder.log");
  ASSERT_TRUE(server_case().wait_for_lock(*db_, database_));

  auto started = std::chrono::steady_clock::now();
  auto r = run({"up", "--lock-timeout", "1"});
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.exit_code, 1);
  for (const auto& part : server_case().lock_timeout_message(database_))
    EXPECT_CONTAINS(r.err, part);
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_EQ(wait_cli(holder), 0) << read_text(dir_.path() / "holder.log");
  EXPECT_EQ(applied(), "20260101000000");
  EXPECT_TRUE(server_case().lock_free(*db_, database_));  // the lock went with the holder
}

// The lock is the database's: a runner naming another tracking table (a
// restore, `fresh`, an `up` of another application) waits for it too, since
// a restore or `fresh` changes the whole database.
TEST_P(ServerDriverTest, ARunnerOnAnotherTrackingTableWaitsForTheLock) {
  migration("20260101000000", "slow", server_case().long_sleep);
  int holder =
      spawn_cli(dir_.path(), {"up", "--no-backup", "--url", url_}, dir_.path() / "holder.log");
  ASSERT_TRUE(server_case().wait_for_lock(*db_, database_));
  auto r = run({"up", "--no-backup", "--table", "other_migrations", "--lock-timeout", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_CONTAINS(r.err, "timed out after 1 s waiting for the");
  EXPECT_FALSE(exists("other_migrations"));
  EXPECT_EQ(wait_cli(holder), 0) << read_text(dir_.path() / "holder.log");
}

INSTANTIATE_TEST_SUITE_P(Servers, ServerDriverTest,
                         ::testing::Values(&postgres_case(), &mariadb_case()),
                         [](const auto& info) { return info.param->dialect->name; });

}  // namespace
}  // namespace migrate::testing
