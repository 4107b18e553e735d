// Where a SQLite restore writes: through a symlinked database path
// it replaces the real file, not the link, and the backups are the same
// database's whichever name reaches it; a WAL database's restore leaves no
// temporary -wal file behind.
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class SqliteRestorePathTest : public CliTest {
 protected:
  fs::path real() const { return dir_.path() / "data" / "real.db"; }
  // data/real.db with one row, reached as app.db through `link_target`.
  void link_database(const fs::path& link_target) {
    fs::create_directories(dir_.path() / "data");
    exec(real(), "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);");
    fs::create_symlink(link_target, db());
  }
  json backups(const std::string& url) {
    auto r = run({"backups", "--json", "--url", url});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)["backups"];
  }
  std::vector<std::string> leftovers() {
    std::vector<std::string> names;
    for (const auto& dir : {dir_.path(), dir_.path() / "data"})
      for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().filename().string().find(".tmp-") != std::string::npos)
          names.push_back(entry.path().filename().string());
    return names;
  }
  // Backs up through the link, adds a row, restores through the link.
  void back_up_change_and_restore() {
    auto backup = run({"backup", "b"});
    ASSERT_EQ(backup.exit_code, 0) << backup.err;
    exec(db(), "INSERT INTO t VALUES (2);");
    ASSERT_EQ(query_one(real(), "SELECT count(*) FROM t"), "2");
    auto restore = run({"restore", "b", "--yes"});
    ASSERT_EQ(restore.exit_code, 0) << restore.err;
    EXPECT_CONTAINS(restore.out + restore.err, "matches");
  }
  void expect_link_kept_and_real_file_restored() {
    EXPECT_TRUE(fs::is_symlink(db())) << "the restore replaced the symlink";
    EXPECT_EQ(query_one(real(), "SELECT count(*) FROM t"), "1") << "the real file was not restored";
    EXPECT_EQ(query_one(db(), "SELECT count(*) FROM t"), "1");
    EXPECT_TRUE(leftovers().empty()) << leftovers().front();
  }
};

TEST_F(SqliteRestorePathTest, RestoreThroughARelativeSymlinkRestoresTheRealFile) {
  link_database("data/real.db");
  back_up_change_and_restore();
  expect_link_kept_and_real_file_restored();
  // Reached through the link or directly, it is the same database.
  EXPECT_EQ(backups("sqlite:./app.db").size(), 2u);  // "b" and the pre-restore backup
  EXPECT_EQ(backups("sqlite:./data/real.db").size(), 2u);
  EXPECT_EQ(backups("sqlite:" + real().string()).size(), 2u);
}

TEST_F(SqliteRestorePathTest, RestoreThroughAnAbsoluteOrDotDotSymlinkRestoresTheRealFile) {
  link_database(real());
  back_up_change_and_restore();
  expect_link_kept_and_real_file_restored();

  // A link in another directory whose target climbs out with "..".
  fs::create_directories(dir_.path() / "links");
  fs::create_symlink("../data/real.db", dir_.path() / "links" / "via.db");
  exec(real(), "INSERT INTO t VALUES (3);");
  auto restore = run({"restore", "b", "--yes", "--no-backup", "--url", "sqlite:links/via.db"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_TRUE(fs::is_symlink(dir_.path() / "links" / "via.db"));
  EXPECT_EQ(query_one(real(), "SELECT count(*) FROM t"), "1");
}

TEST_F(SqliteRestorePathTest, RestoringAWalDatabaseLeavesNoTemporaryFiles) {
  exec(db(), "PRAGMA journal_mode = WAL; CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);");
  ASSERT_EQ(run({"backup", "b"}).exit_code, 0);
  exec(db(), "INSERT INTO t VALUES (2);");
  auto restore = run({"restore", "b", "--yes"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM t"), "1");
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    std::string name = entry.path().filename().string();
    EXPECT_FALSE(name.starts_with(".app.db")) << name;
  }
}

TEST_F(SqliteRestorePathTest, RestoringAWalDatabaseThroughASymlinkLeavesNoTemporaryFiles) {
  link_database("data/real.db");
  exec(real(), "PRAGMA journal_mode = WAL;");
  back_up_change_and_restore();
  expect_link_kept_and_real_file_restored();
}

// A database file with another name (a hard link) is restored in place, so
// that every name holds the restored database.
TEST_F(SqliteRestorePathTest, AHardLinkedDatabaseIsRestoredUnderEveryName) {
  exec(db(), "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);");
  ASSERT_EQ(run({"backup", "b"}).exit_code, 0);
  exec(db(), "INSERT INTO t VALUES (2);");
  fs::path other = dir_.path() / "other-name.db";
  fs::create_hard_link(db(), other);
  auto restore = run({"restore", "b", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.out + restore.err, "hard links");
  EXPECT_EQ(query_one(other, "SELECT count(*) FROM t"), "1");
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM t"), "1");
  EXPECT_EQ(fs::hard_link_count(db()), 2u);
}

// Names like a crashed restore's temporary, in the database's directory,
// that are not ours: a symlink to another file, (as root, as in CI) another
// user's file, and a file of the user's named like a temporary without
// migrate's mark. The restore's clean-up leaves them alone.
TEST_F(SqliteRestorePathTest, TheCleanUpLeavesOtherUsersFilesAndSymlinksAlone) {
  exec(db(), "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);");
  ASSERT_EQ(run({"backup", "b"}).exit_code, 0);
  fs::path target = dir_.path() / "someone-elses.txt";
  dir_.write("someone-elses.txt", "keep me\n");
  fs::path link = dir_.path() / ".migrate-app.db.tmp-999997";
  fs::create_symlink(target, link);
  fs::path foreign = dir_.path() / ".migrate-app.db.tmp-999998";
  dir_.write(".migrate-app.db.tmp-999998", "eve's data\n");
  fs::path unmarked = dir_.path() / ".app.db.tmp-999995";
  dir_.write(".app.db.tmp-999995", "my notes\n");
  bool root = ::geteuid() == 0;
  if (root) ASSERT_EQ(::chown(foreign.c_str(), 65534, 65534), 0);
  fs::path ours = dir_.path() / ".migrate-app.db.tmp-999996";
  dir_.write(".migrate-app.db.tmp-999996", "a crashed restore's leftover\n");

  auto restore = run({"restore", "b", "--yes"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_TRUE(fs::is_symlink(link)) << "a symlink named like a temporary was deleted";
  EXPECT_EQ(read_text(target), "keep me\n");
  if (root) {
    EXPECT_TRUE(fs::exists(foreign)) << "another user's file was deleted";
  } else {
    EXPECT_FALSE(fs::exists(foreign)) << "our own leftover was kept";
  }
  EXPECT_FALSE(fs::exists(ours)) << "our own leftover was kept";
  EXPECT_EQ(read_text(unmarked), "my notes\n");
}

}  // namespace
}  // namespace migrate::testing
