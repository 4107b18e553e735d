// A restore swaps the live tables for the checked copy's in one RENAME
// TABLE, the old ones into a trash database dropped at the end; a trash
// database a killed restore left behind may hold the only copy of the
// database's data: runs report it and never drop it. Through the real
// binary against the real server.
#include <unistd.h>

#include <climits>

#include "support/cli_fixture.h"
#include "support/mysql_server.h"
#include "util/crypto.h"

namespace migrate::testing {
namespace {

class MysqlSwapTest : public MysqlServerTest {
 protected:
  CliResult run(const std::vector<std::string>& args) {
    return run_cli(dir_.path(), args, {{"DATABASE_URL", url_}});
  }
  std::string databases_like(const std::string& pattern) {
    return query("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '" +
                 pattern + "'");
  }
};

TEST_F(MysqlSwapTest, AKilledRestoresTrashIsReportedAndNeverDropped) {
  char host[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  // A trash database of a run that is gone (no process has this pid),
  // holding the data of the database it was replacing.
  std::string trash = "migrate_scratch_" + sha256_hex(host).substr(0, 8) + "_99999999_" +
                      std::to_string(::getpid()) + "_replaced";
  ASSERT_EQ(query("CREATE DATABASE " + trash + "; CREATE TABLE " + trash +
                  ".precious (id int); INSERT INTO " + trash + ".precious VALUES (42)"),
            "");
  ASSERT_EQ(query("CREATE TABLE a (id int); INSERT INTO a VALUES (1)"), "");
  ASSERT_EQ(run({"backup", "swap"}).exit_code, 0);
  ASSERT_EQ(query("INSERT INTO a VALUES (2); CREATE TABLE later (id int)"), "");

  auto restore = run({"-v", "restore", "swap", "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.err, trash +
                                   "' was left by an earlier restore that did not finish dropping "
                                   "it; it holds 1 table, perhaps the database's state");
  EXPECT_CONTAINS(restore.err, "restore: tables moved in");
  EXPECT_EQ(query("SELECT count(*) FROM a"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                  "DATABASE() AND TABLE_NAME = 'later'"),
            "0");
  // This restore's own trash is gone; the killed one's stays, with its rows.
  EXPECT_EQ(query("SELECT id FROM " + trash + ".precious"), "42");

  auto doctor = run({"doctor"});
  EXPECT_NE(doctor.exit_code, 0);
  EXPECT_CONTAINS(doctor.out + doctor.err,
                  trash +
                      "' was left by an earlier restore that did not finish dropping it; it "
                      "holds 1 table");
  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(query("SELECT id FROM " + trash + ".precious"), "42");
  EXPECT_EQ(query("DROP DATABASE " + trash), "");
}

// A trash database with nothing in it (its restore was killed before the
// RENAME, or failed to drop it): described as what it is, in the restore's
// warning and in doctor alike.
TEST_F(MysqlSwapTest, AnEmptyLeftoverTrashIsDescribedAsEmpty) {
  char host[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  std::string trash = "migrate_scratch_" + sha256_hex(host).substr(0, 8) + "_99999998_" +
                      std::to_string(::getpid()) + "_replaced";
  ASSERT_EQ(query("CREATE DATABASE " + trash), "");
  ASSERT_EQ(query("CREATE TABLE a (id int); INSERT INTO a VALUES (1)"), "");
  ASSERT_EQ(run({"backup", "empty-trash"}).exit_code, 0);

  auto restore = run({"restore", "empty-trash", "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  std::string described =
      trash +
      "' was left by an earlier restore that did not finish dropping it; it holds no "
      "tables: drop it";
  EXPECT_CONTAINS(restore.err, described);
  auto doctor = run({"doctor"});
  EXPECT_CONTAINS(doctor.out + doctor.err, described);
  EXPECT_EQ((restore.err + doctor.out + doctor.err).find("killed restore"), std::string::npos);
  EXPECT_EQ(databases_like(trash), "1");  // reported, never dropped
  EXPECT_EQ(query("DROP DATABASE " + trash), "");
}

}  // namespace
}  // namespace migrate::testing
