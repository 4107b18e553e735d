#include "backup/database_identity.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace migrate {
namespace {

TEST(DatabaseIdentity, NamesTheDatabaseHoweverTheUrlSpellsIt) {
  std::string cwd = std::filesystem::current_path().string();
  const std::pair<const char*, std::string> cases[] = {
      {"sqlite:app.db", "sqlite:" + cwd + "/app.db"},
      {"sqlite:./sub/../app.db", "sqlite:" + cwd + "/app.db"},
      {"sqlite:///srv/app.db", "sqlite:/srv/app.db"},
      {"postgres://app:***@DB.example/shop?sslmode=disable", "postgres://db.example:5432/shop"},
      {"postgresql://other@db.example:5432/shop", "postgres://db.example:5432/shop"},
      {"postgres://db.example:6432/shop", "postgres://db.example:6432/shop"},
      {"mariadb://root:***@127.0.0.1/app", "mysql://127.0.0.1:3306/app"},
      {"mysql://u@localhost/app?socket=/run/mysqld.sock", "mysql://unix:/run/mysqld.sock/app"},
      {"postgres://u@localhost/app?host=/run/pg", "postgres://unix:/run/pg/app"},
      {"not a url", "not a url"},
  };
  for (const auto& [url, identity] : cases) EXPECT_EQ(database_identity(url), identity) << url;
}

TEST(DatabaseIdentity, ManifestUrlIsPasswordFreeWithAnAbsoluteSqlitePath) {
  auto sqlite = parse_database_url("sqlite:app.db");
  ASSERT_TRUE(sqlite);
  EXPECT_EQ(manifest_database_url(*sqlite),
            "sqlite://" + (std::filesystem::current_path() / "app.db").string());
  auto pg = parse_database_url("postgres://app:secret@db:5432/shop");
  ASSERT_TRUE(pg);
  EXPECT_EQ(manifest_database_url(*pg), "postgres://app:***@db:5432/shop");
  EXPECT_EQ(database_identity(manifest_database_url(*pg)), "postgres://db:5432/shop");
}

}  // namespace
}  // namespace migrate
