// `safe` through the engine against the in-memory driver and a real backup
// store: the backup comes before the first change, and a failure puts it
// back so that the database is as it was.
#include "engine/safe.h"

#include "backup/backup_service.h"
#include "engine/engine_fixture.h"

namespace migrate::testing {
namespace {

class EngineSafeTest : public EngineTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "a", "CREATE TABLE t (x INT);\n");
    ASSERT_TRUE(up());
    migration("20260102000000", "b", "INSERT INTO t VALUES (1);\n");
    migration("20260103000000", "c", "INSERT INTO t VALUES (2);\n");
    settings_.database = "fake:test";
    settings_.driver_name = std::string(driver_.name());
    auto store = BackupStore::open(dir_.path() / "backups");
    ASSERT_TRUE(store) << store.error().message;
    store_.emplace(std::move(*store));
  }

  Result<RunReport> safe() { return run_safe(ctx_, catalog(), UpRequest{}, *store_, settings_); }

  BackupSettings settings_;
  std::optional<BackupStore> store_;
};

TEST_F(EngineSafeTest, AppliesAfterABackupTakenUnderTheLock) {
  auto report = safe();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(driver_.applied_versions().size(), 3u);
  ASSERT_TRUE(report->backup_id);
  EXPECT_EQ(driver_.state().tracking.at("20260103000000").backup_id, report->backup_id);
  size_t snapshot = first_index("snapshot");
  EXPECT_LT(snapshot, first_index("exec INSERT INTO t VALUES (1)"));
  EXPECT_EQ(journal_count("restore"), 0u);
  auto listed = store_->list(settings_.database);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->backups.size(), 1u);
}

TEST_F(EngineSafeTest, FailureRestoresTheBackupSoTheDatabaseIsAsBefore) {
  auto before = driver_.state();
  driver_.fail_statements_containing("VALUES (2)");
  auto report = safe();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kRestored) << report.error().message;
  EXPECT_NE(report.error().message.find("20260103000000_c.sql: line 1: fake failure"),
            std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("undoing the 1 migration(s) applied before it"),
            std::string::npos)
      << report.error().message;
  // The migration that succeeded (b) is undone with the rest.
  EXPECT_EQ(driver_.state(), before);
  EXPECT_LT(first_index("exec INSERT INTO t VALUES (2)"), first_index("restore"));
  EXPECT_FALSE(driver_.lock_held());
}

TEST_F(EngineSafeTest, NothingPendingStillSucceeds) {
  ASSERT_TRUE(safe());
  auto state = driver_.state();
  auto again = safe();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(driver_.state(), state);
}

}  // namespace
}  // namespace migrate::testing
