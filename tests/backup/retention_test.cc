#include "backup/retention.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace migrate {
namespace {

using namespace std::chrono;

system_clock::time_point at(year_month_day date, int hour) {
  return sys_days{date} + hours{hour};
}

// Newest first. 2026-03-10 is a Tuesday, 03-09 and 03-02 Mondays.
const std::vector<PruneCandidate> kBackups = {
    {"b1", at(2026y / March / 10, 18)},    {"b2", at(2026y / March / 10, 9)},
    {"b3", at(2026y / March / 9, 18)},     {"b4", at(2026y / March / 8, 12)},
    {"b5", at(2026y / March / 2, 12)},     {"b6", at(2026y / March / 1, 12)},
    {"b7", at(2026y / February / 15, 12)}, {"b8", at(2026y / January / 20, 12)},
    {"b9", at(2025y / December / 31, 12)},
};
const auto kNow = at(2026y / March / 10, 20);

struct PruneCase {
  const char* name;
  RetentionPolicy policy;
  std::set<std::string> protected_ids;
  std::vector<std::string> pruned;
  system_clock::time_point now = kNow;
};

TEST(SelectPrunable, AppliesEachRuleAndTheirUnion) {
  const PruneCase cases[] = {
      {"keep-last", {.keep_last = 3}, {}, {"b4", "b5", "b6", "b7", "b8", "b9"}},
      {"keep-last more than there are", {.keep_last = 20}, {}, {}},
      // Newest of each of the 3 most recent days: 03-10 (b1), 03-09 (b3), 03-08 (b4).
      {"keep-daily", {.keep_daily = 3}, {}, {"b2", "b5", "b6", "b7", "b8", "b9"}},
      // ISO weeks: b1 (week of 03-09), b4 (Sunday 03-08, week of 03-02), b6 (week of 02-23).
      {"keep-weekly", {.keep_weekly = 3}, {}, {"b2", "b3", "b5", "b7", "b8", "b9"}},
      // Months: March (b1), February (b7), January (b8), December 2025 (b9).
      {"keep-monthly", {.keep_monthly = 3}, {}, {"b2", "b3", "b4", "b5", "b6", "b9"}},
      {"keep-monthly across a year", {.keep_monthly = 4}, {}, {"b2", "b3", "b4", "b5", "b6"}},
      // Cut-off 03-08 20:00.
      {"keep-within", {.keep_within = hours(48)}, {}, {"b4", "b5", "b6", "b7", "b8", "b9"}},
      {"keep-last and keep-monthly",
       {.keep_last = 2, .keep_monthly = 2},
       {},
       {"b3", "b4", "b5", "b6", "b8", "b9"}},
      {"keep-daily and keep-weekly",
       {.keep_daily = 2, .keep_weekly = 2},
       {},
       {"b2", "b5", "b6", "b7", "b8", "b9"}},
      {"keep-within and keep-monthly",
       {.keep_monthly = 2, .keep_within = hours(24 * 30)},
       {},
       {"b8", "b9"}},
      {"newest survives any policy",
       {.keep_within = hours(1)},
       {},
       {"b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"},
       at(2027y / January / 1, 0)},
      {"protected backups survive",
       {.keep_last = 1},
       {"b5", "b9"},
       {"b2", "b3", "b4", "b6", "b7", "b8"}},
      {"unknown protected ids are harmless", {.keep_last = 8}, {"zz"}, {"b9"}},
  };
  for (const auto& c : cases) {
    auto pruned = select_prunable(kBackups, c.policy, c.protected_ids, c.now);
    ASSERT_TRUE(pruned) << c.name << ": " << pruned.error().message;
    EXPECT_EQ(*pruned, c.pruned) << c.name;
  }
}

TEST(SelectPrunable, NothingToPruneInAnEmptyStore) {
  auto pruned = select_prunable({}, {.keep_last = 1}, {}, kNow);
  ASSERT_TRUE(pruned);
  EXPECT_TRUE(pruned->empty());
}

TEST(SelectPrunable, RefusesAnEmptyPolicy) {
  auto pruned = select_prunable(kBackups, {}, {}, kNow);
  ASSERT_FALSE(pruned);
  EXPECT_EQ(pruned.error().code, ErrorCode::kUsage);
  EXPECT_EQ(pruned.error().message.rfind("prune needs a policy: ", 0), 0u);
}

TEST(SelectPrunable, RefusesCountsBelowOne) {
  for (int count : {0, -1}) {
    auto pruned = select_prunable(kBackups, {.keep_daily = count}, {}, kNow);
    ASSERT_FALSE(pruned);
    EXPECT_EQ(pruned.error().code, ErrorCode::kUsage);
    EXPECT_NE(pruned.error().message.find("--keep-daily"), std::string::npos);
  }
  EXPECT_FALSE(select_prunable(kBackups, {.keep_within = seconds(0)}, {}, kNow));
}

TEST(ParseDuration, AcceptsANumberAndAUnit) {
  const std::pair<const char*, seconds> cases[] = {
      {"90m", minutes(90)},   {"12h", hours(12)},      {"30d", hours(24 * 30)},
      {"2w", hours(24 * 14)}, {"1y", hours(24 * 365)}, {"999999999y", hours(24 * 365) * 999999999},
  };
  for (const auto& [text, expected] : cases) {
    auto parsed = parse_duration(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(*parsed, expected) << text;
  }
}

TEST(ParseDuration, RejectsAnythingElseNamingTheText) {
  for (const char* text : {"", "d", "30", "0d", "-1d", "+1d", "1.5d", "30x", "30 d", " 30d", "30D",
                           "1000000000d", "5s"}) {
    auto parsed = parse_duration(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kUsage);
    EXPECT_EQ(parsed.error().message, fmt::format("invalid duration '{}'", text));
  }
}

TEST(ParseRetention, ReadsAnySubsetOfRules) {
  auto all =
      parse_retention("keep-last=5,keep-daily=7,keep-weekly=4,keep-monthly=6,keep-within=30d");
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->keep_last, 5);
  EXPECT_EQ(all->keep_daily, 7);
  EXPECT_EQ(all->keep_weekly, 4);
  EXPECT_EQ(all->keep_monthly, 6);
  EXPECT_EQ(all->keep_within, hours(24 * 30));

  auto some = parse_retention(" keep-weekly = 4 , keep-within=12h ,");
  ASSERT_TRUE(some) << some.error().message;
  EXPECT_EQ(some->keep_weekly, 4);
  EXPECT_EQ(some->keep_within, hours(12));
  EXPECT_FALSE(some->keep_last);

  auto none = parse_retention("");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(all->empty());
}

TEST(ParseRetention, NamesTheVariableAndTheBadPart) {
  const std::pair<const char*, const char*> cases[] = {
      {"keep-last", "invalid MIGRATE_RETENTION part 'keep-last': expected rule=value"},
      {"keep-last=5,keep-hourly=3",
       "invalid MIGRATE_RETENTION part 'keep-hourly=3': unknown rule 'keep-hourly'"},
      {"keep-last=0",
       "invalid MIGRATE_RETENTION part 'keep-last=0': 'keep-last' needs a "
       "positive whole number"},
      {"keep-daily=x", "'keep-daily' needs a positive whole number"},
      {"keep-monthly=-2", "'keep-monthly' needs a positive whole number"},
      {"keep-within=30x",
       "invalid MIGRATE_RETENTION part 'keep-within=30x': invalid duration '30x'"},
      {"keep-last=1,keep-last=2", "'keep-last' is given twice"},
      {"keep-within=1d,keep-within=2d", "'keep-within' is given twice"},
  };
  for (const auto& [text, message] : cases) {
    auto parsed = parse_retention(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kUsage);
    EXPECT_NE(parsed.error().message.find(message), std::string::npos)
        << text << ": " << parsed.error().message;
  }
}

}  // namespace
}  // namespace migrate
