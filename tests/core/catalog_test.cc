#include "migrate/catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace migrate {
namespace {

struct NameCase {
  const char* file;
  bool ok;
  const char* version_or_error;  // version when ok, a part of the message otherwise
  bool rollback = false;
};

class FileNameTest : public testing::TestWithParam<NameCase> {};

TEST_P(FileNameTest, ParsesOrNamesTheProblem) {
  const auto& c = GetParam();
  auto parsed = parse_migration_file_name(c.file);
  if (c.ok) {
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_TRUE(parsed->has_value());
    EXPECT_EQ((*parsed)->version, c.version_or_error);
    EXPECT_EQ((*parsed)->rollback, c.rollback);
  } else {
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find(c.file), std::string::npos) << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(c.version_or_error), std::string::npos)
        << parsed.error().message;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidMigrations);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Names, FileNameTest,
    testing::Values(NameCase{"20261122143000_create_users.sql", true, "20261122143000"},
                    NameCase{"20261122143000_create_users_rollback.sql", true, "20261122143000",
                             true},
                    NameCase{"20261122143000_v2_add_index_3.sql", true, "20261122143000"},
                    NameCase{"2026112214300_short.sql", false, "version must be 14 digits"},
                    NameCase{"202611221430001_long.sql", false, "version must be 14 digits"},
                    NameCase{"20261322143000_bad_month.sql", false, "not a valid date"},
                    NameCase{"20261122250000_bad_hour.sql", false, "not a valid date"},
                    NameCase{"20261122143000_CreateUsers.sql", false, "lowercase"},
                    NameCase{"20261122143000_create-users.sql", false, "lowercase"},
                    NameCase{"20261122143000_.sql", false, "lowercase"},
                    NameCase{"create_users.sql", false, "version must be 14 digits"},
                    NameCase{"20261122143000.sql", false, "no '_'"},
                    NameCase{"2026-11-22_create.sql", false, "version must be 14 digits"}));

TEST(FileNameTest, IgnoresFilesThatAreNotSql) {
  for (const char* file :
       {"README.md", "20261122143000_create_users.sql.bak", "notes.txt", ".keep"}) {
    auto parsed = parse_migration_file_name(file);
    ASSERT_TRUE(parsed) << file;
    EXPECT_FALSE(parsed->has_value()) << file;
  }
}

TEST(CatalogTest, PairsMigrationsWithRollbacksInVersionOrder) {
  auto scan = scan_catalog(
      "m", {"20261123090000_add_index.sql", "README.md", "20261122143000_create_users_rollback.sql",
            "20261122143000_create_users.sql"});
  ASSERT_TRUE(scan.problems.empty());
  ASSERT_EQ(scan.catalog.migrations.size(), 2u);
  const auto& first = scan.catalog.migrations[0];
  EXPECT_EQ(first.version, "20261122143000");
  EXPECT_EQ(first.name, "create_users");
  EXPECT_EQ(first.path, std::filesystem::path("m") / "20261122143000_create_users.sql");
  ASSERT_TRUE(first.reversible());
  EXPECT_EQ(*first.rollback_path,
            std::filesystem::path("m") / "20261122143000_create_users_rollback.sql");
  EXPECT_FALSE(scan.catalog.migrations[1].reversible());
  EXPECT_NE(scan.catalog.find("20261123090000"), nullptr);
  EXPECT_EQ(scan.catalog.find("20261123090001"), nullptr);
}

TEST(CatalogTest, ReportsEveryProblemNamingItsFile) {
  auto scan = scan_catalog(
      "m", {"20261122143000_a.sql", "20261122143000_b.sql", "20261124000000_orphan_rollback.sql",
            "bad.sql", "20261125000000_c.sql", "20261125000000_other_rollback.sql"});
  ASSERT_EQ(scan.problems.size(), 4u);
  std::string all;
  for (const auto& p : scan.problems) all += p.file + ": " + p.message + "\n";
  EXPECT_NE(all.find("'20261122143000_b.sql': duplicate version 20261122143000, also used by "
                     "'20261122143000_a.sql'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("'20261124000000_orphan_rollback.sql': rollback file without its migration"),
            std::string::npos);
  EXPECT_NE(all.find("'20261125000000_other_rollback.sql': rollback file without its migration"),
            std::string::npos);
  EXPECT_NE(all.find("'bad.sql'"), std::string::npos);
}

TEST(CatalogTest, LoadRefusesAnInvalidDirectoryListingAllProblems) {
  auto dir =
      std::filesystem::temp_directory_path() / ("catalog_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* f : {"20261122143000_ok.sql", "oops.sql", "20261122143000_dup.sql"})
    std::ofstream(dir / f) << "SELECT 1;";
  auto catalog = load_catalog(dir);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(catalog);
  EXPECT_EQ(catalog.error().code, ErrorCode::kInvalidMigrations);
  EXPECT_NE(catalog.error().message.find("nothing was applied"), std::string::npos);
  EXPECT_NE(catalog.error().message.find("'oops.sql'"), std::string::npos);
  EXPECT_NE(catalog.error().message.find("duplicate version"), std::string::npos);
}

TEST(CatalogTest, MissingDirectoryIsAnError) {
  auto catalog = load_catalog("/nonexistent/migrations");
  ASSERT_FALSE(catalog);
  EXPECT_NE(catalog.error().message.find("'/nonexistent/migrations' does not exist"),
            std::string::npos);
}

}  // namespace
}  // namespace migrate
