// Checking a MariaDB test server independently of migrate: the server's own
// client and dump tool, and a database of the test's own.
//
// Tests run in parallel (ctest -j), so each works in a scratch database
// created through the server's URL (mysql_test_url()) and dropped at the end.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/temp_dir.h"
#include "support/test_servers.h"

namespace migrate::testing {

// The `mariadb` client's batch output of `sql` on the URL's database (tab
// separated, no column names; errors included), without the final newline.
std::string mysql_query(const std::string& url, const std::string& sql);

// The server's own dump of the URL's database, as a user would take it:
// mariadb-dump --single-transaction --routines --triggers --events
// --skip-dump-date. Two dumps of equal databases are equal.
std::string mysql_dump(const std::string& url);

// A database of the test's own on the server of `server_url`, dropped at
// the end.
class MysqlScratchDatabase {
 public:
  explicit MysqlScratchDatabase(const std::string& server_url);
  ~MysqlScratchDatabase();
  MysqlScratchDatabase(const MysqlScratchDatabase&) = delete;
  MysqlScratchDatabase& operator=(const MysqlScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& creation_output() const { return created_; }
  std::string url() const { return with_database(server_url_, name_); }

 private:
  std::string server_url_, name_, created_;
};

// A test on a scratch database of the MariaDB test server (skipped locally,
// failed in CI, when there is none), in a project directory of its own.
class MysqlServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Writes migrations/<version>_<name>.sql and, unless `down` is null, its rollback.
  void migration(const std::string& version, const std::string& name, const std::string& up,
                 const char* down = "");
  std::string query(const std::string& sql) { return mysql_query(url_, sql); }

  TempDir dir_;
  std::unique_ptr<MysqlScratchDatabase> database_;
  std::string url_;  // the scratch database
};

}  // namespace migrate::testing
