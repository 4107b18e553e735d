// rollback, redo and status through the engine against the in-memory driver.
#include "engine/engine_fixture.h"

namespace migrate::testing {
namespace {

using Strings = std::vector<std::string>;

class EngineRollbackTest : public EngineTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "a", "CREATE TABLE t (x INT);\n", "DROP TABLE t;\n");
    migration("20260102000000", "b", "INSERT INTO t VALUES (1);\n", "DELETE FROM t;\n");
    auto applied = up();
    ASSERT_TRUE(applied) << applied.error().message;
    base_journal_ = driver_.journal().size();
  }

  // Journal entries after SetUp's `up`.
  Strings journal_since_setup() const {
    return Strings(driver_.journal().begin() + static_cast<long>(base_journal_),
                   driver_.journal().end());
  }

  size_t base_journal_ = 0;
};

TEST_F(EngineRollbackTest, RevertsTheLastMigrationInItsOwnTransactionAfterTheBackup) {
  auto report = rollback();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(journal_since_setup(), (Strings{"lock", "ensure", "begin", "exec DELETE FROM t",
                                            "remove 20260102000000", "commit", "unlock"}));
  EXPECT_EQ(driver_.applied_versions(), (Strings{"20260101000000"}));
  ASSERT_EQ(hook_.reasons, (Strings{"pre-up", "pre-rollback"}));
  EXPECT_EQ(hook_.journal_at_call[1], base_journal_ + 1);  // right after the lock
  ASSERT_EQ(report->steps.size(), 1u);
  EXPECT_EQ(report->steps[0].direction, Direction::kDown);
  EXPECT_EQ(report->backup_id, "backup-2");
}

TEST_F(EngineRollbackTest, FailingRollbackKeepsTheRowAndNamesTheFile) {
  driver_.fail_statements_containing("DELETE");
  auto report = rollback();
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("20260102000000_b_rollback.sql: line 1: fake failure"),
            std::string::npos)
      << report.error().message;
  EXPECT_EQ(driver_.applied_versions().size(), 2u);
  EXPECT_FALSE(driver_.in_transaction());
  EXPECT_FALSE(driver_.lock_held());
}

TEST_F(EngineRollbackTest, DryRunChangesNothing) {
  auto state = driver_.state();
  auto report = rollback(Execution::kDryRun);
  ASSERT_TRUE(report);
  ASSERT_EQ(report->steps.size(), 1u);
  EXPECT_EQ(report->steps[0].statements.at(0).text, "DELETE FROM t");
  EXPECT_TRUE(journal_since_setup().empty());
  EXPECT_EQ(driver_.state(), state);
  EXPECT_EQ(hook_.reasons.size(), 1u);
}

TEST_F(EngineRollbackTest, IrreversibleMigrationIsRefusedBeforeAnyChange) {
  migration("20260103000000", "c", "INSERT INTO t VALUES (2);\n");  // no rollback file
  ASSERT_TRUE(up());
  auto state = driver_.state();
  auto report = rollback();
  ASSERT_FALSE(report);
  EXPECT_EQ(driver_.state(), state);
  EXPECT_EQ(driver_.journal().back(), "unlock");
  EXPECT_TRUE(executed().back() == "INSERT INTO t VALUES (2)");
}

TEST_F(EngineRollbackTest, RedoRevertsThenReappliesTheLastMigration) {
  auto report = run_redo(ctx_, catalog());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(journal_since_setup(),
            (Strings{"lock", "ensure", "begin", "exec DELETE FROM t", "remove 20260102000000",
                     "commit", "ensure", "begin", "exec INSERT INTO t VALUES (1)",
                     "record 20260102000000", "commit", "unlock"}));
  EXPECT_EQ(hook_.reasons.back(), "pre-redo");
  EXPECT_EQ(driver_.applied_versions(), (Strings{"20260101000000", "20260102000000"}));
}

TEST_F(EngineRollbackTest, StatusTellsAppliedPendingAndChanged) {
  migration("20260103000000", "c", "INSERT INTO t VALUES (2);\n");
  dir_.write("db/20260101000000_a.sql", "CREATE TABLE t (x INT, y INT);\n");
  size_t before = driver_.journal().size();
  auto status = run_status(driver_, catalog());
  ASSERT_TRUE(status) << status.error().message;
  ASSERT_EQ(status->rows.size(), 3u);
  EXPECT_EQ(status->rows[0].state, MigrationState::kChanged);
  EXPECT_EQ(status->rows[1].state, MigrationState::kApplied);
  EXPECT_EQ(status->rows[2].state, MigrationState::kPending);
  EXPECT_EQ(driver_.journal().size(), before);  // read-only: no lock, no change
}

}  // namespace
}  // namespace migrate::testing
