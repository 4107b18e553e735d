// MySQL/MariaDB backups: the dump format reader without a server, then
// snapshots, restores, `safe` and `verify --deep` through the real binary on a
// real MariaDB server, every result compared with the server's own
// mariadb-dump of the database before and after.
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include "drivers/mysql/mysql_dump_format.h"
#include "drivers/mysql/mysql_tools.h"
#include "drivers/mysql_scratch_support.h"
#include "support/cli_fixture.h"
#include "support/mysql_server.h"
#include "support/test_servers.h"

namespace migrate::testing {
namespace {

using mysql::DumpReader;
using mysql::DumpStatement;

// --- without a server: the dump format ---------------------------------------

struct Read {
  std::vector<std::string> schema, inserts, rows;
  bool dump = false, complete = false;
};

// Feeds `text` to a reader in chunks of `chunk` bytes.
Read read_dump(const std::string& text, size_t chunk) {
  Read read;
  DumpReader reader(
      [&](const DumpStatement& s) -> Result<void> {
        (s.kind == DumpStatement::Kind::kRows ? read.inserts : read.schema).emplace_back(s.text);
        return {};
      },
      [&](std::string_view table, std::string_view tuple) {
        read.rows.push_back(std::string(table) + ":" + std::string(tuple));
      });
  for (size_t at = 0; at < text.size(); at += chunk)
    EXPECT_TRUE(reader.feed(text.substr(at, chunk)));
  EXPECT_TRUE(reader.finish());
  read.dump = reader.looks_like_dump();
  read.complete = reader.complete();
  return read;
}

constexpr const char* kDump = R"(/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 127.0.0.1    Database: app
/*!40101 SET NAMES utf8mb4 */;
CREATE TABLE `t;x` (
  `id` int(11) NOT NULL COMMENT 'it''s; here',
  `v` text DEFAULT "a\";b"
) ENGINE=InnoDB;
INSERT INTO `t;x` VALUES
(1,'a;b\'),(c'),
(2,NULL);
DELIMITER ;;
/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON `t;x` FOR EACH ROW
BEGIN
  SET NEW.v = 'x;'; -- it's a comment;
  /* a ';' in a comment */
END */;;
DELIMITER ;
-- Dump completed
)";

TEST(MysqlDumpFormatTest, SplitsStatementsAsTheClientDoes) {
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}}) {
    Read read = read_dump(kDump, chunk);
    EXPECT_TRUE(read.dump);
    EXPECT_TRUE(read.complete);
    ASSERT_EQ(read.schema.size(), 3u) << chunk;
    EXPECT_EQ(read.schema[0], "/*!40101 SET NAMES utf8mb4 */");
    EXPECT_TRUE(read.schema[1].starts_with("CREATE TABLE `t;x` ("));
    EXPECT_TRUE(read.schema[1].ends_with(") ENGINE=InnoDB"));
    EXPECT_TRUE(read.schema[2].starts_with("/*!50003 CREATE*/"));
    EXPECT_TRUE(read.schema[2].ends_with("END */"));
    EXPECT_EQ(read.inserts,
              (std::vector<std::string>{"INSERT INTO `t;x` VALUES\n(1,'a;b\\'),(c'),\n(2,NULL)"}));
    EXPECT_EQ(read.rows, (std::vector<std::string>{"t;x:1,'a;b\\'),(c'", "t;x:2,NULL"}));
  }
}

// A routine's body and a string literal keep every line, blank ones too.
TEST(MysqlDumpFormatTest, KeepsBlankLinesInsideStatements) {
  std::string body = "CREATE FUNCTION f() RETURNS text\nBEGIN\n\n  RETURN 'a\n\n\nb';\n\nEND";
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{4096}}) {
    Read read = read_dump("-- MariaDB dump 10.19\n\nDELIMITER ;;\n" + body +
                              "\n;;\nDELIMITER ;\n\n-- Dump completed\n",
                          chunk);
    ASSERT_EQ(read.schema.size(), 1u) << chunk;
    EXPECT_EQ(read.schema[0], body) << chunk;
  }
}

// What a dump adds to a fingerprint besides rows: the database it is of,
// each table's AUTO_INCREMENT and each sequence's position.
TEST(MysqlDumpFormatTest, ReadsTheCountersAndDatabaseOfADump) {
  mysql::DumpFingerprint fp;
  DumpReader counting([&](const DumpStatement& s) -> Result<void> {
    fp.add(s);
    return {};
  });
  std::string dump = std::string(kDump).replace(
      std::string(kDump).find(") ENGINE=InnoDB;"), 16,
      ") ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4;\nCREATE TABLE `plain` (\n  "
      "`note` text DEFAULT ' AUTO_INCREMENT=7'\n) ENGINE=InnoDB;\nDO SETVAL(`s``q`, 5100, 0);");
  ASSERT_TRUE(counting.feed(dump));
  ASSERT_TRUE(counting.finish());
  EXPECT_EQ(counting.database(), "app");
  EXPECT_EQ(fp.counter("t;x"), "42");
  EXPECT_EQ(fp.counter("plain"), std::nullopt);
  EXPECT_EQ(fp.counter("s`q"), "5100");
  EXPECT_EQ(fp.counter("absent"), std::nullopt);
}

TEST(MysqlDumpFormatTest, ReadsSingleLineInsertsAsMysqldumpWritesThem) {
  Read read = read_dump(
      "-- MySQL dump 10.13\nINSERT INTO `a` VALUES (1,'x)'),(2,'y');\n-- Dump completed\n", 5);
  EXPECT_EQ(read.rows, (std::vector<std::string>{"a:1,'x)'", "a:2,'y'"}));
}

TEST(MysqlDumpFormatTest, TellsACutOrForeignStreamFromAWholeDump) {
  std::string dump = kDump;
  Read cut = read_dump(dump.substr(0, dump.find("DELIMITER ;\n")), 64);
  EXPECT_TRUE(cut.dump);
  EXPECT_FALSE(cut.complete);
  Read more = read_dump(dump + "DROP TABLE x;\n", 64);
  EXPECT_FALSE(more.complete);  // the marker was not the end
  Read foreign = read_dump("-- PostgreSQL database dump\n-- Dump completed\n", 64);
  EXPECT_FALSE(foreign.dump);
}

TEST(MysqlDumpFormatTest, FingerprintIgnoresRowOrderButNotContent) {
  auto fingerprint = [](const std::string& rows) {
    mysql::DumpFingerprint fp;
    DumpReader reader(
        [&](const DumpStatement& s) -> Result<void> {
          fp.add(s);
          return {};
        },
        [&](std::string_view t, std::string_view tuple) { fp.add_row(t, tuple); });
    EXPECT_TRUE(
        reader.feed("-- MariaDB dump\nCREATE TABLE `e` (x int);\nCREATE TABLE `t` (x int);\n"
                    "INSERT INTO `t` VALUES\n" +
                    rows + "-- Dump completed\n"));
    return fp.finish("", {"e"});  // the catalog's tables: `e` has no rows
  };
  auto a = fingerprint("(1),\n(2);\n"), b = fingerprint("(2),\n(1);\n"),
       c = fingerprint("(1),\n(3);\n");
  EXPECT_EQ(a.combined_sha256(), b.combined_sha256());
  EXPECT_NE(a.combined_sha256(), c.combined_sha256());
  ASSERT_EQ(a.tables.size(), 2u);
  EXPECT_EQ(a.tables[0].name, "e");
  EXPECT_EQ(a.tables[0].rows, 0);
  EXPECT_EQ(a.tables[1].rows, 2);
}

TEST(MysqlToolsTest, ParsesToolVersions) {
  EXPECT_EQ(mysql::parse_tool_version(
                "mariadb-dump  Ver 10.19 Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)"),
            101106u);
  EXPECT_EQ(mysql::parse_tool_version("mariadb-dump from 11.4.2-MariaDB, client 10.19 for Linux"),
            110402u);
  EXPECT_EQ(mysql::parse_tool_version("something else"), 0u);
}

// --- against the server ------------------------------------------------------

// A realistic shop: foreign keys, a trigger and a procedure defined with
// DELIMITER, a view, an event, binary and text values that need escaping,
// and a little over 100,000 rows.
constexpr const char* kShop = R"sql(
CREATE TABLE customers (
  id int AUTO_INCREMENT PRIMARY KEY,
  email varchar(120) NOT NULL UNIQUE,
  name varchar(100),
  balance decimal(12,2) NOT NULL DEFAULT 0,
  avatar blob,
  joined datetime(6) NOT NULL DEFAULT '2026-01-01 00:00:00'
) ENGINE=InnoDB;
CREATE TABLE orders (
  id bigint AUTO_INCREMENT PRIMARY KEY,
  customer_id int NOT NULL,
  total decimal(12,2) NOT NULL,
  status enum('new','paid','shipped') NOT NULL DEFAULT 'new',
  note text,
  KEY by_customer (customer_id, status),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB;
CREATE TABLE order_counts (
  customer_id int PRIMARY KEY,
  orders int NOT NULL,
  FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;

DELIMITER //
CREATE TRIGGER orders_counted AFTER INSERT ON orders FOR EACH ROW
BEGIN
  INSERT INTO order_counts VALUES (NEW.customer_id, 1)
    ON DUPLICATE KEY UPDATE orders = orders + 1;
END //
CREATE PROCEDURE place_order(IN customer int, IN amount decimal(12,2))
BEGIN
  -- a comment; with a semicolon
  INSERT INTO orders (customer_id, total, note) VALUES (customer, amount, 'by procedure; "quoted"');
END //
DELIMITER ;

INSERT INTO customers (email, name, balance, avatar)
  SELECT CONCAT('user', seq, '@example.com'),
         CONCAT('User ', seq, IF(seq % 7 = 0, ' O''Brien\n\ttab\\', '')),
         seq / 100, IF(seq % 10 = 0, UNHEX(SHA2(seq, 256)), NULL)
  FROM seq_1_to_20000;
INSERT INTO orders (customer_id, total, status, note)
  SELECT 1 + seq % 20000, seq % 1000 + 0.99, ELT(1 + seq % 3, 'new', 'paid', 'shipped'),
         IF(seq % 5 = 0, NULL, CONCAT('order ', seq, '; ', REPEAT('x', seq % 40)))
  FROM seq_1_to_80000;
CALL place_order(1, 10.00);
CREATE VIEW customer_orders AS
  SELECT c.email, count(o.id) AS orders FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
  GROUP BY c.email;
CREATE EVENT yearly_cleanup ON SCHEDULE EVERY 1 YEAR DISABLE
  DO DELETE FROM orders WHERE status = 'shipped' AND id < 0;
)sql";

class MysqlSnapshotTest : public MysqlServerTest {
 protected:
  CliResult run(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
    env["DATABASE_URL"] = url_;
    return run_cli(dir_.path(), args, env);
  }
  void apply_shop() {
    migration("20260101000000", "shop", kShop);
    auto up = run({"up", "--no-backup"});
    ASSERT_EQ(up.exit_code, 0) << up.err;
  }
};

TEST_F(MysqlSnapshotTest, SafeRestoresTheDatabaseWhenAFileFailsHalfWay) {
  apply_shop();
  std::string before = mysql_dump(url_);
  migration("20260201000000", "reshape", R"sql(
CREATE TABLE coupons (id int PRIMARY KEY, code varchar(20) NOT NULL);
ALTER TABLE customers ADD COLUMN vip tinyint(1) NOT NULL DEFAULT 0;
CREATE INDEX by_total ON orders (total);
DROP VIEW customer_orders;
UPDATE customers SET vip = 1 WHERE id < 100;
DELIMITER //
CREATE PROCEDURE give_coupon(IN c int)
BEGIN
  INSERT INTO coupons VALUES (c, CONCAT('C', c));
END //
DELIMITER ;
INSERT INTO coupons (id, code)
  VALUES (1, 'one'), (1, 'duplicate');
CREATE TABLE never_created (id int);
)sql");
  auto safe = run({"safe"});
  EXPECT_EQ(safe.exit_code, 4) << safe.err;
  EXPECT_CONTAINS(safe.err, "20260201000000_reshape.sql: line 13: Duplicate entry '1'");
  // Restored: the "partly changed, restore the backup" advice of `up` would be untrue here.
  EXPECT_EQ(safe.err.find("partly changed"), std::string::npos) << safe.err;
  EXPECT_CONTAINS(safe.err, "no migration of this run is applied");
  EXPECT_CONTAINS(safe.err, "the database matches it");
  EXPECT_TRUE(mysql_dump(url_) == before) << "safe did not restore the exact prior state";
  EXPECT_CONTAINS(run({"status"}).out, "1 applied, 1 pending");
}

TEST_F(MysqlSnapshotTest, VerifyDeepRestoresIntoAScratchDatabaseAndDropsIt) {
  apply_shop();
  ASSERT_EQ(run({"backup"}).exit_code, 0);
  std::string before = mysql_dump(url_);
  auto verify = run({"-v", "verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_CONTAINS(verify.out, "(deep)");
  EXPECT_CONTAINS(verify.out, "0 problem(s)");
  std::string scratch = scratch_database_of(verify.err);
  ASSERT_TRUE(scratch.starts_with("migrate_scratch_")) << verify.err;
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" +
                  scratch + "'"),
            "0");
  EXPECT_TRUE(mysql_dump(url_) == before);
}

TEST_F(MysqlSnapshotTest, BackupsArePrivateAndListTheTables) {
  apply_shop();
  auto backup = run({"backup", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  auto manifests = std::vector<std::filesystem::path>{};
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "backups")) {
    if (entry.path().filename().string().front() == '.') continue;
    struct stat st {};
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << entry.path();
    if (entry.path().extension() == ".json") manifests.push_back(entry.path());
  }
  ASSERT_EQ(manifests.size(), 1u);
  std::string manifest = read_text(manifests[0]);
  EXPECT_EQ(manifest.find("migrate-test-pw"), std::string::npos);
  EXPECT_CONTAINS(manifest, "\"name\": \"customers\"");
  EXPECT_CONTAINS(manifest, "\"rows\": 20000");
  EXPECT_CONTAINS(manifest, "\"rows\": 80001");
}

TEST_F(MysqlSnapshotTest, ReportsTablesThatAreNotInnodb) {
  ASSERT_EQ(query("CREATE TABLE legacy (id int) ENGINE=MyISAM; INSERT INTO legacy VALUES (1)"), "");
  auto backup = run({"backup"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_CONTAINS(backup.err, "not InnoDB: legacy (MyISAM)");
}

TEST_F(MysqlSnapshotTest, ADumpToolThatFailsIsAFailedBackupAndNothingRuns) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  struct Case {
    const char* body;
    const char* message;
  };
  const Case cases[] = {
      {"echo '-- MariaDB dump 10.19'; kill -9 $$", "mariadb-dump was killed by signal 9"},
      {"echo 'mariadb-dump: Got error: 2013: Lost connection' >&2; exit 2",
       "mariadb-dump failed (exit code 2): mariadb-dump: Got error: 2013: Lost connection"},
      {"echo '-- MariaDB dump 10.19'; echo 'CREATE TABLE `a` (id int);'; exit 0",
       "mariadb-dump exited without finishing the dump"},
  };
  for (const auto& c : cases) {
    std::string script =
        std::string(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'mariadb-dump  Ver 10.19 "
            "Distrib 99.1.0-MariaDB'; exit 0; fi\n") +
        c.body + "\n";
    auto tool = dir_.write("fake-bin/mariadb-dump", script);
    std::filesystem::permissions(tool, std::filesystem::perms::owner_all);
    std::map<std::string, std::string> env = {
        {"PATH", (dir_.path() / "fake-bin").string() + ":" + std::getenv("PATH")}};
    auto backup = run({"backup"}, env);
    EXPECT_EQ(backup.exit_code, 1) << c.body;
    EXPECT_CONTAINS(backup.err, c.message);
    auto up = run({"up"}, env);
    EXPECT_EQ(up.exit_code, 1) << c.body;
    EXPECT_CONTAINS(run({"backups"}).out + run({"backups"}).err, "no backups");
  }
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"),
            "0");
}

TEST_F(MysqlSnapshotTest, SnapshotIsConsistentWhileOtherSessionsWrite) {
  ASSERT_EQ(query("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL) ENGINE=InnoDB; "
                  "INSERT INTO accounts SELECT seq, 1000 FROM seq_1_to_1000"),
            "");
  // Transfers between accounts: the total never changes in a committed state.
  std::atomic<bool> stop = false;
  std::thread writer([&] {
    while (!stop) {
      query(
          "SET @a = 1 + FLOOR(RAND() * 1000), @b = 1 + FLOOR(RAND() * 1000); "
          "START TRANSACTION; UPDATE accounts SET balance = balance - 7 WHERE id = @a; "
          "DO SLEEP(0.01); UPDATE accounts SET balance = balance + 7 WHERE id = @b; COMMIT");
    }
  });
  auto backup = run({"backup", "during"});
  stop = true;
  writer.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  auto restore = run({"restore", "during", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.out, "matches the backup's fingerprint");
  EXPECT_EQ(query("SELECT SUM(balance) FROM accounts"), "1000000");
}

}  // namespace
}  // namespace migrate::testing
