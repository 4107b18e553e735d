// MySQL/MariaDB restores and backups that would have reported success
// while losing or corrupting data (issue 10's outside tester), through the
// real binary against the real server: a restore while another database's
// foreign key references this one's tables (the RENAME TABLE swap carried
// that key to the trash database), and system-versioned tables (a dump
// holds no history, the fingerprint covers current rows only).
#include <filesystem>

#include "support/cli_fixture.h"
#include "support/mysql_server.h"

namespace migrate::testing {
namespace {

class MysqlGuardTest : public MysqlServerTest {
 protected:
  CliResult run(const std::vector<std::string>& args) {
    return run_cli(dir_.path(), args, {{"DATABASE_URL", url_}});
  }
  // The database the foreign keys of `schema` reference, one a line.
  std::string referenced_schemas(const std::string& schema) {
    return query(
        "SELECT UNIQUE_CONSTRAINT_SCHEMA FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE "
        "CONSTRAINT_SCHEMA = '" +
        schema + "'");
  }
};

TEST_F(MysqlGuardTest, AForeignKeyFromAnotherDatabaseRefusesTheRestoreAndChangesNothing) {
  ASSERT_EQ(query("CREATE TABLE parent (id int PRIMARY KEY) ENGINE=InnoDB; "
                  "INSERT INTO parent VALUES (1), (2)"),
            "");
  // Declared after the fixture's database: dropped first, its key with it.
  MysqlScratchDatabase other(*mysql_test_url());
  ASSERT_EQ(other.creation_output(), "");
  ASSERT_EQ(mysql_query(other.url(),
                        "CREATE TABLE child (id int PRIMARY KEY, pid int, "
                        "CONSTRAINT child_to_parent FOREIGN KEY (pid) REFERENCES " +
                            database_->name() +
                            ".parent (id)) ENGINE=InnoDB; "
                            "INSERT INTO child VALUES (10, 2)"),
            "");

  auto backup = run({"backup", "fk1"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  ASSERT_EQ(query("INSERT INTO parent VALUES (3)"), "");

  auto restore = run({"restore", "fk1", "--yes"});
  EXPECT_NE(restore.exit_code, 0) << restore.out;
  EXPECT_CONTAINS(restore.err, "`child_to_parent`");
  EXPECT_CONTAINS(restore.err, "of table `child` in database `" + other.name() + "`");
  EXPECT_CONTAINS(restore.err, "ALTER TABLE `" + other.name() + "`.`child` DROP FOREIGN KEY");
  EXPECT_CONTAINS(restore.err, "the database was not changed");
  EXPECT_EQ(restore.out.find("restored"), std::string::npos) << restore.out;
  // Nothing moved: the key still references this database, its rows are all here.
  EXPECT_EQ(referenced_schemas(other.name()), database_->name());
  EXPECT_EQ(query("SELECT count(*) FROM parent"), "3");

  // A deep verify copies the backup into a scratch database: unaffected.
  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(referenced_schemas(other.name()), database_->name());

  // Without the key, the same restore goes through.
  ASSERT_EQ(mysql_query(other.url(), "DROP TABLE child"), "");
  restore = run({"restore", "fk1", "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(query("SELECT count(*) FROM parent"), "2");
}

// A dump holds no history of a system-versioned table: a backup (and so
// `safe`, before it migrates) is refused, naming the table.
TEST_F(MysqlGuardTest, ASystemVersionedTableRefusesTheBackupBeforeAnythingIsLost) {
  ASSERT_EQ(query("CREATE TABLE sysv (x int) WITH SYSTEM VERSIONING; INSERT INTO sysv VALUES (1); "
                  "UPDATE sysv SET x = 2"),
            "");
  auto backup = run({"backup", "sv"});
  EXPECT_NE(backup.exit_code, 0) << backup.out;
  EXPECT_CONTAINS(backup.err, "table 'sysv' is system-versioned");
  EXPECT_CONTAINS(backup.err, "no backup was taken");
  if (std::filesystem::exists(dir_.path() / "backups")) {
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "backups"))
      EXPECT_EQ(entry.path().filename().string().find("_sv."), std::string::npos);
  }

  migration("20260101000000", "more", "CREATE TABLE more_rows (id int);\n");
  auto safe = run({"safe"});
  EXPECT_NE(safe.exit_code, 0) << safe.out;
  EXPECT_CONTAINS(safe.err, "'sysv' is system-versioned");
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                  "AND TABLE_NAME = 'more_rows'"),
            "0");
  // The history is whole: the first row's old version and the current one.
  EXPECT_EQ(query("SELECT count(*) FROM sysv FOR SYSTEM_TIME ALL"), "2");
}

}  // namespace
}  // namespace migrate::testing
