// The SQLite content fingerprint, read from the b-tree pages: it must see
// every change a user can make to the content, and nothing else.
#include <gtest/gtest.h>

#include <fstream>

#include "migrate/driver.h"
#include "support/sqlite_db.h"
#include "support/temp_dir.h"

namespace migrate::testing {
namespace {

// users: a table whose b-tree is several levels deep; blobs: records that
// spill onto overflow pages; tags: a WITHOUT ROWID table (an index b-tree).
constexpr const char* kSchema = R"(
  CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, score REAL);
  CREATE INDEX users_by_email ON users(email);
  CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB);
  CREATE TABLE tags (name TEXT PRIMARY KEY, weight INTEGER) WITHOUT ROWID;
  CREATE VIEW heavy AS SELECT * FROM tags WHERE weight > 5;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO users (email, score) SELECT 'user' || i || '@example.com', i * 0.5 FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
    INSERT INTO blobs (data) SELECT randomblob(20000 + i) FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
    INSERT INTO tags SELECT 'tag' || i, i % 10 FROM n;
)";

class SqliteFingerprintTest : public ::testing::Test {
 protected:
  void SetUp() override { exec(db(), kSchema); }
  std::filesystem::path db() const { return dir_.path() / "app.db"; }

  ContentFingerprint fingerprint_of(const std::filesystem::path& path) {
    auto url = parse_database_url("sqlite:" + path.string());
    EXPECT_TRUE(url) << url.error().message;
    auto driver = open_driver(*url, {});
    EXPECT_TRUE(driver) << driver.error().message;
    auto fp = (*driver)->fingerprint();
    EXPECT_TRUE(fp) << fp.error().message;
    return fp ? *fp : ContentFingerprint{};
  }
  const TableSummary& table(const ContentFingerprint& fp, const std::string& name) {
    for (const auto& t : fp.tables)
      if (t.name == name) return t;
    ADD_FAILURE() << "no table " << name;
    static TableSummary none;
    return none;
  }

  TempDir dir_;
};

TEST_F(SqliteFingerprintTest, CountsEveryRowOfDeepTreesOverflowPagesAndWithoutRowidTables) {
  auto fp = fingerprint_of(db());
  ASSERT_EQ(fp.tables.size(), 3u);
  EXPECT_EQ(table(fp, "users").rows, 20000);
  EXPECT_EQ(table(fp, "blobs").rows, 30);
  EXPECT_EQ(table(fp, "tags").rows, 3000);
  EXPECT_EQ(describe_difference(fp, fingerprint_of(db())), "");
}

TEST_F(SqliteFingerprintTest, HashesTablesWithXxh3AndRefusesToCompareAnotherAlgorithm) {
  auto fp = fingerprint_of(db());
  EXPECT_EQ(fp.table_hash, "xxh3-128");
  EXPECT_EQ(table(fp, "users").hash.size(), 32u);
  // A backup whose manifest hashed its tables otherwise (an older migrate).
  ContentFingerprint older = fp;
  older.table_hash = "sha256";
  EXPECT_NE(describe_difference(older, fp).find("cannot be compared"), std::string::npos)
      << describe_difference(older, fp);
}

struct Change {
  const char* name;
  const char* sql;
  const char* difference;  // what describe_difference() must mention
};

class SqliteFingerprintChangeTest : public SqliteFingerprintTest,
                                    public ::testing::WithParamInterface<Change> {};

TEST_P(SqliteFingerprintChangeTest, SeesTheChange) {
  auto before = fingerprint_of(db());
  exec(db(), GetParam().sql);
  auto after = fingerprint_of(db());
  EXPECT_NE(before.combined_sha256(), after.combined_sha256());
  EXPECT_NE(describe_difference(before, after).find(GetParam().difference), std::string::npos)
      << describe_difference(before, after);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SqliteFingerprintChangeTest,
    ::testing::Values(
        Change{"OneValue", "UPDATE users SET score = 0 WHERE id = 12345", "users"},
        Change{"DeletedRow", "DELETE FROM users WHERE id = 20000", "users"},
        Change{"LastByteOfAnOverflowedBlob",
               "UPDATE blobs SET data = substr(data, 1, length(data) - 1) || x'00' WHERE id = 7",
               "blobs"},
        Change{"WithoutRowidRow", "UPDATE tags SET weight = 99 WHERE name = 'tag2999'", "tags"},
        Change{"NewIndex", "CREATE INDEX users_by_score ON users(score)", "schema"},
        Change{"UserVersion", "PRAGMA user_version = 3", "schema"},
        Change{"NewTable", "CREATE TABLE later (x)", "schema"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(SqliteFingerprintTest, SeesTheTypeOfAValue) {
  exec(db(), "UPDATE blobs SET data = '7' WHERE id = 1");  // a column without affinity keeps types
  auto text = fingerprint_of(db());
  exec(db(), "UPDATE blobs SET data = 7 WHERE id = 1");
  EXPECT_NE(table(text, "blobs").hash, table(fingerprint_of(db()), "blobs").hash);
}

TEST_F(SqliteFingerprintTest, DoesNotDependOnPageLayout) {
  auto before = fingerprint_of(db());
  // Same content on different pages: free pages, then everything moved by VACUUM.
  exec(db(), "CREATE TABLE scratch AS SELECT * FROM users; DROP TABLE scratch; VACUUM;");
  EXPECT_EQ(describe_difference(before, fingerprint_of(db())), "");
}

TEST_F(SqliteFingerprintTest, ADamagedPageIsAClearError) {
  auto copy = dir_.path() / "damaged.db";
  std::filesystem::copy_file(db(), copy);
  // The root page of `users` loses its b-tree page type.
  auto root =
      std::stoll(query_one(copy, "SELECT rootpage FROM sqlite_master WHERE name = 'users'"));
  {
    std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((root - 1) * 4096);
    f.put('\x7f');
  }
  auto url = parse_database_url("sqlite:" + copy.string());
  auto driver = open_driver(*url, {});
  ASSERT_TRUE(driver);
  auto fp = (*driver)->fingerprint();
  ASSERT_FALSE(fp);
  EXPECT_NE(fp.error().message.find("damaged: page " + std::to_string(root)), std::string::npos)
      << fp.error().message;
  EXPECT_NE(fp.error().message.find("users"), std::string::npos) << fp.error().message;
}

}  // namespace
}  // namespace migrate::testing
