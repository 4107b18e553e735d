// MySQL/MariaDB restores: the LOAD DATA file made from a dump's INSERTs,
// then a restore through the real binary of tables that take each loading
// path (LOAD DATA, their own INSERTs), compared with the server's own
// mariadb-dump before and after.
#include "drivers/mysql/mysql_row_loader.h"
#include "support/cli_fixture.h"
#include "support/mysql_server.h"

namespace migrate::testing {
namespace {

// --- without a server: LOAD DATA's file ---------------------------------------

TEST(MysqlRowLoaderTest, TurnsInsertsIntoOneTupleALine) {
  struct Case {
    const char* statement;
    const char* lines;
  };
  const Case cases[] = {
      // mariadb-dump: a row a line.
      {"INSERT INTO `t` VALUES\n(1,'a'),\n(2,NULL),\n(3,'x),\\n(y')",
       "1,'a'\n2,NULL\n3,'x),\\n(y'\n"},
      {"INSERT INTO `t` VALUES\n(1,0x00FF)", "1,0x00FF\n"},
      // mysqldump: every row on one line; parentheses and quotes inside strings.
      {"INSERT INTO `t` VALUES (1,'it\\'s (a),(b)'),(2,\"q)\"),(3,'')",
       "1,'it\\'s (a),(b)'\n2,\"q)\"\n3,''\n"},
  };
  for (const auto& c : cases) {
    std::string lines;
    mysql::append_tuple_lines(c.statement, std::string_view("INSERT INTO `t` VALUES").size(),
                              lines);
    EXPECT_EQ(lines, c.lines) << c.statement;
  }
}

// --- against the server -------------------------------------------------------

// Tables of every kind the loader tells apart: LOAD DATA with text, numbers,
// dates, JSON and binary values (escapes, NUL, quotes, commas, parentheses,
// non-ASCII), secondary, prefix, UNIQUE, FULLTEXT and descending indexes and
// foreign keys; a table whose definition sets STATS_AUTO_RECALC; and one
// whose BIT, spatial, generated and invisible columns keep its INSERTs.
// Each has more than one INSERT in the dump.
constexpr const char* kKinds = R"sql(
CREATE TABLE parents (
  id int PRIMARY KEY,
  code varchar(40) NOT NULL,
  UNIQUE KEY by_code (code)
) ENGINE=InnoDB STATS_AUTO_RECALC=1;
CREATE TABLE documents (
  id int AUTO_INCREMENT PRIMARY KEY,
  parent_id int,
  title varchar(200) NOT NULL,
  body text,
  raw varbinary(64),
  picture mediumblob,
  price decimal(10,3),
  ratio double,
  small float,
  at datetime(3),
  seen timestamp NULL,
  day date,
  span time,
  year_of year,
  kind enum('a','b,c'),
  tags set('x','y'),
  extra json,
  KEY by_parent_title (parent_id, title(20)),
  UNIQUE KEY by_title (title, id),
  KEY by_price (price DESC, ratio),
  FULLTEXT KEY ft_body (body),
  CONSTRAINT fk_document_parent FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE SET NULL
) ENGINE=InnoDB;
CREATE TABLE places (
  id int PRIMARY KEY,
  flags bit(5) NOT NULL,
  location point NOT NULL,
  label varchar(20) AS (CONCAT('p', id)) VIRTUAL,
  secret int INVISIBLE DEFAULT 7,
  SPATIAL KEY by_location (location)
) ENGINE=InnoDB;
INSERT INTO parents SELECT seq, CONCAT('parent-', seq, '-', REPEAT('p', seq % 20)) FROM seq_1_to_40000;
INSERT INTO documents (parent_id, title, body, raw, picture, price, ratio, small, at, seen, day,
                       span, year_of, kind, tags, extra)
  SELECT IF(seq % 11 = 0, NULL, 1 + seq % 40000),
         CONCAT('Title ', seq, ELT(1 + seq % 6, '', ' O''Brien', ' a,b', ' (x),(y)', ' \\back',
                                   ' ünïcødé 😀')),
         IF(seq % 9 = 0, NULL,
            CONCAT('line one\nline two\t', seq, IF(seq % 4 = 0, CONCAT(CHAR(0), '\r', CHAR(26)), ''))),
         IF(seq % 5 = 0, '', UNHEX(CONCAT(HEX(seq), '00275C0A2C29'))),
         IF(seq % 3 = 0, NULL, UNHEX(SHA2(seq, 256))),
         seq / 7, seq / 3.0e7, seq / 13, '2026-01-01 00:00:00.123' + INTERVAL seq SECOND,
         IF(seq % 2 = 0, NULL, '2026-02-01 00:00:00' + INTERVAL seq MINUTE),
         '2026-01-01' + INTERVAL seq % 1000 DAY, SEC_TO_TIME(CAST(seq AS SIGNED) - 20000), 1990 + seq % 60,
         IF(seq % 3 = 0, NULL, ELT(1 + seq % 2, 'a', 'b,c')), IF(seq % 2 = 0, 'x,y', 'y'),
         IF(seq % 7 = 0, NULL, JSON_OBJECT('n', seq, 's', CONCAT('"q"', seq)))
  FROM seq_1_to_30000;
INSERT INTO places (id, flags, location, secret)
  SELECT seq, seq % 32, POINT(seq / 100, -seq / 50), seq FROM seq_1_to_40000;
)sql";

class MysqlRestoreTest : public MysqlServerTest {
 protected:
  CliResult run(const std::vector<std::string>& args) {
    return run_cli(dir_.path(), args, {{"DATABASE_URL", url_}});
  }
  // How the restore's log says `table` was loaded: "LOAD DATA" or "INSERTs".
  static std::string loaded_with(const std::string& log, const std::string& table) {
    size_t at = log.find("table '" + table + "': ");
    if (at == std::string::npos) return "(not loaded)";
    std::string line = log.substr(at, log.find('\n', at) - at);
    size_t with = line.find(" with ") + 6;
    return line.substr(with, line.find(" in ") - with);
  }
};

TEST_F(MysqlRestoreTest, EveryLoadingPathRestoresTheExactTables) {
  migration("20260101000000", "kinds", kKinds);
  auto up = run({"up", "--no-backup"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  std::string before = mysql_dump(url_);
  auto backup = run({"backup", "kinds"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;

  ASSERT_EQ(query("DELETE FROM documents WHERE id % 2 = 0; UPDATE places SET flags = 0; "
                  "ALTER TABLE documents DROP INDEX by_price, AUTO_INCREMENT = 90000; "
                  "ALTER TABLE parents STATS_AUTO_RECALC = 0; CREATE TABLE later (id int)"),
            "");
  ASSERT_NE(mysql_dump(url_), before);

  auto restore = run({"-v", "restore", "kinds", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  // Checked in a scratch database, then its tables moved in.
  EXPECT_CONTAINS(restore.err, "restore: tables moved in");
  EXPECT_EQ(loaded_with(restore.err, "documents"), "LOAD DATA");
  EXPECT_EQ(loaded_with(restore.err, "parents"), "LOAD DATA");
  EXPECT_EQ(loaded_with(restore.err, "places"), "INSERTs");
  EXPECT_TRUE(mysql_dump(url_) == before) << "the restored database differs from the backup";
  EXPECT_EQ(query("SELECT count(*) FROM documents WHERE MATCH(body) AGAINST ('two')"), "26667");
  EXPECT_EQ(query("SELECT table_name FROM information_schema.TABLES WHERE table_schema = "
                  "DATABASE() AND create_options LIKE '%stats_auto_recalc%'"),
            "parents");

  // A server that refuses LOAD DATA LOCAL gets INSERTs. (A throwaway
  // server's setting: the tests running meanwhile load INSERTs too, and no
  // other test asks how its rows were loaded.)
  ASSERT_EQ(query("DELETE FROM documents WHERE id % 2 = 0; SET GLOBAL local_infile = 0"), "");
  auto inserts = run({"-v", "restore", "kinds", "--yes", "--no-backup"});
  EXPECT_EQ(query("SET GLOBAL local_infile = 1"), "");
  ASSERT_EQ(inserts.exit_code, 0) << inserts.err;
  EXPECT_CONTAINS(inserts.out, "the database matches the backup's fingerprint");
  EXPECT_EQ(loaded_with(inserts.err, "documents"), "INSERTs");
  EXPECT_TRUE(mysql_dump(url_) == before) << "the restore with INSERTs differs from the backup";
}

}  // namespace
}  // namespace migrate::testing
