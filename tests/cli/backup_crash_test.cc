// Reliability: kill -9 at many points of a backup and of a restore, and a
// disk that fills up during a backup. Real processes, real files.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/cli_fixture.h"
#include "support/shell.h"

namespace migrate::testing {
namespace {

using nlohmann::json;

class BackupCrashTest : public CliTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "create_blobs",
              "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB);", "DROP TABLE blobs;");
    ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
    // About 24 MiB, so that a backup or restore takes long enough to be interrupted.
    exec(db(),
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
         "INSERT INTO blobs (data) SELECT randomblob(4096) FROM n;");
  }
  std::filesystem::path store() const { return dir_.path() / "backups"; }
  json listing() { return json::parse(run({"backups", "--json"}).out); }
  std::string dump() {
    return shell("sqlite3 '" + db().string() + "' 'SELECT id, hex(data) FROM blobs' | sha256sum");
  }
  std::vector<std::string> leftovers() {
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(store()))
      if (e.path().filename().string().find(".tmp-") != std::string::npos)
        found.push_back(e.path().filename());
    return found;
  }
  // Files in the store that belong to no listed backup (the lock is the
  // store's own).
  std::vector<std::string> strays() {
    std::set<std::string> known = {".lock"};
    json listed = listing();
    for (const auto& b : listed["backups"]) {
      known.insert(b["id"].get<std::string>() + ".json");
      known.insert(std::filesystem::path(b["path"].get<std::string>()).filename().string());
    }
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(store()))
      if (!known.count(e.path().filename().string())) found.push_back(e.path().filename());
    return found;
  }
  // Starts `args`, kills it with SIGKILL after `delay`; returns whether it had already finished.
  bool kill_after(const std::vector<std::string>& args, std::chrono::milliseconds delay) {
    int pid = spawn_cli(dir_.path(), args, dir_.path() / "killed.log");
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    return wait_cli(pid) == 0;
  }
};

// Kill points spread over the time one run takes on this machine.
std::chrono::milliseconds kill_point(std::chrono::steady_clock::duration run_time, int i, int of) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(run_time * (2 * i + 1) / (2 * of));
}

TEST_F(BackupCrashTest, KilledBackupsNeverListAndTheGoodOneStillRestores) {
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(run({"backup", "good", "--compression", "none"}).exit_code, 0);
  auto run_time = std::chrono::steady_clock::now() - started;
  std::string good = dump();
  int interrupted = 0;
  for (int i = 0; i < 12; ++i) {
    if (!kill_after({"backup", "crash", "--compression", i % 2 ? "zstd" : "none"},
                    kill_point(run_time, i, 12)))
      ++interrupted;
    auto backups = listing()["backups"];  // the killed run's leftovers never list
    for (const auto& b : backups) {
      auto v = run({"verify", b["id"].get<std::string>()});
      EXPECT_EQ(v.exit_code, 0) << "a listed backup does not verify: " << v.out;
    }
  }
  EXPECT_GT(interrupted, 3) << "the kills came too late to interrupt anything";
  // `backups` and `verify` delete nothing; the next backup removes what the
  // killed ones left, and only that.
  ASSERT_EQ(run({"backup", "after"}).exit_code, 0);
  EXPECT_TRUE(strays().empty()) << ::testing::PrintToString(strays());
  exec(db(), "DELETE FROM blobs WHERE id % 3 = 0;");
  auto r = run({"restore", "good", "--yes", "--no-backup"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(dump(), good);
}

TEST_F(BackupCrashTest, KilledRestoreLeavesTheOldOrTheNewStateNeverAMix) {
  std::string state_a = dump();
  ASSERT_EQ(run({"backup", "a"}).exit_code, 0);
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(run({"restore", "a", "--yes", "--no-backup"}).exit_code, 0);
  auto run_time = std::chrono::steady_clock::now() - started;
  exec(db(), "DELETE FROM blobs WHERE id % 2 = 0; CREATE TABLE extra (x);");
  std::string state_b = dump();
  for (int i = 0; i < 10; ++i) {
    bool finished =
        kill_after({"restore", "a", "--yes", "--no-backup"}, kill_point(run_time, i, 10));
    EXPECT_EQ(query_one(db(), "PRAGMA integrity_check"), "ok") << i;
    std::string now = dump();
    EXPECT_TRUE(now == state_a || now == state_b)
        << "restore killed at point " << i << " left a mix";
    if (finished || now == state_a) {
      // Put B back for the next round.
      exec(db(), "DELETE FROM blobs WHERE id % 2 = 0; CREATE TABLE IF NOT EXISTS extra (x);");
    }
  }
  ASSERT_EQ(run({"restore", "a", "--yes", "--no-backup"}).exit_code, 0);
  EXPECT_EQ(dump(), state_a);
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"), "0");
  listing();
  EXPECT_TRUE(leftovers().empty());
  // The killed restores' staged copies beside the database are gone too.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_FALSE(entry.path().filename().string().starts_with(".migrate-app.db.tmp-"))
        << entry.path();
}

TEST_F(BackupCrashTest, BackupIsConsistentWhileAnotherConnectionWrites) {
  exec(db(), "CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);");
  // A writer that keeps the ledger balanced: every transaction adds +1 and -1.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop) {
      try {
        exec(db(),
             "BEGIN; INSERT INTO ledger (amount) VALUES (1); INSERT INTO ledger (amount) VALUES "
             "(-1); COMMIT;");
      } catch (const std::exception&) {
      }
      // A busy application, not a tight loop: in rollback-journal mode a
      // writer that never pauses can starve every reader's shared lock.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (int i = 0; i < 2; ++i) {
    auto r = run({"backup", "w" + std::to_string(i)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  stop = true;
  writer.join();
  // Every snapshot holds whole transactions only, and its fingerprint was taken of that same
  // snapshot.
  for (int i = 0; i < 2; ++i) {
    std::string label = "w" + std::to_string(i);
    auto v = run({"verify", label, "--deep"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    ASSERT_EQ(run({"restore", label, "--yes", "--no-backup"}).exit_code, 0);
    EXPECT_EQ(query_one(db(), "SELECT coalesce(sum(amount), 0) FROM ledger"), "0");
    EXPECT_EQ(query_one(db(), "PRAGMA integrity_check"), "ok");
  }
}

TEST_F(BackupCrashTest, FullDiskFailsCleanlyBeforeAnyMigration) {
  ASSERT_EQ(run({"backup", "older"}).exit_code, 0);
  migration("20260102000000", "more", "CREATE TABLE more (x);", "DROP TABLE more;");
  std::map<std::string, std::string> full_disk = {{"LD_PRELOAD", ENOSPC_SHIM},
                                                  {"MIGRATE_TEST_ENOSPC_PATH", "/backups/"},
                                                  {"MIGRATE_TEST_ENOSPC_AFTER", "1000000"}};
  auto r = run({"up"}, full_disk);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "no space left on device");
  EXPECT_EQ(applied().size(), 1u);  // the migration did not start
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'more'"), "0");
  auto backups = listing()["backups"];
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups[0]["label"], "older");
  EXPECT_EQ(run({"verify", "older", "--deep"}).exit_code, 0);
  EXPECT_TRUE(leftovers().empty());
  // With room again, the same command works.
  EXPECT_EQ(run({"up"}).exit_code, 0);
}

// The backup of the current state that a restore takes first does not fit:
// the restore says which backup failed, that nothing changed, and the way
// on without one.
TEST_F(BackupCrashTest, APreRestoreBackupThatDoesNotFitSaysSoAndChangesNothing) {
  ASSERT_EQ(run({"backup", "a"}).exit_code, 0);
  exec(db(), "DELETE FROM blobs WHERE id % 2 = 0;");
  std::string before = dump();
  auto r = run({"restore", "a", "--yes"}, {{"LD_PRELOAD", ENOSPC_SHIM},
                                           {"MIGRATE_TEST_ENOSPC_PATH", "_pre-restore."},
                                           {"MIGRATE_TEST_ENOSPC_AFTER", "1000"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err,
                  "cannot take the backup of the current state that comes before the "
                  "restore");
  EXPECT_CONTAINS(r.err, "the database was not changed");
  EXPECT_CONTAINS(r.err, "--no-backup");
  EXPECT_EQ(dump(), before);
}

TEST_F(BackupCrashTest, FullDiskDuringRestoreLeavesTheDatabaseAsItWas) {
  ASSERT_EQ(run({"backup", "a"}).exit_code, 0);
  exec(db(), "DELETE FROM blobs WHERE id % 2 = 0;");
  std::string before = dump();
  // The snapshot is staged beside the database; the disk fills up there.
  auto r = run({"restore", "a", "--yes", "--no-backup"},
               {{"LD_PRELOAD", ENOSPC_SHIM},
                {"MIGRATE_TEST_ENOSPC_PATH", "/.migrate-app.db.tmp-"},
                {"MIGRATE_TEST_ENOSPC_AFTER", "1000000"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "no space left on device");
  EXPECT_EQ(dump(), before);
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_FALSE(entry.path().filename().string().starts_with(".migrate-app.db.tmp-"))
        << entry.path();
  EXPECT_EQ(run({"restore", "a", "--yes", "--no-backup"}).exit_code, 0);
}

}  // namespace
}  // namespace migrate::testing
