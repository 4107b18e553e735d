// Which statements a file without `-- migrate:no-transaction` may not hold:
// each is reported with its reason before anything runs.
#include "migrate/transaction_rules.h"

#include <gtest/gtest.h>

namespace migrate {
namespace {

// The reason given for the first conflicting statement of `sql`, "" if none.
std::string conflict(const std::string& sql, SqlDialect dialect = SqlDialect::kPostgres) {
  auto script = split_sql(sql, dialect);
  EXPECT_TRUE(script) << script.error().message;
  if (!script) return "?";
  auto found = find_transaction_conflict(*script, dialect);
  return found ? found->reason : "";
}

TEST(TransactionRules, RefusesWhatPostgresCannotRunInATransaction) {
  EXPECT_EQ(conflict("VACUUM users;"), "VACUUM cannot run inside a transaction");
  EXPECT_EQ(conflict("CREATE INDEX CONCURRENTLY i ON t (x);"),
            "CREATE ... CONCURRENTLY cannot run inside a transaction");
  EXPECT_EQ(conflict("REINDEX TABLE CONCURRENTLY t;"),
            "REINDEX ... CONCURRENTLY cannot run inside a transaction");
  EXPECT_EQ(conflict("CREATE DATABASE other;"), "CREATE DATABASE cannot run inside a transaction");
  EXPECT_EQ(conflict("ALTER SYSTEM SET work_mem = '8MB';"),
            "ALTER SYSTEM cannot run inside a transaction");
  EXPECT_EQ(conflict("reindex database app;"), "REINDEX DATABASE cannot run inside a transaction");
  EXPECT_EQ(conflict("REINDEX SYSTEM app;"), "REINDEX SYSTEM cannot run inside a transaction");
}

TEST(TransactionRules, RefusesStatementsThatWouldEndMigratesTransaction) {
  EXPECT_EQ(conflict("SELECT 1;\nCOMMIT;"),
            "COMMIT controls the transaction that migrate wraps around each migration");
  EXPECT_EQ(conflict("START TRANSACTION;", SqlDialect::kMysql),
            "START controls the transaction that migrate wraps around each migration");
}

TEST(TransactionRules, AllowsWhatATransactionCanHold) {
  EXPECT_EQ(conflict("REINDEX TABLE users;\nREINDEX INDEX users_email;"), "");
  EXPECT_EQ(conflict("CREATE INDEX i ON t (x);\nSAVEPOINT s;\nROLLBACK TO s;"), "");
  EXPECT_EQ(conflict("CREATE TABLE reindex_log (database TEXT);"), "");
  // MySQL has no REINDEX; the PostgreSQL rules do not apply to it.
  EXPECT_EQ(conflict("CREATE DATABASE other;", SqlDialect::kMysql), "");
}

TEST(TransactionRules, ANoTransactionFileMayHoldAnything) {
  EXPECT_EQ(conflict("-- migrate:no-transaction\nREINDEX DATABASE app;\nVACUUM;"), "");
}

}  // namespace
}  // namespace migrate
