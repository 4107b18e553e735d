#include "migrate/planner.h"

#include <gtest/gtest.h>

namespace migrate {
namespace {

// A catalog of versions 1..n (as 14-digit strings); `irreversible` have no rollback.
Catalog catalog_of(std::initializer_list<const char*> versions,
                   std::initializer_list<const char*> irreversible = {}) {
  Catalog c;
  for (const char* v : versions) {
    MigrationFile m{v, "m", std::string(v) + "_m.sql", std::string(v) + "_m_rollback.sql"};
    for (const char* i : irreversible)
      if (std::string(i) == v) m.rollback_path.reset();
    c.migrations.push_back(m);
  }
  return c;
}

AppliedMigration row(const char* version, std::int64_t batch) {
  AppliedMigration r;
  r.version = version;
  r.batch = batch;
  return r;
}

std::vector<std::string> versions(const std::vector<MigrationFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.version);
  return out;
}

std::vector<std::string> versions(const std::vector<RollbackStep>& steps) {
  std::vector<std::string> out;
  for (const auto& s : steps) out.push_back(s.file.version);
  return out;
}

constexpr const char* A = "20260101000000";
constexpr const char* B = "20260102000000";
constexpr const char* C = "20260103000000";
constexpr const char* D = "20260104000000";

TEST(PlanUpTest, AppliesPendingInVersionOrder) {
  auto plan = plan_up(catalog_of({A, B, C}), {row(A, 1)}, {});
  ASSERT_TRUE(plan);
  EXPECT_EQ(versions(*plan), (std::vector<std::string>{B, C}));
}

TEST(PlanUpTest, StepAndToLimitThePlan) {
  auto stepped = plan_up(catalog_of({A, B, C, D}), {}, {2, std::nullopt, OutOfOrder::kRefuse});
  ASSERT_TRUE(stepped);
  EXPECT_EQ(versions(*stepped), (std::vector<std::string>{A, B}));
  auto to =
      plan_up(catalog_of({A, B, C, D}), {}, {std::nullopt, std::string(C), OutOfOrder::kRefuse});
  ASSERT_TRUE(to);
  EXPECT_EQ(versions(*to), (std::vector<std::string>{A, B, C}));
}

TEST(PlanUpTest, UnknownToVersionIsAUsageError) {
  auto plan = plan_up(catalog_of({A}), {},
                      {std::nullopt, std::string("20990101000000"), OutOfOrder::kRefuse});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::kUsage);
  EXPECT_NE(plan.error().message.find("--to 20990101000000"), std::string::npos);
}

TEST(PlanUpTest, RefusesOutOfOrderListingTheFiles) {
  auto plan = plan_up(catalog_of({A, B, C}), {row(A, 1), row(C, 1)}, {});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::kRefused);
  EXPECT_NE(plan.error().message.find(std::string(B) + "_m.sql"), std::string::npos);
  EXPECT_NE(plan.error().hint.find("--allow-out-of-order"), std::string::npos);
}

TEST(PlanUpTest, AllowsOutOfOrderWhenAsked) {
  auto plan = plan_up(catalog_of({A, B, C, D}), {row(A, 1), row(C, 1)},
                      {std::nullopt, std::nullopt, OutOfOrder::kAllow});
  ASSERT_TRUE(plan);
  EXPECT_EQ(versions(*plan), (std::vector<std::string>{B, D}));
}

TEST(PlanUpTest, NothingPendingIsAnEmptyPlan) {
  auto plan = plan_up(catalog_of({A}), {row(A, 1)}, {});
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->empty());
}

TEST(PlanRollbackTest, DefaultIsTheLastBatchNewestFirst) {
  auto plan = plan_rollback(catalog_of({A, B, C}), {row(A, 1), row(B, 2), row(C, 2)}, {});
  ASSERT_TRUE(plan);
  EXPECT_EQ(versions(*plan), (std::vector<std::string>{C, B}));
}

TEST(PlanRollbackTest, GoesByBatchNotByHighestVersion) {
  // B was merged late and applied out of order in batch 3, after C (batch 2).
  auto plan = plan_rollback(catalog_of({A, B, C}), {row(A, 1), row(C, 2), row(B, 3)}, {});
  ASSERT_TRUE(plan);
  EXPECT_EQ(versions(*plan), (std::vector<std::string>{B}));
  auto two = plan_rollback(catalog_of({A, B, C}), {row(A, 1), row(C, 2), row(B, 3)},
                           {RollbackScope::kSteps, 2, {}});
  ASSERT_TRUE(two);
  EXPECT_EQ(versions(*two), (std::vector<std::string>{B, C}));
}

TEST(PlanRollbackTest, ToVersionRollsBackEverythingAfterIt) {
  auto plan = plan_rollback(catalog_of({A, B, C, D}), {row(A, 1), row(B, 1), row(C, 2), row(D, 3)},
                            {RollbackScope::kAfterVersion, 1, A});
  ASSERT_TRUE(plan);
  EXPECT_EQ(versions(*plan), (std::vector<std::string>{D, C, B}));
}

TEST(PlanRollbackTest, AllRollsBackEverything) {
  auto plan =
      plan_rollback(catalog_of({A, B}), {row(A, 1), row(B, 2)}, {RollbackScope::kAll, 1, {}});
  ASSERT_TRUE(plan);
  EXPECT_EQ(versions(*plan), (std::vector<std::string>{B, A}));
}

TEST(PlanRollbackTest, RefusesIrreversibleBeforeAnything) {
  auto plan = plan_rollback(catalog_of({A, B}, {A}), {row(A, 1), row(B, 1)}, {});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::kRefused);
  EXPECT_NE(plan.error().message.find("irreversible"), std::string::npos);
  EXPECT_NE(plan.error().message.find(std::string(A) + "_m.sql"), std::string::npos);
  EXPECT_NE(plan.error().message.find("nothing was rolled back"), std::string::npos);
}

TEST(PlanRollbackTest, RefusesWhenAFileIsMissing) {
  auto plan = plan_rollback(catalog_of({A}), {row(A, 1), row(B, 1)}, {});
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("files are missing"), std::string::npos);
  EXPECT_NE(plan.error().message.find(B), std::string::npos);
}

TEST(PlanRollbackTest, BadToVersionIsAUsageError) {
  auto plan =
      plan_rollback(catalog_of({A}), {row(A, 1)}, {RollbackScope::kAfterVersion, 1, "yesterday"});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::kUsage);
  EXPECT_NE(plan.error().message.find("--to yesterday"), std::string::npos);
}

TEST(CheckOptionsTest, RefuseUsageErrorsWithoutAnyAppliedRows) {
  EXPECT_TRUE(check_up_options(catalog_of({A}), {std::nullopt, std::string(A)}));
  auto unknown = check_up_options(catalog_of({A}), {std::nullopt, std::string("\x1b[2J")});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kUsage);
  EXPECT_EQ(unknown.error().message, "--to \\x1b[2J: no migration with that version");

  EXPECT_TRUE(check_rollback_options({RollbackScope::kAfterVersion, 1, "0"}));
  EXPECT_TRUE(check_rollback_options({RollbackScope::kAfterVersion, 1, A}));
  EXPECT_TRUE(check_rollback_options({RollbackScope::kLastBatch, 1, "ignored"}));
  auto bad = check_rollback_options({RollbackScope::kAfterVersion, 1, "nonsense"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kUsage);
  EXPECT_EQ(bad.error().message, "--to nonsense: expected a 14-digit version (or 0 for all)");
  // Fourteen digits that are not a date and time: not "expected 14 digits".
  auto not_a_time = check_rollback_options({RollbackScope::kAfterVersion, 1, "99999999999999"});
  ASSERT_FALSE(not_a_time);
  EXPECT_EQ(not_a_time.error().message,
            "--to 99999999999999: not a valid version: a version is a date and time, "
            "YYYYMMDDHHMMSS (or 0 for all)");
}

TEST(PlanRollbackTest, NothingAppliedIsAnEmptyPlan) {
  auto plan = plan_rollback(catalog_of({A}), {}, {});
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->empty());
}

TEST(NextBatchTest, IsOneAboveTheHighest) {
  EXPECT_EQ(next_batch({}), 1);
  EXPECT_EQ(next_batch({row(A, 1), row(B, 4), row(C, 2)}), 5);
}

}  // namespace
}  // namespace migrate
