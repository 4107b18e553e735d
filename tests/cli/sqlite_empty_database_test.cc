// An empty SQLite database (a zero-length file, as `touch app.db` makes, or
// no file at all on a new project) through backup, verify, restore and
// `safe`: every backup restores, restore and `verify --deep` agree on which
// backups are whole, and a failed first migration leaves the database empty.
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "backup/manifest.h"
#include "support/cli_fixture.h"
#include "support/shell.h"
#include "util/crypto.h"

namespace migrate::testing {
namespace {

using nlohmann::json;

// What `sqlite3 .dump` prints for a database without any object.
constexpr const char* kEmptyDump = "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCOMMIT;\n";

class SqliteEmptyDatabaseTest : public CliTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "create_users",
              "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", "DROP TABLE users;");
  }
  std::filesystem::path store() const { return dir_.path() / "backups"; }
  json backups() { return json::parse(run({"backups", "--json"}).out)["backups"]; }
  std::string dump() { return shell("sqlite3 -batch " + shell_quote(db().string()) + " .dump"); }
  void create_empty_file() { std::ofstream(db()).close(); }

  // The newest backup's id, after checking that it is the only one labelled `label`.
  std::string backup_id(const std::string& label) {
    std::string id;
    for (const auto& b : backups())
      if (b["label"] == label) {
        EXPECT_TRUE(id.empty()) << "two backups labelled " << label;
        id = b["id"];
      }
    return id;
  }

  // The database restored from `id` is empty: no object, and a whole,
  // header-only database file (what SQLite writes when it first locks a new
  // database; .dump cannot tell it from a zero-length file).
  void expect_restored_empty(const std::string& id) {
    auto restore = run({"restore", id, "--yes"});
    EXPECT_EQ(restore.exit_code, 0) << restore.out << restore.err;
    EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
    EXPECT_TRUE(objects().empty());
    EXPECT_EQ(dump(), kEmptyDump);
    EXPECT_EQ(query_one(db(), "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(query_one(db(), "PRAGMA page_count"), "1");
  }

  void expect_verifies_deep() {
    auto verify = run({"verify", "--deep"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_CONTAINS(verify.out, "(deep)");
    EXPECT_CONTAINS(verify.out, "0 problem(s)");
  }
};

TEST_F(SqliteEmptyDatabaseTest, AZeroLengthDatabaseBacksUpVerifiesAndRestores) {
  create_empty_file();
  ASSERT_EQ(dump(), kEmptyDump);
  auto backup = run({"backup", "empty"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  EXPECT_EQ(std::filesystem::file_size(db()), 0u) << "a backup wrote to the database";
  expect_verifies_deep();
  // A later release put tables in; the backup takes them away again.
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(objects().size(), 2u);
  expect_restored_empty(backup_id("empty"));
  EXPECT_TRUE(applied().empty());
}

// While the application has the file open, restore copies into the live
// database instead of replacing the file: the empty backup restores there too.
TEST_F(SqliteEmptyDatabaseTest, AZeroLengthDatabasesBackupRestoresInPlace) {
  create_empty_file();
  ASSERT_EQ(run({"backup", "empty"}).exit_code, 0);
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &holder), SQLITE_OK);
  auto restore = run({"restore", "empty", "--yes", "--no-backup"});
  sqlite3_close(holder);
  EXPECT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.err, "restoring in place");
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  EXPECT_TRUE(objects().empty());
  EXPECT_EQ(dump(), kEmptyDump);
}

// `migrate backup` of a file that is not there most likely names the wrong
// file: refused, and nothing is created.
TEST_F(SqliteEmptyDatabaseTest, BackingUpAMissingDatabaseFileIsRefused) {
  auto backup = run({"backup"});
  EXPECT_EQ(backup.exit_code, 1) << backup.out << backup.err;
  EXPECT_CONTAINS(backup.err, "SQLite database file '" + std::string("./app.db") +
                                  "' does not exist; nothing to back up");
  EXPECT_CONTAINS(backup.err, "`migrate up` creates the database");
  EXPECT_FALSE(exists());
  EXPECT_TRUE(backups().empty());
}

// The common case: `up` on a new project backs up the empty database it is
// about to create, and that backup (and rollback) bring it back to empty.
TEST_F(SqliteEmptyDatabaseTest, UpOnANewProjectBacksUpTheEmptyDatabase) {
  auto up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_EQ(applied().size(), 1u);
  std::string pre_up = backup_id("pre-up");
  ASSERT_FALSE(pre_up.empty());
  expect_verifies_deep();

  auto rollback = run({"rollback"});
  EXPECT_EQ(rollback.exit_code, 0) << rollback.out << rollback.err;
  EXPECT_TRUE(applied().empty());
  EXPECT_EQ(objects(), std::vector<std::string>{"table:schema_migrations"});

  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  expect_restored_empty(pre_up);
  expect_verifies_deep();
}

// `safe` whose first migration fails puts an empty database back as empty,
// whether it started as a zero-length file or as no file at all.
TEST_F(SqliteEmptyDatabaseTest, SafeWhoseFirstMigrationFailsLeavesTheDatabaseEmpty) {
  migration("20260101000000", "create_users",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
            "INSERT INTO users DEFAULT VALUES;\n"
            "INSERT INTO no_such_table VALUES (1);\n");
  for (bool file : {true, false}) {
    SCOPED_TRACE(file ? "zero-length file" : "no file");
    std::filesystem::remove(db());
    std::filesystem::remove_all(store());
    if (file) create_empty_file();
    auto safe = run({"safe"});
    EXPECT_EQ(safe.exit_code, 4) << safe.out << safe.err;
    EXPECT_CONTAINS(safe.err, "20260101000000_create_users.sql: line 3: ");
    EXPECT_CONTAINS(safe.err, "the database matches it");
    EXPECT_TRUE(objects().empty());
    EXPECT_TRUE(applied().empty());
    EXPECT_EQ(dump(), kEmptyDump);
    EXPECT_EQ(query_one(db(), "PRAGMA integrity_check"), "ok");
    expect_verifies_deep();
  }
}

// An uncompressed artifact changed on disk, with its manifest rewritten to
// match (so the checksum passes): restore and `verify --deep` both refuse it.
class SqliteDamagedArtifactTest : public SqliteEmptyDatabaseTest,
                                  public ::testing::WithParamInterface<const char*> {};

TEST_P(SqliteDamagedArtifactTest, RestoreAndVerifyDeepRefuseTheSameBackup) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  exec(db(), "INSERT INTO users (email) VALUES ('a@example.com');");
  ASSERT_EQ(run({"backup", "damaged", "--compression", "none"}).exit_code, 0);
  std::string id = backup_id("damaged");
  auto manifest_path = store() / (id + ".json");
  auto manifest = parse_manifest(read_text(manifest_path), manifest_path.filename().string());
  ASSERT_TRUE(manifest) << manifest.error().message;
  auto artifact_path = store() / manifest->artifact;
  std::string artifact = read_text(artifact_path);
  std::string damage = GetParam();
  if (damage == "truncated") artifact.resize(artifact.size() - 100);
  if (damage == "trailing bytes") artifact.append(100, '\0');
  if (damage == "no header") artifact.replace(0, 16, std::string(16, 'x'));
  std::ofstream(artifact_path, std::ios::binary | std::ios::trunc) << artifact;
  manifest->artifact_size = artifact.size();
  manifest->artifact_sha256 = sha256_hex(artifact);
  std::ofstream(manifest_path, std::ios::trunc) << manifest_to_json(*manifest);
  std::string why = damage == "no header" ? "no SQLite header" : "is not a whole number of pages";

  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_CONTAINS(verify.out + verify.err, "the backup does not hold a whole SQLite database");
  EXPECT_CONTAINS(verify.out + verify.err, why);
  std::string before = read_text(db());
  auto restore = run({"restore", id, "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 1) << restore.out << restore.err;
  EXPECT_CONTAINS(restore.err, "the backup does not hold a whole SQLite database");
  EXPECT_CONTAINS(restore.err, why);
  EXPECT_EQ(read_text(db()), before);
}

// SQLite itself reads a file with trailing bytes: only the shared check
// keeps `verify --deep` from passing a backup that restore refuses.
INSTANTIATE_TEST_SUITE_P(Damage, SqliteDamagedArtifactTest,
                         ::testing::Values("truncated", "trailing bytes", "no header"),
                         [](const auto& info) {
                           std::string name;
                           for (char c : std::string(info.param))
                             if (c != ' ') name += c;
                           return name;
                         });

}  // namespace
}  // namespace migrate::testing
