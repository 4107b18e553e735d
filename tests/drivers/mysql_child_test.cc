// What mariadb-dump gets from migrate, through the real binary against the
// real server: its password only from a private in-memory option file (so a
// killed migrate leaves no file with the password anywhere), an environment
// without migrate's own secrets or libpq's, and no descriptor of migrate's (its
// database connections above all: an orphaned dump would hold the runner
// lock's session open).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "drivers/mysql/mysql_driver.h"
#include "support/cli_fixture.h"
#include "support/mysql_server.h"
#include "support/shell.h"

namespace migrate::testing {
namespace {

class MysqlChildTest : public MysqlServerTest {
 protected:
  void SetUp() override {
    MysqlServerTest::SetUp();
    if (!database_) return;
    user_ = "migrate_ch_" + std::to_string(::getpid());
    password_ = "Leak-" + std::to_string(::getpid()) + "-s3cr3t";
    ASSERT_EQ(query("CREATE USER '" + user_ + "'@'127.0.0.1' IDENTIFIED BY '" + password_ +
                    "'; GRANT ALL ON `" + database_->name() + "`.* TO '" + user_ +
                    "'@'127.0.0.1'; CREATE TABLE a (id int); INSERT INTO a VALUES (1)"),
              "");
    auto parsed = parse_database_url(url_);
    ASSERT_TRUE(parsed);
    user_url_ = "mysql://" + user_ + ":" + password_ + "@" + parsed->host + ":" +
                std::to_string(parsed->port) + "/" + database_->name();
  }
  void TearDown() override {
    if (!user_.empty()) query("DROP USER IF EXISTS '" + user_ + "'@'127.0.0.1'");
  }
  // A mariadb-dump on the PATH that runs `script` (after answering
  // --version with the real tool) and then the real tool.
  void wrap_dump_tool(const std::string& script) {
    auto tool = dir_.write("fake-bin/mariadb-dump",
                           "#!/bin/sh\n"
                           "if [ \"$1\" = --version ]; then exec " +
                               real_tool_ + " \"$@\"; fi\n" + script + "\nexec " + real_tool_ +
                               " \"$@\"\n");
    std::filesystem::permissions(tool, std::filesystem::perms::owner_all);
  }
  CliResult run(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
    env.emplace("DATABASE_URL", user_url_);
    env.emplace("PATH", (dir_.path() / "fake-bin").string() + ":" + std::getenv("PATH"));
    return run_cli(dir_.path(), args, env);
  }
  // The files under `root` (recursively when asked) that hold the password.
  std::vector<std::string> files_with_password(const std::filesystem::path& root, bool deep) {
    std::vector<std::string> found;
    std::error_code ec;
    auto check = [&](const std::filesystem::directory_entry& entry) {
      std::error_code ignored;
      if (!entry.is_regular_file(ignored) || entry.file_size(ignored) > (64u << 20)) return;
      std::ifstream in(entry.path(), std::ios::binary);
      if (!in) return;
      std::stringstream text;
      text << in.rdbuf();
      if (text.str().find(password_) != std::string::npos) found.push_back(entry.path());
    };
    if (deep) {
      for (auto it = std::filesystem::recursive_directory_iterator(
               root, std::filesystem::directory_options::skip_permission_denied, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        check(*it);
    } else {
      for (auto it = std::filesystem::directory_iterator(root, ec);
           !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        check(*it);
    }
    return found;
  }

  std::string user_, password_, user_url_;
  std::string real_tool_ = shell_quote(shell_value("command -v mariadb-dump"));
  std::string log_dir_ = shell_quote(dir_.path().string());
};

TEST_F(MysqlChildTest, AKilledBackupLeavesNoFileWithThePassword) {
  // The tool kills migrate (its parent) with SIGKILL as the dump starts.
  wrap_dump_tool("printf '%s\\n' \"$@\" > " + log_dir_ + "/args\nkill -9 $PPID\nexit 0");
  std::filesystem::create_directories(dir_.path() / "tmp");
  auto backup = run({"backup", "killed"}, {{"TMPDIR", (dir_.path() / "tmp").string()}});
  EXPECT_NE(backup.exit_code, 0);
  std::string args = read_text(dir_.path() / "args");
  EXPECT_CONTAINS(args, "--defaults-file=/proc/self/fd/3");
  EXPECT_EQ(args.find(password_), std::string::npos);
  EXPECT_EQ(files_with_password(dir_.path(), true), std::vector<std::string>{});
  EXPECT_EQ(files_with_password("/tmp", false), std::vector<std::string>{});

  // The same tool, not killing: the option file works (0600, read by it).
  wrap_dump_tool("stat -L -c %a /proc/self/fd/3 > " + log_dir_ + "/mode");
  auto again = run({"backup", "kept"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(read_text(dir_.path() / "mode"), "600\n");
  EXPECT_EQ(files_with_password(dir_.path(), true), std::vector<std::string>{});
}

TEST_F(MysqlChildTest, TheDumpToolSeesNoneOfMigratesSecrets) {
  // The log path is in the script: the tool's environment is scrubbed.
  wrap_dump_tool("env > " + log_dir_ + "/env");
  auto backup = run({"backup", "env"}, {{"MIGRATE_BACKUP_KEY", "backup-key-Xy7"},
                                        {"AWS_SECRET_ACCESS_KEY", "aws-Secret-Q9"},
                                        {"PGPASSWORD", "pg-Secret-W4"}});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  std::string env = read_text(dir_.path() / "env");
  EXPECT_CONTAINS(env, "PATH=");
  for (const char* secret : {"DATABASE_URL", "MIGRATE_BACKUP_KEY", "backup-key-Xy7",
                             "aws-Secret-Q9", "MYSQL_PWD", "PGPASSWORD", "pg-Secret-W4"})
    EXPECT_EQ(env.find(secret), std::string::npos) << secret << " in:\n" << env;
  EXPECT_EQ(env.find(password_), std::string::npos);
}

TEST_F(MysqlChildTest, TheDumpToolHoldsNoDescriptorOfMigrates) {
  // The shell's own descriptors, as `ls -l` shows their targets.
  wrap_dump_tool("ls -l /proc/$$/fd/ > " + log_dir_ + "/fds");
  auto backup = run({"backup", "fds"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  std::istringstream listing(read_text(dir_.path() / "fds"));
  std::string line, fds;
  int private_files = 0;
  for (std::string line; std::getline(listing, line);) {
    size_t arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    std::string target = line.substr(arrow + 4);
    fds += target + "\n";
    if (target.starts_with("/memfd:migrate-private")) ++private_files;
    bool expected = target == "/dev/null" || target.starts_with("pipe:") ||
                    target.starts_with("/memfd:migrate-private") ||
                    target.ends_with("fake-bin/mariadb-dump") ||  // the shell reading its script
                    target == (dir_.path() / "fds").string();     // the listing itself
    EXPECT_TRUE(expected) << target << " is open in the dump tool:\n" << line;
  }
  EXPECT_EQ(fds.find("socket:"), std::string::npos) << fds;
  EXPECT_EQ(private_files, 1) << fds;
}

}  // namespace
}  // namespace migrate::testing
