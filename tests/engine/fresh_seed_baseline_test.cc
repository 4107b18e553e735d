// fresh, seed and baseline through the engine against the in-memory driver.
#include "engine/engine_fixture.h"

namespace migrate::testing {
namespace {

using Strings = std::vector<std::string>;

class EngineFreshTest : public EngineTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "a", "CREATE TABLE t (x INT);\n");
    migration("20260102000000", "b", "INSERT INTO t VALUES (1);\n");
  }
};

TEST_F(EngineFreshTest, FreshDropsEverythingAfterTheBackupThenAppliesAllAsBatchOne) {
  ASSERT_TRUE(up());
  driver_.state().statements.push_back("CREATE TABLE stray (y INT)");  // made by hand
  auto report = run_fresh(ctx_, catalog());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(hook_.reasons.back(), "pre-fresh");
  size_t hook_at = hook_.journal_at_call.back();
  EXPECT_EQ(driver_.journal()[hook_at], "drop all");
  EXPECT_EQ(driver_.state().statements,
            (Strings{"CREATE TABLE t (x INT)", "INSERT INTO t VALUES (1)"}));
  EXPECT_EQ(driver_.applied_versions(), (Strings{"20260101000000", "20260102000000"}));
  for (const auto& [version, row] : driver_.state().tracking) EXPECT_EQ(row.batch, 1);
  EXPECT_FALSE(driver_.lock_held());
}

TEST_F(EngineFreshTest, SeedRunsEveryFileInNameOrderEachInATransactionWithoutRows) {
  ASSERT_TRUE(up());
  dir_.write("seeds/02_more.sql", "INSERT INTO t VALUES (3);\n");
  dir_.write("seeds/01_first.sql", "INSERT INTO t VALUES (2);\n");
  size_t before = driver_.journal().size();
  auto report = run_seed(ctx_, dir_.path() / "seeds");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(Strings(driver_.journal().begin() + static_cast<long>(before), driver_.journal().end()),
            (Strings{"lock", "begin", "exec INSERT INTO t VALUES (2)", "commit", "begin",
                     "exec INSERT INTO t VALUES (3)", "commit", "unlock"}));
  EXPECT_EQ(driver_.applied_versions().size(), 2u);
}

TEST_F(EngineFreshTest, BaselineRecordsWithoutRunningInOneTransaction) {
  auto report = run_baseline(ctx_, catalog(), "20260101000000");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(executed().empty());
  EXPECT_EQ(driver_.applied_versions(), (Strings{"20260101000000"}));
  EXPECT_EQ(driver_.journal(),
            (Strings{"lock", "ensure", "begin", "record 20260101000000", "commit", "unlock"}));
  // The next up applies only what comes after the baseline.
  ASSERT_TRUE(up());
  EXPECT_EQ(executed(), (Strings{"INSERT INTO t VALUES (1)"}));
}

}  // namespace
}  // namespace migrate::testing
