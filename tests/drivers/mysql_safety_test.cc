// MySQL/MariaDB backups and restores a user could lose data with (issue
// 10), through the real binary against the real server: databases without
// rows, sequences, routine bodies with blank lines, restores that would
// fail or would not match their backup, scratch databases of killed runs,
// and the password of the dump tools.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <csignal>
#include <fstream>
#include <thread>

#include "drivers/mysql/mysql_driver.h"
#include "drivers/mysql_scratch_support.h"
#include "support/cli_fixture.h"
#include "support/mysql_server.h"
#include "support/shell.h"
#include "util/crypto.h"

namespace migrate::testing {
namespace {

class MysqlSafetyTest : public MysqlServerTest {
 protected:
  CliResult run(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
    if (!env.count("DATABASE_URL")) env["DATABASE_URL"] = url_;
    return run_cli(dir_.path(), args, env);
  }
  // How many of the database's objects (tables, views, sequences) are named `name`.
  std::string count_named(const std::string& name) {
    return query(
        "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = '" +
        name + "'");
  }
  std::string database_exists(const std::string& name) {
    return query("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" + name +
                 "'");
  }
  // The backup's manifest and artifact, by label (one backup of it).
  std::filesystem::path backup_file(const std::string& label, const std::string& ending) {
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "backups")) {
      std::string name = entry.path().filename().string();
      if (name.find("_" + label + ".") != std::string::npos && name.ends_with(ending))
        return entry.path();
    }
    return {};
  }
};

// A function whose body and result hold blank lines, a trigger and a
// procedure with blank lines, a view, an event, a sequence, and a table
// with an AUTO_INCREMENT counter and a function of the same name.
constexpr const char* kPrograms = R"sql(
CREATE SEQUENCE s START WITH 100 INCREMENT BY 5 NOCACHE;
CREATE TABLE t (id int PRIMARY KEY, n int DEFAULT NEXTVAL(s), note text);
DELIMITER ;;
CREATE FUNCTION f() RETURNS text DETERMINISTIC
BEGIN

  RETURN 'a

b';
END;;
CREATE TRIGGER t_note BEFORE INSERT ON t FOR EACH ROW
BEGIN

  SET NEW.note = CONCAT(IFNULL(NEW.note, ''), '

');
END;;
CREATE PROCEDURE p()
BEGIN

  SELECT 1;

END;;
DELIMITER ;
CREATE VIEW v AS SELECT id, note FROM t;
CREATE EVENT e ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM t;
INSERT INTO t (id) VALUES (1), (2);
CREATE TABLE counted (id int AUTO_INCREMENT PRIMARY KEY);
INSERT INTO counted VALUES (NULL), (NULL);
CREATE FUNCTION counted() RETURNS int DETERMINISTIC RETURN 1;
)sql";

TEST_F(MysqlSafetyTest, ADatabaseWithoutRowsBacksUpRestoresAndVerifies) {
  // No table at all.
  auto empty = run({"backup", "nothing"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  ASSERT_EQ(query("CREATE TABLE later (id int)"), "");
  auto restore = run({"restore", "nothing", "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  EXPECT_EQ(count_named("later"), "0");
  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;

  // Tables, but none with a row; the other objects around them, and a
  // sequence that moves in with the tables.
  ASSERT_EQ(
      query("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int REFERENCES a (id)); "
            "CREATE VIEW va AS SELECT * FROM a; CREATE FUNCTION one() RETURNS int "
            "RETURN 1; CREATE SEQUENCE counter START WITH 7 NOCACHE; SELECT NEXTVAL(counter)"),
      "7");
  std::string before = mysql_dump(url_);
  ASSERT_EQ(run({"backup", "no-rows"}).exit_code, 0);
  ASSERT_EQ(query("DROP VIEW va; DROP FUNCTION one"), "");
  ASSERT_EQ(query("SELECT NEXTVAL(counter)"), "8");
  restore = run({"-v", "restore", "no-rows", "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  EXPECT_CONTAINS(restore.err, "restore: tables moved in");
  EXPECT_TRUE(mysql_dump(url_) == before) << "the restored database differs from the backup";
  verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_CONTAINS(verify.out, "0 problem(s)");
  EXPECT_EQ(query("SELECT NEXTVAL(counter)"), "8");  // where it stood at the backup
}

TEST_F(MysqlSafetyTest, SafeOnAFreshDatabaseWhoseFirstMigrationFailsRestoresIt) {
  migration("20260101000000", "broken",
            "CREATE TABLE a (id int);\nINSERT INTO missing VALUES (1);\n");
  auto safe = run({"safe"});
  EXPECT_EQ(safe.exit_code, 4) << safe.err;
  EXPECT_EQ(count_named("a"), "0");
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                  "AND TABLE_NAME <> 'schema_migrations'"),
            "0");
}

TEST_F(MysqlSafetyTest, SequencesAndRoutineBodiesComeBackExactly) {
  ASSERT_EQ(mysql_query(url_, kPrograms), "");
  ASSERT_EQ(query("SELECT NEXTVAL(s)"), "110");  // 100 and 105 went to the rows
  std::string result = query("SELECT HEX(f())");
  ASSERT_EQ(result, "610A0A62");  // 'a\n\nb'
  std::string before = mysql_dump(url_);
  auto backup = run({"backup", "programs"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;

  ASSERT_EQ(query("SELECT NEXTVAL(s); DROP FUNCTION f; DROP SEQUENCE s; CREATE TABLE later (id "
                  "int)"),
            "115");
  auto restore = run({"-v", "restore", "programs", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  // A column's default names the sequence with its database: the dump is
  // replayed rather than the scratch copy's tables moved in.
  EXPECT_CONTAINS(restore.err, "names its database; replaying instead");
  EXPECT_EQ(query("SELECT HEX(f())"), result);
  EXPECT_TRUE(mysql_dump(url_) == before) << "the restored database differs from the backup";
  // The sequence goes on where it stood when the backup was taken.
  EXPECT_EQ(query("SELECT NEXTVAL(s)"), "115");
  EXPECT_EQ(count_named("later"), "0");
  auto verify = run({"verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_CONTAINS(verify.out, "0 problem(s)");
}

// The fingerprint is read from the database: a change no dump parser would
// see (a blank line gone from a body) or any change to an object shows.
TEST_F(MysqlSafetyTest, TheFingerprintSeesEveryObjectChangedBehindItsBack) {
  ASSERT_EQ(mysql_query(url_, kPrograms), "");
  ASSERT_EQ(query("CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int, "
                  "parent_id int, KEY by_parent (parent_id), CONSTRAINT fk FOREIGN KEY (parent_id) "
                  "REFERENCES parent (id))"),
            "");
  auto url = parse_database_url(url_);
  ASSERT_TRUE(url);
  auto driver = open_mysql_driver(*url, DriverOptions{});
  ASSERT_TRUE(driver) << driver.error().message;
  auto original = (*driver)->fingerprint();
  ASSERT_TRUE(original) << original.error().message;
  ASSERT_EQ((*driver)->fingerprint()->schema_sha256, original->schema_sha256);

  struct Change {
    const char* what;
    const char* change;
    const char* undo;
  };
  // Statements end with "//".
  const Change changes[] = {
      {"a blank line in a function",
       "DROP FUNCTION f//\nCREATE FUNCTION f() RETURNS text DETERMINISTIC\nBEGIN\n  RETURN "
       "'a\n\nb';\nEND//",
       "DROP FUNCTION f//\nCREATE FUNCTION f() RETURNS text DETERMINISTIC\nBEGIN\n\n  RETURN "
       "'a\n\nb';\nEND//"},
      {"a procedure body", "DROP PROCEDURE p//\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n\nEND//",
       "DROP PROCEDURE p//\nCREATE PROCEDURE p()\nBEGIN\n\n  SELECT 1;\n\nEND//"},
      {"a trigger body",
       "DROP TRIGGER t_note//\nCREATE TRIGGER t_note BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  "
       "SET NEW.note = CONCAT(IFNULL(NEW.note, ''), '\n\n');\nEND//",
       "DROP TRIGGER t_note//\nCREATE TRIGGER t_note BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n\n  "
       "SET NEW.note = CONCAT(IFNULL(NEW.note, ''), '\n\n');\nEND//"},
      {"a view", "CREATE OR REPLACE VIEW v AS SELECT id FROM t//",
       "CREATE OR REPLACE VIEW v AS SELECT id, note FROM t//"},
      {"an event", "ALTER EVENT e ENABLE//", "ALTER EVENT e DISABLE//"},
      {"a sequence's position", "DO SETVAL(s, 500)//", nullptr},
      {"a column", "ALTER TABLE t MODIFY note mediumtext//", "ALTER TABLE t MODIFY note text//"},
      {"an index", "ALTER TABLE child DROP KEY by_parent, ADD KEY by_parent (parent_id, id)//",
       nullptr},
      {"a foreign key", "ALTER TABLE child DROP FOREIGN KEY fk//", nullptr},
  };
  auto apply = [&](const char* statements) {
    return mysql_query(url_, std::string("DELIMITER //\n") + statements + "\nDELIMITER ;\n");
  };
  for (const auto& c : changes) {
    auto before = (*driver)->fingerprint();
    ASSERT_TRUE(before) << before.error().message;
    ASSERT_EQ(apply(c.change), "") << c.what;
    auto after = (*driver)->fingerprint();
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_EQ(describe_difference(*before, *after), "the schema differs") << c.what;
    if (c.undo) {
      ASSERT_EQ(apply(c.undo), "") << c.what;
      auto undone = (*driver)->fingerprint();
      ASSERT_TRUE(undone);
      EXPECT_EQ(undone->schema_sha256, before->schema_sha256) << c.what << " undone";
    }
  }
}

TEST_F(MysqlSafetyTest, ABackupThatDoesNotMatchItsManifestIsRefusedBeforeAnythingChanges) {
  ASSERT_EQ(mysql_query(url_, kPrograms), "");
  ASSERT_EQ(run({"backup", "tampered"}).exit_code, 0);
  // The artifact altered, its checksum in the manifest updated to match:
  // only the content fingerprint can tell.
  auto artifact = backup_file("tampered", ".zst");
  auto manifest = backup_file("tampered", ".json");
  ASSERT_FALSE(artifact.empty());
  std::string sql = shell("zstd -dc " + shell_quote(artifact.string()));
  const std::string body = "RETURN 'a\n\nb'";
  size_t at = sql.find(body);
  ASSERT_NE(at, std::string::npos);
  sql.replace(at, body.size(), "RETURN 'a\n\nc'");
  std::filesystem::remove(artifact);
  dir_.write("altered.sql", sql);
  ASSERT_EQ(shell_value("zstd -q -o " + shell_quote(artifact.string()) + " " +
                        shell_quote((dir_.path() / "altered.sql").string()) + " 2>&1"),
            "");
  std::string text = read_text(manifest);
  auto digest = sha256_hex(read_text(artifact));
  auto replace_field = [&](const std::string& key, const std::string& value) {
    size_t at = text.find("\"" + key + "\": ") + key.size() + 4;
    text.replace(at, text.find(',', at) - at, value);
  };
  replace_field("artifact_size", std::to_string(std::filesystem::file_size(artifact)));
  replace_field("artifact_sha256", "\"" + digest + "\"");
  std::filesystem::remove(manifest);
  dir_.write(manifest.lexically_relative(dir_.path()).string(), text);

  ASSERT_EQ(query("CREATE TABLE later (id int); INSERT INTO t (id) VALUES (3)"), "");
  auto restore = run({"restore", "tampered", "--yes", "--no-backup"});
  EXPECT_NE(restore.exit_code, 0);
  EXPECT_CONTAINS(restore.err, "the backup does not match its own fingerprint: the schema differs");
  EXPECT_CONTAINS(restore.err, "the database was not changed");
  EXPECT_EQ(count_named("later"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM t"), "3");
  EXPECT_EQ(query("SELECT HEX(f())"), "610A0A62");
}

// An older migrate's MySQL fingerprint hashed the dump's text: it cannot be
// compared with one read from the catalog, so the restore is refused before
// anything changes.
TEST_F(MysqlSafetyTest, ABackupFromAnOlderMigrateIsRefusedUnchanged) {
  ASSERT_EQ(query("CREATE TABLE a (id int); INSERT INTO a VALUES (1)"), "");
  ASSERT_EQ(run({"backup", "older"}).exit_code, 0);
  auto manifest = backup_file("older", ".json");
  std::string text = read_text(manifest);
  const std::string current = "\"table_hash\": \"sha256+catalog\"";
  size_t at = text.find(current);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, current.size(), "\"table_hash\": \"sha256\"");
  std::filesystem::remove(manifest);
  dir_.write(manifest.lexically_relative(dir_.path()).string(), text);

  ASSERT_EQ(query("CREATE TABLE later (id int); DELETE FROM a"), "");
  auto restore = run({"restore", "older", "--yes", "--no-backup"});
  EXPECT_EQ(restore.exit_code, 1) << restore.err;
  EXPECT_CONTAINS(restore.err, "its content cannot be checked");
  EXPECT_CONTAINS(restore.err, "another version of migrate");
  EXPECT_CONTAINS(restore.err, "the database was not changed");
  EXPECT_EQ(count_named("later"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM a"), "0");
}

// A SIGTERM while a restore changes the live database (held here where its
// RENAME waits for a table another session reads, after the views and
// routines were dropped) waits until the restore is whole: migrate then
// stops on it, and the database holds the backup, view and function too.
TEST_F(MysqlSafetyTest, ASigtermWhileTheLiveDatabaseChangesWaitsForTheWholeRestore) {
  ASSERT_EQ(query("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3); "
                  "CREATE VIEW v AS SELECT id FROM t; "
                  "CREATE FUNCTION f() RETURNS int DETERMINISTIC RETURN 7"),
            "");
  ASSERT_EQ(run({"backup", "whole"}).exit_code, 0);
  ASSERT_EQ(query("DELETE FROM t WHERE id = 3"), "");
  std::thread reader(
      [url = url_] { mysql_query(url, "BEGIN; SELECT count(*) FROM t; DO SLEEP(4); COMMIT"); });
  int pid = spawn_cli(dir_.path(), {"restore", "whole", "--yes", "--no-backup", "--url", url_},
                      dir_.path() / "restore.log");
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; ++i) {
    waiting = query(
                  "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                  "'RENAME TABLE%' AND STATE LIKE '%metadata lock%'") == "1";
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(waiting) << "the restore never waited at its RENAME";
  EXPECT_EQ(count_named("v"), "0") << "the view was not dropped before the swap";
  ::kill(pid, SIGTERM);
  int code = wait_cli(pid);
  reader.join();
  std::string log = read_text(dir_.path() / "restore.log");
  EXPECT_EQ(code, 128 + SIGTERM) << log;
  EXPECT_CONTAINS(log, "SIGTERM arrived during the restore of the live database");
  EXPECT_EQ(query("SELECT count(*) FROM v"), "3");
  EXPECT_EQ(query("SELECT f()"), "7");
}

TEST_F(MysqlSafetyTest, ARestoreThatWouldFailChangesNothing) {
  auto server = mysql_test_url();
  ASSERT_TRUE(server);
  MysqlScratchDatabase other(*server);
  ASSERT_EQ(mysql_query(other.url(), "CREATE TABLE elsewhere (id int)"), "");
  ASSERT_EQ(query("CREATE TABLE kept (id int); INSERT INTO kept VALUES (1); CREATE VIEW outside AS "
                  "SELECT id FROM `" +
                  other.name() + "`.elsewhere"),
            "");
  ASSERT_EQ(run({"backup", "outside"}).exit_code, 0);
  // The view of the backup can no longer be created.
  ASSERT_EQ(mysql_query(other.url(), "DROP TABLE elsewhere"), "");
  ASSERT_EQ(query("CREATE TABLE later (id int); INSERT INTO kept VALUES (2)"), "");

  auto restore = run({"restore", "outside", "--yes", "--no-backup"});
  EXPECT_NE(restore.exit_code, 0);
  EXPECT_CONTAINS(restore.err, "elsewhere");
  EXPECT_CONTAINS(restore.err, "the database was not changed");
  EXPECT_EQ(count_named("later"), "1");
  EXPECT_EQ(count_named("outside"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM kept"), "2");
}

// Any restore or verify --deep on this host drops a dead run's scratch
// database, the other tests' running meanwhile too: so each check on one
// accepts that it may be gone already, never that it stays.
TEST_F(MysqlSafetyTest, ScratchDatabasesOfRunsThatAreGoneAreDroppedAndReported) {
  ASSERT_EQ(query("CREATE TABLE a (id int); INSERT INTO a VALUES (1)"), "");
  ASSERT_EQ(run({"backup"}).exit_code, 0);
  char host[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  std::string tag = sha256_hex(host).substr(0, 8);
  std::string pid = std::to_string(::getpid());
  // A pid no process can have (above any pid_max); this test's own, which
  // is running; and another host's run, which nobody here can judge.
  std::string dead = "migrate_scratch_" + tag + "_99999999_" + pid;
  std::string alive = "migrate_scratch_" + tag + "_" + pid + "_0000beef";
  std::string elsewhere =
      "migrate_scratch_" + std::string(tag == "00000000" ? "11" : "00") + "000000_1_" + pid;
  std::string older = "migrate_verify_1_" + pid;  // an older migrate's name
  ASSERT_EQ(query("CREATE DATABASE " + dead + "; CREATE DATABASE " + alive + "; CREATE DATABASE " +
                  elsewhere + "; CREATE DATABASE " + older),
            "");

  auto doctor = run({"doctor"});
  std::string report = doctor.out + doctor.err;
  EXPECT_CONTAINS(report, elsewhere);
  EXPECT_CONTAINS(report, alive);
  EXPECT_CONTAINS(report, older);
  if (report.find(dead) != std::string::npos) {
    EXPECT_NE(doctor.exit_code, 0);
    // Other tests' gone runs may be listed with it, in any order.
    size_t list = report.find("left behind by runs that are gone: ");
    ASSERT_NE(list, std::string::npos) << report;
    std::string gone = report.substr(list, report.find(';', list) - list);
    EXPECT_CONTAINS(gone, dead);
  } else {
    EXPECT_EQ(database_exists(dead), "0") << "doctor does not report " << dead << ":\n" << report;
  }

  auto verify = run({"-v", "verify", "--deep"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(database_exists(dead), "0");
  EXPECT_EQ(database_exists(alive), "1");
  EXPECT_EQ(database_exists(elsewhere), "1");
  EXPECT_EQ(database_exists(older), "1");
  std::string own = scratch_database_of(verify.err);
  EXPECT_TRUE(own.starts_with("migrate_scratch_" + tag + "_")) << verify.err;
  EXPECT_EQ(database_exists(own), "0");

  doctor = run({"doctor"});
  EXPECT_EQ((doctor.out + doctor.err).find(dead), std::string::npos);
  EXPECT_EQ(
      query("DROP DATABASE " + alive + "; DROP DATABASE " + elsewhere + "; DROP DATABASE " + older),
      "");
}

// A user who may not create databases: restores cannot be staged.
TEST_F(MysqlSafetyTest, WithoutAScratchDatabaseARestoreWarnsAndRestoresInPlace) {
  std::string user = "migrate_ns_" + std::to_string(::getpid());
  ASSERT_EQ(
      query("CREATE USER '" + user + "'@'127.0.0.1' IDENTIFIED BY 'plain-pass-1'; GRANT ALL ON `" +
            database_->name() + "`.* TO '" + user + "'@'127.0.0.1'"),
      "");
  auto parsed = parse_database_url(url_);
  ASSERT_TRUE(parsed);
  std::map<std::string, std::string> env = {
      {"DATABASE_URL", "mysql://" + user + ":plain-pass-1@" + parsed->host + ":" +
                           std::to_string(parsed->port) + "/" + database_->name()}};
  ASSERT_EQ(query("CREATE TABLE a (id int); INSERT INTO a VALUES (1)"), "");
  auto backup = run({"backup", "limited"}, env);
  EXPECT_EQ(backup.exit_code, 0) << backup.err;
  ASSERT_EQ(query("CREATE TABLE later (id int); DELETE FROM a"), "");
  auto restore = run({"restore", "limited", "--yes", "--no-backup"}, env);
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.err, "cannot stage the restore");
  EXPECT_CONTAINS(restore.err, "restoring in place without checking the backup first");
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  EXPECT_EQ(count_named("later"), "0");
  EXPECT_EQ(query("SELECT count(*) FROM a"), "1");
  EXPECT_EQ(query("DROP USER '" + user + "'@'127.0.0.1'"), "");
}

// In place, a restore empties the database first: objects of another
// DEFINER, which this user may not create, are refused before that.
TEST_F(MysqlSafetyTest, InPlaceARestoreOfAnotherUsersObjectsIsRefusedBeforeAnythingChanges) {
  std::string user = "migrate_nd_" + std::to_string(::getpid());
  ASSERT_EQ(
      query("CREATE USER '" + user + "'@'127.0.0.1' IDENTIFIED BY 'plain-pass-2'; GRANT ALL ON `" +
            database_->name() + "`.* TO '" + user + "'@'127.0.0.1'"),
      "");
  auto parsed = parse_database_url(url_);
  ASSERT_TRUE(parsed);
  std::map<std::string, std::string> env = {
      {"DATABASE_URL", "mysql://" + user + ":plain-pass-2@" + parsed->host + ":" +
                           std::to_string(parsed->port) + "/" + database_->name()}};
  // The view's DEFINER is the test's own user, not the restoring one.
  ASSERT_EQ(query("CREATE TABLE a (id int); INSERT INTO a VALUES (1); CREATE VIEW v AS SELECT id "
                  "FROM a"),
            "");
  auto backup = run({"backup", "definers"}, env);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  ASSERT_EQ(query("CREATE TABLE later (id int); INSERT INTO a VALUES (2)"), "");
  auto restore = run({"restore", "definers", "--yes", "--no-backup"}, env);
  EXPECT_NE(restore.exit_code, 0);
  EXPECT_CONTAINS(restore.err, "are defined by `" + parsed->user + "`@");
  EXPECT_CONTAINS(restore.err, "SET USER");
  EXPECT_CONTAINS(restore.err, "the database was not changed");
  EXPECT_EQ(count_named("later"), "1");
  EXPECT_EQ(count_named("v"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM a"), "2");
  EXPECT_EQ(query("DROP USER '" + user + "'@'127.0.0.1'"), "");
}

// The schema is read before and after the dump: a change in between (here
// made by the dump tool itself, just before it dumps) fails the backup.
TEST_F(MysqlSafetyTest, ASchemaChangeWhileTheBackupRunsFailsIt) {
  auto parsed = parse_database_url(url_);
  ASSERT_TRUE(parsed);
  std::string client = "MYSQL_PWD=" + shell_quote(parsed->password) +
                       " mariadb --no-defaults --protocol=TCP --host=" + shell_quote(parsed->host) +
                       " --port=" + std::to_string(parsed->port) +
                       " --user=" + shell_quote(parsed->user) + " " + database_->name();
  auto tool = dir_.write("fake-bin/mariadb-dump",
                         "#!/bin/sh\n"
                         "if [ \"$1\" != --version ]; then " +
                             client +
                             " -e 'CREATE TABLE sneaked (id int)' || exit 9; fi\n"
                             "exec " +
                             shell_value("command -v mariadb-dump") + " \"$@\"\n");
  std::filesystem::permissions(tool, std::filesystem::perms::owner_all);
  ASSERT_EQ(query("CREATE TABLE a (id int)"), "");
  auto backup =
      run({"backup"}, {{"PATH", (dir_.path() / "fake-bin").string() + ":" + std::getenv("PATH")}});
  EXPECT_EQ(backup.exit_code, 1) << backup.err;
  EXPECT_CONTAINS(backup.err, "the database's schema changed while the backup ran");
  EXPECT_EQ(count_named("sneaked"), "1");
  EXPECT_CONTAINS(run({"backups"}).out + run({"backups"}).err, "no backups");
}

TEST_F(MysqlSafetyTest, DumpToolsGetThePasswordFromAPrivateOptionFile) {
  // A user of the test's own whose password holds what option files and
  // shells treat specially.
  std::string user = "migrate_pw_" + std::to_string(::getpid());
  std::string password = "p#a\"s s\\w;'rd";
  ASSERT_EQ(
      query("CREATE USER '" + user +
            "'@'127.0.0.1' IDENTIFIED BY 'p#a\"s s\\\\w;''rd'; "
            "GRANT ALL ON `" +
            database_->name() + "`.* TO '" + user +
            "'@'127.0.0.1'; GRANT ALL ON `migrate\\_scratch\\_%`.* TO '" + user + "'@'127.0.0.1'"),
      "");
  auto parsed = parse_database_url(url_);
  ASSERT_TRUE(parsed);
  std::string url = "mysql://" + user + ":p%23a%22s%20s%5Cw%3B%27rd@" + parsed->host + ":" +
                    std::to_string(parsed->port) + "/" + database_->name();
  // The log directory is written into the script: children get a scrubbed
  // environment, so a variable of the test's would not reach the tool.
  std::string log_dir = shell_quote(dir_.path().string());
  auto tool =
      dir_.write("fake-bin/mariadb-dump",
                 "#!/bin/sh\n"
                 "printf '%s\\n' \"$@\" >> " +
                     log_dir +
                     "/args\n"
                     "env >> " +
                     log_dir +
                     "/env\n"
                     "for a; do case $a in --defaults-file=*) stat -L -c %a \"${a#*=}\" >> " +
                     log_dir +
                     "/mode;; esac; done\n"
                     "exec " +
                     shell_value("command -v mariadb-dump") + " \"$@\"\n");
  std::filesystem::permissions(tool, std::filesystem::perms::owner_all);
  std::map<std::string, std::string> env = {
      {"DATABASE_URL", url},
      {"PATH", (dir_.path() / "fake-bin").string() + ":" + std::getenv("PATH")}};
  ASSERT_EQ(query("CREATE TABLE a (id int); INSERT INTO a VALUES (1)"), "");
  auto backup = run({"backup", "pw"}, env);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  auto verify = run({"verify", "--deep"}, env);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  std::string args = read_text(dir_.path() / "args");
  EXPECT_CONTAINS(args, "--defaults-file=");
  EXPECT_EQ(args.find("s s"), std::string::npos) << args;
  std::string environment = read_text(dir_.path() / "env");
  EXPECT_EQ(environment.find("MYSQL_PWD"), std::string::npos);
  EXPECT_EQ(environment.find("s s"), std::string::npos);
  std::string modes = read_text(dir_.path() / "mode");
  EXPECT_EQ(modes.substr(0, 4), "600\n") << modes;

  // A wrong password is never echoed, nor the URL unmasked.
  std::string wrong = "mysql://" + user + ":Wr0ngSecret@" + parsed->host + ":" +
                      std::to_string(parsed->port) + "/" + database_->name();
  auto refused = run({"status"}, {{"DATABASE_URL", wrong}});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ((refused.out + refused.err).find("Wr0ngSecret"), std::string::npos) << refused.err;
  EXPECT_EQ(query("DROP USER '" + user + "'@'127.0.0.1'"), "");
}

}  // namespace
}  // namespace migrate::testing
