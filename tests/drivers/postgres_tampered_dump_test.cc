// A restore runs only the statements pg_dump writes: a dump edited to end
// the restore's transaction (COMMIT, ROLLBACK, BEGIN, ...) is refused before
// any of it runs, and the database is left as it was, as migrate says. The
// statements are split as the server splits them, so what pg_dump writes
// inside routine bodies, strings and rules still restores. Real binary,
// real server.
#include <filesystem>
#include <memory>

#include "drivers/postgres_cli_database.h"
#include "drivers/postgres_test_support.h"
#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

using PostgresTamperedDumpTest = PostgresCliDatabaseTest;

TEST_F(PostgresTamperedDumpTest, ADumpThatWouldEndTheRestoresTransactionIsRefusedUnchanged) {
  migration("20260101000000", "schema",
            "CREATE TABLE keep (id int PRIMARY KEY, note text);\n"
            "INSERT INTO keep SELECT g, 'row ' || g FROM generate_series(1, 100) g;\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  const std::vector<std::string> injections = {
      "COMMIT;",
      "COMMIT; CREATE TABLE evil1(x int); BEGIN;",
      "SELECT 1; end;",
      "SELECT $x$;$x$ /* ; /* nested */ ; */; ROLLBACK; CREATE TABLE evil2(x int);",
      "SELECT E'\\'; COMMIT;'; COMMIT;",
      "SELECT '\\'; COMMIT; --'",
      "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;",
      "SET LOCAL SESSION AUTHORIZATION DEFAULT;",
      "COPY keep FROM PROGRAM 'true';",
      "VACUUM;",
  };
  for (const auto& injection : injections) {
    ASSERT_EQ(run({"backup", "checked"}).exit_code, 0);
    std::string escaped;
    for (char c : injection) {
      if (c == '\\' || c == '/' || c == '&') escaped += '\\';
      escaped += c;
    }
    ASSERT_EQ(
        tamper_backup(dir_.path() / "backups", "s/^SET row_security = off;$/&\\n" + escaped + "/"),
        "ok");
    ASSERT_EQ(query("UPDATE keep SET note = 'changed' WHERE id = 1; CREATE TABLE later (id int)"),
              "");
    std::string schema = dump_schema(url_), data = dump_data(url_);

    auto restore = run({"restore", "latest", "--yes", "--no-backup"});
    EXPECT_EQ(restore.exit_code, 1) << injection << restore.out << restore.err;
    EXPECT_CONTAINS(restore.err, "not a pg_dump the restore can trust");
    EXPECT_CONTAINS(restore.err, "the database was not changed");
    EXPECT_EQ(dump_schema(url_), schema) << injection;
    EXPECT_EQ(dump_data(url_), data) << injection;
    EXPECT_EQ(query("SELECT count(*) FROM keep"), "100") << injection;
    ASSERT_EQ(query("DROP TABLE later"), "");
    std::filesystem::remove_all(dir_.path() / "backups");
  }
}

TEST_F(PostgresTamperedDumpTest, RoutineBodiesRulesAndStringsOfARealDumpStillRestore) {
  migration("20260101000000", "schema",
            "CREATE TABLE keep (id int PRIMARY KEY, note text DEFAULT E'a;\\\\'';COMMIT;');\n"
            "CREATE TABLE audit (id int);\n"
            "CREATE FUNCTION atomic_sum(a int, b int) RETURNS int LANGUAGE sql\n"
            "BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN a + b ELSE b END; END;\n"
            "CREATE PROCEDURE commits() LANGUAGE plpgsql AS $body$\n"
            "BEGIN\n  INSERT INTO audit VALUES (1);\n  COMMIT;\n  ROLLBACK;\nEND\n$body$;\n"
            "");
  auto up = run({"up", "--no-backup"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  // (migrate's own statement splitter does not take a rule's list of actions.)
  ASSERT_EQ(query("CREATE RULE twice AS ON INSERT TO keep DO ALSO "
                  "(INSERT INTO audit VALUES (NEW.id); INSERT INTO audit VALUES (-NEW.id)); "
                  "INSERT INTO keep (id) VALUES (1)"),
            "");
  ASSERT_EQ(run({"backup", "checked"}).exit_code, 0);
  ASSERT_EQ(query("DROP TABLE keep CASCADE; DROP FUNCTION atomic_sum"), "");
  auto restore = run({"restore", "latest", "--yes", "--no-backup"});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_EQ(query("SELECT atomic_sum(2, 3) || ',' || (SELECT note FROM keep) || ',' || "
                  "(SELECT count(*) FROM audit)"),
            "5,a;\\';COMMIT;,2");
  EXPECT_EQ(query("SELECT count(*) FROM pg_rules WHERE rulename = 'twice'"), "1");
}

}  // namespace
}  // namespace migrate::testing
