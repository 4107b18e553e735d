// `up` through the engine against the in-memory driver: order, transactions,
// failures and their messages, the lock, the backup hook and dry runs.
#include "engine/engine_fixture.h"

namespace migrate::testing {
namespace {

using Strings = std::vector<std::string>;

class EngineUpTest : public EngineTest {
 protected:
  void SetUp() override {
    // Written out of order: the engine must sort by version.
    migration("20260103000000", "c", "INSERT INTO t VALUES (3);\n");
    migration("20260101000000", "a", "CREATE TABLE t (x INT);\n");
    migration("20260102000000", "b", "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n");
  }
};

TEST_F(EngineUpTest, AppliesInVersionOrderEachInItsOwnTransaction) {
  auto report = up();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(driver_.applied_versions(),
            (Strings{"20260101000000", "20260102000000", "20260103000000"}));
  EXPECT_EQ(driver_.state().statements,
            (Strings{"CREATE TABLE t (x INT)", "INSERT INTO t VALUES (1)",
                     "INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)"}));
  EXPECT_EQ(
      driver_.journal(),
      (Strings{"lock", "ensure", "begin", "exec CREATE TABLE t (x INT)", "record 20260101000000",
               "commit", "begin", "exec INSERT INTO t VALUES (1)", "exec INSERT INTO t VALUES (2)",
               "record 20260102000000", "commit", "begin", "exec INSERT INTO t VALUES (3)",
               "record 20260103000000", "commit", "unlock"}));
  ASSERT_EQ(report->steps.size(), 3u);
  EXPECT_EQ(report->steps[0].file, "20260101000000_a.sql");
  EXPECT_EQ(report->batch, 1);
  for (const auto& version : driver_.applied_versions()) {
    EXPECT_EQ(driver_.state().tracking.at(version).batch, 1);
    EXPECT_EQ(driver_.state().tracking.at(version).backup_id, "backup-1");
  }
}

TEST_F(EngineUpTest, BackupHookRunsOnceUnderTheLockBeforeTheFirstChange) {
  ASSERT_TRUE(up());
  ASSERT_EQ(hook_.reasons, (Strings{"pre-up"}));
  // Called after the lock was taken and before the tracking table or any statement.
  EXPECT_EQ(hook_.journal_at_call[0], 1u);
  EXPECT_EQ(driver_.journal()[0], "lock");
}

TEST_F(EngineUpTest, NothingPendingTakesNoBackupAndChangesNothing) {
  ASSERT_TRUE(up());
  auto state = driver_.state();
  auto report = up();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->steps.empty());
  EXPECT_EQ(hook_.reasons.size(), 1u);
  EXPECT_EQ(driver_.state(), state);
}

TEST_F(EngineUpTest, SecondRunGetsTheNextBatch) {
  std::filesystem::remove(dir_.path() / "db/20260103000000_c.sql");
  ASSERT_TRUE(up());  // a and b
  migration("20260104000000", "d", "INSERT INTO t VALUES (4);\n");
  auto report = up();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->batch, 2);
  EXPECT_EQ(driver_.state().tracking.at("20260104000000").batch, 2);
  EXPECT_EQ(driver_.state().tracking.at("20260101000000").batch, 1);
}

TEST_F(EngineUpTest, FailingStatementNamesFileAndLineAndKeepsEarlierMigrations) {
  driver_.fail_statements_containing("VALUES (2)");
  auto report = up();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kSql);
  EXPECT_NE(report.error().message.find("20260102000000_b.sql: line 2: fake failure: VALUES (2)"),
            std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("statement: INSERT INTO t VALUES (2)"), std::string::npos);
  EXPECT_NE(
      report.error().message.find("1 migration(s) applied before it in this run stay applied"),
      std::string::npos)
      << report.error().message;
  // The first migration stays; the failing one's first statement rolled back with it.
  EXPECT_EQ(driver_.applied_versions(), (Strings{"20260101000000"}));
  EXPECT_EQ(driver_.state().statements, (Strings{"CREATE TABLE t (x INT)"}));
  EXPECT_EQ(journal_count("rollback"), 1u);
  EXPECT_EQ(first_index("exec INSERT INTO t VALUES (3)"), driver_.journal().size());
  EXPECT_FALSE(driver_.in_transaction());
  EXPECT_FALSE(driver_.lock_held());
  EXPECT_EQ(driver_.journal().back(), "unlock");
}

TEST_F(EngineUpTest, WithoutTransactionalDdlAFailureSaysTheDatabaseMayBePartlyChanged) {
  driver_.set_transactional_ddl(false);
  driver_.fail_statements_containing("VALUES (2)");
  auto report = up();
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("the database may be partly changed"), std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("migrate restore backup-1"), std::string::npos);
  // The statement before the failing one stayed, its row did not.
  EXPECT_EQ(driver_.state().statements,
            (Strings{"CREATE TABLE t (x INT)", "INSERT INTO t VALUES (1)"}));
  EXPECT_EQ(driver_.applied_versions(), (Strings{"20260101000000"}));
}

TEST_F(EngineUpTest, AtomicRunsEveryMigrationInOneTransaction) {
  auto report = up(Transactions::kAtomic);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(journal_count("begin"), 1u);
  EXPECT_EQ(journal_count("commit"), 1u);
  EXPECT_LT(first_index("begin"), first_index("exec"));
  EXPECT_LT(first_index("record 20260103000000"), first_index("commit"));
  EXPECT_EQ(driver_.applied_versions().size(), 3u);
  EXPECT_EQ(report->steps.size(), 3u);
}

TEST_F(EngineUpTest, AtomicFailureRollsBackEveryMigrationOfTheRun) {
  driver_.fail_statements_containing("VALUES (3)");
  auto report = up(Transactions::kAtomic);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("20260103000000_c.sql: line 1: fake failure"),
            std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("--atomic: every migration of this run was rolled back"),
            std::string::npos);
  EXPECT_TRUE(driver_.state().statements.empty());
  EXPECT_TRUE(driver_.applied_versions().empty());
  EXPECT_EQ(journal_count("commit"), 0u);
  EXPECT_EQ(journal_count("rollback"), 1u);
}

TEST_F(EngineUpTest, AtomicRefusesWithoutTransactionalDdlBeforeAnyChange) {
  driver_.set_transactional_ddl(false);
  auto report = up(Transactions::kAtomic);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kRefused);
  EXPECT_TRUE(hook_.reasons.empty());
  EXPECT_EQ(driver_.journal(), (Strings{"lock", "unlock"}));
}

TEST_F(EngineUpTest, AtomicRefusesANoTransactionFileBeforeAnyChange) {
  migration("20260104000000", "concurrent",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n");
  auto report = up(Transactions::kAtomic);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kRefused);
  EXPECT_NE(report.error().message.find("20260104000000_concurrent.sql"), std::string::npos);
  EXPECT_TRUE(hook_.reasons.empty());
  EXPECT_TRUE(executed().empty());
}

TEST_F(EngineUpTest, NoTransactionFileRunsStatementByStatementOutsideATransaction) {
  migration("20260104000000", "loose",
            "-- migrate:no-transaction\nINSERT INTO t VALUES (4);\nINSERT INTO t VALUES (5);\n");
  driver_.fail_statements_containing("VALUES (5)");
  auto report = up();
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("20260104000000_loose.sql: line 3"), std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("ran without a transaction"), std::string::npos);
  // Three files committed, then the loose file's first statement stayed without its row.
  EXPECT_EQ(journal_count("begin"), 3u);
  EXPECT_EQ(driver_.state().statements.back(), "INSERT INTO t VALUES (4)");
  EXPECT_EQ(driver_.applied_versions().size(), 3u);
  EXPECT_EQ(driver_.state().tracking.count("20260104000000"), 0u);
}

TEST_F(EngineUpTest, DryRunChangesNothingAndTakesNeitherLockNorBackup) {
  auto report = up(Transactions::kPerMigration, Execution::kDryRun);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->execution, Execution::kDryRun);
  ASSERT_EQ(report->steps.size(), 3u);
  EXPECT_EQ(report->steps[1].statements.size(), 2u);
  EXPECT_EQ(report->steps[1].statements[1].text, "INSERT INTO t VALUES (2)");
  EXPECT_TRUE(driver_.journal().empty());
  EXPECT_TRUE(hook_.reasons.empty());
  EXPECT_EQ(driver_.state(), FakeDriver::State{});
}

TEST_F(EngineUpTest, LockHeldElsewhereStopsBeforeAnything) {
  driver_.hold_lock_elsewhere();
  auto report = up();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kLock);
  EXPECT_EQ(driver_.journal(), (Strings{"lock"}));
  EXPECT_TRUE(hook_.reasons.empty());
}

TEST_F(EngineUpTest, FailedBackupStopsBeforeAnyChange) {
  hook_.refuse = true;
  auto report = up();
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("the backup store is full"), std::string::npos);
  EXPECT_EQ(driver_.journal(), (Strings{"lock", "unlock"}));
  EXPECT_EQ(driver_.state(), FakeDriver::State{});
}

TEST_F(EngineUpTest, ChangedAppliedFileIsRefusedUnlessAllowed) {
  ASSERT_TRUE(up());
  dir_.write("db/20260101000000_a.sql", "CREATE TABLE t (x INT, y INT);\n");
  migration("20260104000000", "d", "INSERT INTO t VALUES (4);\n");
  auto refused = up();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRefused);
  EXPECT_NE(refused.error().message.find("20260101000000_a.sql"), std::string::npos);
  EXPECT_EQ(driver_.state().tracking.count("20260104000000"), 0u);

  UpRequest allowed;
  allowed.changed = ChangedFiles::kAllow;
  ASSERT_TRUE(run_up(ctx_, catalog(), allowed));
  EXPECT_EQ(driver_.state().tracking.count("20260104000000"), 1u);
}

}  // namespace
}  // namespace migrate::testing
