#include "migrate/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace migrate {
namespace {

namespace fs = std::filesystem;

// Each test gets its own working directory for .env and migrate.toml, and
// an environment of its own (a map instead of the process's).
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("migrate_config_test_" + std::string(info->name()) + "_" +
                                        std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  Result<Config> resolve() {
    ConfigSources sources;
    sources.flags = flags_;
    sources.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    sources.working_dir = dir_;
    return resolve_config(sources);
  }

  fs::path dir_;
  std::map<std::string, std::string> flags_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, DefaultsWithoutAnyFile) {
  auto config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->url.kind, DatabaseKind::kSqlite);
  EXPECT_EQ(config->url.path, "./app.db");
  EXPECT_EQ(config->migrations_dir, fs::path("./migrations"));
  EXPECT_EQ(config->backup_dir, fs::path("./backups"));
  EXPECT_EQ(config->seeds_dir, fs::path("./seeds"));
  EXPECT_EQ(config->table, "schema_migrations");
  EXPECT_EQ(config->lock_timeout_seconds, 60);
  EXPECT_EQ(config->wait_seconds, std::nullopt);
  EXPECT_FALSE(config->yes);
  EXPECT_EQ(config->log_level, LogLevel::kInfo);
  EXPECT_FALSE(config->no_color);
}

std::string level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

// One setting given by every source at once; the sources are then removed
// from the strongest down, and each step must show the next one's value.
struct PrecedenceCase {
  std::string key;                                              // flags and migrate.toml
  std::string env;                                              // environment and .env
  std::string flag_value, env_value, dotenv_value, toml_value;  // toml_value as written in TOML
  std::function<std::string(const Config&)> read;
  std::vector<std::string> expected;  // flag, env, .env, toml, default
};

TEST_F(ConfigTest, FlagBeatsEnvBeatsDotenvBeatsTomlBeatsDefault) {
  auto path = [](fs::path Config::*member) {
    return [member](const Config& c) { return (c.*member).string(); };
  };
  const PrecedenceCase cases[] = {
      {"url",
       "DATABASE_URL",
       "sqlite:flag.db",
       "sqlite:env.db",
       "sqlite:dotenv.db",
       "\"sqlite:toml.db\"",
       [](const Config& c) { return c.url.path; },
       {"flag.db", "env.db", "dotenv.db", "toml.db", "./app.db"}},
      {"dir",
       "MIGRATE_DIR",
       "f",
       "e",
       "d",
       "'t'",
       path(&Config::migrations_dir),
       {"f", "e", "d", "t", "./migrations"}},
      {"backup_dir",
       "MIGRATE_BACKUP_DIR",
       "f",
       "e",
       "d",
       "\"t\"",
       path(&Config::backup_dir),
       {"f", "e", "d", "t", "./backups"}},
      {"seeds_dir",
       "MIGRATE_SEEDS_DIR",
       "f",
       "e",
       "d",
       "\"t\"",
       path(&Config::seeds_dir),
       {"f", "e", "d", "t", "./seeds"}},
      {"table",
       "MIGRATE_TABLE",
       "f",
       "e",
       "d",
       "\"t\"",
       [](const Config& c) { return c.table; },
       {"f", "e", "d", "t", "schema_migrations"}},
      {"lock_timeout",
       "MIGRATE_LOCK_TIMEOUT",
       "1",
       "2",
       "3",
       "4",
       [](const Config& c) { return std::to_string(c.lock_timeout_seconds); },
       {"1", "2", "3", "4", "60"}},
      {"wait",
       "MIGRATE_WAIT",
       "1",
       "2",
       "3",
       "4",
       [](const Config& c) {
         return c.wait_seconds ? std::to_string(*c.wait_seconds) : std::string("off");
       },
       {"1", "2", "3", "4", "off"}},
      {"yes",
       "MIGRATE_YES",
       "0",
       "TRUE",
       "no",
       "true",
       [](const Config& c) { return std::string(c.yes ? "yes" : "no"); },
       {"no", "yes", "no", "yes", "no"}},
      {"log_level",
       "MIGRATE_LOG_LEVEL",
       "debug",
       "warn",
       "error",
       "\"debug\"",
       [](const Config& c) { return level_name(c.log_level); },
       {"debug", "warn", "error", "debug", "info"}},
      // NO_COLOR in the environment means on whatever its value (no-color.org).
      {"no_color",
       "NO_COLOR",
       "0",
       "1",
       "0",
       "false",
       [](const Config& c) { return std::string(c.no_color ? "on" : "off"); },
       {"off", "on", "on", "off", "off"}},
  };
  for (const PrecedenceCase& c : cases) {
    SCOPED_TRACE(c.key);
    flags_ = {{c.key, c.flag_value}};
    env_ = {{c.env, c.env_value}};
    write(".env", c.env + "=" + c.dotenv_value + "\n");
    write("migrate.toml", c.key + " = " + c.toml_value + "\n");
    for (size_t step = 0; step < c.expected.size(); ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      auto config = resolve();
      ASSERT_TRUE(config.has_value()) << config.error().message;
      EXPECT_EQ(c.read(*config), c.expected[step]);
      if (step == 0) flags_.clear();
      if (step == 1) env_.clear();
      if (step == 2) fs::remove(dir_ / ".env");
      if (step == 3) fs::remove(dir_ / "migrate.toml");
    }
  }
}

// The backup settings keep the sources they had when each command read its
// own variable: the key and the retention policy from the environment or
// .env (never migrate.toml), the progress delay and pg_dump's directory from
// the environment only.
TEST_F(ConfigTest, BackupSettingsComeFromTheirOwnSources) {
  auto config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->backup_key, std::nullopt);
  EXPECT_EQ(config->backup_key_file, std::nullopt);
  EXPECT_EQ(config->retention, std::nullopt);
  EXPECT_EQ(config->progress_delay, std::chrono::seconds(1));
  EXPECT_EQ(config->pg_bindir, fs::path());

  write(".env",
        "MIGRATE_BACKUP_KEY=from-dotenv\nMIGRATE_RETENTION=keep-last=2\n"
        "MIGRATE_PROGRESS_DELAY=0\nMIGRATE_PG_BINDIR=/dotenv/bin\n");
  config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->backup_key, "from-dotenv");
  EXPECT_EQ(config->retention, "keep-last=2");
  EXPECT_EQ(config->progress_delay, std::chrono::seconds(1)) << "not read from .env";
  EXPECT_EQ(config->pg_bindir, fs::path()) << "not read from .env";

  env_ = {{"MIGRATE_BACKUP_KEY", "from-env"},
          {"MIGRATE_RETENTION", "keep-daily=7"},
          {"MIGRATE_PROGRESS_DELAY", "0.25"},
          {"MIGRATE_PG_BINDIR", "/env/bin"}};
  config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->backup_key, "from-env");
  EXPECT_EQ(config->retention, "keep-daily=7");
  EXPECT_EQ(config->progress_delay, std::chrono::milliseconds(250));
  EXPECT_EQ(config->pg_bindir, fs::path("/env/bin"));

  // --key-file names a file; it wins over the variable.
  flags_["backup_key"] = "/keys/backup.key";
  config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->backup_key_file, fs::path("/keys/backup.key"));

  // A delay that does not parse keeps the default rather than failing.
  env_["MIGRATE_PROGRESS_DELAY"] = "soon";
  config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->progress_delay, std::chrono::seconds(1));
}

TEST_F(ConfigTest, BackupKeyAndRetentionAreNotTomlKeys) {
  for (const char* key : {"backup_key", "retention", "progress_delay", "pg_bindir"}) {
    write("migrate.toml", std::string(key) + " = \"x\"\n");
    auto config = resolve();
    ASSERT_FALSE(config.has_value()) << key;
    EXPECT_EQ(config.error().message,
              "migrate.toml line 1: unknown key '" + std::string(key) + "'");
  }
}

TEST_F(ConfigTest, DotenvNeverOverridesASetVariable) {
  env_ = {{"MIGRATE_TABLE", "from_env"}, {"MIGRATE_DIR", ""}};
  write(".env",
        "MIGRATE_TABLE=from_dotenv\n"
        "MIGRATE_SEEDS_DIR=db/seeds\n"
        "MIGRATE_DIR=db/migrations\n");
  auto config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->table, "from_env");
  EXPECT_EQ(config->seeds_dir, fs::path("db/seeds"));  // unset in the environment
  // An empty variable counts as unset (compose files pass VAR=${VAR}).
  EXPECT_EQ(config->migrations_dir, fs::path("db/migrations"));
}

TEST_F(ConfigTest, BareWaitFlagMeansAMinute) {
  flags_ = {{"wait", ""}};
  env_ = {{"MIGRATE_WAIT", "5"}};
  auto config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->wait_seconds, 60);
}

TEST_F(ConfigTest, RelativePathsStayRelativeAndUrlsAreParsed) {
  write("migrate.toml",
        "# deploy settings\n"
        "url = \"postgres://app:s3cret@db:5432/app?sslmode=require\"  # from vault\n"
        "dir = \"db/migrations\"\n"
        "lock_timeout = 0\n");
  auto config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->url.kind, DatabaseKind::kPostgres);
  EXPECT_EQ(config->url.password, "s3cret");
  EXPECT_EQ(config->migrations_dir, fs::path("db/migrations"));
  EXPECT_TRUE(config->migrations_dir.is_relative());
  EXPECT_EQ(config->lock_timeout_seconds, 0);
}

// A bad value, set by one source, and the message that must name it.
struct BadValue {
  enum Source { kFlag, kEnv, kDotenv, kToml } source;
  std::string name;   // flag key or variable; unused for files
  std::string value;  // the value, or the whole file
  std::string message;
};

TEST_F(ConfigTest, BadValuesNameTheirSource) {
  const std::string kSeconds = "expected a whole number of seconds";
  const BadValue cases[] = {
      {BadValue::kFlag, "lock_timeout", "abc",
       "invalid value 'abc' for --lock-timeout: " + kSeconds},
      {BadValue::kEnv, "MIGRATE_LOCK_TIMEOUT", "x",
       "invalid value 'x' for MIGRATE_LOCK_TIMEOUT: " + kSeconds},
      {BadValue::kDotenv, "", "# local\nMIGRATE_LOCK_TIMEOUT=-1\n",
       "invalid value '-1' for MIGRATE_LOCK_TIMEOUT in .env line 2: " + kSeconds},
      {BadValue::kToml, "", "dir = \"m\"\n\nlock_timeout = -5\n",
       "invalid value '-5' for lock_timeout in migrate.toml line 3: " + kSeconds},
      {BadValue::kFlag, "lock_timeout", "99999999999",
       "invalid value '99999999999' for --lock-timeout: too many seconds"},
      {BadValue::kFlag, "wait", "soon", "invalid value 'soon' for --wait: " + kSeconds},
      {BadValue::kEnv, "MIGRATE_WAIT", "1.5", "invalid value '1.5' for MIGRATE_WAIT: " + kSeconds},
      {BadValue::kEnv, "MIGRATE_YES", "maybe",
       "invalid value 'maybe' for MIGRATE_YES: expected 1, true, yes, 0, false or no"},
      {BadValue::kToml, "", "yes = 2\n",
       "invalid value '2' for yes in migrate.toml line 1: expected 1, true, yes, 0, false or no"},
      {BadValue::kFlag, "no_color", "on",
       "invalid value 'on' for --no-color: expected 1, true, yes, 0, false or no"},
      {BadValue::kEnv, "MIGRATE_LOG_LEVEL", "loud",
       "invalid value 'loud' for MIGRATE_LOG_LEVEL: expected debug, info, warn or error"},
      {BadValue::kFlag, "table", "1users",
       "invalid value '1users' for --table: expected letters, digits and underscores, not "
       "starting with a digit, at most 63 characters (on PostgreSQL optionally qualified by a "
       "schema name)"},
      {BadValue::kToml, "", "table = \"a.b.c\"\n",
       "invalid value 'a.b.c' for table in migrate.toml line 1: expected letters, digits and "
       "underscores, not starting with a digit, at most 63 characters (on PostgreSQL optionally "
       "qualified by a schema name)"},
      {BadValue::kFlag, "table", "temp.sm",
       "invalid value 'temp.sm' for --table: a schema-qualified table name is only supported on "
       "PostgreSQL"},
      {BadValue::kEnv, "MIGRATE_TABLE", "select",
       "invalid value 'select' for MIGRATE_TABLE: 'select' is a reserved SQL word; choose "
       "another name"},
      {BadValue::kToml, "", "url = 'postgres://db/app'\ntable = \"ops.Order\"\n",
       "invalid value 'ops.Order' for table in migrate.toml line 2: 'Order' is a reserved SQL "
       "word; choose another name"},
      {BadValue::kToml, "", "url = 'postgres://db/app'\ntable = \"pg_temp.sm\"\n",
       "invalid value 'pg_temp.sm' for table in migrate.toml line 2: schema 'pg_temp' belongs to "
       "PostgreSQL itself (temporary, system or catalog schema); the tracking table needs a "
       "schema of your own, e.g. public.sm"},
      {BadValue::kToml, "", "url = 'postgres://db/app'\ntable = \"Information_Schema.sm\"\n",
       "invalid value 'Information_Schema.sm' for table in migrate.toml line 2: schema "
       "'Information_Schema' belongs to PostgreSQL itself (temporary, system or catalog "
       "schema); the tracking table needs a schema of your own, e.g. public.sm"},
      {BadValue::kFlag, "table", "t\x1b[2J",
       "invalid value 't\\x1b[2J' for --table: expected letters, digits and underscores, not "
       "starting with a digit, at most 63 characters (on PostgreSQL optionally qualified by a "
       "schema name)"},
      {BadValue::kFlag, "lock_timeout", "postgres://app:s3cret@db/app",
       "invalid value 'postgres://app:***@db/app' for --lock-timeout: " + kSeconds},
      {BadValue::kFlag, "url", "postgres://app@db:99999/app?sslpassword=s3cret",
       "--url: invalid database url 'postgres://app@db:99999/app?sslpassword=***': the port is out "
       "of range (1-65535)"},
      {BadValue::kFlag, "dir", "", "invalid value '' for --dir: expected a directory path"},
      {BadValue::kToml, "", "seeds_dir = ''\n",
       "invalid value '' for seeds_dir in migrate.toml line 1: expected a directory path"},
      {BadValue::kFlag, "url", "", "--url: database url is empty"},
      {BadValue::kFlag, "url", "postgres://app:s3cret@db:99999/app",
       "--url: invalid database url 'postgres://app:***@db:99999/app': the port is out of "
       "range (1-65535)"},
      {BadValue::kEnv, "DATABASE_URL", "mongodb://app:s3cret@db/app",
       "DATABASE_URL: invalid database url 'mongodb://app:***@db/app': unsupported scheme "
       "'mongodb' (supported: sqlite, postgres, postgresql, mysql, mariadb)"},
      {BadValue::kDotenv, "", "A=1\nDATABASE_URL=\"postgres://app:s3cret@db\"\n",
       "DATABASE_URL in .env line 2: invalid database url 'postgres://app:***@db': missing the "
       "database name (as in postgres://host/dbname)"},
      {BadValue::kToml, "", "url = 'mysql://app:s3cret@db/a?socket=x'\n",
       "url in migrate.toml line 1: invalid database url 'mysql://app:***@db/a?socket=x': "
       "?socket= must be an absolute unix socket path, got 'x'"},
  };
  for (const BadValue& c : cases) {
    SCOPED_TRACE(c.message);
    flags_.clear();
    env_.clear();
    fs::remove(dir_ / ".env");
    fs::remove(dir_ / "migrate.toml");
    switch (c.source) {
      case BadValue::kFlag:
        flags_[c.name] = c.value;
        break;
      case BadValue::kEnv:
        env_[c.name] = c.value;
        break;
      case BadValue::kDotenv:
        write(".env", c.value);
        break;
      case BadValue::kToml:
        write("migrate.toml", c.value);
        break;
    }
    auto config = resolve();
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().code, ErrorCode::kUsage);
    EXPECT_EQ(config.error().message, c.message);
    EXPECT_EQ(config.error().message.find("s3cret"), std::string::npos);
  }
}

struct BadFile {
  std::string name;
  std::string text;
  std::string message;
};

TEST_F(ConfigTest, MalformedFilesNameTheirLine) {
  const BadFile cases[] = {
      {".env", "A=1\nnot a pair\n", ".env line 2: expected KEY=VALUE"},
      {".env", "=value\n", ".env line 1: expected KEY=VALUE"},
      {".env", "\n\n1A=x\n",
       ".env line 3: invalid variable name (expected letters, digits and underscores)"},
      {".env", "A=\"open\n", ".env line 1: unterminated double-quoted value"},
      {".env", "A='open\n", ".env line 1: unterminated single-quoted value"},
      {".env", "A=\"x\" y\n", ".env line 1: unexpected text after the closing quote"},
      {"migrate.toml", "url = \"sqlite:x\"\n\n[database]\nurl = \"sqlite:y\"\n",
       "migrate.toml line 3: sections such as '[database]' are not supported; put the keys at "
       "the top level"},
      {"migrate.toml", "colour = true\n", "migrate.toml line 1: unknown key 'colour'"},
      {"migrate.toml", "dir = \"a\"\ndir = \"b\"\n",
       "migrate.toml line 2: duplicate key 'dir' (first set on line 1)"},
      {"migrate.toml", "dir = ./migrations\n",
       "migrate.toml line 1: invalid value for 'dir': expected a quoted string, an integer, true "
       "or false"},
      {"migrate.toml", "lock_timeout =\n",
       "migrate.toml line 1: invalid value for 'lock_timeout': expected a quoted string, an "
       "integer, true or false"},
      {"migrate.toml", "url = postgres://app:s3cret@db/app\n",
       "migrate.toml line 1: invalid value for 'url': expected a quoted string, an integer, true "
       "or false"},
      {"migrate.toml", "dir = \"a\" \"b\"\n",
       "migrate.toml line 1: unexpected text after the value of 'dir'"},
      {"migrate.toml", "dir = \"a\\q\"\n",
       "migrate.toml line 1: unsupported escape sequence '\\q'"},
      {"migrate.toml", "dir = \"open\n", "migrate.toml line 1: unterminated string for 'dir'"},
      {"migrate.toml", "dir = 'open\n", "migrate.toml line 1: unterminated string for 'dir'"},
      {"migrate.toml", "= 1\n", "migrate.toml line 1: expected key = value"},
      {"migrate.toml", "dir \"x\"\n", "migrate.toml line 1: expected key = value"},
      {"migrate.toml", "\"dir\" = \"x\"\n", "migrate.toml line 1: expected key = value"},
  };
  for (const BadFile& c : cases) {
    SCOPED_TRACE(c.message);
    fs::remove(dir_ / ".env");
    fs::remove(dir_ / "migrate.toml");
    write(c.name, c.text);
    auto config = resolve();
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().code, ErrorCode::kUsage);
    EXPECT_EQ(config.error().message, c.message);
    EXPECT_EQ(config.error().message.find("s3cret"), std::string::npos);
  }
}

TEST_F(ConfigTest, UnknownTomlKeyHintListsTheKnownOnes) {
  write("migrate.toml", "colour = true\n");
  auto config = resolve();
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().hint,
            "known keys: url, dir, backup_dir, table, seeds_dir, lock_timeout, wait, yes, "
            "log_level, no_color");
}

TEST_F(ConfigTest, UnreadableFileIsAnIoErrorNamingIt) {
  fs::create_directory(dir_ / ".env");
  auto config = resolve();
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, ErrorCode::kIo);
  EXPECT_EQ(config.error().message,
            "cannot read '" + (dir_ / ".env").string() + "': it is a directory");
}

TEST_F(ConfigTest, EmptyFilesAreFine) {
  write(".env", "");
  write("migrate.toml", "");
  auto config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->table, "schema_migrations");
}

TEST_F(ConfigTest, WithoutGetenvReadsTheProcessEnvironment) {
  ASSERT_EQ(setenv("MIGRATE_SEEDS_DIR", "from_process", 1), 0);
  ConfigSources sources;
  sources.working_dir = dir_;
  auto config = resolve_config(sources);
  unsetenv("MIGRATE_SEEDS_DIR");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->seeds_dir, fs::path("from_process"));
}

TEST_F(ConfigTest, UnknownFlagKeyIsAProgrammingError) {
  flags_ = {{"colour", "1"}};
  auto config = resolve();
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, ErrorCode::kGeneral);
}

using Values = std::map<std::string, std::string>;

TEST_F(ConfigTest, SchemaQualifiedTableOnlyOnPostgres) {
  flags_ = {{"table", "ops.schema_migrations"}, {"url", "postgres://app@db/app"}};
  auto config = resolve();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->table, "ops.schema_migrations");
  for (const char* url : {"sqlite:app.db", "mysql://app@db/app"}) {
    flags_["url"] = url;
    auto refused = resolve();
    ASSERT_FALSE(refused.has_value()) << url;
    EXPECT_EQ(refused.error().code, ErrorCode::kUsage);
  }
}

TEST_F(ConfigTest, TomlSectionErrorMasksAPastedUrl) {
  write("migrate.toml", "[postgres://app:s3cret@db/app]\n");
  auto config = resolve();
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message.find("s3cret"), std::string::npos) << config.error().message;
  EXPECT_NE(config.error().message.find("app:***@db"), std::string::npos) << config.error().message;
}

TEST(ParseDotenv, ReadsTheUsualForms) {
  const std::pair<std::string, Values> cases[] = {
      {"", {}},
      {"# comment\n\n   \nA=1\n", {{"A", "1"}}},
      {"export A=1\nexport\tB=2", {{"A", "1"}, {"B", "2"}}},
      {"A = spaced value  \r\nB=2\r\n", {{"A", "spaced value"}, {"B", "2"}}},
      {"A=value # comment\nB=p#ss\nC= # only a comment",
       {{"A", "value"}, {"B", "p#ss"}, {"C", ""}}},
      {"A=\"quoted # not a comment\" # comment", {{"A", "quoted # not a comment"}}},
      {"A=\"line\\nbreak \\\"q\\\" \\\\ \\d\"", {{"A", "line\nbreak \"q\" \\ \\d"}}},
      {"A='literal \\n \"x\"'", {{"A", "literal \\n \"x\""}}},
      {"A=\nB=''", {{"A", ""}, {"B", ""}}},
      {"A=1\nA=2", {{"A", "2"}}},
      {"DATABASE_URL=postgres://app:p=w@db/app?sslmode=disable",
       {{"DATABASE_URL", "postgres://app:p=w@db/app?sslmode=disable"}}},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    auto values = parse_dotenv(text);
    ASSERT_TRUE(values.has_value()) << values.error().message;
    EXPECT_EQ(*values, expected);
  }
}

TEST(ParseConfigToml, ReadsTheSubset) {
  const std::pair<std::string, Values> cases[] = {
      {"", {}},
      {"# only comments\n\n  # indented\n", {}},
      {"url = \"sqlite:a.db\"", {{"url", "sqlite:a.db"}}},
      {"dir=\"a \\\"b\\\" \\\\ \\n\"", {{"dir", "a \"b\" \\ \n"}}},
      {"dir = 'C:\\migrations' # literal", {{"dir", "C:\\migrations"}}},
      {"table = \"has # hash\"  # comment", {{"table", "has # hash"}}},
      {"lock_timeout = 30\r\nwait = +5\r\n", {{"lock_timeout", "30"}, {"wait", "5"}}},
      {"yes = true\nno_color = false#c", {{"yes", "true"}, {"no_color", "false"}}},
      {"lock_timeout = -1", {{"lock_timeout", "-1"}}},  // the resolver rejects it, naming the line
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    auto values = parse_config_toml(text);
    ASSERT_TRUE(values.has_value()) << values.error().message;
    EXPECT_EQ(*values, expected);
  }
}

TEST(IsValidTableName, AcceptsIdentifiersAndOneSchema) {
  const std::pair<std::string, bool> cases[] = {
      {"schema_migrations", true},
      {"_migrations2", true},
      {"Migrations", true},
      {"ops.schema_migrations", true},
      {std::string(63, 'a'), true},
      {std::string(64, 'a'), false},
      {"ops." + std::string(63, 'a'), true},
      {"", false},
      {"1users", false},
      {"schema-migrations", false},
      {"schema migrations", false},
      {"a.b.c", false},
      {".a", false},
      {"a.", false},
      {"ops.1t", false},
      {"t;drop", false},
      {"\"quoted\"", false},
  };
  for (const auto& [name, valid] : cases) {
    EXPECT_EQ(is_valid_table_name(name), valid) << name;
  }
}

}  // namespace
}  // namespace migrate
