// The fixture of PostgreSQL tests that run the binary with backups on: a
// database of the test's own on the test server (server_ names the server's
// own database), a project directory (CliTest) and psql for independent
// checks of the state.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drivers/postgres_test_support.h"
#include "support/cli_fixture.h"
#include "support/test_servers.h"

namespace migrate::testing {

class PostgresCliDatabaseTest : public CliTest {
 protected:
  void SetUp() override {
    auto server = postgres_test_url();
    REQUIRE_SERVER(server);
    server_ = *server;
    database_ = std::make_unique<ScratchDatabase>(server_);
    ASSERT_EQ(database_->creation_output(), "");
    url_ = database_->url();
  }
  void TearDown() override { database_.reset(); }

  CliResult run(const std::vector<std::string>& args) {
    return run_cli(dir_.path(), args, {{"DATABASE_URL", url_}});
  }
  std::string query(const std::string& sql) { return psql(url_, sql); }

  std::string server_, url_;
  std::unique_ptr<ScratchDatabase> database_;
};

}  // namespace migrate::testing
