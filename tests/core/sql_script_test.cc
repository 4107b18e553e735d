#include "migrate/sql_script.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace migrate {
namespace {

using Statements = std::vector<std::pair<std::string, int>>;  // text, line

struct SplitCase {
  std::string name;
  SqlDialect dialect;
  std::string sql;
  Statements want;
};

void PrintTo(const SplitCase& c, std::ostream* os) {
  *os << c.name;
}

Statements split(std::string_view sql, SqlDialect dialect) {
  auto script = split_sql(sql, dialect);
  EXPECT_TRUE(script.has_value()) << script.error().message;
  Statements out;
  if (!script) return out;
  for (const Statement& s : script->statements) out.emplace_back(s.text, s.line);
  return out;
}

// Behaviour every dialect shares, checked for each of them.
std::vector<SplitCase> common_cases() {
  const std::vector<SplitCase> shared = {
      {"Empty", {}, "", {}},
      {"BlanksOnly", {}, " \n\t\r\n", {}},
      {"CommentsOnly", {}, "-- only a comment;\n/* and a\nblock; comment */\n", {}},
      {"FinalStatementWithoutDelimiter", {}, "SELECT 1", {{"SELECT 1", 1}}},
      {"LinesCounted",
       {},
       "CREATE TABLE a (x int);\n\nINSERT INTO a VALUES (1);\n",
       {{"CREATE TABLE a (x int)", 1}, {"INSERT INTO a VALUES (1)", 3}}},
      {"LineSkipsLeadingComments",
       {},
       "-- header\n/* block\n   comment */\n  SELECT 1;\n",
       {{"SELECT 1", 4}}},
      {"InnerCommentsKept",
       {},
       "SELECT 1, -- one;\n  2 /* two; */ + 3;",
       {{"SELECT 1, -- one;\n  2 /* two; */ + 3", 1}}},
      {"TrailingCommentsDropped",
       {},
       "SELECT 1 /* done */ -- really\n;\nSELECT 2 -- last\n",
       {{"SELECT 1", 1}, {"SELECT 2", 3}}},
      {"CommentOnlyChunksAreNotStatements",
       {},
       "SELECT 1;\n-- nothing; here\n;\n/* x */;\nSELECT 2;",
       {{"SELECT 1", 1}, {"SELECT 2", 5}}},
      {"EmptyStatementsSkipped", {}, ";;\n ; SELECT 1;;", {{"SELECT 1", 2}}},
      {"SameLine", {}, "SELECT 1; SELECT 2;", {{"SELECT 1", 1}, {"SELECT 2", 1}}},
      {"SemicolonInString",
       {},
       "INSERT INTO t VALUES ('a;b', 'it''s;');\nSELECT 2;",
       {{"INSERT INTO t VALUES ('a;b', 'it''s;')", 1}, {"SELECT 2", 2}}},
      {"SemicolonInDoubleQuotes",
       {},
       "SELECT \"a;\"\"b\" FROM t;",
       {{"SELECT \"a;\"\"b\" FROM t", 1}}},
      {"MultilineStringCountsLines",
       {},
       "SELECT 'a\nb;\nc';\nSELECT 2;",
       {{"SELECT 'a\nb;\nc'", 1}, {"SELECT 2", 4}}},
      {"CrLf", {}, "SELECT 1;\r\n\r\nSELECT 2;\r\n", {{"SELECT 1", 1}, {"SELECT 2", 3}}},
      {"ByteOrderMark", {}, "\xEF\xBB\xBFSELECT 1;", {{"SELECT 1", 1}}},
  };
  const std::pair<const char*, SqlDialect> dialects[] = {{"Sqlite_", SqlDialect::kSqlite},
                                                         {"Postgres_", SqlDialect::kPostgres},
                                                         {"Mysql_", SqlDialect::kMysql}};
  std::vector<SplitCase> cases;
  for (const auto& [prefix, dialect] : dialects) {
    for (SplitCase c : shared) {
      c.name = prefix + c.name;
      c.dialect = dialect;
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

constexpr SqlDialect kSqlite = SqlDialect::kSqlite;
constexpr SqlDialect kPostgres = SqlDialect::kPostgres;
constexpr SqlDialect kMysql = SqlDialect::kMysql;

const SplitCase kSqliteCases[] = {
    {"Sqlite_QuotedIdentifiers",
     kSqlite,
     "CREATE TABLE [a;b] (`c;``d` int, \"e;\" int);",
     {{"CREATE TABLE [a;b] (`c;``d` int, \"e;\" int)", 1}}},
    {"Sqlite_BlockCommentsDoNotNest", kSqlite, "/* a /* b */ SELECT 1;", {{"SELECT 1", 1}}},
    {"Sqlite_DashDashNeedsNoSpace",
     kSqlite,
     "SELECT 5--2;\nSELECT 3;",
     {{"SELECT 5--2;\nSELECT 3", 1}}},
    {"Sqlite_BackslashIsOrdinary",
     kSqlite,
     "SELECT 'a\\';\nSELECT 2;",
     {{"SELECT 'a\\'", 1}, {"SELECT 2", 2}}},
    {"Sqlite_TriggerWithSeveralStatements",
     kSqlite,
     "CREATE TABLE a (x INTEGER);\n"
     "-- keep a log\n"
     "CREATE TRIGGER a_log AFTER INSERT ON a\n"
     "BEGIN\n"
     "  INSERT INTO log VALUES (new.x);\n"
     "  UPDATE counts SET n = n + 1;\n"
     "END;\n"
     "SELECT 1;\n",
     {{"CREATE TABLE a (x INTEGER)", 1},
      {"CREATE TRIGGER a_log AFTER INSERT ON a\nBEGIN\n  INSERT INTO log VALUES (new.x);\n"
       "  UPDATE counts SET n = n + 1;\nEND",
       3},
      {"SELECT 1", 8}}},
    {"Sqlite_TriggerWithCase",
     kSqlite,
     "CREATE TRIGGER sign AFTER INSERT ON a BEGIN\n"
     "  UPDATE a SET s = CASE WHEN new.x > 0 THEN 'pos' ELSE 'neg' END;\n"
     "  UPDATE a SET t = CASE new.x WHEN 0 THEN 'zero' END;\n"
     "END;\n"
     "SELECT 2;",
     {{"CREATE TRIGGER sign AFTER INSERT ON a BEGIN\n"
       "  UPDATE a SET s = CASE WHEN new.x > 0 THEN 'pos' ELSE 'neg' END;\n"
       "  UPDATE a SET t = CASE new.x WHEN 0 THEN 'zero' END;\nEND",
       1},
      {"SELECT 2", 5}}},
    {"Sqlite_TempTriggerLowercase",
     kSqlite,
     "create temp trigger t after delete on a begin delete from b; end;\nselect 1;",
     {{"create temp trigger t after delete on a begin delete from b; end", 1}, {"select 1", 2}}},
    {"Sqlite_TemporaryTrigger",
     kSqlite,
     "CREATE TEMPORARY TRIGGER t BEFORE UPDATE ON a BEGIN SELECT RAISE(ABORT, 'no;'); END; "
     "SELECT 1;",
     {{"CREATE TEMPORARY TRIGGER t BEFORE UPDATE ON a BEGIN SELECT RAISE(ABORT, 'no;'); END", 1},
      {"SELECT 1", 1}}},
    {"Sqlite_TriggerEndInCommentIgnored",
     kSqlite,
     "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1; -- END;\n  SELECT 2;\nEND;",
     {{"CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1; -- END;\n  SELECT 2;\nEND", 1}}},
    {"Sqlite_TriggerAtEndWithoutDelimiter",
     kSqlite,
     "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END\n-- done\n",
     {{"CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END", 1}}},
    {"Sqlite_OtherStatementsWithEndSplitNormally",
     kSqlite,
     "CREATE TABLE trigger_log (x);\nCREATE VIEW v AS SELECT CASE WHEN 1 THEN 2 END;\nSELECT 1;",
     {{"CREATE TABLE trigger_log (x)", 1},
      {"CREATE VIEW v AS SELECT CASE WHEN 1 THEN 2 END", 2},
      {"SELECT 1", 3}}},
};

const SplitCase kPostgresCases[] = {
    {"Postgres_DollarQuotedFunction",
     kPostgres,
     "CREATE FUNCTION touch() RETURNS trigger AS $$\n"
     "BEGIN\n"
     "  NEW.updated_at := now();\n"
     "  RETURN NEW;\n"
     "END;\n"
     "$$ LANGUAGE plpgsql;\n"
     "CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION touch();",
     {{"CREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n"
       "  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql",
       1},
      {"CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION touch()", 7}}},
    {"Postgres_NestedDifferentTags",
     kPostgres,
     "DO $outer$\nBEGIN\n  EXECUTE $in_2$SELECT 1; $$ not the end $$;$in_2$;\nEND\n$outer$;\n"
     "SELECT 2;",
     {{"DO $outer$\nBEGIN\n  EXECUTE $in_2$SELECT 1; $$ not the end $$;$in_2$;\nEND\n$outer$", 1},
      {"SELECT 2", 6}}},
    {"Postgres_ParameterIsNotDollarQuote",
     kPostgres,
     "PREPARE p(int) AS SELECT $1;\nEXECUTE p(1);",
     {{"PREPARE p(int) AS SELECT $1", 1}, {"EXECUTE p(1)", 2}}},
    {"Postgres_DollarsInsideIdentifier",
     kPostgres,
     "SELECT 1 AS a$$;\nSELECT 2;",
     {{"SELECT 1 AS a$$", 1}, {"SELECT 2", 2}}},
    {"Postgres_EStrings",
     kPostgres,
     "SELECT E'it\\'s; fine', e'back\\\\';\nSELECT 2;",
     {{"SELECT E'it\\'s; fine', e'back\\\\'", 1}, {"SELECT 2", 2}}},
    {"Postgres_StandardStringKeepsBackslash",
     kPostgres,
     "SELECT 'C:\\dir\\';\nSELECT 2;",
     {{"SELECT 'C:\\dir\\'", 1}, {"SELECT 2", 2}}},
    {"Postgres_NestedComments",
     kPostgres,
     "/* outer /* inner; */ still comment; */ SELECT 1;\nSELECT /* a /* b; */ c; */ 2;",
     {{"SELECT 1", 1}, {"SELECT /* a /* b; */ c; */ 2", 2}}},
    {"Postgres_BeginAtomicWithCase",
     kPostgres,
     "CREATE FUNCTION add(a int, b int) RETURNS int\n"
     "LANGUAGE SQL\n"
     "BEGIN ATOMIC\n"
     "  SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;\n"
     "END;\n"
     "SELECT 1;",
     {{"CREATE FUNCTION add(a int, b int) RETURNS int\nLANGUAGE SQL\nBEGIN ATOMIC\n"
       "  SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;\nEND",
       1},
      {"SELECT 1", 6}}},
    {"Postgres_ProcedureAtomicSeveralStatements",
     kPostgres,
     "create or replace procedure ins(a int)\nlanguage sql\nbegin atomic\n"
     "  insert into t values (a);\n  insert into t values (a + 1);\nend;\ncall ins(1);",
     {{"create or replace procedure ins(a int)\nlanguage sql\nbegin atomic\n"
       "  insert into t values (a);\n  insert into t values (a + 1);\nend",
       1},
      {"call ins(1)", 7}}},
    {"Postgres_TransactionBlockSplits",
     kPostgres,
     "BEGIN;\nUPDATE a SET x = CASE WHEN x THEN 1 END;\nCOMMIT;",
     {{"BEGIN", 1}, {"UPDATE a SET x = CASE WHEN x THEN 1 END", 2}, {"COMMIT", 3}}},
    {"Postgres_FunctionWithoutBody",
     kPostgres,
     "CREATE FUNCTION one() RETURNS int LANGUAGE sql RETURN 1;\nBEGIN;\nCOMMIT;",
     {{"CREATE FUNCTION one() RETURNS int LANGUAGE sql RETURN 1", 1}, {"BEGIN", 2}, {"COMMIT", 3}}},
};

const SplitCase kMysqlCases[] = {
    {"Mysql_Comments",
     kMysql,
     "SELECT 5--2;\n# note; here\nSELECT 3; -- tail;\nSELECT 4;--\n",
     {{"SELECT 5--2", 1}, {"SELECT 3", 3}, {"SELECT 4", 4}}},
    {"Mysql_BackslashEscapes",
     kMysql,
     "INSERT INTO t VALUES ('it\\'s;', \"say \\\"hi\\\";\", 'a''b;');\nSELECT 2;",
     {{"INSERT INTO t VALUES ('it\\'s;', \"say \\\"hi\\\";\", 'a''b;')", 1}, {"SELECT 2", 2}}},
    {"Mysql_BacktickIdentifiers",
     kMysql,
     "CREATE TABLE `a;b` (`c``;` INT);",
     {{"CREATE TABLE `a;b` (`c``;` INT)", 1}}},
    {"Mysql_ExecutableCommentIsAStatement",
     kMysql,
     "/*!40101 SET NAMES utf8mb4 */;\n/* plain; comment */;\nSELECT 1;",
     {{"/*!40101 SET NAMES utf8mb4 */", 1}, {"SELECT 1", 3}}},
    {"Mysql_DelimiterProcedureAndTrigger",
     kMysql,
     "DELIMITER $$\n"
     "CREATE PROCEDURE p()\n"
     "BEGIN\n"
     "  SELECT 1;\n"
     "  SELECT 2;\n"
     "END$$\n"
     "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW\n"
     "BEGIN\n"
     "  SET NEW.x = 1;\n"
     "END$$\n"
     "DELIMITER ;\n"
     "SELECT 3;",
     {{"CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND", 2},
      {"CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW\nBEGIN\n  SET NEW.x = 1;\nEND", 7},
      {"SELECT 3", 12}}},
    {"Mysql_DelimiterSlashesLowercase",
     kMysql,
     "delimiter //\nCREATE FUNCTION f() RETURNS INT DETERMINISTIC\nBEGIN\n  RETURN 1;\nEND //\n"
     "delimiter ;\nSELECT f();",
     {{"CREATE FUNCTION f() RETURNS INT DETERMINISTIC\nBEGIN\n  RETURN 1;\nEND", 2},
      {"SELECT f()", 7}}},
    {"Mysql_DelimiterAfterCommentsAndIndented",
     kMysql,
     "-- setup\n  DELIMITER ;;\nSELECT 1;;\n\tDELIMITER ;\nSELECT 2;",
     {{"SELECT 1", 3}, {"SELECT 2", 5}}},
    {"Mysql_CustomDelimiterIgnoredInQuotes",
     kMysql,
     "DELIMITER $$\nSELECT '$$;', \"$$\", `$$`$$\nDELIMITER ;\n",
     {{"SELECT '$$;', \"$$\", `$$`", 2}}},
    {"Mysql_FinalStatementWithCustomDelimiter",
     kMysql,
     "DELIMITER $$\nSELECT 1; SELECT 2",
     {{"SELECT 1; SELECT 2", 2}}},
    {"Mysql_DelimiterWordInsideStatement",
     kMysql,
     "SELECT 1,\ndelimiter\nFROM t;",
     {{"SELECT 1,\ndelimiter\nFROM t", 1}}},
    {"Mysql_DelimiterNotAtLineStart",
     kMysql,
     "SELECT 1; DELIMITER $$\nSELECT 2;",
     {{"SELECT 1", 1}, {"DELIMITER $$\nSELECT 2", 1}}},
};

std::vector<SplitCase> all_cases() {
  std::vector<SplitCase> cases = common_cases();
  cases.insert(cases.end(), std::begin(kSqliteCases), std::end(kSqliteCases));
  cases.insert(cases.end(), std::begin(kPostgresCases), std::end(kPostgresCases));
  cases.insert(cases.end(), std::begin(kMysqlCases), std::end(kMysqlCases));
  return cases;
}

class SplitSqlTest : public testing::TestWithParam<SplitCase> {};

TEST_P(SplitSqlTest, Splits) {
  const SplitCase& c = GetParam();
  EXPECT_EQ(split(c.sql, c.dialect), c.want);
}

INSTANTIATE_TEST_SUITE_P(Cases, SplitSqlTest, testing::ValuesIn(all_cases()),
                         [](const auto& info) { return info.param.name; });

struct ErrorCase {
  std::string name;
  SqlDialect dialect;
  std::string sql;
  std::string message;
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << c.name;
}

const ErrorCase kErrorCases[] = {
    {"Sqlite_String", kSqlite, "SELECT 1;\nSELECT 'abc;\n", "line 2: unterminated string literal"},
    {"Sqlite_DoubleQuotes", kSqlite, "SELECT \"abc", "line 1: unterminated quoted identifier"},
    {"Sqlite_Brackets", kSqlite, "SELECT 1;\n\nSELECT [abc;",
     "line 3: unterminated quoted identifier"},
    {"Sqlite_Backticks", kSqlite, "SELECT `a``", "line 1: unterminated quoted identifier"},
    {"Sqlite_Comment", kSqlite, "SELECT 1;\n\n/* never closed\nSELECT 2;",
     "line 3: unterminated block comment"},
    {"Sqlite_CommentInStatement", kSqlite, "SELECT\n1 /* x", "line 2: unterminated block comment"},
    {"Sqlite_Trigger", kSqlite,
     "SELECT 1;\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\n",
     "line 2: unterminated trigger body (missing END;)"},
    {"Sqlite_TriggerEndedOnlyByCase", kSqlite,
     "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT CASE WHEN 1 THEN 2 END;",
     "line 1: unterminated trigger body (missing END;)"},
    {"Postgres_String", kPostgres, "SELECT 'it''s", "line 1: unterminated string literal"},
    {"Postgres_EString", kPostgres, "\nSELECT E'abc\\';", "line 2: unterminated string literal"},
    {"Postgres_Identifier", kPostgres, "SELECT \"abc;", "line 1: unterminated quoted identifier"},
    {"Postgres_DollarTag", kPostgres,
     "SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n$body;",
     "line 2: unterminated dollar-quoted string $body$"},
    {"Postgres_DollarEmptyTag", kPostgres, "DO $$ BEGIN NULL; END $ $;",
     "line 1: unterminated dollar-quoted string $$"},
    {"Postgres_NestedComment", kPostgres, "/* a /* b */ SELECT 1;",
     "line 1: unterminated block comment"},
    {"Postgres_BeginAtomic", kPostgres,
     "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n",
     "line 1: unterminated BEGIN ATOMIC body (missing END)"},
    {"Mysql_String", kMysql, "SELECT 'abc\\';", "line 1: unterminated string literal"},
    {"Mysql_DoubleQuotedString", kMysql, "SELECT \"a\\\"", "line 1: unterminated string literal"},
    {"Mysql_Backticks", kMysql, "SELECT `a", "line 1: unterminated quoted identifier"},
    {"Mysql_Comment", kMysql, "SELECT 1;\n/* a", "line 2: unterminated block comment"},
    {"Mysql_ExecutableComment", kMysql, "/*!40101 SET NAMES utf8",
     "line 1: unterminated block comment"},
    {"Mysql_DelimiterWithoutArgument", kMysql, "SELECT 1;\nDELIMITER\nSELECT 2;",
     "line 2: DELIMITER must be followed by a delimiter"},
    {"Mysql_DelimiterWithBlanksOnly", kMysql, "\n\ndelimiter   \t\r\n",
     "line 3: DELIMITER must be followed by a delimiter"},
};

class SplitSqlErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(SplitSqlErrorTest, Fails) {
  const ErrorCase& c = GetParam();
  auto script = split_sql(c.sql, c.dialect);
  ASSERT_FALSE(script.has_value());
  EXPECT_EQ(script.error().code, ErrorCode::kInvalidMigrations);
  EXPECT_EQ(script.error().message, c.message);
}

INSTANTIATE_TEST_SUITE_P(Cases, SplitSqlErrorTest, testing::ValuesIn(kErrorCases),
                         [](const auto& info) { return info.param.name; });

struct DirectiveCase {
  std::string name;
  std::string sql;
  bool want;
};

void PrintTo(const DirectiveCase& c, std::ostream* os) {
  *os << c.name;
}

const DirectiveCase kDirectiveCases[] = {
    {"FirstLine", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);", true},
    {"NoSpace", "--migrate:no-transaction\n", true},
    {"ExtraBlanks", "  --   migrate:no-transaction  \t\r\nSELECT 1;", true},
    {"AfterBlankAndCommentLines", "\n\n-- add an index\n-- migrate:no-transaction\nSELECT 1;",
     true},
    {"AfterFirstStatement", "SELECT 1;\n-- migrate:no-transaction\n", false},
    {"AfterBlockComment", "/* note */\n-- migrate:no-transaction\n", false},
    {"CaseSensitive", "-- migrate:No-Transaction\n", false},
    {"OtherText", "-- migrate:no-transaction-please\n-- see migrate:no-transaction\n", false},
    {"Absent", "-- just a comment\nSELECT 1;", false},
    {"Empty", "", false},
};

class DirectiveTest : public testing::TestWithParam<DirectiveCase> {};

TEST_P(DirectiveTest, Detects) {
  const DirectiveCase& c = GetParam();
  EXPECT_EQ(has_no_transaction_directive(c.sql), c.want);
  for (SqlDialect dialect : {kSqlite, kPostgres, kMysql}) {
    auto script = split_sql(c.sql, dialect);
    ASSERT_TRUE(script.has_value()) << script.error().message;
    EXPECT_EQ(script->no_transaction, c.want);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, DirectiveTest, testing::ValuesIn(kDirectiveCases),
                         [](const auto& info) { return info.param.name; });

TEST(SplitSqlWholeFileTest, DirectiveLineIsNotAStatement) {
  EXPECT_EQ(split("-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);", kPostgres),
            (Statements{{"CREATE INDEX CONCURRENTLY i ON t (x)", 2}}));
}

// The runner splits every file on each run; a long file must stay cheap.
TEST(SplitSqlWholeFileTest, LongInputSplitsInOnePass) {
  std::string sql;
  for (int i = 0; i < 20000; ++i) sql += "INSERT INTO t VALUES ('x;y'); -- row\n";
  for (SqlDialect dialect : {kSqlite, kPostgres, kMysql}) {
    Statements statements = split(sql, dialect);
    ASSERT_EQ(statements.size(), 20000u);
    EXPECT_EQ(statements.back(),
              (std::pair<std::string, int>{"INSERT INTO t VALUES ('x;y')", 20000}));
  }
}

}  // namespace
}  // namespace migrate
