// The fixture of the PostgreSQL integration tests that run the binary: a
// database of the test's own on the test server, a project directory to
// write migrations in, and psql for independent checks of the state.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "drivers/postgres_test_support.h"
#include "support/run_cli.h"
#include "support/temp_dir.h"
#include "support/test_servers.h"

namespace migrate::testing {

class PostgresDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = postgres_test_url();
    REQUIRE_SERVER(server);
    database_ = std::make_unique<ScratchDatabase>(*server);
    ASSERT_EQ(database_->creation_output(), "");
    url_ = database_->url();
  }

  void migration(const std::string& version, const std::string& name, const std::string& up,
                 const char* down = "") {
    dir_.write("migrations/" + version + "_" + name + ".sql", up);
    if (down) dir_.write("migrations/" + version + "_" + name + "_rollback.sql", down);
  }
  // The binary on this test's database, without backups (the commands that
  // take one are given --no-backup).
  CliResult run(std::vector<std::string> args) {
    static const std::set<std::string> kBackingUp = {"up", "rollback", "redo", "reset", "fresh"};
    if (kBackingUp.count(args.front())) args.push_back("--no-backup");
    return run_cli(dir_.path(), args, {{"DATABASE_URL", url_}});
  }
  CliResult run_with_backup(const std::vector<std::string>& args) {
    return run_cli(dir_.path(), args, {{"DATABASE_URL", url_}});
  }
  std::string query(const std::string& sql) { return psql(url_, sql); }
  // Applied versions, comma-separated in version order.
  std::string applied() {
    if (!exists("schema_migrations")) return "";
    return query(
        "SELECT coalesce(string_agg(version, ',' ORDER BY version), '') FROM "
        "schema_migrations");
  }
  bool exists(const std::string& relation) {
    return query("SELECT to_regclass('" + relation + "') IS NOT NULL") == "t";
  }

  TempDir dir_;
  std::unique_ptr<ScratchDatabase> database_;
  std::string url_;
};

}  // namespace migrate::testing
