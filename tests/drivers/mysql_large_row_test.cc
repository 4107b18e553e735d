// A row larger than the server's max_allowed_packet as an INSERT (a 9 MiB
// blob is 18 MB of hex in the dump): a backup that was taken must restore,
// through the real binary against the real server.
#include "support/cli_fixture.h"
#include "support/mysql_server.h"

namespace migrate::testing {
namespace {

class MysqlLargeRowTest : public MysqlServerTest {
 protected:
  CliResult run(const std::vector<std::string>& args) {
    return run_cli(dir_.path(), args, {{"DATABASE_URL", url_}});
  }
};

TEST_F(MysqlLargeRowTest, ARowLargerThanMaxAllowedPacketAsAnInsertRestores) {
  std::string packet = query("SELECT @@GLOBAL.max_allowed_packet");
  ASSERT_FALSE(packet.empty());
  // Hex doubles the size: half the packet and one MiB more is beyond it.
  std::string size = std::to_string(std::stoull(packet) / 2 + (1 << 20));
  ASSERT_EQ(query("CREATE TABLE big (id int PRIMARY KEY, b longblob); INSERT INTO big VALUES (1, "
                  "REPEAT('x', " +
                  size + "))"),
            "");
  auto backup = run({"backup", "big"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  ASSERT_EQ(query("UPDATE big SET b = 'gone'; CREATE TABLE later (id int)"), "");
  auto restore = run({"restore", "big", "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(query("SELECT length(b), b = REPEAT('x', " + size + ") FROM big"), size + "\t1");
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                  "AND TABLE_NAME = 'later'"),
            "0");
}

// A column LOAD DATA cannot read as the INSERT does (BIT): such a row could
// never be restored, so the backup is refused and none is kept.
TEST_F(MysqlLargeRowTest, ABackupThatCouldNotBeRestoredIsRefused) {
  std::string packet = query("SELECT @@GLOBAL.max_allowed_packet");
  ASSERT_FALSE(packet.empty());
  std::string size = std::to_string(std::stoull(packet) / 2 + (1 << 20));
  ASSERT_EQ(query("CREATE TABLE flagged (id int PRIMARY KEY, f bit(1), b longblob); INSERT INTO "
                  "flagged VALUES (1, 1, REPEAT('x', " +
                  size + "))"),
            "");
  auto backup = run({"backup", "flagged"});
  EXPECT_EQ(backup.exit_code, 1) << backup.err;
  EXPECT_CONTAINS(backup.err,
                  "table 'flagged' has a row larger than the server's "
                  "max_allowed_packet");
  EXPECT_CONTAINS(backup.err, "SET GLOBAL max_allowed_packet");
  auto list = run({"backups"});
  EXPECT_CONTAINS(list.out + list.err, "no backups");
}

}  // namespace
}  // namespace migrate::testing
