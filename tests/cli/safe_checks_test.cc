// `safe` is `up` plus a restore: every check `up` makes before it changes
// anything refuses `safe` the same way (message, exit code), with nothing
// applied and no backup taken.
#include <nlohmann/json.hpp>

#include "support/cli_fixture.h"
#include "support/shell.h"

namespace migrate::testing {
namespace {

using json = nlohmann::json;

class SafeChecksTest : public CliTest {
 protected:
  void SetUp() override {
    migration("20260101000000", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);");
    ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  }
  json backups() { return json::parse(run({"backups", "--json"}).out)["backups"]; }
  std::string dump() { return shell("sqlite3 '" + db().string() + "' .dump"); }
};

TEST_F(SafeChecksTest, AtomicWithANoTransactionMigrationIsRefusedLikeUp) {
  migration("20260201000000", "concurrent", "-- migrate:no-transaction\nCREATE TABLE a (x);");
  std::string before = dump();

  auto up = run({"up", "--atomic"});
  auto safe = run({"safe", "--atomic"});

  EXPECT_EQ(up.exit_code, 1) << up.err;
  EXPECT_EQ(safe.exit_code, up.exit_code) << safe.err;
  EXPECT_CONTAINS(up.err,
                  "--atomic: 20260201000000_concurrent.sql is marked -- migrate:no-transaction "
                  "and cannot run in the shared transaction; nothing was applied");
  EXPECT_EQ(safe.err, up.err);
  EXPECT_EQ(safe.out, up.out);
  EXPECT_EQ(dump(), before);
  EXPECT_EQ(applied(), std::vector<std::string>{"20260101000000"});
  EXPECT_TRUE(backups().empty());

  auto up_json = run({"up", "--atomic", "--json"});
  auto safe_json = run({"safe", "--atomic", "--json"});
  EXPECT_EQ(safe_json.exit_code, up_json.exit_code);
  EXPECT_EQ(safe_json.out, up_json.out);
  EXPECT_TRUE(backups().empty());
}

}  // namespace
}  // namespace migrate::testing
