// The contract points that outside testing found broken, through
// the real binary: one JSON document whatever the bytes, no write for a usage
// error, changed migrations refused, `safe` sharing every check of `up` and
// telling the truth after a restore.
#include <nlohmann/json.hpp>

#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

using nlohmann::json;

class ContractTest : public CliTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);",
              "DROP TABLE users;");
  }
  bool has_tracking_table() {
    return exists() && query_one(db(),
                                 "SELECT count(*) FROM sqlite_master WHERE name = "
                                 "'schema_migrations'") == "1";
  }
  // stdout must be exactly one JSON document; returns it.
  json parse_one(const CliResult& r) {
    json doc;
    EXPECT_NO_THROW(doc = json::parse(r.out)) << "stdout: " << r.out << "\nstderr: " << r.err;
    return doc;
  }
};

TEST_F(ContractTest, JsonSurvivesBytesThatAreNotUtf8) {
  migration("20260102000000", "latin1", "INSERT INTO users (id) SELECT length('caf\xe9\xff');");
  auto dry = run({"up", "--dry-run", "--json"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  auto doc = parse_one(dry);
  // Each invalid byte becomes U+FFFD.
  EXPECT_CONTAINS(doc["migrations"][1]["statements"][0]["sql"].get<std::string>(),
                  "length('caf\xef\xbf\xbd");

  // A file name with a 0xff byte: the error is one document too.
  dir_.write("migrations/20260103000000_bad\xff.sql", "SELECT 1;");
  for (const char* command : {"up", "status", "validate"}) {
    SCOPED_TRACE(command);
    auto r = run({command, "--json"});
    EXPECT_NE(r.exit_code, 0);
    auto error = parse_one(r);
    if (std::string(command) == "validate") {
      EXPECT_EQ(error["valid"], false);
    } else {
      EXPECT_CONTAINS(error["error"]["message"].get<std::string>(), "bad\xef\xbf\xbd.sql");
    }
  }
  // And a --dir path with one.
  auto r = run({"up", "--json", "--dir", "missing\xff"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(parse_one(r)["error"]["message"].get<std::string>(), "does not exist");
  EXPECT_CONTAINS(run({"up", "--dir", "missing\xff"}).err, "'missing\\xff' does not exist");
}

TEST_F(ContractTest, UsageErrorsAndEmptyRollbacksWriteNothing) {
  exec(db(), "CREATE TABLE keep (x)");  // a database that migrate has never touched
  auto r = run({"rollback", "--to", "nonsense"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "--to nonsense: expected a 14-digit version");
  EXPECT_FALSE(has_tracking_table());

  auto nothing = run({"rollback"});
  EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_CONTAINS(nothing.out, "nothing to do");
  auto redo = run({"redo"});
  EXPECT_EQ(redo.exit_code, 1);
  EXPECT_CONTAINS(redo.err, "nothing to redo");
  EXPECT_EQ(run({"up", "--to", "20990101000000"}).exit_code, 2);
  EXPECT_EQ(run({"baseline", "20990101000000"}).exit_code, 2);
  EXPECT_FALSE(has_tracking_table());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "backups"));
}

TEST_F(ContractTest, RollbackStillAdoptsAnOldTrackingTable) {
  // A dbmate table with only `version`: rolling back after `up` adopts it.
  exec(db(),
       "CREATE TABLE users (id INTEGER PRIMARY KEY);"
       "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY);"
       "INSERT INTO schema_migrations VALUES ('20260101000000');");
  auto r = run({"rollback", "--no-backup"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(applied().empty());
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'users'"), "0");
}

TEST_F(ContractTest, AllowChangedAppliesOnTopOfAnEditedMigration) {
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  migration("20260101000000", "create_users",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, edited INT);", "DROP TABLE users;");
  migration("20260102000000", "create_posts", "CREATE TABLE posts (id INTEGER);");
  migration("20260103000000", "create_tags", "CREATE TABLE tags (id INTEGER);");

  auto refused = run({"up", "--no-backup"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_CONTAINS(refused.err, "changed since they were applied");
  EXPECT_CONTAINS(refused.err, "--allow-changed");
  EXPECT_EQ(applied().size(), 1u);

  auto up = run({"up", "--no-backup", "--allow-changed", "--step", "1"});
  EXPECT_EQ(up.exit_code, 0) << up.err;
  auto safe = run({"safe", "--allow-changed"});
  EXPECT_EQ(safe.exit_code, 0) << safe.err;
  EXPECT_EQ(applied().size(), 3u);
  // Nothing pending: up has nothing to refuse; validate still reports it (exit 3).
  EXPECT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  EXPECT_EQ(run({"validate"}).exit_code, 3);
}

TEST_F(ContractTest, FailedSafeSaysTheRestoreUndidTheRun) {
  migration("20260102000000", "create_posts", "CREATE TABLE posts (id INTEGER);");
  migration("20260103000000", "broken",
            "CREATE TABLE tags (id INTEGER);\nINSERT INTO nowhere VALUES (1);");
  auto r = run({"safe"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_CONTAINS(r.err, "20260103000000_broken.sql: line 2: no such table: nowhere");
  EXPECT_CONTAINS(r.err, "undoing the 2 migration(s) applied before it");
  EXPECT_CONTAINS(r.err, "no migration of this run is applied");
  EXPECT_EQ(r.err.find("stay applied"), std::string::npos) << r.err;
  // The failure and its statement are told once, in the report.
  size_t first = r.err.find("statement: INSERT INTO nowhere");
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("statement: INSERT INTO nowhere", first + 1), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("no such table: nowhere", r.err.find("no such table: nowhere") + 1),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(applied().empty());
  EXPECT_EQ(query_one(db(), "SELECT count(*) FROM sqlite_master WHERE name = 'posts'"), "0");
}

// --help is plain text even with --json (it is for a person): exit 0,
// usage on stdout, nothing on stderr, nothing run.
TEST_F(ContractTest, HelpWithJsonIsPlainUsageAndExitsZero) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--json", "--help"}, {"up", "--json", "--help"}, {"--json", "safe", "--help"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << r.err;
    EXPECT_CONTAINS(r.out, "Usage:");
    EXPECT_EQ(r.err, "");
    EXPECT_FALSE(exists()) << "help created the database";
  }
}

// The ways users ask for help, as other tools answer them: --version, help
// [COMMAND] (the same text as COMMAND --help), and plain `migrate`, which
// prints the help and exits 2 (a usage error). The usage line names
// `migrate`, not the path the binary was run by.
TEST_F(ContractTest, VersionHelpAndPlainMigrateAnswerAsUsersExpect) {
  auto version = run({"--version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_TRUE(version.out.starts_with("migrate ")) << version.out;
  EXPECT_TRUE(run({"version"}).out.starts_with(version.out)) << version.out;  // its first line

  auto plain = run({});
  EXPECT_EQ(plain.exit_code, 2) << plain.err;
  EXPECT_CONTAINS(plain.out, "Usage: migrate [OPTIONS] SUBCOMMAND");
  EXPECT_CONTAINS(plain.out, "safe");

  auto help = run({"help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(help.out, run({"--help"}).out);
  EXPECT_EQ(help.out, plain.out);
  for (const char* command : {"up", "restore", "help"}) {
    auto one = run({"help", command});
    EXPECT_EQ(one.exit_code, 0) << command << one.err;
    EXPECT_CONTAINS(one.out, std::string("Usage: migrate ") + command + " [OPTIONS]");
    EXPECT_EQ(one.out, run({command, "--help"}).out) << command;
  }

  auto unknown = run({"help", "frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_CONTAINS(unknown.err, "unknown command 'frobnicate'");
  EXPECT_EQ(unknown.out, "");

  // A broken configuration does not hide the help.
  dir_.write(".env", "DATABASE_URL\n");
  EXPECT_EQ(run({"help", "up"}).exit_code, 0);
  EXPECT_FALSE(exists()) << "help created the database";
}

}  // namespace
}  // namespace migrate::testing
