// Configuration as a user sets it: flags, environment, .env, migrate.toml.
#include <nlohmann/json.hpp>

#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

class ConfigCliTest : public CliTest {
 protected:
  void SetUp() override {
    dir_.write("db/migrations/20260101000000_a.sql", "CREATE TABLE a (x);");
    dir_.write("other/20260101000000_b.sql", "CREATE TABLE b (x);");
  }
  std::string tables(const std::string& db_file) {
    return query_one(dir_.path() / db_file,
                     "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = "
                     "'table' AND name != 'schema_migrations' ORDER BY name)");
  }
};

TEST_F(ConfigCliTest, MigrateTomlSetsDefaults) {
  dir_.write("migrate.toml",
             "# project settings\nurl = \"sqlite:toml.db\"\ndir = \"db/migrations\"\n");
  ASSERT_EQ(run({"up"}).exit_code, 0);
  EXPECT_EQ(tables("toml.db"), "a");
}

TEST_F(ConfigCliTest, DotEnvBeatsTomlAndEnvironmentBeatsDotEnv) {
  dir_.write("migrate.toml", "url = \"sqlite:toml.db\"\ndir = \"db/migrations\"\n");
  dir_.write(".env", "DATABASE_URL=sqlite:dotenv.db\n");
  ASSERT_EQ(run({"up"}).exit_code, 0);
  EXPECT_EQ(tables("dotenv.db"), "a");
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "toml.db"));

  ASSERT_EQ(run({"up"}, {{"DATABASE_URL", "sqlite:env.db"}}).exit_code, 0);
  EXPECT_EQ(tables("env.db"), "a");
}

TEST_F(ConfigCliTest, FlagsBeatEverything) {
  dir_.write(".env", "DATABASE_URL=sqlite:dotenv.db\nMIGRATE_DIR=db/migrations\n");
  ASSERT_EQ(
      run({"up", "--url", "sqlite:flag.db", "-d", "other"}, {{"MIGRATE_DIR", "db/migrations"}})
          .exit_code,
      0);
  EXPECT_EQ(tables("flag.db"), "b");
}

TEST_F(ConfigCliTest, FlagsMayFollowOrPrecedeTheCommand) {
  ASSERT_EQ(run({"--dir", "other", "up", "--url", "sqlite:x.db"}).exit_code, 0);
  EXPECT_EQ(tables("x.db"), "b");
}

TEST_F(ConfigCliTest, PasswordsNeverAppear) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"status", "--url", "postgres://app:s3cr%40t@localhost:1/app"},
           {"status", "--json", "--url", "mysql://app:s3cr%40t@localhost:1/app"},
           {"status", "--url", "postgres://app:s3cr%40t@localhost:99999/app"}}) {
    auto r = run(args);
    EXPECT_NE(r.exit_code, 0);
    std::string all = r.out + r.err;
    EXPECT_EQ(all.find("s3cr"), std::string::npos) << all;
    EXPECT_EQ(all.find("s3cr%40t"), std::string::npos) << all;
  }
  auto masked = run({"status", "--url", "postgres://app:s3cr%40t@localhost:99999/app"});
  EXPECT_CONTAINS(masked.err, "app:***@localhost");
}

TEST_F(ConfigCliTest, JsonStdoutIsExactlyOneDocument) {
  dir_.write(".env", "MIGRATE_DIR=db/migrations\n");
  for (auto args : std::vector<std::vector<std::string>>{{"status", "--json"},
                                                         {"up", "--json"},
                                                         {"status", "--json"},
                                                         {"up", "--json", "--step", "x"}}) {
    auto r = run(args);
    EXPECT_TRUE(nlohmann::json::accept(r.out)) << r.out;
  }
}

TEST_F(ConfigCliTest, WaitGivesUpOnADatabaseThatNeverComes) {
  auto r = run(
      {"status", "--wait=1", "--dir", "db/migrations", "--url", "sqlite:/nonexistent/dir/app.db"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "waited 1 s");
}

}  // namespace
}  // namespace migrate::testing
