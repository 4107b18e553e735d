// PostgreSQL sessions as a user runs them: the built binary against the real
// test server (scripts/test-servers.sh), a realistic schema with a few
// hundred thousand rows, and the server's own pg_dump to tell whether a
// restore brought back exactly the earlier state. Each test works in a
// database of its own, dropped afterwards.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "drivers/postgres_test_support.h"
#include "support/cli_fixture.h"
#include "support/shell.h"
#include "support/test_servers.h"

namespace migrate::testing {
namespace {

// The realistic schema as a migration, with a procedure added: about 350,000
// rows in several tables joined by foreign keys.
std::string schema_migration(int rows) {
  // No transaction: the schema uses an enum value added in the same file.
  return "-- migrate:no-transaction\n" + realistic_schema(rows) +
         "CREATE PROCEDURE billing.refund(c bigint) LANGUAGE sql AS $$ DELETE FROM "
         "billing.invoices WHERE customer_id = c $$;\n";
}

// What a bad release does to it: tables, columns, rows, routines, views,
// types, sequences and comments changed or dropped, objects added.
constexpr const char* kDestructive = R"sql(
DROP TABLE billing.invoices CASCADE;
ALTER TABLE customers DROP COLUMN note, DROP COLUMN tags;
DELETE FROM events WHERE id % 2 = 0;
UPDATE customers SET balance = 0, mood = 'sad';
DROP MATERIALIZED VIEW mood_counts;
DROP PROCEDURE billing.refund(bigint);
ALTER TYPE mood ADD VALUE 'furious';
SELECT setval('billing.invoice_no', 1);
COMMENT ON TABLE customers IS 'emptied';
CREATE TABLE later (id int PRIMARY KEY);
CREATE FUNCTION later_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
)sql";

class PostgresCliTest : public CliTest {
 protected:
  void SetUp() override {
    auto server = postgres_test_url();
    REQUIRE_SERVER(server);
    server_ = *server;
    database_ = std::make_unique<ScratchDatabase>(server_);
    ASSERT_EQ(database_->creation_output(), "");
    url_ = database_->url();
  }

  void TearDown() override {
    database_.reset();  // before the roles that may own it
    for (const auto& role : roles_) psql(server_, "DROP ROLE IF EXISTS " + role);
  }

  CliResult run(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {}) {
    auto with_url = env;
    with_url.emplace("DATABASE_URL", url_);
    return run_cli(dir_.path(), args, with_url);
  }
  std::string query(const std::string& sql) { return psql(url_, sql); }
  std::string applied() {
    if (query("SELECT to_regclass('schema_migrations') IS NULL") == "t") return "";
    return query("SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations");
  }
  // Complete backups in the store (their manifests).
  int backup_count() {
    int count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "backups", ec))
      count += entry.path().extension() == ".json";
    return count;
  }
  // Files in the store other than manifests, artifacts and the store's lock.
  std::vector<std::string> leftovers() {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "backups", ec)) {
      std::string name = entry.path().filename().string();
      if (name != ".lock" && !name.ends_with(".json") && !name.ends_with(".postgres.zst"))
        found.push_back(name);
    }
    return found;
  }
  std::string scratch_databases() {
    return psql(server_,
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'migrate\\_scratch\\_%' "
                "AND datname NOT LIKE '%" +
                    std::string(kPlantedScratch) + "'");
  }

  // Exactly the state `schema` and `data` (dump_schema, dump_data) describe.
  void expect_dumps(const std::string& schema, const std::string& data, const char* after) {
    EXPECT_EQ(dump_schema(url_), schema) << after;
    EXPECT_TRUE(dump_data(url_) == data) << "the rows differ after " << after;
  }

  std::string server_;
  std::unique_ptr<ScratchDatabase> database_;
  std::string url_;
  std::vector<std::string> roles_;
};

TEST_F(PostgresCliTest, RestoreUndoesADestructiveMigrationExactly) {
  migration("20260101000000", "schema", schema_migration(100000));
  auto first = run({"up"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(query("SELECT count(*) FROM customers") + "," +
                query("SELECT count(*) FROM billing.invoices") + "," +
                query("SELECT count(*) FROM events"),
            "100000,150000,99901");
  std::string schema = dump_schema(url_), data = dump_data(url_);
  ASSERT_NE(schema.find("CREATE MATERIALIZED VIEW public.mood_counts"), std::string::npos);
  ASSERT_NE(schema.find("CREATE PROCEDURE billing.refund"), std::string::npos);

  migration("20260102000000", "destroy", kDestructive);
  auto destroy = run({"up"});
  ASSERT_EQ(destroy.exit_code, 0) << destroy.err;
  ASSERT_NE(dump_schema(url_), schema);
  std::string backup_id = query("SELECT backup_id FROM schema_migrations WHERE batch = 2");
  ASSERT_NE(backup_id.find("_pre-up"), std::string::npos) << backup_id;

  auto restore = run({"restore", backup_id, "--yes"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.out, "restored " + backup_id);
  EXPECT_CONTAINS(restore.out, "the database matches the backup's fingerprint");
  EXPECT_CONTAINS(restore.out, "backup of the replaced state: ");
  expect_dumps(schema, data, "the restore");
  EXPECT_EQ(query("SELECT to_regclass('later') IS NULL, to_regprocedure('later_fn()') IS NULL"),
            "t|t");
  auto status = run({"status"});
  EXPECT_CONTAINS(status.out, "1 applied, 1 pending");

  // verify --deep restores into a database of its own while it runs, and
  // drops it afterwards.
  std::atomic<bool> running{true}, seen{false};
  std::thread watcher([&] {
    while (running && !seen) {
      seen = scratch_databases() != "0";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  auto verify = run({"verify", "--deep", backup_id});
  running = false;
  watcher.join();
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_CONTAINS(verify.out, "ok      " + backup_id + " (deep)");
  EXPECT_TRUE(seen) << "no scratch database was seen while verify --deep ran";
  EXPECT_EQ(abandoned_scratch_databases(server_), std::vector<std::string>{});
  EXPECT_EQ(dump_schema(url_), schema);  // the live database was not touched
}

TEST_F(PostgresCliTest, VerifyDeepFailsWhenTheRestoredCopyDiffersFromTheManifest) {
  migration("20260101000000", "schema", schema_migration(2000));
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  auto backup = run({"backup", "checked"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  // An artifact whose dump is not what was fingerprinted, with a manifest
  // that vouches for its bytes: only restoring it can tell.
  ASSERT_EQ(tamper_backup(dir_.path() / "backups",
                          "s/^1\\tuser1@example.com\\t/1\\tintruder@example.com\\t/"),
            "ok");

  auto shallow = run({"verify"});
  EXPECT_EQ(shallow.exit_code, 0) << shallow.out << shallow.err;
  auto deep = run({"verify", "--deep"});
  EXPECT_EQ(deep.exit_code, 1) << deep.out;
  EXPECT_CONTAINS(deep.out + deep.err, "public.customers");
  EXPECT_EQ(abandoned_scratch_databases(server_), std::vector<std::string>{});
}

TEST_F(PostgresCliTest, SafeRestoresTheStateBeforeAFailureInsideANoTransactionFile) {
  migration("20260101000000", "schema", schema_migration(50000));
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  std::string schema = dump_schema(url_), data = dump_data(url_);

  migration("20260102000000", "prune_events", "DELETE FROM events WHERE kind = 'k1';");
  migration("20260103000000", "concurrent_index",
            "-- migrate:no-transaction\n"
            "CREATE INDEX CONCURRENTLY customers_mood ON customers (mood);\n"  // line 2
            "UPDATE customers SET note = 'touched' WHERE id < 1000;\n"
            "CREATE TABLE side (id int);\n"
            "INSERT INTO side VALUES (1);\n"
            "SELECT 1 / (SELECT count(*) - count(*) FROM side);\n"  // line 6: fails
            "CREATE TABLE never (id int);\n");
  auto safe = run({"safe"});
  EXPECT_EQ(safe.exit_code, 4) << safe.out << safe.err;
  EXPECT_CONTAINS(safe.err, "20260103000000_concurrent_index.sql: line 6: division by zero");
  // The restore undoes what ran: no message may say that anything stays applied.
  EXPECT_EQ(safe.err.find("stay applied"), std::string::npos) << safe.err;
  EXPECT_CONTAINS(safe.err, "undoing the 1 migration(s) applied before it");
  EXPECT_CONTAINS(safe.err, "_pre-safe' (");
  EXPECT_CONTAINS(safe.err, "the database matches it (fingerprint ");

  expect_dumps(schema, data, "safe restored the backup");
  EXPECT_EQ(query("SELECT to_regclass('customers_mood') IS NULL, to_regclass('side') IS NULL"),
            "t|t");
  EXPECT_EQ(applied(), "20260101000000");
  auto status = run({"status"});
  EXPECT_CONTAINS(status.out, "1 applied, 2 pending");
}

// RESET ALL leaves the role: one file's SET ROLE must not own the next
// file's objects, in one run (a pipelined batch) or one file per run.
TEST_F(PostgresCliTest, ARoleOneMigrationSetsDoesNotCarryIntoTheNext) {
  std::string role = database_->name() + "_owner";
  ASSERT_EQ(query("CREATE ROLE " + role + " NOLOGIN; GRANT CREATE ON SCHEMA public TO " + role),
            "");
  roles_.push_back(role);
  std::string me = query("SELECT current_user");
  migration("20260101000000", "as_role", "SET ROLE " + role + ";\nCREATE TABLE first (id int);\n");
  migration("20260101000001", "plain", "CREATE TABLE second (id int);\n");
  migration("20260101000002", "plain_too", "CREATE TABLE third (id int);\n");
  auto up = run({"up", "--no-backup", "--to", "20260101000001"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  up = run({"up", "--no-backup"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_EQ(query("SELECT string_agg(c.relname || '=' || pg_get_userbyid(c.relowner), ',' "
                  "ORDER BY c.relname) FROM pg_class c WHERE c.relname IN ('first', 'second', "
                  "'third')"),
            "first=" + role + ",second=" + me + ",third=" + me);
  EXPECT_EQ(applied(), "20260101000000,20260101000001,20260101000002");
}

// A role that may not create databases cannot check backups deeply: verify
// says so and how to fix it, and blames no backup.
TEST_F(PostgresCliTest, VerifyDeepWithoutTheRightToCreateADatabaseBlamesNoBackup) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);\n");
  ASSERT_EQ(run({"up", "--no-backup"}).exit_code, 0);
  ASSERT_EQ(run({"backup", "good"}).exit_code, 0);
  std::string role = database_->name() + "_nocreatedb";
  ASSERT_EQ(query("CREATE ROLE " + role + " LOGIN NOCREATEDB PASSWORD 'plain-pw'; ALTER DATABASE " +
                  database_->name() + " OWNER TO " + role),
            "");
  roles_.push_back(role);
  size_t at = url_.find('@');
  url_ = "postgres://" + role + ":plain-pw" + url_.substr(at);

  auto deep = run({"verify", "--deep"});
  EXPECT_EQ(deep.exit_code, 1) << deep.out << deep.err;
  EXPECT_CONTAINS(deep.err, "permission denied to create database");
  EXPECT_CONTAINS(deep.err, "CREATEDB");
  EXPECT_EQ(deep.err.find("does not restore"), std::string::npos) << deep.err;
  EXPECT_EQ(deep.out.find("FAILED"), std::string::npos) << deep.out;
  EXPECT_EQ(run({"verify"}).exit_code, 0);
}

// A row that cannot be written says so in plain words, with the server's.
TEST_F(PostgresCliTest, AFailureToRecordAMigrationSaysWhatFailed) {
  migration("20260101000000", "guard",
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'no more rows here'; END $$;\n");
  migration("20260101000001", "trigger",
            "CREATE TRIGGER refuse BEFORE INSERT ON schema_migrations "
            "FOR EACH ROW EXECUTE FUNCTION refuse();\n");
  auto up = run({"up", "--no-backup"});
  EXPECT_NE(up.exit_code, 0) << up.out << up.err;
  EXPECT_CONTAINS(up.err, "cannot record migration 20260101000001 as applied");
  EXPECT_CONTAINS(up.err, "no more rows here");
  EXPECT_EQ(up.err.find("Cannot execute query"), std::string::npos) << up.err;
  EXPECT_EQ(applied(), "20260101000000");
}

TEST_F(PostgresCliTest, DoctorReportsTheServerAndToolVersions) {
  std::filesystem::create_directories(dir_.path() / "migrations");
  std::string version = query("SHOW server_version");
  version = version.substr(0, version.find(' '));
  auto doctor = run({"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
  EXPECT_CONTAINS(doctor.out, "(PostgreSQL " + version + ")");
  EXPECT_CONTAINS(doctor.out, "pg_dump (PostgreSQL) ");
  EXPECT_CONTAINS(doctor.out, "client library ");
  EXPECT_CONTAINS(doctor.out, "scratch databases");
}

// A directory for MIGRATE_PG_BINDIR: the real psql, and a pg_dump script.
std::filesystem::path fake_bindir(TempDir& dir, const std::string& pg_dump_script) {
  auto bindir = dir.path() / "bin";
  std::filesystem::create_directories(bindir);
  auto script = dir.write("bin/pg_dump", "#!/bin/sh\n" + pg_dump_script);
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  auto real_psql = shell("command -v psql");
  while (!real_psql.empty() && real_psql.back() == '\n') real_psql.pop_back();
  std::filesystem::create_symlink(real_psql, bindir / "psql");
  return bindir;
}

TEST_F(PostgresCliTest, AnOlderPgDumpIsRefusedBeforeAnythingRuns) {
  int server = std::stoi(query("SHOW server_version_num"));
  std::string version = query("SHOW server_version");
  version = version.substr(0, version.find(' '));
  std::string older = std::to_string(server / 10000 - 1) + ".9";
  std::string major = std::to_string(server / 10000);
  auto bindir = fake_bindir(dir_, "echo 'pg_dump (PostgreSQL) " + older + "'\n");
  const std::map<std::string, std::string> env = {{"MIGRATE_PG_BINDIR", bindir.string()}};
  migration("20260101000000", "a", "CREATE TABLE a (id int);");

  for (const char* command : {"up", "backup", "safe"}) {
    auto r = run({command}, env);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_CONTAINS(r.err, "pg_dump " + older + " is older than the server " + version);
    EXPECT_CONTAINS(r.err, "install postgresql-client-" + major);
  }
  EXPECT_EQ(applied(), "");
  EXPECT_EQ(query("SELECT to_regclass('a') IS NULL"), "t");
  EXPECT_EQ(backup_count(), 0);
  EXPECT_EQ(leftovers(), std::vector<std::string>{});

  auto doctor = run({"doctor"}, env);
  EXPECT_EQ(doctor.exit_code, 1);
  EXPECT_CONTAINS(doctor.out, "FAIL  pg_dump            pg_dump " + older + " is older");

  // Without a backup nothing needs pg_dump.
  auto unsafe = run({"up", "--no-backup"}, env);
  EXPECT_EQ(unsafe.exit_code, 0) << unsafe.err;
  EXPECT_EQ(applied(), "20260101000000");
}

TEST_F(PostgresCliTest, APgDumpThatFailsOrStopsShortLeavesNoBackupAndRunsNothing) {
  ASSERT_EQ(query("CREATE TABLE filler AS SELECT g, repeat('x', 100) AS t FROM "
                  "generate_series(1, 5000) g"),
            "");
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  std::string real =
      "/usr/lib/postgresql/" + query("SHOW server_version_num").substr(0, 2) + "/bin/pg_dump";
  std::string prologue = "if [ \"$1\" = --version ]; then exec " + real + " --version; fi\n" +
                         real + " \"$@\" | head -c 20000\n";
  const struct {
    const char* what;
    std::string tail;
    const char* message;
  } cases[] = {
      {"exits 1", "echo 'pg_dump: error: query failed: out of memory' >&2; exit 1",
       "pg_dump failed (exit code 1): pg_dump: error: query failed: out of memory"},
      {"killed", "kill -9 $$", "pg_dump was killed by signal 9"},
      {"exits 0 half way", "exit 0", "pg_dump exited without finishing the dump"},
  };
  for (const auto& c : cases) {
    TempDir tools;
    auto bindir = fake_bindir(tools, prologue + c.tail + "\n");
    for (const char* command : {"backup", "up"}) {
      auto r = run({command}, {{"MIGRATE_PG_BINDIR", bindir.string()}});
      EXPECT_EQ(r.exit_code, 1) << c.what << ": " << command;
      EXPECT_CONTAINS(r.err, c.message);
    }
    EXPECT_EQ(backup_count(), 0) << c.what;
    EXPECT_EQ(leftovers(), std::vector<std::string>{}) << c.what;
    EXPECT_EQ(applied(), "") << c.what;
    EXPECT_EQ(run({"backups"}).out.find("pre-up"), std::string::npos);
  }
}

// pg_dump gets only what a client needs: no migrate credentials in its
// environment, and no secret on its command line (where `ps` shows it).
TEST_F(PostgresCliTest, PgDumpSeesNoSecretsInItsEnvironmentOrArguments) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  std::string real =
      "/usr/lib/postgresql/" + query("SHOW server_version_num").substr(0, 2) + "/bin/pg_dump";
  auto seen = dir_.path() / "seen";
  auto bindir = fake_bindir(
      dir_, "if [ \"$1\" = --version ]; then exec " + real + " --version; fi\n" + "env > " +
                shell_quote(seen.string() + ".env") + "\n" + "printf '%s\\n' \"$@\" > " +
                shell_quote(seen.string() + ".args") + "\n" +
                "tr '\\0' '\\n' < /proc/$$/environ > " + shell_quote(seen.string() + ".environ") +
                "\n" + "cat \"$PGSERVICEFILE\" > " + shell_quote(seen.string() + ".service") +
                "\n" + "exec " + real + " \"$@\"\n");
  // sslmode=disable: libpq ignores sslpassword then, but it must not leak.
  url_ += "&sslpassword=key-phrase-42";
  auto backup = run({"backup", "env"}, {{"MIGRATE_PG_BINDIR", bindir.string()},
                                        {"MIGRATE_BACKUP_KEY", "backup-key-42"},
                                        {"AWS_SECRET_ACCESS_KEY", "aws-secret-42"},
                                        {"PGAPPNAME", "kept"}});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  std::string env = read_text(seen.string() + ".env") + read_text(seen.string() + ".environ");
  std::string args = read_text(seen.string() + ".args");
  // The database password, from the URL (user:password@host).
  size_t from = url_.find(':', url_.find("://") + 3) + 1;
  std::string password = url_.substr(from, url_.find('@') - from);
  ASSERT_FALSE(password.empty()) << "the test server's URL needs a password";
  for (const auto& secret : std::vector<std::string>{
           "backup-key-42", "aws-secret-42", "DATABASE_URL", "MIGRATE_", "PGPASSWORD", password})
    EXPECT_EQ(env.find(secret), std::string::npos) << secret << " in the environment";
  EXPECT_CONTAINS(env, "PGAPPNAME=kept");  // libpq's own settings are the parent's too
  EXPECT_CONTAINS(env, "PATH=");
  EXPECT_EQ(args.find("key-phrase-42"), std::string::npos) << args;
  EXPECT_EQ(args.find("password="), std::string::npos) << args;
  // It reaches pg_dump through a file only pg_dump can read.
  std::string service = read_text(seen.string() + ".service");
  EXPECT_CONTAINS(service, "sslpassword=key-phrase-42");
  EXPECT_NE(service.find("\npassword=" + password + "\n"), std::string::npos);
  EXPECT_EQ(args.find(password), std::string::npos);
  EXPECT_EQ(backup.err.find("key-phrase-42"), std::string::npos);
  EXPECT_EQ(backup.out.find("key-phrase-42"), std::string::npos);
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "backups")) {
    if (entry.path().extension() != ".json") continue;
    std::string manifest = read_text(entry.path());
    EXPECT_EQ(manifest.find("key-phrase-42"), std::string::npos) << manifest;
  }
}

TEST_F(PostgresCliTest, SslModeIsHonouredByEveryConnectionAndTool) {
  auto ssl = postgres_ssl_test_url();
  REQUIRE_SERVER(ssl);
  // A role the server admits over TCP only with SSL (pg_hba.conf), owning
  // the test's database: whatever migrate, pg_dump or psql connects without
  // SSL is refused.
  std::string role = database_->name() + "_ssl";
  ASSERT_EQ(query("CREATE ROLE " + role +
                  " LOGIN CREATEDB PASSWORD 'ssl-pw' IN ROLE migrate_ssl_only; ALTER DATABASE " +
                  database_->name() + " OWNER TO " + role),
            "");
  roles_.push_back(role);
  std::string verified = with_database(*ssl, database_->name());
  size_t at = verified.find('@');
  verified = "postgres://" + role + ":ssl-pw" + verified.substr(at);
  url_ = verified;

  migration("20260101000000", "a",
            "CREATE TABLE seen AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();");
  auto up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_CONTAINS(up.out, "backup: ");
  EXPECT_EQ(query("SELECT ssl FROM seen"), "t");
  auto restore = run({"restore", "latest", "--yes"});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_CONTAINS(restore.out, "matches the backup's fingerprint");
  auto deep = run({"verify", "--deep"});
  EXPECT_EQ(deep.exit_code, 0) << deep.out << deep.err;

  const struct {
    std::string from, to, message;
  } refused[] = {
      {"sslmode=verify-full", "sslmode=disable", "no encryption"},
      {"&sslrootcert=", "&sslrootcert=/nonexistent/root.crt", "root certificate file"},
  };
  for (const auto& c : refused) {
    // The url up to `from`, then `to` instead of the rest.
    std::string url = verified.substr(0, verified.find(c.from)) + c.to;
    if (c.from.starts_with("sslmode")) url += verified.substr(verified.find('&'));
    url_ = url;
    auto status = run({"status"});
    EXPECT_EQ(status.exit_code, 1) << url;
    EXPECT_CONTAINS(status.err, c.message);
    EXPECT_EQ(status.err.find("ssl-pw"), std::string::npos) << status.err;
  }
}

TEST_F(PostgresCliTest, ARunnerWaitingForTheLockDoesNotBlockCreateIndexConcurrently) {
  ASSERT_EQ(query("CREATE TABLE big AS SELECT g AS id FROM generate_series(1, 10000) g"), "");
  migration("20260101000000", "pause", "SELECT pg_sleep(1.5);");
  migration("20260102000000", "index",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY big_id ON big (id);");
  auto started = std::chrono::steady_clock::now();
  int holder =
      spawn_cli(dir_.path(), {"up", "--no-backup", "--url", url_}, dir_.path() / "holder.log");
  ASSERT_TRUE(wait_for_advisory_lock(url_));
  // The waiter polls on its own connection, holding no snapshot that
  // CREATE INDEX CONCURRENTLY would have to wait for.
  int waiter = spawn_cli(dir_.path(), {"up", "--no-backup", "--lock-timeout", "60", "--url", url_},
                         dir_.path() / "waiter.log");
  EXPECT_EQ(wait_cli(holder), 0) << read_text(dir_.path() / "holder.log");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_EQ(wait_cli(waiter), 0) << read_text(dir_.path() / "waiter.log");
  EXPECT_EQ(query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_id'::regclass"), "t");
  EXPECT_EQ(applied(), "20260101000000,20260102000000");
}

// A path that names pg_catalog first does not make `fresh` drop PostgreSQL's
// own objects (its schemas are never emptied), nor put the tracking table
// there: it goes to the first schema of the path that is the user's.
TEST_F(PostgresCliTest, FreshLeavesPgCatalogAloneWhenThePathNamesIt) {
  ASSERT_EQ(query("ALTER DATABASE " + database_->name() +
                  " SET search_path = pg_catalog, public; CREATE TABLE public.u (id int)"),
            "");
  migration("20260101000000", "a", "CREATE TABLE public.a (id int);");
  auto fresh = run({"fresh", "--yes"});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.out << fresh.err;
  EXPECT_EQ((fresh.out + fresh.err).find("pg_catalog."), std::string::npos) << fresh.err;
  EXPECT_EQ(query("SELECT to_regclass('public.schema_migrations') IS NOT NULL"), "t");
  EXPECT_EQ(query("SELECT to_regclass('public.u') IS NULL, to_regclass('public.a') IS NOT NULL"),
            "t|t");
}

TEST_F(PostgresCliTest, FreshEmptiesEverySchemaOnTheSearchPathAndNoOther) {
  ASSERT_EQ(query("CREATE SCHEMA app; CREATE SCHEMA elsewhere; ALTER DATABASE " +
                  database_->name() + " SET search_path = app, public"),
            "");
  ASSERT_EQ(query(R"sql(
CREATE TABLE app.t (id int);
CREATE MATERIALIZED VIEW app.mv AS SELECT count(*) FROM app.t;
CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1';
CREATE TYPE app.e AS ENUM ('x');
CREATE TABLE public.u (id serial);
CREATE TABLE elsewhere.kept (id int);
CREATE PROCEDURE elsewhere.kept_p() LANGUAGE sql AS 'SELECT 1';
)sql"),
            "");
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  auto fresh = run({"fresh", "--yes"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(query("SELECT string_agg(c.oid::regclass::text, ',' ORDER BY c.oid::regclass::text) "
                  "FROM pg_class c JOIN "
                  "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('app', 'public', "
                  "'elsewhere') AND c.relkind IN ('r', 'm', 'v', 'S')"),
            "a,elsewhere.kept,schema_migrations");
  EXPECT_EQ(query("SELECT string_agg(p.oid::regprocedure::text, ',') FROM pg_proc p JOIN "
                  "pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('app', 'public', "
                  "'elsewhere')"),
            "elsewhere.kept_p()");
  EXPECT_EQ(query("SELECT to_regtype('app.e') IS NULL, to_regclass('app.a') IS NOT NULL"), "t|t");
}

}  // namespace
}  // namespace migrate::testing
