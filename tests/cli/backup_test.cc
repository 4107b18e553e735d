// Backups as a user meets them: automatic and manual backups, the store's
// files, exact restores, safe, corruption, encryption and retention.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/cli_fixture.h"
#include "support/shell.h"

namespace migrate::testing {
namespace {

using nlohmann::json;

class BackupTest : public CliTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "create_users",
              "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);",
              "DROP TABLE users;");
    migration("20260102000000", "create_orders",
              "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), "
              "total REAL);\n"
              "CREATE INDEX orders_by_user ON orders(user_id);\n"
              "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;\n"
              "CREATE TRIGGER orders_positive BEFORE INSERT ON orders WHEN NEW.total < 0\n"
              "BEGIN SELECT RAISE(ABORT, 'negative total'); END;",
              "DROP TABLE orders;");
  }
  std::filesystem::path store() const { return dir_.path() / "backups"; }
  json backups() { return json::parse(run({"backups", "--json"}).out)["backups"]; }
  std::string dump() { return shell("sqlite3 '" + db().string() + "' .dump"); }
  void fill(int users) {
    exec(db(), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                   std::to_string(users) +
                   ") INSERT INTO users (email) SELECT 'user' || i || '@example.com' FROM n;"
                   "INSERT INTO orders (user_id, total) SELECT id, id * 1.5 FROM users;");
  }
};

int mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

TEST_F(BackupTest, UpBacksUpFirstAndRecordsTheBackupId) {
  ASSERT_EQ(run({"up", "--step", "1"}).exit_code, 0);
  auto list = backups();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["label"], "pre-up");
  EXPECT_EQ(list[0]["reason"], "up");
  EXPECT_EQ(query_one(db(), "SELECT backup_id FROM schema_migrations"),
            list[0]["id"].get<std::string>());

  auto r = run({"up", "--no-backup"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(backups().size(), 1u);
  EXPECT_EQ(
      query_one(db(), "SELECT backup_id FROM schema_migrations WHERE version = '20260102000000'"),
      "NULL");

  EXPECT_CONTAINS(run({"up"}).out, "nothing to do");
  EXPECT_EQ(backups().size(), 1u);  // nothing to do: no backup
  ASSERT_EQ(run({"rollback"}).exit_code, 0);
  EXPECT_EQ(backups()[0]["label"], "pre-rollback");
}

TEST_F(BackupTest, PreUpBackupHoldsTheDatabaseExactlyAsBefore) {
  exec(db(), "CREATE TABLE legacy (x); INSERT INTO legacy VALUES (42);");
  ASSERT_EQ(run({"up"}).exit_code, 0);
  auto restored = run({"restore", backups()[0]["id"].get<std::string>(), "--yes", "--no-backup"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  // Not even the tracking table: it was created after the backup.
  EXPECT_EQ(objects(), std::vector<std::string>{"table:legacy"});
  EXPECT_EQ(query_one(db(), "SELECT x FROM legacy"), "42");
}

TEST_F(BackupTest, StoreIsPrivateAndManifestDescribesTheArtifact) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(10);
  auto r = run({"backup", "nightly", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = json::parse(r.out);
  std::string id = doc["id"];
  EXPECT_NE(id.find("Z_nightly"), std::string::npos);
  EXPECT_EQ(mode_of(store()), 0700);
  auto manifest_path = store() / (id + ".json");
  auto artifact_path = std::filesystem::path(doc["path"].get<std::string>());
  if (artifact_path.is_relative()) artifact_path = dir_.path() / artifact_path;
  EXPECT_EQ(mode_of(manifest_path), 0600);
  EXPECT_EQ(mode_of(artifact_path), 0600);
  EXPECT_EQ(artifact_path.extension(), ".zst");

  auto manifest = json::parse(read_text(manifest_path));
  for (const char* field :
       {"format_version", "id", "label", "reason", "created_at", "tool_version", "driver",
        "server_version", "database", "format", "compression", "encryption", "artifact_size",
        "artifact_sha256", "schema_version", "fingerprint"}) {
    EXPECT_TRUE(manifest.contains(field)) << field << "\n" << manifest.dump(2);
  }
  EXPECT_EQ(manifest["schema_version"], "20260102000000");
  // The table list with row counts, part of the content fingerprint.
  bool users_listed = false;
  for (const auto& t : manifest["fingerprint"]["tables"])
    if (t["name"] == "users") users_listed = t["rows"] == 10;
  EXPECT_TRUE(users_listed) << manifest["fingerprint"].dump(2);
  EXPECT_EQ(manifest["compression"], "zstd");
  std::string sha = shell("sha256sum '" + artifact_path.string() + "' | cut -c1-64");
  EXPECT_EQ(manifest["artifact_sha256"].get<std::string>() + "\n", sha);
  EXPECT_EQ(manifest["artifact_size"].get<std::uint64_t>(),
            std::filesystem::file_size(artifact_path));
  // The artifact is a real zstd-compressed SQLite database.
  std::string header = shell("zstd -dc '" + artifact_path.string() + "' 2>/dev/null | head -c 15");
  if (!header.empty()) EXPECT_EQ(header, "SQLite format 3");
}

TEST_F(BackupTest, RestoreBringsBackExactlyTheBackedUpState) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  fill(500);
  ASSERT_EQ(run({"backup", "before-change"}).exit_code, 0);
  std::string before = dump();
  exec(db(),
       "CREATE TABLE extra (x); INSERT INTO extra VALUES (1); DELETE FROM orders WHERE id % 2 = 0;"
       "UPDATE users SET email = 'changed' || id; DROP VIEW big_orders; CREATE INDEX later ON "
       "users(email);");
  ASSERT_NE(dump(), before);

  auto r = run({"restore", "before-change", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "matches the backup's fingerprint");
  EXPECT_EQ(dump(), before);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name IN ('extra', 'later')"),
            "0");
  EXPECT_FALSE(std::filesystem::exists(db().string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(db().string() + "-journal"));
  // The replaced state was backed up first.
  EXPECT_EQ(backups()[0]["label"], "pre-restore");
}

TEST_F(BackupTest, RestoreOfAWalDatabaseLeavesNoStaleWal) {
  ASSERT_EQ(run({"up"}).exit_code, 0);
  exec(db(), "PRAGMA journal_mode = WAL;");
  fill(50);
  ASSERT_EQ(run({"backup", "wal"}).exit_code, 0);
  std::string before = dump();
  exec(db(), "INSERT INTO users (email) VALUES ('after');");
  ASSERT_EQ(run({"restore", "wal", "--yes", "--no-backup"}).exit_code, 0);
  EXPECT_EQ(dump(), before);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users WHERE email = 'after'"), "0");
  EXPECT_EQ(query_one(db(), "PRAGMA journal_mode"), "wal");  // restored as it was
}

TEST_F(BackupTest, AnApplicationHoldingTheDatabaseSeesTheRestoredState) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(10);
  ASSERT_EQ(run({"backup", "ten"}).exit_code, 0);
  exec(db(), "DELETE FROM orders; DELETE FROM users;");
  // The "application": a sqlite3 shell that keeps the database open.
  auto out = dir_.path() / "app.out";
  FILE* app =
      ::popen(("sqlite3 '" + db().string() + "' > '" + out.string() + "' 2>&1").c_str(), "w");
  ASSERT_NE(app, nullptr);
  std::fputs("SELECT 'before', count(*) FROM users;\n", app);
  std::fflush(app);
  for (int i = 0; i < 100 && read_text(out).find("before") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto r = run({"restore", "ten", "--yes", "--no-backup"});
  std::fputs("SELECT 'after', count(*) FROM users;\n.quit\n", app);
  ::pclose(app);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "restoring in place");
  EXPECT_CONTAINS(read_text(out), "before|0");
  EXPECT_CONTAINS(read_text(out), "after|10");  // not the replaced file's 0
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "10");
}

TEST_F(BackupTest, RestoreKeepsTheFileModeAndLeavesNoTemporaries) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(20);
  ::chmod(db().c_str(), 0640);
  ASSERT_EQ(run({"backup", "mode"}).exit_code, 0);
  // A restore that crashed earlier left its staged copy beside the database.
  dir_.write(".migrate-app.db.tmp-99999999", "half a database");
  exec(db(), "DELETE FROM users;");
  auto r = run({"restore", "mode", "--yes", "--no-backup"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "20");
  EXPECT_EQ(mode_of(db()), 0640);
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_FALSE(entry.path().filename().string().starts_with(".migrate-app.db"))
        << entry.path() << " left behind";
}

TEST_F(BackupTest, AnArtifactThatIsNotADatabaseIsRefusedAndChangesNothing) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(10);
  ASSERT_EQ(run({"backup", "odd", "--compression", "none"}).exit_code, 0);
  json listed = backups()[0];
  // A well-formed, checksummed backup whose content is not a SQLite file.
  auto artifact = dir_.path() / std::filesystem::path(listed["path"].get<std::string>());
  std::string garbage(8192, 'x');
  std::ofstream(artifact, std::ios::binary) << garbage;
  auto manifest_path = store() / (listed["id"].get<std::string>() + ".json");
  json manifest = json::parse(read_text(manifest_path));
  manifest["artifact_size"] = garbage.size();
  manifest["artifact_sha256"] =
      shell("printf '%s' '" + garbage + "' | sha256sum | cut -c1-64").substr(0, 64);
  std::ofstream(manifest_path) << manifest.dump(2);
  std::string before = dump();

  auto r = run({"restore", "odd", "--yes", "--no-backup"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_CONTAINS(r.err, "does not hold a whole SQLite database");
  EXPECT_EQ(dump(), before);
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_FALSE(entry.path().filename().string().starts_with(".app.db")) << entry.path();
}

TEST_F(BackupTest, RefsResolveOrListCandidates) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "alpha"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "beta"}).exit_code, 0);
  exec(db(), "INSERT INTO users (email) VALUES ('x');");
  std::string newest = backups()[0]["id"];

  auto ambiguous = run({"restore", "Z_", "--yes"});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_CONTAINS(ambiguous.err, "alpha");
  EXPECT_CONTAINS(ambiguous.err, "beta");
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "1");

  for (std::string outside : {"../app.db", "/etc/passwd", "backups/../../app.db"}) {
    auto r = run({"restore", outside, "--yes"});
    EXPECT_EQ(r.exit_code, 2) << outside;
    EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "1");
  }
  auto missing = run({"restore", "gamma", "--yes"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_CONTAINS(missing.err, "no backup matches 'gamma'");

  auto latest = run({"restore", "latest", "--yes", "--no-backup", "--json"});
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(json::parse(latest.out)["restored"], newest);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM users"), "0");
  auto by_file = run({"restore", newest + ".json", "--yes", "--no-backup"});
  EXPECT_EQ(by_file.exit_code, 0) << by_file.err;
}

TEST_F(BackupTest, RestoreNeedsConfirmationWithoutATerminal) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup"}).exit_code, 0);
  auto r = run({"restore", "latest"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "pass --yes");
}

TEST_F(BackupTest, DamagedArtifactsAreRefusedBeforeTheDatabaseIsTouched) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(100);
  ASSERT_EQ(run({"backup", "flip"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "cut"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "broken-manifest"}).exit_code, 0);
  exec(db(), "INSERT INTO users (email) VALUES ('after');");
  std::string before = dump();
  auto artifact = [&](const std::string& label) {
    for (const auto& b : backups())
      if (b["label"] == label)
        return dir_.path() / std::filesystem::path(b["path"].get<std::string>());
    return std::filesystem::path();
  };
  auto flip = artifact("flip"), cut = artifact("cut");
  std::string cut_id = backups()[1]["id"];  // newest first: broken-manifest, cut, flip
  {
    std::string bytes = read_text(flip);
    bytes[bytes.size() / 2] ^= 0x01;
    std::ofstream(flip, std::ios::binary) << bytes;
    std::string text = read_text(cut);
    std::ofstream(cut, std::ios::binary) << text.substr(0, text.size() - 100);
  }
  // A flipped byte passes the size check and fails the SHA-256 at restore
  // time, checked first (before the pre-restore backup) or while decoding.
  for (auto args : {std::vector<std::string>{"restore", "flip", "--yes"},
                    std::vector<std::string>{"restore", "flip", "--yes", "--no-backup"}}) {
    auto flipped = run(args);
    EXPECT_EQ(flipped.exit_code, 1) << args.size();
    EXPECT_CONTAINS(flipped.err, "is damaged: SHA-256");
    EXPECT_CONTAINS(flipped.err, "the database was not touched");
    EXPECT_EQ(dump(), before);
  }
  // A truncated artifact no longer lists as a valid backup; named exactly, it is refused.
  auto truncated = run({"restore", cut_id, "--yes"});
  EXPECT_EQ(truncated.exit_code, 1);
  EXPECT_CONTAINS(truncated.err, cut_id);
  EXPECT_EQ(dump(), before);
  std::string broken_id;
  for (const auto& b : backups())
    if (b["label"] == "broken-manifest") broken_id = b["id"];
  dir_.write("backups/" + broken_id + ".json", "{\"format_version\": 1, \"id\": ");
  auto listing = run({"backups"});
  EXPECT_EQ(listing.exit_code, 0);
  EXPECT_CONTAINS(listing.out, "damaged manifest");
  auto r = run({"restore", broken_id, "--yes"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(dump(), before);

  auto verify = run({"verify"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_CONTAINS(verify.out, "FAILED");
  EXPECT_CONTAINS(verify.out, "3 problem(s)");
}

TEST_F(BackupTest, VerifyDeepRestoresIntoAScratchDatabase) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(100);
  ASSERT_EQ(run({"backup", "good"}).exit_code, 0);
  auto r = run({"verify", "good", "--deep"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_CONTAINS(r.out, "ok");
  EXPECT_CONTAINS(r.out, "(deep)");
  // No scratch files are left in the store.
  for (const auto& e : std::filesystem::directory_iterator(store()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST_F(BackupTest, ProgressIsDrawnOnATerminalOnly) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(20000);
  // Drawn from the start instead of after a second, so that a small database shows it.
  std::map<std::string, std::string> at_once = {{"MIGRATE_PROGRESS_DELAY", "0"}};
  auto on_terminal = run_cli_in_terminal(dir_.path(), {"backup", "tty"}, "", at_once);
  ASSERT_EQ(on_terminal.exit_code, 0) << on_terminal.out;
  EXPECT_CONTAINS(on_terminal.out, "backing up: ");
  EXPECT_CONTAINS(on_terminal.out, "MiB/s)");
  auto restored =
      run_cli_in_terminal(dir_.path(), {"restore", "tty", "--yes", "--no-backup"}, "", at_once);
  ASSERT_EQ(restored.exit_code, 0) << restored.out;
  EXPECT_CONTAINS(restored.out, "restoring: ");
  auto piped = run({"backup", "pipe"}, at_once);
  ASSERT_EQ(piped.exit_code, 0);
  EXPECT_EQ(piped.err.find("backing up"), std::string::npos) << piped.err;
  EXPECT_EQ(piped.out.find("backing up"), std::string::npos) << piped.out;
}

TEST_F(BackupTest, VerifyDeepNeitherNeedsNorCreatesTheDatabase) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "good"}).exit_code, 0);
  std::filesystem::remove(db());
  auto r = run({"verify", "--deep"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_CONTAINS(r.out, "(deep)");
  EXPECT_FALSE(exists()) << "verify --deep created the configured database";
}

TEST_F(BackupTest, SafeRestoresAfterAFailureInANoTransactionMigration) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(200);
  std::string before = dump();
  migration("20260103000000", "add_column", "ALTER TABLE users ADD COLUMN age INTEGER;", "");
  migration("20260104000000", "half_done",
            "-- migrate:no-transaction\n"
            "UPDATE users SET age = 30;\n"
            "CREATE TABLE audit (x);\n"
            "INSERT INTO orders (user_id, total) VALUES (1, -5);\n"  // the trigger aborts here
            "CREATE TABLE never (x);");
  auto r = run({"safe"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_CONTAINS(r.err, "20260104000000_half_done.sql: line 4: negative total");
  EXPECT_CONTAINS(r.err, "safe: restored backup");
  EXPECT_CONTAINS(r.err, "the database matches it");
  EXPECT_EQ(dump(), before);
  EXPECT_EQ(applied().size(), 2u);
  EXPECT_EQ(backups()[0]["label"], "pre-safe");
}

TEST_F(BackupTest, SafeAppliesWhenAllIsWell) {
  auto r = run({"safe", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["migrations"].size(), 2u);
  EXPECT_EQ(doc["backup_id"], backups()[0]["id"]);
  EXPECT_EQ(query_one(db(), "SELECT count(DISTINCT backup_id) FROM schema_migrations"), "1");
  // safe always backs up, even with nothing to apply.
  ASSERT_EQ(run({"safe"}).exit_code, 0);
  EXPECT_EQ(backups().size(), 2u);
}

TEST_F(BackupTest, EncryptedBackupsNeedTheRightKey) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(100);
  std::map<std::string, std::string> key = {{"MIGRATE_BACKUP_KEY", "correct horse battery staple"}};
  auto r = run({"backup", "secret", "--json"}, key);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["encryption"], "aes-256-gcm");
  std::string artifact = read_text(dir_.path() / doc["path"].get<std::string>());
  EXPECT_EQ(artifact.find("SQLite format 3"), std::string::npos);
  EXPECT_EQ(artifact.find("user1@example.com"), std::string::npos);
  exec(db(), "DELETE FROM orders;");
  std::string changed = dump();

  auto no_key = run({"restore", "secret", "--yes", "--no-backup"});
  EXPECT_EQ(no_key.exit_code, 2);
  EXPECT_CONTAINS(no_key.err, "is encrypted and no key was given");
  auto wrong =
      run({"restore", "secret", "--yes", "--no-backup"}, {{"MIGRATE_BACKUP_KEY", "wrong"}});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_CONTAINS(wrong.err, "authentication failed");
  EXPECT_EQ((wrong.out + wrong.err).find("correct horse"), std::string::npos);
  EXPECT_EQ(dump(), changed);

  auto deep = run({"verify", "--deep"}, key);
  EXPECT_EQ(deep.exit_code, 0) << deep.out << deep.err;
  auto right = run({"restore", "secret", "--yes", "--no-backup"}, key);
  ASSERT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM orders"), "100");
}

TEST_F(BackupTest, KeyFileWorksAndMustBePrivate) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  auto key = dir_.write("backup.key", std::string(64, 'a'));
  std::filesystem::permissions(
      key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ASSERT_EQ(run({"backup", "keyed", "--key-file", key.string()}).exit_code, 0);
  ASSERT_EQ(run({"verify", "keyed", "--deep", "--key-file", key.string()}).exit_code, 0);
  std::filesystem::permissions(key, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  auto r = run({"backup", "--key-file", key.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "backup.key");
}

TEST_F(BackupTest, GzipAndNoCompression) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  fill(20);
  for (const char* c : {"gzip", "none"}) {
    auto r = run({"backup", c, "--compression", c, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["compression"], c);
    EXPECT_EQ(run({"verify", c, "--deep"}).exit_code, 0);
  }
  auto bad = run({"backup", "--compression", "lz4"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_CONTAINS(bad.err, "lz4");
}

TEST_F(BackupTest, PruneKeepsWhatThePolicySaysAndNeverTheNewest) {
  ASSERT_EQ(run({"up"}).exit_code, 0);  // pre-up backup protects the latest batch
  std::string protected_id = backups()[0]["id"];
  for (int i = 0; i < 4; ++i) ASSERT_EQ(run({"backup", "b" + std::to_string(i)}).exit_code, 0);
  auto none = run({"prune"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_CONTAINS(none.err, "policy");

  auto dry = run({"prune", "--keep-last", "1", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_CONTAINS(dry.out, "would prune");
  EXPECT_EQ(backups().size(), 5u);

  auto r = run({"prune", "--keep-last", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto left = backups();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0]["label"], "b3");
  EXPECT_EQ(left[1]["id"], protected_id);

  auto env = run({"prune"}, {{"MIGRATE_RETENTION", "keep-last=1"}});
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_EQ(backups().size(), 2u);
}

// A backup being restored or verified holds the store's lock shared (here
// another process holds it, as a restore would): prune waits for it up to
// --lock-timeout, then says the store is in use and removes nothing.
TEST_F(BackupTest, PruneWaitsForARestoreAndRemovesNothingWhileItReads) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(run({"backup", "b" + std::to_string(i)}).exit_code, 0);
  std::thread holder(
      [lock = store() / ".lock"] { shell("flock --shared '" + lock.string() + "' sleep 4"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto busy = run({"prune", "--keep-last", "1", "--lock-timeout", "1"});
  EXPECT_EQ(busy.exit_code, 1) << busy.out << busy.err;
  EXPECT_CONTAINS(busy.err, "is in use");
  EXPECT_EQ(backups().size(), 3u);
  holder.join();
  auto done = run({"prune", "--keep-last", "1"});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(backups().size(), 1u);
}

TEST_F(BackupTest, BadLabelIsRefused) {
  auto r = run({"backup", "Not/OK"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "invalid backup label 'Not/OK'");
  auto latest = run({"backup", "latest"});
  EXPECT_EQ(latest.exit_code, 2);
  EXPECT_CONTAINS(latest.err, "invalid backup label 'latest'");
  EXPECT_FALSE(std::filesystem::exists(store()) && !std::filesystem::is_empty(store()));
}

}  // namespace
}  // namespace migrate::testing
