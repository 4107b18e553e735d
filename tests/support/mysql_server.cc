#include "support/mysql_server.h"

#include <unistd.h>

#include <random>

#include "migrate/url.h"
#include "support/shell.h"
#include "support/test_servers.h"

namespace migrate::testing {
namespace {

// "MYSQL_PWD=... <tool> --no-defaults <connection options>" for the URL.
std::string command(const std::string& tool, const std::string& text) {
  auto url = parse_database_url(text);
  if (!url) return "false";
  std::string line = "MYSQL_PWD=" + shell_quote(url->password) + " " + tool + " --no-defaults";
  auto socket = url->params.find("socket");
  if (socket != url->params.end()) {
    line += " --protocol=SOCKET --socket=" + shell_quote(socket->second);
  } else {
    line += " --protocol=TCP --host=" + shell_quote(url->host);
    if (url->port) line += " --port=" + std::to_string(url->port);
  }
  return line + " --user=" + shell_quote(url->user) + " " + shell_quote(url->database);
}

}  // namespace

std::string mysql_query(const std::string& url, const std::string& sql) {
  return shell_value(command("mariadb", url) + " --batch --skip-column-names -e " +
                     shell_quote(sql) + " 2>&1");
}

std::string mysql_dump(const std::string& url) {
  return shell(command("mariadb-dump", url) +
               " --single-transaction --routines --triggers --events --skip-dump-date 2>&1");
}

MysqlScratchDatabase::MysqlScratchDatabase(const std::string& server_url)
    : server_url_(server_url) {
  std::random_device random;
  name_ = "migrate_t_" + std::to_string(::getpid()) + "_" + std::to_string(random() % 1000000);
  created_ = mysql_query(server_url_, "CREATE DATABASE " + name_);
}

MysqlScratchDatabase::~MysqlScratchDatabase() {
  mysql_query(server_url_, "DROP DATABASE IF EXISTS " + name_);
}

void MysqlServerTest::SetUp() {
  auto server = mysql_test_url();
  REQUIRE_SERVER(server);
  database_ = std::make_unique<MysqlScratchDatabase>(*server);
  ASSERT_EQ(database_->creation_output(), "");
  url_ = database_->url();
}

void MysqlServerTest::migration(const std::string& version, const std::string& name,
                                const std::string& up, const char* down) {
  dir_.write("migrations/" + version + "_" + name + ".sql", up);
  if (down) dir_.write("migrations/" + version + "_" + name + "_rollback.sql", down);
}

}  // namespace migrate::testing
