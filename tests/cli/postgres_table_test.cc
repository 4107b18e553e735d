// A schema-qualified --table on PostgreSQL whose schema does not exist: the
// error names --table instead of only the server's "schema does not exist",
// and no migration runs.
#include <memory>

#include "drivers/postgres_test_support.h"
#include "support/cli_fixture.h"
#include "support/test_servers.h"

namespace migrate::testing {
namespace {

class PostgresTableTest : public CliTest {
 protected:
  void SetUp() override {
    auto server = postgres_test_url();
    REQUIRE_SERVER(server);
    database_ = std::make_unique<ScratchDatabase>(*server);
    ASSERT_EQ(database_->creation_output(), "");
    migration("20260101000000", "create_users", "CREATE TABLE users (id int);",
              "DROP TABLE users;");
  }
  CliResult run_with(const std::vector<std::string>& args) {
    return run(args, {{"DATABASE_URL", database_->url()}});
  }
  std::string query(const std::string& sql) { return psql(database_->url(), sql); }

  std::unique_ptr<ScratchDatabase> database_;
};

TEST_F(PostgresTableTest, AMissingSchemaIsReportedAsATableMistake) {
  auto up = run_with({"up", "--table", "temp.sm"});
  EXPECT_EQ(up.exit_code, 1) << up.err;
  EXPECT_CONTAINS(up.err, "--table: schema \"temp\" does not exist");
  EXPECT_CONTAINS(up.err, "create it (CREATE SCHEMA ...) or choose another --table");
  EXPECT_EQ(query("SELECT to_regclass('users') IS NULL"), "t");
  // safe restores its backup (exit 4) and says why.
  auto safe = run_with({"safe", "--table", "temp.sm"});
  EXPECT_EQ(safe.exit_code, 4) << safe.err;
  EXPECT_CONTAINS(safe.err, "--table: schema \"temp\" does not exist");
  EXPECT_EQ(query("SELECT to_regclass('users') IS NULL"), "t");
  // With the schema created, the same --table works.
  query("CREATE SCHEMA temp");
  auto r = run_with({"up", "--table", "temp.sm"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(query("SELECT string_agg(version, ',') FROM temp.sm"), "20260101000000");
}

}  // namespace
}  // namespace migrate::testing
