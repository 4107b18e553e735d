// SIGTERM during `safe`: the run stops, the backup is restored
// as after any failure, and the report says a signal stopped it (exit 4).
#include <fmt/format.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/cli_fixture.h"
#include "support/temp_dir.h"

namespace migrate::testing {
namespace {

namespace fs = std::filesystem;

// Whether process `pid`, once it runs migrate (the forked child holds the
// test's own descriptors until then), has `path` open.
bool has_open(int pid, const fs::path& path) {
  std::error_code ec;
  fs::path proc = fs::path("/proc") / std::to_string(pid);
  if (!fs::equivalent(proc / "exe", MIGRATE_BINARY, ec)) return false;
  for (const auto& fd : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "fd", ec))
    if (fs::equivalent(fd.path(), path, ec)) return true;
  return false;
}

class SafeInterruptTest : public CliTest {
 protected:
  // Two migrations; the second waits on the lock the test holds on
  // other.db (ATTACH reads its schema). Returns once it waits.
  void SetUp() override {
    exec(db(), "CREATE TABLE keep (i INTEGER); INSERT INTO keep VALUES (1);");
    exec(other(), "CREATE TABLE t (i INTEGER);");
    migration("20260101000000", "create_a", "CREATE TABLE a (i INTEGER);");
    migration("20260102000000", "wait",
              "-- migrate:no-transaction\nATTACH 'other.db' AS o;\nINSERT INTO o.t VALUES (1);\n");
    ASSERT_EQ(sqlite3_open(other().c_str(), &holder_), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(holder_, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    pid_ = spawn_cli(dir_.path(), {"safe"}, log());
    // Waiting once migrate has other.db open; the bound only keeps a broken
    // build from hanging the suite.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (!has_open(pid_, other()) && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(has_open(pid_, other())) << read_text(log());
  }
  void TearDown() override { sqlite3_close(holder_); }
  int finish() {
    int exit_code = wait_cli(pid_);
    sqlite3_exec(holder_, "ROLLBACK", nullptr, nullptr, nullptr);
    return exit_code;
  }
  fs::path other() const { return dir_.path() / "other.db"; }
  fs::path log() const { return dir_.path() / "safe.log"; }

  sqlite3* holder_ = nullptr;
  int pid_ = 0;
};

TEST_F(SafeInterruptTest, SigtermWhileAMigrationWaitsRestoresTheBackupAndExits4) {
  ::kill(pid_, SIGTERM);
  int exit_code = finish();
  std::string out = read_text(log());
  EXPECT_EQ(exit_code, 4) << out;
  EXPECT_CONTAINS(out, "interrupted by signal SIGTERM");
  // The signal is acknowledged when it comes, before the restore's report.
  EXPECT_CONTAINS(out, "migrate: signal received: stopping the run, then restoring the backup");
  EXPECT_CONTAINS(out, "the database matches it");
  EXPECT_TRUE(applied().empty());
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'a'"), "0");
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM keep"), "1");
}

// Two signals (different ones, so that they cannot merge into one pending
// signal): the second ends migrate at once, as without the handler.
TEST_F(SafeInterruptTest, ASecondSignalEndsTheProcessAtOnce) {
  ::kill(pid_, SIGTERM);
  ::kill(pid_, SIGINT);
  int exit_code = finish();
  std::string out = read_text(log());
  EXPECT_TRUE(exit_code == 128 + SIGTERM || exit_code == 128 + SIGINT) << exit_code << out;
  EXPECT_EQ(out.find("restored backup"), std::string::npos) << out;
  // It says what it leaves and the way back.
  EXPECT_CONTAINS(out, "a second signal ends migrate now");
  // The backup safe took, by its id.
  auto backups = run({"backups", "--json"});
  auto id = nlohmann::json::parse(backups.out)["backups"][0]["id"].get<std::string>();
  EXPECT_CONTAINS(out,
                  "put back the backup taken before the run with `migrate restore " + id + "`");
}

// The signal comes while the last file runs a long statement, in its
// transaction: nothing after that statement runs, the file is not
// committed, and the backup is restored (exit 4), as for a file in the middle.
class SafeInterruptInTheLastFileTest : public CliTest {};

TEST_F(SafeInterruptInTheLastFileTest, SigtermDuringTheLastFileRestoresTheBackupAndExits4) {
  exec(db(), "CREATE TABLE keep (i INTEGER); INSERT INTO keep VALUES (1);");
  migration("20260101000000", "create_a", "CREATE TABLE a (i INTEGER);");
  migration("20260102000000", "long",
            "CREATE TABLE b AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 20000000) SELECT sum(x) AS s FROM c;\nCREATE TABLE b2 (i INTEGER);\n");
  fs::path log = dir_.path() / "safe.log";
  int pid = spawn_cli(dir_.path(), {"safe"}, log);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (read_text(log).find("applied 20260101000000") == std::string::npos &&
         std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGTERM);
  int exit_code = wait_cli(pid);
  std::string out = read_text(log);
  EXPECT_EQ(exit_code, 4) << out;
  EXPECT_CONTAINS(out, "interrupted by signal SIGTERM");
  EXPECT_CONTAINS(out, "the database matches it");
  EXPECT_TRUE(applied().empty());
  for (const char* table : {"a", "b", "b2"})
    EXPECT_EQ(
        query_one(db(), fmt::format("SELECT count(*) FROM sqlite_master WHERE name = '{}'", table)),
        "0")
        << table;
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM keep"), "1");
}

}  // namespace
}  // namespace migrate::testing
