// PostgreSQL snapshots, restores and fingerprints, called directly against a
// real server (scripts/test-servers.sh), and the pieces under them: finding
// and running the client tools, reading pg_dump's output. Each server test
// works in a database of its own, dropped afterwards; state is checked
// independently with psql and pg_dump.
#include "drivers/postgres/postgres_snapshot.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "backup/stream_helpers.h"
#include "drivers/postgres/pg_tools.h"
#include "drivers/postgres/postgres_conninfo.h"
#include "drivers/postgres/postgres_scratch.h"
#include "drivers/postgres/postgres_table_rows.h"
#include "drivers/postgres_test_support.h"
#include "migrate/url.h"
#include "support/shell.h"
#include "support/temp_dir.h"
#include "support/test_servers.h"

namespace migrate::testing {
namespace {

using backup_test::FailingSink;
using backup_test::StringSink;
using backup_test::StringSource;
using migrate::Child;
using migrate::Command;
using postgres::DumpScanner;

// --- without a server: versions, tools, children, pg_dump's format ---------

TEST(PgToolsTest, ParsesToolVersions) {
  const std::pair<const char*, int> cases[] = {
      {"pg_dump (PostgreSQL) 15.4 (Debian 15.4-1.pgdg120+1)", 150004},
      {"psql (PostgreSQL) 16.10", 160010},
      {"pg_dump (PostgreSQL) 9.6.24", 90624},
      {"pg_dump (PostgreSQL) 17beta2", 170000},
      {"pg_dump (PostgreSQL) 14.10 (Ubuntu 14.10-0ubuntu0.22.04.1)", 140010},
  };
  for (const auto& [line, version] : cases) {
    auto parsed = postgres::parse_tool_version(line);
    ASSERT_TRUE(parsed) << line;
    EXPECT_EQ(*parsed, version) << line;
  }
  EXPECT_FALSE(postgres::parse_tool_version("pg_dump: no version here"));
  EXPECT_EQ(postgres::version_text(150004), "15.4");
  EXPECT_EQ(postgres::version_text(90624), "9.6.24");
  EXPECT_EQ(postgres::major_version_text(90624), "9.6");
  EXPECT_EQ(postgres::major_version(160002), 16);
}

TEST(PgToolsTest, RefusesADumpToolOlderThanTheServer) {
  auto found = postgres::find_tool("pg_dump", 100000);  // any from 10 on
  if (!found && found.error().code == ErrorCode::kUnsupported) GTEST_SKIP() << "no pg_dump";
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->version_line.starts_with("pg_dump (PostgreSQL) ")) << found->version_line;

  auto refused = postgres::find_tool("pg_dump", 990002);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRefused);
  EXPECT_TRUE(refused.error().message.starts_with("pg_dump 1")) << refused.error().message;
  EXPECT_TRUE(refused.error().message.ends_with(
      " is older than the server 99.2; install postgresql-client-99"))
      << refused.error().message;

  // A server older than every tool is served by the oldest newer one.
  auto for_older = postgres::find_tool("pg_dump", 120005);
  ASSERT_TRUE(for_older);
  EXPECT_GE(for_older->version, 120005);

  auto missing = postgres::find_tool("pg_no_such_tool", 150000);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(missing.error().message, "pg_no_such_tool not found; install postgresql-client-15");
}

Result<void> run_sh(const std::string& script, std::string* out = nullptr,
                    Child::Input input = nullptr) {
  auto child = Child::spawn(Command{"/bin/sh",
                                    {"-c", script},
                                    {{"MIGRATE_TEST_VAR", "from-env"}},
                                    input ? Command::Stream::kPipe : Command::Stream::kNull,
                                    Command::Stream::kPipe});
  if (!child) return tl::unexpected(child.error());
  return (*child)->run(input, [&](std::string_view bytes) -> Result<void> {
    if (out) out->append(bytes);
    return {};
  });
}

TEST(ChildTest, ReportsExitCodesSignalsAndStderr) {
  std::string out;
  ASSERT_TRUE(run_sh("printf '%s' \"$MIGRATE_TEST_VAR\"", &out));
  EXPECT_EQ(out, "from-env");

  auto failed = run_sh("echo 'pg_dump: error: no such table' >&2; exit 3");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "sh failed (exit code 3): pg_dump: error: no such table");

  auto killed = run_sh("printf partial; kill -9 $$");
  ASSERT_FALSE(killed);
  EXPECT_EQ(killed.error().message, "sh was killed by signal 9 (Killed)");

  // A flood on stderr is kept to its beginning and its end.
  auto flood = run_sh("echo first >&2; yes 'noise' | head -c 5000000 >&2; echo last >&2; exit 1");
  ASSERT_FALSE(flood);
  EXPECT_LT(flood.error().message.size(), 20000u);
  EXPECT_NE(flood.error().message.find("first"), std::string::npos);
  EXPECT_NE(flood.error().message.find("last"), std::string::npos);
}

TEST(ChildTest, PumpsStdinAndStdoutTogetherWithoutDeadlock) {
  // cat echoes as it reads: neither side may wait for the other to finish.
  std::string data = backup_test::dump_like_text(16 * backup_test::kMiB);
  size_t sent = 0;
  std::string out;
  auto ran = run_sh("cat; echo done >&2", &out, [&]() -> Result<std::string_view> {
    size_t n = std::min<size_t>(300007, data.size() - sent);
    std::string_view piece(data.data() + sent, n);
    sent += n;
    return piece;
  });
  ASSERT_TRUE(ran) << ran.error().message;
  EXPECT_TRUE(out == data);
}

TEST(ChildTest, AnInputErrorTerminatesTheChild) {
  auto started = std::chrono::steady_clock::now();
  int calls = 0;
  auto ran = run_sh("cat >/dev/null; sleep 60", nullptr, [&]() -> Result<std::string_view> {
    if (++calls > 3) return fail(ErrorCode::kIo, "the source broke");
    return std::string_view("some bytes\n");
  });
  ASSERT_FALSE(ran);
  EXPECT_EQ(ran.error().message, "the source broke");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST(ChildTest, AChildThatStopsReadingIsNotAWriteError) {
  auto ran = run_sh("head -c 10 >/dev/null; exit 0", nullptr, [&]() -> Result<std::string_view> {
    static const std::string block(1 << 20, 'x');
    return std::string_view(block);  // endless
  });
  EXPECT_TRUE(ran) << ran.error().message;
}

constexpr std::string_view kFakeDump = R"(--
-- PostgreSQL database dump
--

\restrict abc

SET standard_conforming_strings = on;
CREATE FUNCTION "public"."reset"() RETURNS void LANGUAGE sql AS $$
SELECT pg_catalog.setval('"public"."decoy"', 99, true);
$$;
COPY "public"."notes" ("body") FROM stdin;
COMMIT;
BEGIN;
SELECT pg_catalog.setval('"public"."s"', 5, true);
\.

--
-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -
--

BEGIN;

SELECT pg_catalog.lo_open('16399', 131072);
SELECT pg_catalog.lowrite(0, '\x68656c6c6f');
SELECT pg_catalog.lo_close(0);

COMMIT;

SELECT pg_catalog.setval('"public"."s"', 42, true);
SELECT pg_catalog.setval('"we""ird.schema"."Seq"', -7, false);

--
-- PostgreSQL database dump complete
--

\unrestrict abc

)";

TEST(RowSetHashTest, IsSipHashSummedInAnyOrder) {
  // The reference vectors (key 00..0f, message 00..n-1).
  const std::uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
  std::string message;
  for (char c = 0; c < 15; ++c) message += c;
  EXPECT_EQ(postgres::siphash24(k0, k1, ""), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(postgres::siphash24(k0, k1, message.substr(0, 8)), 0x93f5f5799a932462ULL);
  EXPECT_EQ(postgres::siphash24(k0, k1, message), 0xa129ca6149be45e5ULL);

  postgres::RowSetHash forward, backward, other;
  const char* rows[] = {"1\tada", "2\tbob", "2\tbob", "3\t\\N"};
  for (const char* row : rows) forward.add(row);
  for (int i = 3; i >= 0; --i) backward.add(rows[i]);
  for (const char* row : {"1\tada", "2\tbob", "3\t\\N", "3\t\\N"}) other.add(row);
  EXPECT_EQ(forward.text(), backward.text());
  EXPECT_NE(forward.text(), other.text());  // duplicates count
  EXPECT_TRUE(forward.text().starts_with("4 "));
  EXPECT_EQ(postgres::RowSetHash().text(), "0 0000000000000000 0000000000000000");
}

TEST(DumpScannerTest, FindsSequencesAndDropsOnlyTheLargeObjectTransaction) {
  std::string expected(kFakeDump);
  for (std::string_view line : {"\nBEGIN;\n\nSELECT pg_catalog.lo_open", "\nCOMMIT;\n\nSELECT"}) {
    size_t at = expected.find(line);
    ASSERT_NE(at, std::string::npos);
    expected.erase(at + 1, line.starts_with("\nBEGIN") ? 7 : 8);
  }
  for (size_t piece : {kFakeDump.size(), size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}}) {
    DumpScanner scanner;
    std::string filtered;
    for (size_t at = 0; at < kFakeDump.size(); at += piece)
      scanner.scan(kFakeDump.substr(at, piece), &filtered);
    scanner.finish(&filtered);
    EXPECT_TRUE(scanner.looks_like_dump()) << piece;
    EXPECT_TRUE(scanner.complete()) << piece;
    EXPECT_EQ(filtered, expected) << piece;
    DumpScanner::SequencePositions want{{{"public", "decoy"}, "99 t"},
                                        {{"public", "s"}, "42 t"},
                                        {{"we\"ird.schema", "Seq"}, "-7 f"}};
    EXPECT_EQ(scanner.sequences(), want) << piece;
  }
}

TEST(DumpScannerTest, TellsWholeDumpsFromCutOnesAndFromOtherFiles) {
  std::string_view whole(kFakeDump);
  size_t marker = whole.find("--\n-- PostgreSQL database dump complete");
  const std::pair<std::string, bool> cases[] = {
      {std::string(whole), true},
      {std::string(whole.substr(0, whole.find("\\unrestrict"))), true},
      {std::string(whole.substr(0, marker)), false},
      {std::string(whole.substr(0, whole.size() / 2)), false},
      {std::string(whole) + "DROP TABLE users;\n", false},
  };
  for (const auto& [text, complete] : cases) {
    DumpScanner scanner;
    scanner.scan(text);
    scanner.finish();
    EXPECT_EQ(scanner.complete(), complete) << text.substr(text.size() > 40 ? text.size() - 40 : 0);
  }
  DumpScanner other;
  other.scan(std::string_view("SQLite format 3\0\0\0\n--\n", 23));
  EXPECT_TRUE(other.header_read());
  EXPECT_FALSE(other.looks_like_dump());
}

TEST(DumpScannerTest, TunesTheReplayLineForLine) {
  constexpr std::string_view kDump = R"(--
-- PostgreSQL database dump
--
-- Name: users; Type: TABLE; Schema: public; Owner: app
--

CREATE TABLE "public"."users" (
    "id" bigint
);
--
-- Name: Cache d; Type: TABLE; Schema: we"ird; Owner: app
--
CREATE UNLOGGED TABLE "we""ird"."Cache d" (
    "k" text
);
-- Name: f; Type: FUNCTION; Schema: public; Owner: app
CREATE FUNCTION "public"."f"() RETURNS void LANGUAGE sql AS $$
CREATE TABLE "public"."kept" ("id" int);
$$;
--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: app
--

COPY "public"."users" ("id") FROM stdin;
COPY "public"."kept" ("id") FROM stdin;
\.
-- Data for Name: kept; Type: TABLE DATA; Schema: public; Owner: app
COPY "public"."kept" ("id") FROM stdin;
\.
-- Data for Name: Cache d; Type: TABLE DATA; Schema: we"ird; Owner: app
COPY "we""ird"."Cache d" ("k") FROM stdin;
\.
--
-- Name: events events_user_fkey; Type: FK CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY "public"."events"
    ADD CONSTRAINT "events_user_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id");
--
-- Name: events events_other_fkey; Type: FK CONSTRAINT; Schema: public; Owner: app
--
ALTER TABLE ONLY "public"."events"
    ADD CONSTRAINT "events_other_fkey" FOREIGN KEY ("o") REFERENCES "public"."users"("id");
--
-- Name: mv; Type: MATERIALIZED VIEW DATA; Schema: public; Owner: app
--
REFRESH MATERIALIZED VIEW "public"."mv";
)";
  // Only statements right after pg_dump's headers count: the CREATE TABLE in
  // f's body does not, nor does users' only row (data). So "kept" is a table
  // the dump did not create (an extension's, say), loaded as dumped.
  std::string expected(kDump);
  auto replace = [&](std::string_view from, std::string_view to, size_t from_offset) {
    size_t at = expected.find(from, from_offset);
    ASSERT_NE(at, std::string::npos) << from;
    expected.replace(at, from.size(), to);
  };
  replace("COPY \"public\".\"users\" (\"id\") FROM stdin;",
          "COPY \"public\".\"users\" (\"id\") FROM stdin WITH (FREEZE);", 0);
  replace("COPY \"we\"\"ird\".\"Cache d\" (\"k\") FROM stdin;",
          "COPY \"we\"\"ird\".\"Cache d\" (\"k\") FROM stdin WITH (FREEZE);", 0);
  replace("ALTER TABLE ONLY", "SET LOCAL enable_hashjoin = off; ALTER TABLE ONLY", 0);
  replace("REFRESH", "SET LOCAL enable_hashjoin TO DEFAULT; REFRESH", 0);

  for (size_t piece : {kDump.size(), size_t{1}, size_t{5}, size_t{64}}) {
    DumpScanner tuned(DumpScanner::Replay::kTuned);
    DumpScanner as_dumped;
    std::string filtered, unchanged;
    for (size_t at = 0; at < kDump.size(); at += piece) {
      tuned.scan(kDump.substr(at, piece), &filtered);
      as_dumped.scan(kDump.substr(at, piece), &unchanged);
    }
    tuned.finish(&filtered);
    as_dumped.finish(&unchanged);
    EXPECT_EQ(filtered, expected) << piece;
    EXPECT_EQ(unchanged, kDump) << piece;
    EXPECT_EQ(std::count(filtered.begin(), filtered.end(), '\n'),
              std::count(kDump.begin(), kDump.end(), '\n'));
  }
}

// --- against the server -----------------------------------------------------

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(random() % 100000);
}

// pids of this process's children running `command` (as /proc names them).
std::vector<pid_t> children_named(const std::string& command) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string name = text.substr(open + 1, close - open - 1);
    int ppid = 0;
    char state;
    if (std::sscanf(text.c_str() + close + 1, " %c %d", &state, &ppid) != 2) continue;
    if (name == command && ppid == ::getpid() && state != 'Z')
      found.push_back(static_cast<pid_t>(std::stoi(pid)));
  }
  return found;
}

class PostgresSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = postgres_test_url();
    REQUIRE_SERVER(url);
    auto parsed = parse_database_url(*url);
    ASSERT_TRUE(parsed) << parsed.error().message;
    server_ = *parsed;
    admin_ = conninfo(server_.database);
    name_ = "snapshot_test_" + unique_suffix();
    ASSERT_EQ(psql(admin_, "CREATE DATABASE " + name_), "");
    created_ = true;
    params_ = params(name_);
    connect();
  }

  void TearDown() override {
    conn_.reset();
    if (created_) psql(admin_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    for (const auto& role : roles_) psql(admin_, "DROP ROLE IF EXISTS " + role);
  }

  // How many sessions other than the asking one are on the test database,
  // once the server has finished closing those whose clients left: a closed
  // connection's backend goes away asynchronously, so the count is polled
  // until it reaches `expected` (or a generous bound passes).
  std::string other_sessions(const std::string& expected) {
    std::string others;
    for (int i = 0; i < 200 && others != expected; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      others =
          sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              "AND pid <> pg_backend_pid()");
    }
    return others;
  }

  // libpq's connection string for `database`, password included (for psql).
  std::string conninfo(const std::string& database, const std::string& user = "",
                       const std::string& password = "") const {
    DatabaseUrl url = server_;
    url.database = database;
    if (!user.empty()) url.user = user, url.password = password;
    return *postgres::build_conninfo(url, postgres::Password::kInclude);
  }
  postgres::ConnectionParams params(const std::string& database, const std::string& user = "",
                                    const std::string& password = "") const {
    DatabaseUrl url = server_;
    url.database = database;
    if (!user.empty()) url.user = user, url.password = password;
    return {*postgres::build_conninfo(url, postgres::Password::kOmit), url.password, database};
  }
  void connect() {
    auto target = postgres::make_target(params_);
    ASSERT_TRUE(target);
    auto conn = postgres::connect(*target);
    ASSERT_TRUE(conn) << conn.error().message;
    conn_ = std::move(*conn);
    // The test's own SQL names its tables without a schema, as a user would;
    // migrate's connections search pg_catalog only.
    PQclear(PQexec(conn_.get(), "RESET search_path"));
  }

  // psql's unaligned, tuples-only output (errors included), trimmed.
  static std::string psql(const std::string& conninfo, const std::string& sql) {
    TempDir dir;
    auto file = dir.write("script.sql", sql);
    std::string out =
        shell("psql " + shell_quote(conninfo) + " -X -q -A -t -v ON_ERROR_STOP=1 -f " +
              shell_quote(file.string()) + " 2>&1");
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  std::string sql(const std::string& statements) const { return psql(conninfo(name_), statements); }
  std::string schema_dump() const { return dump_schema(conninfo(name_)); }
  std::string data_dump() const { return dump_data(conninfo(name_)); }

  ContentFingerprint fingerprint() {
    auto fp = postgres::fingerprint(conn_.get());
    EXPECT_TRUE(fp) << fp.error().message;
    return fp ? *fp : ContentFingerprint{};
  }
  std::string take_snapshot(SnapshotInfo* info = nullptr) {
    StringSink sink;
    auto taken = postgres::snapshot(conn_.get(), params_, sink, dir_.path());
    EXPECT_TRUE(taken) << taken.error().message;
    EXPECT_TRUE(sink.finished);
    if (taken) {
      EXPECT_EQ(taken->size, sink.data.size());
      if (info) *info = *taken;
    }
    return sink.data;
  }
  Result<ContentFingerprint> restore(const std::string& dump) {
    StringSource source(dump);
    return postgres::restore(conn_.get(), params_, source, nullptr);
  }

  DatabaseUrl server_;
  std::string admin_;
  std::string name_;
  bool created_ = false;
  postgres::ConnectionParams params_;
  postgres::Connection conn_;
  std::vector<std::string> roles_;
  TempDir dir_;
};

#define EXPECT_SAME_FINGERPRINT(expected, actual)                        \
  do {                                                                   \
    EXPECT_EQ(describe_difference((expected), (actual)), "");            \
    EXPECT_EQ((expected).combined_sha256(), (actual).combined_sha256()); \
  } while (false)

TEST_F(PostgresSnapshotTest, RestoreBringsBackExactlyTheSnapshot) {
  ASSERT_EQ(sql(realistic_schema(100000)), "123456");
  auto before = fingerprint();
  std::vector<std::pair<std::string, std::int64_t>> tables;
  for (const auto& t : before.tables) tables.emplace_back(t.name, t.rows);
  const std::vector<std::pair<std::string, std::int64_t>> expected_tables = {
      {"billing.invoices", 150000},
      {"public.animals", 1},
      {"public.audit", 1},
      {"public.cache", 500},
      {"public.customers", 100000},
      {"public.dogs", 2},
      {"public.events", 99901},
      {"public.metrics_h1", 545},
      {"public.metrics_h2", 455},
      {"public.nothing", 0},
      {"public.odd", 2}};
  EXPECT_EQ(tables, expected_tables);
  std::string schema = schema_dump(), data = data_dump();
  ASSERT_NE(schema.find("CREATE MATERIALIZED VIEW"), std::string::npos) << schema;

  std::string invoice_no = sql("SELECT last_value FROM billing.invoice_no");
  SnapshotInfo info;
  std::string dump = take_snapshot(&info);
  EXPECT_SAME_FINGERPRINT(before, info.fingerprint);
  EXPECT_NE(dump.find("\"public\".\"customers\""), std::string::npos);

  // Change data, schema, routines, sequences and public itself.
  ASSERT_EQ(sql(R"sql(
    DELETE FROM customers WHERE id % 3 = 0;
    UPDATE billing.invoices SET amount = amount + 1 WHERE no % 5 = 0;
    SELECT nextval('billing.invoice_no') > 0;
    CREATE TABLE later (id int);
    CREATE OR REPLACE FUNCTION billing.total(c bigint) RETURNS numeric LANGUAGE sql STABLE AS 'SELECT 0';
    ALTER TYPE mood ADD VALUE 'ecstatic';
    ALTER TABLE customers ADD COLUMN extra int;
    COMMENT ON TABLE customers IS 'changed';
    CREATE SCHEMA newer;
    CREATE VIEW newer.v AS SELECT 1 AS one;
    GRANT CREATE ON SCHEMA public TO PUBLIC;
    COMMENT ON SCHEMA public IS 'not standard';
    REFRESH MATERIALIZED VIEW mood_counts;
  )sql"),
            "t");
  EXPECT_NE(describe_difference(before, fingerprint()), "");

  auto restored = restore(dump);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_SAME_FINGERPRINT(before, fingerprint());
  EXPECT_EQ(schema_dump(), schema);
  EXPECT_TRUE(data_dump() == data) << "the data differs after the restore";
  EXPECT_EQ(sql("SELECT to_regclass('public.later') IS NULL, to_regnamespace('newer') IS NULL, "
                "billing.total(2) > 0, nextval('billing.invoice_no')"),
            "t|t|t|" + std::to_string(std::stoll(invoice_no) + 7));
}

TEST_F(PostgresSnapshotTest, FingerprintSeesEveryChange) {
  ASSERT_EQ(sql(realistic_schema(1000)), "123456");
  const char* changes[] = {
      "UPDATE odd SET \"Mixed Case\" = 3 WHERE \"Mixed Case\" = 2",
      "UPDATE customers SET ratio = ratio + 1e-12 WHERE id = 7",
      "UPDATE customers SET created = created + interval '1 microsecond' WHERE id = 8",
      "SELECT nextval('billing.invoice_no')",
      "ALTER SEQUENCE billing.invoice_no RESTART WITH 5",
      "COMMENT ON COLUMN customers.note IS 'free text'",
      "ALTER TABLE odd RENAME COLUMN t TO tt",
      "ALTER TYPE mood ADD VALUE 'angry'",
      "ALTER TYPE mood RENAME VALUE 'angry' TO 'cross'",
      "CREATE INDEX customers_mood ON customers (mood)",
      "ALTER TABLE customers DISABLE TRIGGER customers_audit",
      "GRANT SELECT ON customers TO PUBLIC",
      "CREATE OR REPLACE VIEW customer_totals AS SELECT c.id, c.email, 0::numeric AS total "
      "FROM customers c",
      "CREATE TABLE billing.empty ()",
      "SELECT lo_from_bytea(0, 'x')",
      "ALTER TABLE customers ALTER COLUMN balance SET DEFAULT 1",
      "REVOKE USAGE ON SCHEMA public FROM PUBLIC",
  };
  auto previous = fingerprint();
  for (const char* change : changes) {
    std::string out = sql(change);
    ASSERT_EQ(out.find("ERROR"), std::string::npos) << out;
    auto now = fingerprint();
    EXPECT_NE(now.combined_sha256(), previous.combined_sha256()) << change;
    previous = now;
  }
  EXPECT_SAME_FINGERPRINT(previous, fingerprint());  // and nothing else moves it
}

TEST_F(PostgresSnapshotTest, FingerprintsDoNotDependOnSessionSettings) {
  ASSERT_EQ(sql(realistic_schema(2000)), "123456");
  auto plain = fingerprint();
  // Settings that change how values are written, for every new session here.
  std::string settings;
  for (const char* setting :
       {"TimeZone = 'America/New_York'", "bytea_output = escape", "DateStyle = 'SQL, DMY'",
        "IntervalStyle = iso_8601", "extra_float_digits = 0"})
    settings += "ALTER DATABASE " + name_ + " SET " + setting + ";\n";
  ASSERT_EQ(psql(admin_, settings), "");
  connect();
  EXPECT_SAME_FINGERPRINT(plain, fingerprint());
  SnapshotInfo info;
  std::string dump = take_snapshot(&info);
  EXPECT_SAME_FINGERPRINT(plain, info.fingerprint);
  // The scratch database has none of those settings.
  StringSource source(dump);
  auto verified = postgres::fingerprint_snapshot(conn_.get(), params_, source, dir_.path());
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_SAME_FINGERPRINT(plain, *verified);
}

TEST_F(PostgresSnapshotTest, RestoreRemovesEverythingCreatedAfterTheSnapshot) {
  ASSERT_EQ(sql("CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (1), (2);"), "");
  auto before = fingerprint();
  std::string dump = take_snapshot();

  ASSERT_EQ(sql(R"sql(
    CREATE TYPE color AS ENUM ('red');
    CREATE TYPE point2 AS (x int, y int);
    CREATE TYPE span AS RANGE (subtype = float8);
    CREATE DOMAIN short_text AS text CHECK (length(VALUE) < 10);
    CREATE SEQUENCE counter;
    CREATE TABLE extra (id serial, c color, p point2, s span, t short_text);
    CREATE TABLE parted (id int, k int) PARTITION BY RANGE (k);
    CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
    CREATE VIEW extra_view AS SELECT * FROM extra;
    CREATE MATERIALIZED VIEW extra_mat AS SELECT count(*) FROM kept;
    CREATE FUNCTION add_one(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1';
    CREATE PROCEDURE noop() LANGUAGE sql AS 'SELECT 1';
    CREATE AGGREGATE total_plus(int) (sfunc = int4pl, stype = int, initcond = '0');
    CREATE OPERATOR === (leftarg = int, rightarg = int, function = int4eq);
    CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    CREATE TEXT SEARCH CONFIGURATION my_search (COPY = simple);
    CREATE STATISTICS kept_stats (ndistinct) ON id, (id * 2) FROM kept;
    CREATE TRIGGER kept_touch BEFORE UPDATE ON kept FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
    CREATE INDEX kept_later ON kept ((id * 2));
    ALTER TABLE kept ADD COLUMN later text DEFAULT 'x';
    CREATE SCHEMA side;
    CREATE TABLE side.t (id int REFERENCES kept (id));
    CREATE FUNCTION stop_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
    CREATE EVENT TRIGGER watcher ON ddl_command_start EXECUTE FUNCTION stop_ddl();
    CREATE FOREIGN DATA WRAPPER later_fdw;
    CREATE SERVER later_server FOREIGN DATA WRAPPER later_fdw;
    SELECT lo_from_bytea(0, 'created later') > 0;
    INSERT INTO kept VALUES (3);
  )sql"),
            "t");
  auto restored = restore(dump);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_SAME_FINGERPRINT(before, fingerprint());
  EXPECT_EQ(sql(R"sql(
    SELECT
      (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
      (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public'),
      (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname = 'public'),
      (SELECT count(*) FROM pg_operator WHERE oprname = '==='),
      (SELECT count(*) FROM pg_collation WHERE collname = 'ci'),
      (SELECT count(*) FROM pg_ts_config WHERE cfgname = 'my_search'),
      (SELECT count(*) FROM pg_namespace WHERE nspname = 'side'),
      (SELECT count(*) FROM pg_event_trigger),
      (SELECT count(*) FROM pg_foreign_server),
      (SELECT count(*) FROM pg_largeobject_metadata),
      (SELECT string_agg(id::text, ',' ORDER BY id) FROM kept)
  )sql"),
            // kept and its primary key index; its row type and array type
            "2|0|2|0|0|0|0|0|0|0|1,2");
}

TEST_F(PostgresSnapshotTest, LargeObjectsComeBackInsideTheRestoreTransaction) {
  ASSERT_EQ(sql("SELECT lo_from_bytea(424242, decode(repeat('ab', 300000), 'hex'));"), "424242");
  auto before = fingerprint();
  std::string dump = take_snapshot();
  ASSERT_NE(dump.find("\nBEGIN;\n"), std::string::npos);  // pg_dump's own transaction
  ASSERT_EQ(sql("SELECT lo_unlink(424242); SELECT lo_from_bytea(515151, 'new');"), "1\n515151");
  auto restored = restore(dump);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_SAME_FINGERPRINT(before, fingerprint());
  EXPECT_EQ(sql("SELECT string_agg(oid::text, ','), sum(length(lo_get(oid))) "
                "FROM pg_largeobject_metadata"),
            "424242|300000");
}

TEST_F(PostgresSnapshotTest, FingerprintSnapshotMatchesAndLeavesNoDatabase) {
  ASSERT_EQ(sql(realistic_schema(5000)), "123456");
  SnapshotInfo info;
  std::string dump = take_snapshot(&info);
  StringSource source(dump, 4093);
  auto verified = postgres::fingerprint_snapshot(conn_.get(), params_, source, dir_.path());
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_SAME_FINGERPRINT(info.fingerprint, *verified);

  // A damaged dump fails, and its scratch database goes all the same.
  std::string damaged = dump;
  damaged.replace(damaged.find("CREATE TABLE"), 12, "CREATE TABBY");
  StringSource bad(damaged);
  auto failed = postgres::fingerprint_snapshot(conn_.get(), params_, bad, dir_.path());
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kSql);
  EXPECT_NE(failed.error().message.find("syntax error"), std::string::npos)
      << failed.error().message;
  EXPECT_EQ(psql(admin_, "SELECT count(*) FROM pg_database WHERE datname LIKE 'migrate_scratch_" +
                             scratch_host_tag() + "_" + std::to_string(::getpid()) + "_%'"),
            "0");
}

TEST_F(PostgresSnapshotTest, SnapshotWhileAnotherSessionWritesIsConsistent) {
  ASSERT_EQ(sql(realistic_schema(60000) +
                "CREATE TABLE stream (id bigserial PRIMARY KEY, at timestamptz DEFAULT now());"
                "CREATE TABLE stop_writing (flag int);"),
            "123456");
  // Commits one row at a time (moving the sequence) until told to stop.
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    sql(R"sql(
      DO $$ BEGIN
        WHILE NOT EXISTS (SELECT 1 FROM stop_writing) LOOP
          INSERT INTO stream DEFAULT VALUES;
          INSERT INTO customers (email) VALUES ('w' || clock_timestamp() || random());
          COMMIT;
        END LOOP;
      END $$;
    )sql");
    writing = false;
  });
  auto rows = [&] { return std::stoll(sql("SELECT count(*) FROM stream")); };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (rows() < 100 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  SnapshotInfo info;
  std::string dump = take_snapshot(&info);
  long long after_snapshot = rows();
  sql("INSERT INTO stop_writing VALUES (1)");
  writer.join();
  EXPECT_FALSE(writing);

  auto stream = std::find_if(info.fingerprint.tables.begin(), info.fingerprint.tables.end(),
                             [](const TableSummary& t) { return t.name == "public.stream"; });
  ASSERT_NE(stream, info.fingerprint.tables.end());
  EXPECT_GE(stream->rows, 100);
  EXPECT_LT(stream->rows, after_snapshot) << "nothing was written while the snapshot ran";
  StringSource source(dump);
  auto verified = postgres::fingerprint_snapshot(conn_.get(), params_, source, dir_.path());
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_SAME_FINGERPRINT(info.fingerprint, *verified);
}

TEST_F(PostgresSnapshotTest, AFailingPgDumpIsAnErrorNeverAnEmptySnapshot) {
  ASSERT_EQ(sql("CREATE TABLE t (id int); INSERT INTO t VALUES (1);"), "");
  struct Case {
    const char* what;
    postgres::ConnectionParams params;
    const char* message;
  };
  auto wrong_password = params_;
  wrong_password.password = "not-the-password";
  auto wrong_port = params_;
  wrong_port.conninfo += " port=1";
  auto wrong_database = params(name_ + "_missing");
  const Case cases[] = {
      {"wrong password", wrong_password, "password authentication failed"},
      {"wrong port", wrong_port, "connection to server at \"127.0.0.1\", port 1 failed"},
      {"missing database", wrong_database, "does not exist"},
  };
  for (const auto& c : cases) {
    StringSink sink;
    auto taken = postgres::snapshot(conn_.get(), c.params, sink, dir_.path());
    ASSERT_FALSE(taken) << c.what;
    EXPECT_TRUE(taken.error().message.starts_with("pg_dump failed (exit code 1): "))
        << taken.error().message;
    EXPECT_NE(taken.error().message.find(c.message), std::string::npos) << taken.error().message;
    EXPECT_EQ(taken.error().message.find("not-the-password"), std::string::npos);
    EXPECT_FALSE(sink.finished) << c.what;
  }
  EXPECT_EQ(sql("SELECT count(*) FROM t"), "1");
  take_snapshot();  // the connection is left usable
}

// Blocks the first write until released, so that pg_dump can be killed mid-stream.
class GateSink final : public ByteSink {
 public:
  Result<void> write(std::string_view bytes) override {
    std::unique_lock lock(mutex_);
    written_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    size_ += bytes.size();
    return {};
  }
  Result<void> finish() override {
    finished_ = true;
    return {};
  }
  bool wait_for_write(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return written_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  bool finished() const { return finished_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool written_ = false, open_ = false;
  size_t size_ = 0;
  std::atomic<bool> finished_{false};
};

TEST_F(PostgresSnapshotTest, AKilledPgDumpIsAnError) {
  ASSERT_EQ(sql(realistic_schema(60000)), "123456");
  GateSink sink;
  Result<SnapshotInfo> taken;
  std::thread snapshot(
      [&] { taken = postgres::snapshot(conn_.get(), params_, sink, dir_.path()); });
  bool writing = sink.wait_for_write(std::chrono::seconds(60));
  auto dumps = children_named("pg_dump");
  for (pid_t pid : dumps) ::kill(pid, SIGKILL);
  sink.open();
  snapshot.join();
  ASSERT_TRUE(writing);
  ASSERT_EQ(dumps.size(), 1u);
  ASSERT_FALSE(taken);
  EXPECT_TRUE(taken.error().message.starts_with("pg_dump was killed by signal 9"))
      << taken.error().message;
  EXPECT_FALSE(sink.finished());
}

TEST_F(PostgresSnapshotTest, ASinkErrorStopsPgDump) {
  ASSERT_EQ(sql(realistic_schema(20000)), "123456");
  FailingSink sink;
  auto taken = postgres::snapshot(conn_.get(), params_, sink, dir_.path());
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().message, "disk full");
  EXPECT_TRUE(children_named("pg_dump").empty());
  // pg_dump's session ends with it: only conn_ stays (and psql asking).
  EXPECT_EQ(other_sessions("1"), "1");
}

TEST_F(PostgresSnapshotTest, ABrokenDumpChangesNothing) {
  ASSERT_EQ(sql(realistic_schema(20000)), "123456");
  std::string dump = take_snapshot();
  ASSERT_EQ(sql("DELETE FROM customers WHERE id > 100; CREATE TABLE later (id int);"), "");
  auto before = fingerprint();

  size_t marker = dump.find("--\n-- PostgreSQL database dump complete");
  size_t copy = dump.find("COPY \"public\".\"customers\"");
  std::string garbled = dump;
  garbled.replace(garbled.find("CREATE INDEX"), 12, "CREATE INDIGO");
  struct Case {
    const char* what;
    std::string text;
    ErrorCode code;
    const char* message;
  };
  const Case cases[] = {
      {"cut at the completion marker", dump.substr(0, marker), ErrorCode::kGeneral,
       "the backup is incomplete"},
      {"cut inside COPY data", dump.substr(0, copy + 5000), ErrorCode::kGeneral,
       "the backup is incomplete"},
      {"cut after the header", dump.substr(0, 200), ErrorCode::kGeneral,
       "the backup is incomplete"},
      {"a statement garbled", garbled, ErrorCode::kSql, "syntax error at or near \"INDIGO\""},
      {"not a dump", std::string("SQLite format 3\0\0\0\1\2\3\n\n\n", 24), ErrorCode::kGeneral,
       "the backup does not hold a PostgreSQL dump"},
      {"empty", "", ErrorCode::kGeneral, "the backup does not hold a PostgreSQL dump"},
  };
  for (const auto& c : cases) {
    auto restored = restore(c.text);
    ASSERT_FALSE(restored) << c.what;
    EXPECT_EQ(restored.error().code, c.code) << c.what;
    EXPECT_NE(restored.error().message.find(c.message), std::string::npos)
        << c.what << ": " << restored.error().message;
    EXPECT_TRUE(restored.error().message.ends_with("; the database was not changed"))
        << restored.error().message;
    EXPECT_SAME_FINGERPRINT(before, fingerprint());
  }
}

// The replay is tuned (DumpScanner::Replay::kTuned): tables the dump creates
// are loaded frozen, others as dumped; foreign keys are still checked.
TEST_F(PostgresSnapshotTest, RestoreLoadsTheDumpsOwnTablesFrozenAndStillChecksForeignKeys) {
  ASSERT_EQ(sql(realistic_schema(2000)), "123456");
  auto before = fingerprint();
  std::string dump = take_snapshot();
  // "cache" as a table the dump did not create itself (an extension's, say):
  // the scanner no longer sees its CREATE TABLE.
  std::string untracked = dump;
  size_t create = untracked.find("CREATE UNLOGGED TABLE \"public\".\"cache\"");
  ASSERT_NE(create, std::string::npos);
  untracked.replace(create, 22, "CREATE  UNLOGGED TABLE ");

  // Frozen rows are visible to every snapshot, even one older than the
  // restore (COPY FREEZE's documented trade-off); rows loaded as dumped are not.
  auto older = postgres::connect(*postgres::make_target(params_));
  ASSERT_TRUE(older) << older.error().message;
  PQclear(PQexec(older->get(), "RESET search_path"));
  auto run = [&](const char* statement) {
    PGresult* result = PQexec(older->get(), statement);
    std::string value = PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0)
                                                                  : PQerrorMessage(older->get());
    PQclear(result);
    return value;
  };
  ASSERT_EQ(run("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 'snapshot taken'"),
            "snapshot taken");
  auto restored = restore(untracked);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_SAME_FINGERPRINT(before, fingerprint());
  EXPECT_EQ(run("SELECT count(*) FROM customers"), "2000");
  EXPECT_EQ(run("SELECT count(*) FROM billing.invoices"), "3000");
  EXPECT_EQ(run("SELECT count(*) FROM cache"), "0");
  run("ROLLBACK");
  EXPECT_EQ(sql("SELECT count(*) FROM cache"), "500");

  // An invoice whose customer is not in the dump fails the foreign key's
  // check (run without hash joins), and the restore as a whole.
  ASSERT_EQ(sql("CREATE TABLE later (id int)"), "");
  size_t customers = dump.find("COPY \"public\".\"customers\"");
  ASSERT_NE(customers, std::string::npos);
  size_t first_row = dump.find('\n', customers) + 1;
  std::string orphaned = dump;
  orphaned.erase(first_row, dump.find('\n', first_row) + 1 - first_row);
  auto failed = restore(orphaned);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kSql);
  EXPECT_NE(failed.error().message.find("violates foreign key constraint"), std::string::npos)
      << failed.error().message;
  EXPECT_TRUE(failed.error().message.ends_with("; the database was not changed"));
  EXPECT_EQ(sql("SELECT to_regclass('public.later') IS NOT NULL, count(*) FROM customers"),
            "t|2000");
}

TEST_F(PostgresSnapshotTest, TheDatabaseOwnerWithoutSuperuserCanBackUpAndRestore) {
  std::string role = "snapshot_owner_" + unique_suffix();
  roles_.push_back(role);
  std::string database = name_ + "_owned";
  ASSERT_EQ(psql(admin_, "CREATE ROLE " + role + " LOGIN PASSWORD 'owner-pw'"), "");
  ASSERT_EQ(psql(admin_, "CREATE DATABASE " + database + " OWNER " + role), "");
  struct DropDatabase {
    std::string admin, name;
    ~DropDatabase() { psql(admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); }
  } drop{admin_, database};
  auto owner = params(database, role, "owner-pw");
  auto conn = postgres::connect(*postgres::make_target(owner));
  ASSERT_TRUE(conn) << conn.error().message;
  ASSERT_EQ(psql(conninfo(database, role, "owner-pw"), realistic_schema(2000)), "123456");

  StringSink sink;
  auto taken = postgres::snapshot(conn->get(), owner, sink, dir_.path());
  ASSERT_TRUE(taken) << taken.error().message;
  ASSERT_EQ(psql(conninfo(database, role, "owner-pw"),
                 "DROP TABLE billing.invoices; CREATE TABLE x (id int); "
                 "REVOKE USAGE ON SCHEMA public FROM PUBLIC;"),
            "");
  StringSource source(sink.data);
  auto restored = postgres::restore(conn->get(), owner, source, nullptr);
  ASSERT_TRUE(restored) << restored.error().message;
  auto after = postgres::fingerprint(conn->get());
  ASSERT_TRUE(after);
  EXPECT_SAME_FINGERPRINT(taken->fingerprint, *after);
}

TEST_F(PostgresSnapshotTest, HelperReadersSeeExactlyTheCallersSnapshot) {
  ASSERT_EQ(sql(realistic_schema(20000)), "123456");
  std::vector<postgres::TableToRead> tables;
  for (const char* t : {"customers", "billing.invoices", "events", "odd", "nothing", "cache"}) {
    std::string columns = sql(std::string("SELECT string_agg(quote_ident(attname), ', ' ORDER BY "
                                          "attnum) FROM pg_attribute WHERE attrelid = '") +
                              t +
                              "'::regclass AND attnum > 0 AND NOT attisdropped AND "
                              "attgenerated = ''");
    tables.push_back({t, columns.empty() ? "" : columns, t, 1});
  }
  tables[3].columns = "t, \"Mixed Case\", \"s.dot\", kind";
  tables[4].columns = "";
  auto read = [&](postgres::Readers readers) {
    EXPECT_EQ(other_sessions("1"), "1");  // conn_ alone
    PQclear(PQexec(conn_.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    PQclear(PQexec(conn_.get(), "SELECT count(*) FROM customers"));  // the snapshot is taken
    // Written after the snapshot: no reader may see it.
    EXPECT_EQ(
        sql("INSERT INTO customers (email) VALUES ('after-' || random()); "
            "DELETE FROM billing.invoices WHERE no IN (SELECT no FROM billing.invoices LIMIT 100)"),
        "");
    auto rows = postgres::read_tables(conn_.get(), tables, readers, "SELECT 1", 0);
    PQclear(PQexec(conn_.get(), "ROLLBACK"));
    EXPECT_TRUE(rows) << rows.error().message;
    std::vector<std::string> texts;
    if (rows)
      for (const auto& r : *rows) texts.push_back(r.text());
    return texts;
  };
  auto alone = read(postgres::Readers::kOne);
  ASSERT_EQ(sql("DELETE FROM customers WHERE email LIKE 'after-%'"), "");
  // The same rows again, by four connections at once, after more writes.
  auto before = sql("SELECT count(*) FROM billing.invoices");
  auto shared = read(postgres::Readers::kShareSnapshot);
  EXPECT_NE(sql("SELECT count(*) FROM billing.invoices"), before);
  ASSERT_EQ(alone.size(), tables.size());
  EXPECT_TRUE(alone[0].starts_with("20000 ")) << alone[0];
  EXPECT_TRUE(alone[1].starts_with("30000 ")) << alone[1];
  EXPECT_EQ(before, "29900");
  EXPECT_TRUE(shared[1].starts_with(before + " ")) << shared[1];
  EXPECT_EQ(shared[0], alone[0]);
  EXPECT_EQ(shared[2], alone[2]);
  EXPECT_EQ(shared[3], alone[3]);

  // A table that cannot be read fails the call, whichever reader had it.
  tables[2].relation = "no_such_table";
  PQclear(PQexec(conn_.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  auto failed =
      postgres::read_tables(conn_.get(), tables, postgres::Readers::kShareSnapshot, "SELECT 1", 0);
  PQclear(PQexec(conn_.get(), "ROLLBACK"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kSql);
  EXPECT_NE(failed.error().message.find("cannot read table 'events'"), std::string::npos)
      << failed.error().message;
}

// Large objects are written by thousands of one-line lowrite() calls with
// no header between them; the restore sends them in parts, and they come
// back whole.
TEST_F(PostgresSnapshotTest, ALargeObjectBiggerThanOneSendRestoresWhole) {
  ASSERT_EQ(sql("SELECT lo_from_bytea(4242, convert_to(repeat(md5(g::text), 300000), 'UTF8')) "
                "FROM generate_series(1, 1) g"),
            "4242");
  std::string dump = take_snapshot();
  ASSERT_GT(std::count(dump.begin(), dump.end(), '\n'), 500) << "lowrite lines";
  auto before = fingerprint();
  ASSERT_EQ(sql("SELECT lo_unlink(4242)"), "1");
  auto restored = restore(dump);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_SAME_FINGERPRINT(before, fingerprint());
  EXPECT_EQ(sql("SELECT length(lo_get(4242))"), "9600000");
}

// Objects outside schemas are part of the fingerprint: a restore that left
// one behind (or missed one) cannot verify.
TEST_F(PostgresSnapshotTest, TheFingerprintCoversObjectsOutsideSchemas) {
  ASSERT_EQ(sql("CREATE TABLE items (id int PRIMARY KEY)"), "");
  const char* added[] = {
      "SET client_min_messages = error; CREATE PUBLICATION p FOR TABLE items",
      "SET client_min_messages = error; CREATE SUBSCRIPTION s CONNECTION 'dbname=none' "
      "PUBLICATION p WITH (connect = false)",
      "CREATE FOREIGN DATA WRAPPER w",
      "CREATE SERVER srv FOREIGN DATA WRAPPER w",
      "CREATE USER MAPPING FOR PUBLIC SERVER srv OPTIONS (user 'x')",
      "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC",
      "ALTER PUBLICATION p ADD TABLE items2",
  };
  ASSERT_EQ(sql("CREATE TABLE items2 (id int PRIMARY KEY)"), "");
  for (const char* statement : added) {
    auto before = fingerprint();
    ASSERT_EQ(sql(statement), "") << statement;
    EXPECT_NE(fingerprint().schema_sha256, before.schema_sha256) << statement;
  }
  // Subscriptions live in a shared catalog: gone with the database, but
  // only if they are dropped first (a database cannot be dropped with one).
  ASSERT_EQ(sql("ALTER SUBSCRIPTION s SET (slot_name = NONE); DROP SUBSCRIPTION s"), "");
}

// Operators, their classes and families, collations, conversions, text
// search objects and the settings of statistics objects are part of the
// fingerprint too: each change below must show.
TEST_F(PostgresSnapshotTest, TheFingerprintCoversOperatorsCollationsAndTextSearch) {
  ASSERT_EQ(sql("CREATE TABLE items (a int, b int)"), "");
  const char* changes[] = {
      "CREATE STATISTICS items_ab ON a, b FROM items",
      "ALTER STATISTICS items_ab SET STATISTICS 321",
      "CREATE COLLATION folded (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
      "COMMENT ON COLLATION folded IS 'case-insensitive'",
      "CREATE CONVERSION latin_in FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8",
      "CREATE OPERATOR === (leftarg = int, rightarg = int, function = int4eq)",
      "CREATE OPERATOR FAMILY int_order USING btree",
      "CREATE OPERATOR CLASS int_order_ops FOR TYPE int USING btree FAMILY int_order AS "
      "OPERATOR 1 <, FUNCTION 1 btint4cmp(int, int)",
      "ALTER OPERATOR FAMILY int_order USING btree ADD OPERATOR 3 = (int, int)",
      "CREATE TEXT SEARCH DICTIONARY plain_words (TEMPLATE = simple)",
      "ALTER TEXT SEARCH DICTIONARY plain_words (ACCEPT = false)",
      "CREATE TEXT SEARCH CONFIGURATION notes_search (COPY = simple)",
      "ALTER TEXT SEARCH CONFIGURATION notes_search ALTER MAPPING FOR word WITH plain_words",
      "ALTER TEXT SEARCH CONFIGURATION notes_search DROP MAPPING FOR email",
  };
  for (const char* statement : changes) {
    auto before = fingerprint();
    ASSERT_EQ(sql(statement), "") << statement;
    EXPECT_NE(fingerprint().schema_sha256, before.schema_sha256) << statement;
  }
  // And a snapshot of them restores to the same fingerprint.
  std::string dump = take_snapshot();
  auto before = fingerprint();
  ASSERT_EQ(sql("ALTER STATISTICS items_ab SET STATISTICS -1; DROP OPERATOR === (int, int); "
                "ALTER TEXT SEARCH CONFIGURATION notes_search ALTER MAPPING FOR word WITH simple"),
            "");
  auto restored = restore(dump);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_SAME_FINGERPRINT(before, fingerprint());
}

// The size bounds the free-space check. The server's own figure moves on
// its own (autovacuum, free space maps), so the test asks only what the
// check relies on: every byte of a table is counted, and not much more.
TEST_F(PostgresSnapshotTest, MeasuresTheDatabase) {
  ASSERT_EQ(sql("CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad "
                "FROM generate_series(1, 40000) g"),
            "");
  std::uint64_t table = std::stoull(sql("SELECT pg_total_relation_size('filler')"));
  ASSERT_GT(table, 8000000u);
  auto size = postgres::database_size(conn_.get());
  ASSERT_TRUE(size) << size.error().message;
  EXPECT_GE(*size, table);
  EXPECT_LT(*size, table + (std::uint64_t{64} << 20));  // a new database is ~8 MB
}

// What pg_dump leaves out or writes back wrong cannot be backed up: the
// snapshot is refused, naming it, before anything could be applied.
TEST_F(PostgresSnapshotTest, ASnapshotOfWhatPgDumpCannotReproduceIsRefused) {
  const char* unreproducible[][2] = {
      {"CREATE LANGUAGE plfoo HANDLER plpgsql_call_handler", "language plfoo"},
      {"CREATE FUNCTION pg_catalog.later(int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
       "function pg_catalog.later(integer)"},
      {"CREATE INDEX later_index ON information_schema.sql_features (feature_name)",
       "index information_schema.later_index"},
  };
  for (const auto& [statement, named] : unreproducible) {
    ASSERT_EQ(sql(statement), "") << statement;
    StringSink sink;
    auto taken = postgres::snapshot(conn_.get(), params_, sink, dir_.path());
    ASSERT_FALSE(taken) << statement;
    EXPECT_EQ(taken.error().code, ErrorCode::kRefused);
    EXPECT_NE(taken.error().message.find(named), std::string::npos) << taken.error().message;
    EXPECT_NE(taken.error().message.find("pg_dump cannot reproduce"), std::string::npos);
  }
  // A language whose handler pg_dump writes too is backed up, and restored.
  ASSERT_EQ(sql("DROP LANGUAGE plfoo; DROP FUNCTION pg_catalog.later(int); "
                "DROP INDEX information_schema.later_index; "
                "CREATE FUNCTION public.bar_handler() RETURNS language_handler "
                "AS 'plpgsql', 'plpgsql_call_handler' LANGUAGE c; "
                "CREATE LANGUAGE plbar HANDLER public.bar_handler"),
            "");
  auto before = fingerprint();
  std::string dump = take_snapshot();
  ASSERT_EQ(sql("DROP LANGUAGE plbar"), "");
  auto restored = restore(dump);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_EQ(sql("SELECT count(*) FROM pg_language WHERE lanname = 'plbar'"), "1");
  EXPECT_SAME_FINGERPRINT(before, fingerprint());
}

// A statement of a batch that fails without a position is placed at its own
// line of the dump, not at the batch's first.
TEST_F(PostgresSnapshotTest, AFailingRestoreNamesTheLineOfTheStatementThatFailed) {
  ASSERT_EQ(sql("CREATE TABLE items (id int PRIMARY KEY)"), "");
  std::string dump = take_snapshot();
  std::string owner = "ALTER TABLE \"public\".\"items\" OWNER TO ";
  size_t at = dump.find(owner);
  ASSERT_NE(at, std::string::npos) << dump;
  size_t end = dump.find(';', at);
  dump.replace(at, end - at, owner + "\"migrate_no_such_role\"");
  auto line = 1 + std::count(dump.begin(), dump.begin() + static_cast<std::ptrdiff_t>(at), '\n');
  ASSERT_GT(line, 10);
  auto restored = restore(dump);
  ASSERT_FALSE(restored);
  EXPECT_NE(restored.error().message.find(fmt::format("line {} of the dump: ", line)),
            std::string::npos)
      << restored.error().message;
  EXPECT_NE(restored.error().message.find("migrate_no_such_role"), std::string::npos);
}

// Objects a superuser puts among the built-in ones after a snapshot are
// part of the fingerprint, and a restore drops them.
const char* const kAmongTheBuiltIns[] = {
    "CREATE FUNCTION pg_catalog.later(int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE TEXT SEARCH DICTIONARY pg_catalog.later_dict (TEMPLATE = simple)",
    "CREATE OPERATOR pg_catalog.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)",
    "CREATE LANGUAGE plfoo HANDLER plpgsql_call_handler",
    "CREATE DOMAIN pg_catalog.later_domain AS int",
    "CREATE INDEX later_index ON information_schema.sql_features (feature_name)",
    "CREATE POLICY later_policy ON information_schema.sql_features USING (true)",
    "CREATE RULE later_rule AS ON INSERT TO information_schema.sql_parts DO INSTEAD NOTHING",
    "CREATE TRIGGER later_trigger BEFORE UPDATE ON information_schema.sql_sizing "
    "FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
};

TEST_F(PostgresSnapshotTest, TheFingerprintCoversWhatUsersPutAmongTheBuiltInObjects) {
  for (const char* statement : kAmongTheBuiltIns) {
    auto before = fingerprint();
    ASSERT_EQ(sql(statement), "") << statement;
    EXPECT_NE(fingerprint().schema_sha256, before.schema_sha256) << statement;
  }
}

TEST_F(PostgresSnapshotTest, RestoreDropsWhatUsersPutAmongTheBuiltInObjectsLater) {
  ASSERT_EQ(sql("CREATE TABLE items (id int PRIMARY KEY)"), "");
  auto before = fingerprint();
  std::string schema = schema_dump();
  std::string dump = take_snapshot();
  for (const char* statement : kAmongTheBuiltIns) ASSERT_EQ(sql(statement), "") << statement;
  auto restored = restore(dump);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_SAME_FINGERPRINT(before, *restored);
  EXPECT_SAME_FINGERPRINT(before, fingerprint());
  EXPECT_EQ(sql("SELECT (SELECT count(*) FROM pg_proc WHERE proname = 'later') + "
                "(SELECT count(*) FROM pg_ts_dict WHERE dictname = 'later_dict') + "
                "(SELECT count(*) FROM pg_operator WHERE oprname = '===') + "
                "(SELECT count(*) FROM pg_language WHERE lanname = 'plfoo') + "
                "(SELECT count(*) FROM pg_type WHERE typname = 'later_domain') + "
                "(SELECT count(*) FROM pg_class WHERE relname = 'later_index') + "
                "(SELECT count(*) FROM pg_policy WHERE polname = 'later_policy') + "
                "(SELECT count(*) FROM pg_rewrite WHERE rulename = 'later_rule') + "
                "(SELECT count(*) FROM pg_trigger WHERE tgname = 'later_trigger')"),
            "0");
  EXPECT_EQ(schema_dump(), schema);
}

// An abandoned scratch database of this host is dropped only when the
// connected role owns it; another role's stays (doctor still lists it).
TEST_F(PostgresSnapshotTest, OnlyTheRolesOwnAbandonedScratchDatabasesAreDropped) {
  pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ASSERT_GT(gone, 0);
  ::waitpid(gone, nullptr, 0);
  std::string prefix = "migrate_scratch_" + scratch_host_tag() + "_" + std::to_string(gone) + "_";
  std::string ours = prefix + "1" + kPlantedScratch, theirs = prefix + "2" + kPlantedScratch,
              replaced = prefix + "3_replaced" + kPlantedScratch;
  std::string other = "scratch_owner_" + unique_suffix();
  ASSERT_EQ(psql(admin_, "CREATE ROLE " + other + " NOLOGIN"), "");
  roles_.push_back(other);
  struct Drop {
    std::string admin;
    std::vector<std::string> names;
    ~Drop() {
      for (const auto& name : names) psql(admin, "DROP DATABASE IF EXISTS " + name);
    }
  } drop{admin_, {ours, theirs, replaced}};
  ASSERT_EQ(psql(admin_, "CREATE DATABASE " + ours), "");
  ASSERT_EQ(psql(admin_, "CREATE DATABASE " + theirs + " OWNER " + other), "");
  ASSERT_EQ(psql(admin_, "CREATE DATABASE " + replaced + " OWNER " + other), "");

  postgres::drop_abandoned_scratch_databases(conn_.get());
  auto exists = [&](const std::string& name) {
    return psql(admin_, "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'");
  };
  EXPECT_EQ(exists(ours), "0");
  EXPECT_EQ(exists(theirs), "1");
  EXPECT_EQ(exists(replaced), "1");
  auto leftovers = postgres::leftover_scratch_databases(conn_.get());
  EXPECT_NE(std::find(leftovers.begin(), leftovers.end(), theirs), leftovers.end());
}

}  // namespace
}  // namespace migrate::testing
