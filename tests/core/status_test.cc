#include "migrate/status.h"

#include <gtest/gtest.h>

namespace migrate {
namespace {

TEST(StatusTest, ClassifiesEveryMigration) {
  Catalog catalog;
  for (const char* v : {"20260101000000", "20260102000000", "20260103000000", "20260104000000"})
    catalog.migrations.push_back({v, "m", std::string(v) + "_m.sql", std::nullopt});
  std::vector<AppliedMigration> applied = {
      {"20260101000000", "m", "aaa", 1, "t1", 3, std::nullopt},
      {"20260102000000", "m", "bbb", 1, "t1", 3, std::nullopt},
      {"20260103000000", "m", "", 1, "t1", 0, std::nullopt},  // adopted: no checksum
      {"20251231000000", "gone", "ccc", 1, "t0", 1, std::nullopt},
  };
  std::map<std::string, std::string> checksums = {
      {"20260101000000", "aaa"}, {"20260102000000", "changed"}, {"20260103000000", "zzz"}};
  auto rows = compute_status(catalog, applied, checksums);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].version, "20251231000000");
  EXPECT_EQ(rows[0].state, MigrationState::kMissing);
  EXPECT_EQ(rows[0].name, "gone");
  EXPECT_EQ(rows[1].state, MigrationState::kApplied);
  EXPECT_EQ(rows[2].state, MigrationState::kChanged);
  EXPECT_EQ(rows[3].state, MigrationState::kApplied);
  EXPECT_EQ(rows[4].state, MigrationState::kPending);
  EXPECT_FALSE(rows[4].applied.has_value());
  EXPECT_TRUE(needs_attention(rows));
  EXPECT_STREQ(state_name(rows[2].state), "changed");
}

TEST(StatusTest, AllAppliedNeedsNoAttention) {
  Catalog catalog;
  catalog.migrations.push_back({"20260101000000", "m", "x.sql", std::nullopt});
  auto rows = compute_status(catalog, {{"20260101000000", "m", "a", 1, "t", 0, std::nullopt}},
                             {{"20260101000000", "a"}});
  EXPECT_FALSE(needs_attention(rows));
}

}  // namespace
}  // namespace migrate
