// SQLite holes found by outside testing: reading commands that
// created the database file, a backup swapped in before its fingerprint was
// checked, and URLs echoed with their secrets.
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "backup/manifest.h"
#include "support/cli_fixture.h"
#include "support/shell.h"

namespace migrate::testing {
namespace {

using nlohmann::json;

// Another process's connection to the database (the test's), open while the
// command runs.
struct OpenConnection {
  sqlite3* db = nullptr;
  explicit OpenConnection(const std::filesystem::path& path) {
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
  }
  ~OpenConnection() { sqlite3_close(db); }
};

class SqliteSafetyTest : public CliTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "create_users",
              "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", "DROP TABLE users;");
    migration("20260102000000", "create_orders", "CREATE TABLE orders (id INTEGER PRIMARY KEY);",
              "DROP TABLE orders;");
  }
  std::filesystem::path store() const { return dir_.path() / "backups"; }
  json backups() { return json::parse(run({"backups", "--json"}).out)["backups"]; }
};

TEST_F(SqliteSafetyTest, ReadingCommandsDoNotCreateTheDatabase) {
  auto status = run({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_CONTAINS(status.out, "0 applied, 2 pending");
  EXPECT_FALSE(exists()) << "status";

  auto json_status = json::parse(run({"status", "--json"}).out);
  EXPECT_FALSE(exists()) << "status --json";
  EXPECT_EQ(run({"status", "--exit-code"}).exit_code, 3);
  EXPECT_FALSE(exists()) << "status --exit-code";

  auto dry_up = run({"up", "--dry-run"});
  EXPECT_EQ(dry_up.exit_code, 0) << dry_up.err;
  EXPECT_CONTAINS(dry_up.out, "CREATE TABLE users");
  EXPECT_FALSE(exists()) << "up --dry-run";

  EXPECT_EQ(run({"rollback", "--dry-run"}).exit_code, 0);
  EXPECT_FALSE(exists()) << "rollback --dry-run";

  auto validate = run({"validate"});
  EXPECT_EQ(validate.exit_code, 0) << validate.out << validate.err;
  EXPECT_FALSE(exists()) << "validate";

  auto doctor = run({"doctor"});
  EXPECT_CONTAINS(doctor.out, "does not exist yet");
  EXPECT_CONTAINS(doctor.out, "0 applied, 2 pending");
  EXPECT_FALSE(exists()) << "doctor";

  EXPECT_EQ(run({"backups"}).exit_code, 0);
  EXPECT_FALSE(exists()) << "backups";
  run({"verify"});
  run({"verify", "--deep"});
  EXPECT_FALSE(exists()) << "verify";
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "app.db-journal"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "app.db-wal"));

  // The first command that writes creates it.
  auto up = run({"up"});
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(applied().size(), 2u);
}

TEST_F(SqliteSafetyTest, VerifyOfABackupLeavesAMissingDatabaseMissing) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "keep"}).exit_code, 0);
  std::filesystem::remove(db());
  auto r = run({"verify", "--deep"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(exists());
  auto status = run({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_FALSE(exists());
}

// The fingerprint reads tables, not indexes. A backup of a database whose
// index disagrees with its table fingerprints alike, so only `verify
// --deep`'s integrity check finds it; a whole backup still passes.
TEST_F(SqliteSafetyTest, VerifyDeepFindsAnIndexThatDisagreesWithItsTable) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "whole"}).exit_code, 0);
  exec(db(),
       "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); "
       "CREATE INDEX notes_body ON notes (body); "
       "INSERT INTO notes (body) VALUES ('a'), ('b');");
  // The index's definition now names another column than its entries hold.
  exec(db(),
       "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = "
       "'CREATE INDEX notes_body ON notes (id)' WHERE name = 'notes_body';");
  ASSERT_EQ(run({"backup", "damaged"}).exit_code, 0);

  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_CONTAINS(verify.out,
                  "_damaged' does not restore: the database in the backup is damaged: "
                  "PRAGMA integrity_check says 'row 1 missing from index notes_body'");
  EXPECT_CONTAINS(verify.out, "_whole (deep)");
  EXPECT_CONTAINS(verify.out, "2 backup(s) checked, 1 problem(s)");
}

// A file-size limit (ulimit -f) makes the write fail with a message naming
// the file, not kill migrate with SIGXFSZ; nothing is left, nothing changes.
TEST_F(SqliteSafetyTest, AFileSizeLimitIsAClearErrorNotASignal) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  exec(db(),
       "CREATE TABLE filler (pad TEXT); WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL "
       "SELECT x + 1 FROM g WHERE x < 20000) INSERT INTO filler SELECT hex(randomblob(50)) "
       "FROM g;");
  ASSERT_EQ(run({"backup", "whole", "--compression", "none"}).exit_code, 0);
  std::string before = read_text(db());
  auto limited = [&](const std::string& args) {
    return shell("cd " + shell_quote(dir_.path().string()) + " && ulimit -f 256 && " +
                 shell_quote(MIGRATE_BINARY) + " " + args + " 2>&1; echo \"exit $?\"");
  };
  std::string backup = limited("backup limited --compression none");
  EXPECT_CONTAINS(backup, "file too large");
  EXPECT_CONTAINS(backup, "exit 1");
  std::string restore = limited("restore whole --yes --no-backup");
  EXPECT_CONTAINS(restore, "cannot restore backup");
  EXPECT_CONTAINS(restore, "file too large");
  EXPECT_CONTAINS(restore, "exit 1");
  EXPECT_EQ(read_text(db()), before);
  auto listed = run({"backups"});
  EXPECT_EQ(listed.out.find("limited"), std::string::npos) << listed.out;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
}

TEST_F(SqliteSafetyTest, DoctorOnAnExistingDatabaseStillChecksTheLock) {
  ASSERT_EQ(run({"up", "--no-backup", "--step", "1"}).exit_code, 0);
  auto doctor = run({"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
  EXPECT_CONTAINS(doctor.out, "runner lock");
  EXPECT_CONTAINS(doctor.out, "1 applied, 1 pending");
  EXPECT_EQ(doctor.out.find("does not exist yet"), std::string::npos) << doctor.out;
}

// The manifest's fingerprint is changed (and its own combined hash
// recomputed), so the artifact checksum still passes but the content does not
// match: the restore must refuse before the live file is replaced.
TEST_F(SqliteSafetyTest, ABackupThatDoesNotMatchItsManifestIsNotSwappedIn) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  exec(db(), "INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com');");
  ASSERT_EQ(run({"backup", "tampered"}).exit_code, 0);
  exec(db(), "INSERT INTO users (email) VALUES ('c@example.com');");
  std::string id = backups()[0]["id"];
  auto manifest_path = store() / (id + ".json");
  auto manifest = parse_manifest(read_text(manifest_path), manifest_path.filename().string());
  ASSERT_TRUE(manifest) << manifest.error().message;
  bool changed = false;
  for (auto& table : manifest->fingerprint.tables) {
    if (table.name == "users") {
      table.rows += 5;
      changed = true;
    }
  }
  ASSERT_TRUE(changed);
  std::ofstream(manifest_path) << manifest_to_json(*manifest);
  std::string before = read_text(db());

  for (bool wal : {false, true}) {
    if (wal) {
      exec(db(), "PRAGMA journal_mode = WAL;");
      before = read_text(db());
    }
    auto r = run({"restore", "tampered", "--yes", "--no-backup"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_CONTAINS(r.err, "cannot restore backup '" + id + "'");
    EXPECT_CONTAINS(r.err, "does not match the fingerprint in its manifest");
    EXPECT_CONTAINS(r.err, "the database was not touched");
    EXPECT_EQ(read_text(db()), before) << "the live file changed";
    EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "3");
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
      EXPECT_FALSE(entry.path().filename().string().starts_with(".app.db")) << entry.path();
  }
  // With a pre-restore backup the same check refuses too.
  auto with_backup = run({"restore", "tampered", "--yes"});
  EXPECT_EQ(with_backup.exit_code, 1) << with_backup.err;
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "3");
}

// While another process has the file open, restore copies into the live
// connection instead of replacing the file: the check comes before the copy.
TEST_F(SqliteSafetyTest, ABackupThatDoesNotMatchIsRefusedWhenRestoredInPlace) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "tampered"}).exit_code, 0);
  exec(db(), "INSERT INTO users (email) VALUES ('c@example.com');");
  std::string id = backups()[0]["id"];
  auto manifest_path = store() / (id + ".json");
  auto manifest = parse_manifest(read_text(manifest_path), manifest_path.filename().string());
  ASSERT_TRUE(manifest);
  manifest->fingerprint.schema_sha256 = std::string(64, 'a');
  std::ofstream(manifest_path) << manifest_to_json(*manifest);
  // The application holds the file open: restore copies in place.
  OpenConnection holder(db());
  auto r = run({"restore", "tampered", "--yes", "--no-backup"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_CONTAINS(r.err, "restoring in place");
  EXPECT_CONTAINS(r.err, "does not match the fingerprint in its manifest");
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "1");
}

// A backup made by a migrate that hashed tables another way cannot be
// checked before the swap: it is refused, and the database keeps its rows.
TEST_F(SqliteSafetyTest, ABackupOfAnotherFingerprintAlgorithmIsRefusedUntouched) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "old"}).exit_code, 0);
  exec(db(), "INSERT INTO users (email) VALUES ('c@example.com');");
  std::string id = backups()[0]["id"];
  auto manifest_path = store() / (id + ".json");
  auto manifest = parse_manifest(read_text(manifest_path), manifest_path.filename().string());
  ASSERT_TRUE(manifest);
  manifest->fingerprint.table_hash = "sha256";
  for (auto& table : manifest->fingerprint.tables) table.hash = std::string(64, '0');
  std::ofstream(manifest_path) << manifest_to_json(*manifest);
  auto r = run({"restore", "old", "--yes", "--no-backup"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_CONTAINS(r.err, "another version of migrate");
  EXPECT_CONTAINS(r.err, "the database was not touched");
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "1");

  // A name with control characters is not echoed: it could forge output lines.
  manifest->fingerprint.table_hash = "x\x1b[31m\nfake: ok";
  std::ofstream(manifest_path) << manifest_to_json(*manifest);
  auto forged = run({"restore", "old", "--yes", "--no-backup"});
  EXPECT_EQ(forged.exit_code, 1) << forged.err;
  EXPECT_CONTAINS(forged.err, "an algorithm this migrate does not know");
  EXPECT_EQ(forged.err.find("fake: ok"), std::string::npos) << forged.err;
}

TEST_F(SqliteSafetyTest, SqliteUrlsWithSecretsAreNotEchoed) {
  for (const std::string url :
       {"sqlite:./app.db?password=s3cret-pw", "sqlite:./app.db?key=s3cret-pw&mode=rw",
        "sqlite://./app.db?password=s3cret-pw"}) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"status", "--url", url},
          std::vector<std::string>{"up", "--url", url},
          std::vector<std::string>{"doctor", "--url", url}}) {
      auto r = run(args);
      EXPECT_NE(r.exit_code, 0) << url;
      EXPECT_EQ(r.out.find("s3cret"), std::string::npos) << r.out;
      EXPECT_EQ(r.err.find("s3cret"), std::string::npos) << r.err;
    }
    auto r = run({"status"}, {{"DATABASE_URL", url}});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.err.find("s3cret"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(exists());
  // A server URL may carry its password as a parameter: masked too.
  auto r =
      run({"status", "--url", "postgres://app@127.0.0.1:1/app?password=s3cret-pw&sslmode=maybe"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_CONTAINS(r.err, "password=***");
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace migrate::testing
