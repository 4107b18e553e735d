// Which backup a ref picks when some backups in the store are damaged, and
// what the store's reading commands show and leave alone: `latest` and exact
// ids never quietly fall back to another backup, manifest text never reaches
// the terminal raw, reading commands create nothing, and refusals say the
// database was not changed.
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class BackupRefCliTest : public CliTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "create_users",
              "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", "DROP TABLE users;");
    ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  }
  fs::path store() const { return dir_.path() / "backups"; }
  // Takes a backup; returns its manifest as `backup --json` prints it.
  json backup(const std::string& label, const std::map<std::string, std::string>& env = {}) {
    auto r = run({"backup", label, "--json"}, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  fs::path manifest(const json& b) const {
    return store() / (b["id"].get<std::string>() + ".json");
  }
  fs::path artifact(const json& b) const { return dir_.path() / b["path"].get<std::string>(); }
  std::string users() { return query_one(db(), "SELECT count(*) FROM users"); }
  // A copy of backup `b` under the label `label` in the same second.
  std::string clone(const json& b, const std::string& label) {
    std::string id = b["id"].get<std::string>().substr(0, 17) + label;
    json m = json::parse(read_text(manifest(b)));
    std::string artifact_name =
        id + m["artifact"].get<std::string>().substr(b["id"].get<std::string>().size());
    m["id"] = id;
    m["label"] = label;
    m["artifact"] = artifact_name;
    fs::copy_file(artifact(b), store() / artifact_name);
    dir_.write("backups/" + id + ".json", m.dump());
    return id;
  }
};

void expect_damaged_refusal(const CliResult& r, const std::string& id) {
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_CONTAINS(r.err, "damaged backup '" + id + "'");
  EXPECT_CONTAINS(r.err, "the database was not changed");
  EXPECT_CONTAINS(r.err, "name an older backup explicitly");
  EXPECT_EQ(r.out.find("restored"), std::string::npos) << r.out;
}

TEST_F(BackupRefCliTest, LatestIsTheNewestBackupAndADamagedOneIsRefused) {
  exec(db(), "INSERT INTO users (email) VALUES ('a');");
  json x1 = backup("x1");
  exec(db(), "INSERT INTO users (email) VALUES ('b');");
  const std::vector<std::pair<std::string, std::function<void(const json&)>>> damages = {
      {"artifact removed", [&](const json& b) { fs::remove(artifact(b)); }},
      {"invalid manifest",
       [&](const json& b) {
         dir_.write(manifest(b).lexically_relative(dir_.path()).string(), "{not json");
       }},
      {"artifact truncated",
       [&](const json& b) { fs::resize_file(artifact(b), fs::file_size(artifact(b)) - 10); }},
  };
  for (const auto& [what, damage] : damages) {
    json newest = backup("x2");
    damage(newest);
    exec(db(), "INSERT INTO users (email) VALUES ('c');");
    std::string before = users();
    auto r = run({"restore", "latest", "--yes", "--no-backup"});
    expect_damaged_refusal(r, newest["id"]);
    EXPECT_EQ(users(), before) << what;
    // Naming the older one still works; then the damaged one goes away.
    fs::remove(manifest(newest));
    fs::remove(artifact(newest));
  }
  auto older = run({"restore", x1["id"], "--yes", "--no-backup"});
  EXPECT_EQ(older.exit_code, 0) << older.err;
  EXPECT_EQ(users(), "1");
}

TEST_F(BackupRefCliTest, AnExactIdOrLabelOfADamagedBackupIsRefusedNotAnotherPicked) {
  json good = backup("good");
  std::string good_id = good["id"];
  std::string good2 = clone(good, "good2");  // same second: "..._good" prefixes it
  fs::resize_file(artifact(good), fs::file_size(artifact(good)) - 10);
  exec(db(), "INSERT INTO users (email) VALUES ('kept');");
  for (const std::string ref : {good_id, good_id + ".json", std::string("good")})
    expect_damaged_refusal(run({"restore", ref, "--yes"}), good_id);
  auto verify = run({"verify", good_id});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_CONTAINS(verify.err, "damaged backup '" + good_id + "'");
  EXPECT_EQ(verify.out.find("ok"), std::string::npos) << verify.out;
  // More siblings: a full id is still a full id.
  for (const std::string label : {"good3", "good4", "good5"}) clone(good, label);
  expect_damaged_refusal(run({"restore", good_id, "--yes"}), good_id);
  EXPECT_EQ(users(), "1");
  EXPECT_EQ(run({"backups", "--json"}).exit_code, 0);
  // The exact id of a valid sibling restores it.
  auto sibling = run({"restore", good2, "--yes", "--no-backup"});
  EXPECT_EQ(sibling.exit_code, 0) << sibling.err;
  EXPECT_CONTAINS(sibling.out, "restored " + good2);
  EXPECT_EQ(users(), "0");
}

TEST_F(BackupRefCliTest, ALabelNamingOnlyADamagedBackupNamesTheDamage) {
  backup("older");
  json newest = backup("newest");
  fs::remove(artifact(newest));
  auto r = run({"restore", "newest", "--yes", "--no-backup"});
  expect_damaged_refusal(r, newest["id"]);
  EXPECT_EQ(r.err.find("no backup matches"), std::string::npos) << r.err;
}

TEST_F(BackupRefCliTest, TheDamageHintNamesTheFilesToDeleteAndFollowingItClearsTheWarning) {
  json b = backup("broken");
  fs::resize_file(artifact(b), 3);
  auto r = run({"restore", "broken", "--yes"});
  expect_damaged_refusal(r, b["id"]);
  EXPECT_CONTAINS(r.err, "delete its files: rm -- ./backups/" + b["id"].get<std::string>() +
                             ".json ./backups/" + artifact(b).filename().string() + "\n");
  EXPECT_EQ(r.err.find("migrate prune"), std::string::npos) << r.err;
  EXPECT_CONTAINS(run({"backups"}).out, "warning: damaged backup");
  fs::remove(manifest(b));
  fs::remove(artifact(b));
  EXPECT_EQ(run({"backups"}).out.find("warning"), std::string::npos);
}

TEST_F(BackupRefCliTest, ManifestTextIsEscapedAndALabelNotOfItsIdIsDamage) {
  json b = backup("plain");
  json m = json::parse(read_text(manifest(b)));
  m["reason"] = "\x1b[2J\x1b]0;owned\x07";
  dir_.write(manifest(b).lexically_relative(dir_.path()).string(), m.dump());
  auto listed = run({"backups"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out.find('\x1b'), std::string::npos);
  EXPECT_CONTAINS(listed.out, "\\x1b[2J");

  m["reason"] = "backup";
  m["label"] = "other";
  dir_.write(manifest(b).lexically_relative(dir_.path()).string(), m.dump());
  listed = run({"backups"});
  EXPECT_CONTAINS(listed.out, "warning: damaged backup '" + b["id"].get<std::string>() + "'");
  EXPECT_CONTAINS(listed.out, "label 'other' does not match its id");
  EXPECT_CONTAINS(listed.out, "no backups of this database");

  // Paths echoed back are escaped too.
  for (auto args : {std::vector<std::string>{"backups", "-b", "st\x1b[2Jore"},
                    std::vector<std::string>{"backup", "-b", "st\x1b[2Jore"},
                    std::vector<std::string>{"doctor", "-b", "st\x1b[2Jore"}}) {
    auto r = run(args);
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << args[0] << ": " << r.out;
    EXPECT_CONTAINS(r.out, "st\\x1b[2Jore");
  }
}

TEST_F(BackupRefCliTest, PruneAndRestoreOfAnUnknownRefWriteNothing) {
  for (auto args : {std::vector<std::string>{"prune", "--dry-run", "--keep-last", "1"},
                    std::vector<std::string>{"prune", "--keep-last", "1"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_CONTAINS(r.out, "0 of 0 backup(s)");
    EXPECT_FALSE(fs::exists(store())) << args[1];
  }
  backup("kept");
  const std::string leftover = "backups/.migrate-20260101T000000Z_x.sqlite.tmp-99999999";
  dir_.write(leftover, "half");
  auto r = run({"restore", "nonexist", "--yes"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "no backup matches 'nonexist'");
  EXPECT_TRUE(fs::exists(dir_.path() / leftover));
}

TEST_F(BackupRefCliTest, AWrongOrMissingKeyIsRefusedBeforeThePreRestoreBackup) {
  std::map<std::string, std::string> key = {{"MIGRATE_BACKUP_KEY", "correct horse battery staple"}};
  backup("secret", key);
  exec(db(), "INSERT INTO users (email) VALUES ('new');");
  auto wrong = run({"restore", "secret", "--yes"}, {{"MIGRATE_BACKUP_KEY", "wrong"}});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_CONTAINS(wrong.err, "cannot restore backup");
  EXPECT_CONTAINS(wrong.err, "the database was not changed");
  auto missing = run({"restore", "secret", "--yes"});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_CONTAINS(missing.err, "is encrypted and no key was given; the database was not changed");
  auto listed = json::parse(run({"backups", "--json"}).out);
  EXPECT_EQ(listed["backups"].size(), 1u) << "a pre-restore backup was written";
  EXPECT_EQ(users(), "1");
  auto right = run({"restore", "secret", "--yes"}, key);
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(users(), "0");
}

TEST_F(BackupRefCliTest, DoctorReportsWhatInterruptedRunsLeftInTheStore) {
  auto clean = run({"doctor"});
  EXPECT_CONTAINS(clean.out, "backup leftovers");
  backup("first");
  dir_.write("backups/.migrate-20260101T000000Z_x.sqlite.tmp-99999999", std::string(1000, 'x'));
  dir_.write("backups/.migrate-scratch-99999999/.snapshot.sqlite.tmp-99999999",
             std::string(2000, 'x'));
  dir_.write("backups/unrelated.txt", "mine");
  auto r = run({"doctor"});
  EXPECT_CONTAINS(r.out, "2 file(s), 2.9 KiB, left by interrupted runs");
  EXPECT_CONTAINS(r.out, "the next backup removes them");
  EXPECT_TRUE(fs::exists(store() / ".migrate-scratch-99999999/.snapshot.sqlite.tmp-99999999"));
  backup("second");
  EXPECT_FALSE(fs::exists(store() / ".migrate-scratch-99999999"));
  EXPECT_CONTAINS(run({"doctor"}).out, "backup leftovers   none");
}

}  // namespace
}  // namespace migrate::testing
