// The MySQL/MariaDB driver through the real binary, against a real MariaDB
// server (scripts/test-servers.sh). Each test works in a database of its own,
// created through the server's URL and dropped afterwards, so tests run in
// parallel; state is checked independently with the `mariadb` client.
// What both server drivers owe alike (dbmate tables, wrong passwords, runners
// and the lock) is tested once for both in conformance/server_driver_test.cc.
#include <memory>
#include <set>

#include "drivers/mysql/mysql_connection.h"
#include "drivers/mysql/mysql_lock.h"
#include "support/cli_fixture.h"
#include "support/mysql_server.h"
#include "support/test_servers.h"

namespace migrate::testing {
namespace {

// --- without a server: URLs, scrubbing, the lock name -----------------------

TEST(MysqlUrlTest, TakesASocketAndRefusesOtherParameters) {
  auto url = parse_database_url("mariadb://app:pw@localhost/app?socket=/run/mysqld/mysqld.sock");
  ASSERT_TRUE(url);
  auto params = mysql::connect_params(*url);
  ASSERT_TRUE(params) << params.error().message;
  EXPECT_EQ(params->socket, "/run/mysqld/mysqld.sock");
  EXPECT_EQ(params->host, "");
  EXPECT_EQ(params->tool_arguments(),
            (std::vector<std::string>{"--protocol=SOCKET", "--socket=/run/mysqld/mysqld.sock",
                                      "--user=app"}));

  auto tcp = parse_database_url("mysql://app:s3cret@db.example:3307/app");
  ASSERT_TRUE(tcp);
  params = mysql::connect_params(*tcp);
  ASSERT_TRUE(params);
  EXPECT_EQ(params->tool_arguments(),
            (std::vector<std::string>{"--protocol=TCP", "--host=db.example", "--port=3307",
                                      "--user=app"}));
  // The password reaches a dump tool only through a private option file
  // (MysqlSafetyTest.DumpToolsGetThePasswordFromAPrivateOptionFile).

  auto unknown = parse_database_url("mysql://app:s3cret@h/app?sslmode=disable");
  ASSERT_TRUE(unknown);
  auto refused = mysql::connect_params(*unknown);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUsage);
  EXPECT_NE(refused.error().message.find("sslmode"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("s3cret"), std::string::npos);
}

TEST(MysqlUrlTest, ScrubsThePassword) {
  EXPECT_EQ(mysql::scrub("bad 's3cret' for s3cret", "s3cret"), "bad '***' for ***");
  EXPECT_EQ(mysql::scrub("nothing to hide", ""), "nothing to hide");
}

TEST(MysqlLockNameTest, IsStablePerDatabaseAndTableAndFitsMysqlsLimit) {
  // Runners of different migrate versions must agree on the name: never change it.
  EXPECT_EQ(mysql::lock_name("app", "schema_migrations"), "migrate:app:schema_migrations");
  std::string long_name = mysql::lock_name(std::string(60, 'd'), "schema_migrations");
  EXPECT_LE(long_name.size(), 64u);
  EXPECT_NE(long_name, mysql::lock_name(std::string(61, 'd'), "schema_migrations"));
  // The database's own lock, which every runner takes first.
  EXPECT_EQ(mysql::lock_name("app"), "migrate:app");
  EXPECT_LE(mysql::lock_name(std::string(64, 'd')).size(), 64u);
}

// --- against the server ------------------------------------------------------

class MysqlDriverTest : public MysqlServerTest {
 protected:
  // The binary on this test's database, without backups (the commands that
  // take one are given --no-backup).
  CliResult run(std::vector<std::string> args) {
    static const std::set<std::string> kBackingUp = {"up", "rollback", "redo", "reset", "fresh"};
    if (kBackingUp.count(args.front())) args.push_back("--no-backup");
    return run_cli(dir_.path(), args, {{"DATABASE_URL", url_}});
  }
  // Applied versions, comma-separated in version order.
  std::string applied() {
    if (!exists("schema_migrations")) return "";
    return query(
        "SELECT COALESCE(GROUP_CONCAT(version ORDER BY version), '') FROM schema_migrations");
  }
  bool exists(const std::string& table) {
    return query(
               "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
               "AND TABLE_NAME = '" +
               table + "'") == "1";
  }
};

TEST_F(MysqlDriverTest, UpStatusRollbackAndRedoByBatch) {
  migration("20260101000000", "create_a", "CREATE TABLE a (id bigint PRIMARY KEY);",
            "DROP TABLE a;");
  migration("20260102000000", "create_b", "CREATE TABLE b (id bigint PRIMARY KEY);",
            "DROP TABLE b;");
  ASSERT_EQ(run({"up", "--step", "1"}).exit_code, 0);
  auto second = run({"up"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(applied(), "20260101000000,20260102000000");
  EXPECT_EQ(query("SELECT GROUP_CONCAT(CONCAT(batch, ':', name, ':', LENGTH(checksum), ':', "
                  "applied_at LIKE '____-__-__T__:__:__%Z') ORDER BY version) FROM "
                  "schema_migrations"),
            "1:create_a:64:1,2:create_b:64:1");
  auto status = run({"status", "--exit-code"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_CONTAINS(status.out, "2 applied, 0 pending");

  auto rollback = run({"rollback"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  EXPECT_EQ(applied(), "20260101000000");
  EXPECT_FALSE(exists("b"));
  ASSERT_EQ(run({"redo"}).exit_code, 0);
  EXPECT_EQ(applied(), "20260101000000");
  EXPECT_TRUE(exists("a"));
}

TEST_F(MysqlDriverTest, RunsDelimiterBlocksProceduresFunctionsAndTriggers) {
  migration("20260101000000", "routines", R"sql(
CREATE TABLE accounts (id int AUTO_INCREMENT PRIMARY KEY, balance int NOT NULL, note text);
CREATE TABLE audit (account_id int, change_text varchar(100));

DELIMITER $$
CREATE FUNCTION doubled(x int) RETURNS int DETERMINISTIC
BEGIN
  RETURN x * 2; -- a ';' inside the body does not end it
END$$

CREATE PROCEDURE open_account(IN amount int)
BEGIN
  INSERT INTO accounts (balance, note) VALUES (doubled(amount), 'opened; "quoted"');
  SELECT LAST_INSERT_ID();
END$$

CREATE TRIGGER accounts_audit AFTER INSERT ON accounts FOR EACH ROW
BEGIN
  INSERT INTO audit VALUES (NEW.id, CONCAT('balance=', NEW.balance));
END$$
DELIMITER ;

CALL open_account(21);
CALL open_account(5);
)sql");
  auto up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(
      query("SELECT GROUP_CONCAT(CONCAT(id, '=', balance, ' ', note) ORDER BY id) FROM accounts"),
      "1=42 opened; \"quoted\",2=10 opened; \"quoted\"");
  EXPECT_EQ(query("SELECT GROUP_CONCAT(change_text ORDER BY account_id) FROM audit"),
            "balance=42,balance=10");
  EXPECT_EQ(applied(), "20260101000000");
}

TEST_F(MysqlDriverTest, ErrorNamesTheFileLineAndSaysTheDatabaseMayBePartlyChanged) {
  migration("20260101000000", "good", "CREATE TABLE good (id int);");
  migration("20260102000000", "bad",
            "CREATE TABLE first_one (id int);\n"
            "ALTER TABLE good ADD COLUMN name varchar(10);\n"
            "SELECT *\n"
            "  FROM good\n"
            "  WHERE ;\n"
            "CREATE TABLE never_created (id int);\n");
  auto up = run_cli(dir_.path(), {"up"}, {{"DATABASE_URL", url_}});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_CONTAINS(up.err, "20260102000000_bad.sql: line 3: You have an error in your SQL syntax");
  EXPECT_CONTAINS(up.err, "file line 5, error 1064");
  EXPECT_CONTAINS(up.err, "statement: SELECT * ...");
  EXPECT_CONTAINS(up.err, "the database may be partly changed");
  EXPECT_CONTAINS(up.err, "1 migration(s) applied before it in this run stay applied");
  // The backup taken before the run is named, and exists.
  size_t at = up.err.find("migrate restore ");
  ASSERT_NE(at, std::string::npos) << up.err;
  std::string id = up.err.substr(at + 16, up.err.find('\n', at) - at - 16);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "backups" / (id + ".json"))) << id;
  // MySQL committed the DDL before the failure; the file is not recorded.
  EXPECT_TRUE(exists("first_one"));
  EXPECT_FALSE(exists("never_created"));
  EXPECT_EQ(applied(), "20260101000000");
}

TEST_F(MysqlDriverTest, AFileOfPlainDmlIsRolledBackWhole) {
  migration("20260101000000", "t", "CREATE TABLE t (id int PRIMARY KEY);");
  migration("20260102000000", "rows",
            "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\nINSERT INTO t VALUES (1);\n");
  auto up = run({"up"});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_CONTAINS(up.err, "line 3: Duplicate entry '1'");
  EXPECT_EQ(query("SELECT count(*) FROM t"), "0");
  EXPECT_EQ(applied(), "20260101000000");
  EXPECT_CONTAINS(up.err, "no backup was taken before this run (--no-backup)");
}

TEST_F(MysqlDriverTest, AtomicUpIsRefusedBeforeAnythingRuns) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  auto up = run({"up", "--atomic"});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_CONTAINS(up.err, "--atomic needs transactional DDL");
  EXPECT_FALSE(exists("a"));
  EXPECT_EQ(applied(), "");
}

TEST_F(MysqlDriverTest, FreshDropsEveryKindOfObjectForeignKeysNotwithstanding) {
  // Objects made outside migrate, tied together by foreign keys both ways.
  ASSERT_EQ(query("CREATE TABLE parent (id int PRIMARY KEY, child_id int); "
                  "CREATE TABLE child (id int PRIMARY KEY, parent_id int, "
                  "  FOREIGN KEY (parent_id) REFERENCES parent (id)); "
                  "ALTER TABLE parent ADD FOREIGN KEY (child_id) REFERENCES child (id); "
                  "CREATE VIEW v AS SELECT id FROM parent; "
                  "CREATE PROCEDURE p() SELECT 1; "
                  "CREATE FUNCTION f() RETURNS int DETERMINISTIC RETURN 1; "
                  "CREATE TRIGGER tr BEFORE INSERT ON child FOR EACH ROW SET NEW.id = NEW.id; "
                  "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO SELECT 1; "
                  "CREATE SEQUENCE s"),
            "");
  migration("20260101000000", "fresh_table", "CREATE TABLE fresh_table (id int);");
  auto fresh = run({"fresh", "--yes"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(
      query("SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE()"),
      "fresh_table,schema_migrations");
  EXPECT_EQ(
      query("SELECT count(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()"),
      "0");
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()"),
            "0");
  EXPECT_EQ(
      query("SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"),
      "0");
  EXPECT_EQ(query("SELECT @@foreign_key_checks"), "1");
  EXPECT_EQ(applied(), "20260101000000");
}

TEST_F(MysqlDriverTest, ConnectsThroughAUnixSocketWithEitherScheme) {
  auto socket = mysql_socket_test_url();
  REQUIRE_SERVER(socket);
  url_ = "mariadb" + with_database(*socket, database_->name()).substr(5);
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  auto up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_CONTAINS(run({"status"}).out, "1 applied, 0 pending");
  EXPECT_TRUE(exists("a"));
  // The server saw a socket client (no TCP peer address).
  EXPECT_EQ(query("SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()"),
            "localhost");
}

}  // namespace
}  // namespace migrate::testing
