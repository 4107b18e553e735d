// The backup directory as a user shares it: with other files, other users
// and other databases, and with concurrent runners. The store deletes only
// its own files, never changes a directory it did not create, trusts nothing
// another user put there, and picks the current database's backups.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "support/cli_fixture.h"
#include "support/shell.h"

namespace migrate::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class BackupStoreCliTest : public CliTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "create_users",
              "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", "DROP TABLE users;");
    ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  }
  fs::path store() const { return dir_.path() / "backups"; }
  json listed(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"backups", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  std::string users() { return query_one(db(), "SELECT count(*) FROM users"); }
  void add_users(int n) {
    exec(db(), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                   std::to_string(n) + ") INSERT INTO users (email) SELECT 'u' || i FROM n;");
  }
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}

TEST_F(BackupStoreCliTest, TheStoreDeletesOnlyItsOwnFilesAndReadingDeletesNothing) {
  // The project directory itself as the store (it is private: mkdtemp makes it 0700).
  ASSERT_EQ(mode_of(dir_.path()), 0700u);
  const std::vector<std::string> others = {
      "20260101T000000Z_notes.txt",  // named like an artifact, no manifest
      "20250101T120000Z_report.tar.gz",
      ".app.db.tmp-99999999",  // someone else's temporary of a gone process
      ".draft.md.tmp-99999999",         ".20260101T000000Z_x.sqlite.tmp-99999999",
  };
  for (const auto& name : others) dir_.write(name, "mine");
  for (auto args : {std::vector<std::string>{"backups", "-b", "."},
                    std::vector<std::string>{"verify", "-b", "."},
                    std::vector<std::string>{"backup", "here", "-b", "."},
                    std::vector<std::string>{"backups", "-b", "."}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    for (const auto& name : others)
      EXPECT_TRUE(fs::exists(dir_.path() / name)) << args[0] << " deleted " << name;
  }
  EXPECT_EQ(mode_of(dir_.path()), 0700u);

  // In the default store too: a backup leaves alone what it did not write.
  ASSERT_EQ(run({"backup", "first"}).exit_code, 0);
  for (const auto& name : others) dir_.write("backups/" + name, "mine");
  ASSERT_EQ(run({"backup", "second"}).exit_code, 0);
  for (const auto& name : others) EXPECT_TRUE(fs::exists(store() / name)) << name;
  EXPECT_EQ(listed()["backups"].size(), 2u);
}

TEST_F(BackupStoreCliTest, ReadOnlyCommandsLeaveACrashedBackupsFilesForTheNextBackup) {
  ASSERT_EQ(run({"backup", "good"}).exit_code, 0);
  // What a backup killed before its manifest leaves: its marker and artifact.
  dir_.write("backups/.migrate-20260101T000000Z_crashed.pending",
             "99999999 20260101T000000Z_crashed.sqlite.zst\n");
  dir_.write("backups/20260101T000000Z_crashed.sqlite.zst", "half an artifact");
  dir_.write("backups/.migrate-20260101T000000Z_crashed.json.tmp-99999999", "half a manifest");
  for (auto args : {std::vector<std::string>{"backups"}, std::vector<std::string>{"verify"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find("crashed"), std::string::npos) << r.out;
    EXPECT_TRUE(fs::exists(store() / "20260101T000000Z_crashed.sqlite.zst"))
        << args[0] << " deleted it";
    EXPECT_TRUE(fs::exists(store() / ".migrate-20260101T000000Z_crashed.json.tmp-99999999"));
  }
  ASSERT_EQ(run({"backup", "next"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(store() / "20260101T000000Z_crashed.sqlite.zst"));
  EXPECT_FALSE(fs::exists(store() / ".migrate-20260101T000000Z_crashed.pending"));
  EXPECT_FALSE(fs::exists(store() / ".migrate-20260101T000000Z_crashed.json.tmp-99999999"));
  EXPECT_EQ(listed()["backups"].size(), 2u);
}

TEST_F(BackupStoreCliTest, ADirectoryOtherUsersCanEnterIsRefusedAndKeepsItsMode) {
  migration("20260102000000", "add_orders", "CREATE TABLE orders (id INTEGER);",
            "DROP TABLE orders;");
  fs::create_directory(dir_.path() / "shared");
  ::chmod((dir_.path() / "shared").c_str(), 01777);
  ::chmod(dir_.path().c_str(), 0755);
  for (const std::string dir : {"shared", "."}) {
    for (auto args : {std::vector<std::string>{"backup", "-b", dir},
                      std::vector<std::string>{"backups", "-b", dir},
                      std::vector<std::string>{"up", "-b", dir}}) {
      auto r = run(args);
      EXPECT_EQ(r.exit_code, 1) << args[0] << " " << dir;
      EXPECT_CONTAINS(r.err, "backup directory '" + dir + "' is open to other users");
      EXPECT_CONTAINS(r.err, "chmod 700 " + dir);
    }
  }
  EXPECT_EQ(mode_of(dir_.path() / "shared"), 01777u);  // the sticky bit stays
  EXPECT_EQ(mode_of(dir_.path()), 0755u);
  EXPECT_TRUE(fs::is_empty(dir_.path() / "shared"));
  EXPECT_EQ(applied().size(), 1u);  // up refused before its backup, so before migrating
  ::chmod(dir_.path().c_str(), 0700);
  // A new directory is created private.
  ASSERT_EQ(run({"backup", "-b", "fresh/store"}).exit_code, 0);
  EXPECT_EQ(mode_of(dir_.path() / "fresh/store"), 0700u);
}

TEST_F(BackupStoreCliTest, AnotherUsersStoreOrBackupIsRefused) {
  add_users(3);
  ASSERT_EQ(run({"backup", "mine"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "planted"}).exit_code, 0);
  json planted = listed()["backups"][0];
  ASSERT_EQ(planted["label"], "planted");
  std::string id = planted["id"];
  // Another user (nobody) put this backup here.
  for (const fs::path& file :
       {store() / (id + ".json"), dir_.path() / planted["path"].get<std::string>()})
    ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0) << "the tests run as root";
  exec(db(), "DELETE FROM users;");
  auto restore = run({"restore", id, "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 1);
  EXPECT_CONTAINS(restore.err, id + ".json' is owned by ");
  EXPECT_CONTAINS(restore.err, "uid 65534");
  EXPECT_EQ(users(), "0");
  // The newest backup is the planted one: `latest` refuses it rather than
  // quietly restoring an older one.
  auto latest = run({"restore", "latest", "--yes", "--no-backup"});
  EXPECT_EQ(latest.exit_code, 1);
  EXPECT_CONTAINS(latest.err, "damaged backup '" + id + "'");
  EXPECT_EQ(users(), "0");
  auto mine = run({"restore", "mine", "--yes", "--no-backup", "--json"});
  ASSERT_EQ(mine.exit_code, 0) << mine.err;
  EXPECT_NE(json::parse(mine.out)["restored"], id);
  EXPECT_EQ(users(), "3");
  auto listing = run({"backups"});
  EXPECT_CONTAINS(listing.out, "is owned by ");
  EXPECT_EQ(run({"verify"}).exit_code, 1);

  // The whole directory another user's.
  ASSERT_EQ(::chown(store().c_str(), 65534, 65534), 0);
  for (auto args : {std::vector<std::string>{"backup"}, std::vector<std::string>{"backups"},
                    std::vector<std::string>{"restore", "latest", "--yes"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_CONTAINS(r.err, "backup directory './backups' is owned by ");
    EXPECT_CONTAINS(r.err, "(uid 65534), not by you");
  }
}

TEST_F(BackupStoreCliTest, BackupsBelongToTheirDatabase) {
  // Two databases of one project share the default ./backups.
  const std::vector<std::string> two = {"-u", "sqlite:./two.db"};
  auto on_two = [&](std::vector<std::string> args) {
    args.insert(args.end(), two.begin(), two.end());
    return run(args);
  };
  ASSERT_EQ(on_two({"up", "--no-backup"}).exit_code, 0);
  exec(dir_.path() / "two.db", "INSERT INTO users (email) VALUES ('two');");
  add_users(5);
  ASSERT_EQ(run({"backup", "one"}).exit_code, 0);
  ASSERT_EQ(on_two({"backup", "two-only"}).exit_code, 0);  // the newest backup in the directory
  std::string two_id = json::parse(on_two({"backups", "--json"}).out)["backups"][0]["id"];

  auto mine = listed();
  ASSERT_EQ(mine["backups"].size(), 1u);
  EXPECT_EQ(mine["backups"][0]["label"], "one");
  EXPECT_EQ(mine["backups"][0]["database"], "sqlite://" + db().string());
  EXPECT_EQ(mine["other_databases"], 1);
  auto text = run({"backups"});
  EXPECT_CONTAINS(text.out, "DATABASE");
  EXPECT_CONTAINS(text.out, "sqlite://" + db().string());
  EXPECT_CONTAINS(text.out, "1 backup(s) of other databases not shown");
  auto all = listed({"--all"});
  ASSERT_EQ(all["backups"].size(), 2u);
  EXPECT_EQ(all["backups"][0]["database"], "sqlite://" + (dir_.path() / "two.db").string());

  // latest and labels pick this database's backup; verify checks only these.
  exec(db(), "DELETE FROM users;");
  auto latest = run({"restore", "latest", "--yes", "--no-backup", "--json"});
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(json::parse(latest.out)["restored"], mine["backups"][0]["id"]);
  EXPECT_EQ(users(), "5");
  auto by_label = run({"restore", "two-only", "--yes", "--no-backup"});
  EXPECT_EQ(by_label.exit_code, 2);
  EXPECT_CONTAINS(by_label.err, "no backup matches 'two-only'");
  EXPECT_CONTAINS(by_label.err, two_id);
  auto verify = run({"verify"});
  EXPECT_CONTAINS(verify.out, "1 backup(s) checked");

  // prune judges this database's backups only: two's only backup stays.
  ASSERT_EQ(run({"backup", "one-again"}).exit_code, 0);
  auto pruned = run({"prune", "--keep-last", "1"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_CONTAINS(pruned.out, "1 of 2 backup(s) pruned");
  EXPECT_EQ(json::parse(on_two({"backups", "--json"}).out)["backups"].size(), 1u);

  // Another database's backup by its full id: done, and said out loud.
  auto other = run({"restore", two_id, "--yes", "--no-backup"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_CONTAINS(other.err, "warning: backup '" + two_id + "' is of another database, sqlite://" +
                                 (dir_.path() / "two.db").string());
  EXPECT_EQ(query_one(db(), "SELECT email FROM users"), "two");
}

TEST_F(BackupStoreCliTest, ConcurrentBackupsWithOneLabelAllSucceedWithDistinctIds) {
  // Several rounds: a runner that loses the race for an id it picked must
  // take the next free one ("-3", never "-2-2", which is no id of "same").
  for (int round = 1; round <= 3; ++round) {
    auto results = run_cli_together(dir_.path(), {"backup", "same"}, 6);
    for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << r.out;
  }
  std::set<std::string> ids;
  json all = listed();
  for (const auto& b : all["backups"]) ids.insert(b["id"].get<std::string>());
  EXPECT_EQ(ids.size(), 18u);
  for (const auto& id : ids)
    EXPECT_TRUE(std::regex_match(id, std::regex(R"(\d{8}T\d{6}Z_same(-\d+)?)"))) << id;
  auto verified = run({"verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

TEST_F(BackupStoreCliTest, ACorruptBackupIsNamedAndTheDatabaseIsUntouched) {
  // Large enough that the decoder meets the flipped byte long before the
  // checksum of the whole artifact is known.
  exec(db(),
       "CREATE TABLE blobs (data BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
       "FROM n "
       "WHERE i < 2000) INSERT INTO blobs SELECT randomblob(4096) FROM n;");
  ASSERT_EQ(run({"backup", "flipped"}).exit_code, 0);
  json b = listed()["backups"][0];
  fs::path artifact = dir_.path() / b["path"].get<std::string>();
  std::string bytes = read_text(artifact);
  bytes[0] ^= 0x01;
  std::ofstream(artifact, std::ios::binary) << bytes;
  add_users(2);
  std::string before = shell("sqlite3 '" + db().string() + "' .dump | sha256sum");
  for (auto args : {std::vector<std::string>{"restore", "flipped", "--yes", "--no-backup"},
                    std::vector<std::string>{"restore", "flipped", "--yes"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 1) << args.size();
    EXPECT_CONTAINS(r.err, "backup '" + b["id"].get<std::string>() + "' is damaged");
    EXPECT_CONTAINS(r.err, "the database was not touched");
    EXPECT_EQ(shell("sqlite3 '" + db().string() + "' .dump | sha256sum"), before);
  }
}

TEST_F(BackupStoreCliTest, ControlCharactersInRefsAndLabelsAreEscaped) {
  ASSERT_EQ(run({"backup", "ok"}).exit_code, 0);
  for (auto args : {std::vector<std::string>{"restore", "a\x1b[31mred\n", "--yes"},
                    std::vector<std::string>{"verify", "x\r\x07"},
                    std::vector<std::string>{"restore", "../\x1b", "--yes"},
                    std::vector<std::string>{"backup", "bad\x1b"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args[1];
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\x07'), std::string::npos) << r.err;
  }
  EXPECT_CONTAINS(run({"restore", "a\x1b[31mred\n", "--yes"}).err,
                  "no backup matches 'a\\x1b[31mred\\x0a'");
  EXPECT_CONTAINS(run({"backup", "bad\x1b"}).err, "invalid backup label 'bad\\x1b'");
}

}  // namespace
}  // namespace migrate::testing
