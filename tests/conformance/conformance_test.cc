// The guarantees every driver owes its users, written once and run against
// SQLite, PostgreSQL and MariaDB through the built binary: an empty database
// backs up, restores and verifies; `safe` puts a database back as it found
// it; a restore brings back exactly the backed-up state, every kind of
// object, routine bodies and sequence values included. Whether it did is
// judged by the database's own dump tool, never by migrate's code.
#include <gtest/gtest.h>

#include "conformance/dialect.h"
#include "support/cli_fixture.h"
#include "support/dump_diff.h"
#include "support/test_servers.h"

namespace migrate::testing {

// How gtest and ctest name a case's parameter: "sqlite", not an address.
void PrintTo(const Dialect* dialect, std::ostream* out) {
  *out << dialect->name;
}

namespace {

// What greeting('Ada') returns in every dialect, newlines shown as '|'.
constexpr const char* kGreeting = "Dear Ada,||see you soon.";

class ConformanceTest : public ::testing::TestWithParam<const Dialect*> {
 protected:
  void SetUp() override {
    auto server = dialect().server();
    REQUIRE_SERVER(server);
    db_ = dialect().create(*server, dir_);
    ASSERT_EQ(db_->creation_output(), "");
    std::filesystem::create_directories(dir_.path() / "migrations");
  }
  const Dialect& dialect() const { return *GetParam(); }
  CliResult run(const std::vector<std::string>& args) {
    return run_cli(dir_.path(), args, {{"DATABASE_URL", db_->url()}});
  }
  void migration(const std::string& version, const std::string& name, const std::string& up) {
    dir_.write("migrations/" + version + "_" + name + ".sql", up);
  }

  // The dialect's whole application, as its first migration.
  void apply_every_object() {
    migration("20260101000000", "clinic", dialect().every_object);
    auto up = run({"up", "--no-backup"});
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  }
  void take_backup() {
    auto backup = run({"backup", "before-release"});
    ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  }
  // What a bad release does after the backup, through the database's client.
  void change_everything() { ASSERT_EQ(db_->query(dialect().changes), ""); }
  void restore_latest() {
    auto restore = run({"restore", "latest", "--yes"});
    ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
    EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  }

  TempDir dir_;
  std::unique_ptr<ScratchTarget> db_;
};

TEST_P(ConformanceTest, AnEmptyDatabaseBacksUpAndRestores) {
  std::string empty = db_->dump();
  auto backup = run({"backup"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  auto restore = run({"restore", "latest", "--yes"});
  EXPECT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_EQ(dump_difference(empty, db_->dump()), "");
}

TEST_P(ConformanceTest, AnEmptyDatabasesBackupPassesVerifyDeep) {
  auto backup = run({"backup"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_CONTAINS(verify.out, "(deep)");
}

TEST_P(ConformanceTest, SafeOnAnEmptyDatabaseWhoseFirstMigrationFailsLeavesItEmpty) {
  std::string empty = db_->dump();
  migration("20260101000000", "create_patients", dialect().failing_first);
  auto safe = run({"safe"});
  EXPECT_EQ(safe.exit_code, 4) << safe.out << safe.err;
  EXPECT_CONTAINS(safe.err, "20260101000000_create_patients.sql: line 3: ");
  EXPECT_CONTAINS(safe.err, "the database matches it");
  EXPECT_EQ(dump_difference(empty, db_->dump()), "") << "safe did not put the empty database back";
}

TEST_P(ConformanceTest, AppliesEveryKindOfObject) {
  ASSERT_NO_FATAL_FAILURE(apply_every_object());
  std::string dump = db_->dump();
  for (const auto& name : dialect().dumped_names)
    EXPECT_NE(dump.find(name), std::string::npos) << "the dump lacks " << name;
  EXPECT_EQ(db_->query(dialect().greeting), kGreeting);
}

TEST_P(ConformanceTest, RestoreBringsBackExactlyTheBackedUpState) {
  ASSERT_NO_FATAL_FAILURE(apply_every_object());
  ASSERT_NO_FATAL_FAILURE(take_backup());
  std::string backed_up = db_->dump();
  ASSERT_NO_FATAL_FAILURE(change_everything());
  ASSERT_FALSE(db_->dump() == backed_up) << "the changes changed nothing";
  ASSERT_NE(db_->query(dialect().greeting), kGreeting);

  ASSERT_NO_FATAL_FAILURE(restore_latest());
  EXPECT_EQ(dump_difference(backed_up, db_->dump()), "");
  EXPECT_EQ(db_->query(dialect().greeting), kGreeting);
}

TEST_P(ConformanceTest, RestoreKeepsTheBlankLinesOfARoutine) {
  migration("20260101000000", "greeting", dialect().routine);
  auto up = run({"up", "--no-backup"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  ASSERT_EQ(db_->query(dialect().greeting), kGreeting);
  ASSERT_NO_FATAL_FAILURE(take_backup());
  std::string backed_up = db_->dump();

  ASSERT_NO_FATAL_FAILURE(restore_latest());
  EXPECT_EQ(db_->query(dialect().greeting), kGreeting);
  EXPECT_EQ(dump_difference(backed_up, db_->dump()), "");
}

TEST_P(ConformanceTest, RestoreRemovesObjectsCreatedAfterTheBackup) {
  ASSERT_NO_FATAL_FAILURE(apply_every_object());
  ASSERT_NO_FATAL_FAILURE(take_backup());
  ASSERT_NO_FATAL_FAILURE(change_everything());
  ASSERT_NE(db_->query(dialect().later_objects), "");

  ASSERT_NO_FATAL_FAILURE(restore_latest());
  EXPECT_EQ(db_->query(dialect().later_objects), "");
}

TEST_P(ConformanceTest, VerifyDeepPassesAGoodBackupAndLeavesTheDatabaseAlone) {
  ASSERT_NO_FATAL_FAILURE(apply_every_object());
  ASSERT_NO_FATAL_FAILURE(take_backup());
  std::string backed_up = db_->dump();
  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_CONTAINS(verify.out, "(deep)");
  EXPECT_CONTAINS(verify.out, "0 problem(s)");
  EXPECT_EQ(dump_difference(backed_up, db_->dump()), "");
}

TEST_P(ConformanceTest, SequencesKeepTheirCurrentValueAcrossRestore) {
  ASSERT_NO_FATAL_FAILURE(apply_every_object());
  std::string values = db_->query(dialect().sequences);
  ASSERT_NO_FATAL_FAILURE(take_backup());
  ASSERT_NO_FATAL_FAILURE(change_everything());
  ASSERT_NE(db_->query(dialect().sequences), values);

  ASSERT_NO_FATAL_FAILURE(restore_latest());
  EXPECT_EQ(db_->query(dialect().sequences), values);
}

INSTANTIATE_TEST_SUITE_P(Drivers, ConformanceTest,
                         ::testing::Values(&sqlite_dialect(), &postgres_dialect(),
                                           &mariadb_dialect()),
                         [](const auto& info) { return info.param->name; });

}  // namespace
}  // namespace migrate::testing
