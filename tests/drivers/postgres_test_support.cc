#include "drivers/postgres_test_support.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "support/shell.h"
#include "support/temp_dir.h"

namespace migrate::testing {
namespace {

// pg_dump's output without the lines that differ on every run.
std::string without_restrict_keys(const std::string& dump) {
  std::string out;
  size_t start = 0;
  while (start < dump.size()) {
    size_t end = dump.find('\n', start);
    end = end == std::string::npos ? dump.size() : end + 1;
    std::string_view line(dump.data() + start, end - start);
    if (!line.starts_with("\\restrict ") && !line.starts_with("\\unrestrict ")) out += line;
    start = end;
  }
  return out;
}

}  // namespace

std::string psql(const std::string& url, const std::string& sql) {
  return shell_value("psql " + shell_quote(url) + " -X -q -A -t -v ON_ERROR_STOP=1 -c " +
                     shell_quote(sql) + " 2>&1");
}

std::string dump_schema(const std::string& url) {
  return without_restrict_keys(shell("pg_dump --schema-only " + shell_quote(url) + " 2>&1"));
}

std::string dump_data(const std::string& url) {
  std::string dump =
      without_restrict_keys(shell("pg_dump --data-only " + shell_quote(url) + " 2>&1"));
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < dump.size()) {
    size_t end = std::min(dump.find('\n', start), dump.size());
    lines.emplace_back(dump, start, end - start);
    start = end + 1;
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

std::string realistic_schema(int rows) {
  std::string sql = R"sql(
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE SCHEMA billing;
COMMENT ON SCHEMA billing IS 'money matters';
CREATE SEQUENCE billing.invoice_no START 1000 INCREMENT 7;
SELECT setval('billing.invoice_no', 123456);
CREATE TABLE customers (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  mood mood DEFAULT 'ok',
  score positive,
  created timestamptz NOT NULL DEFAULT '2024-01-01 00:00:00+00',
  balance numeric(12,2) DEFAULT 0,
  ratio double precision,
  tags text[],
  doc jsonb,
  photo bytea
);
ALTER TABLE customers DROP COLUMN photo;
ALTER TABLE customers ADD COLUMN note text;
COMMENT ON TABLE customers IS 'people who pay';
COMMENT ON COLUMN customers.email IS 'login';
CREATE TABLE billing.invoices (
  no integer PRIMARY KEY DEFAULT nextval('billing.invoice_no'),
  customer_id bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  amount numeric(12,2) NOT NULL CHECK (amount >= 0),
  issued date NOT NULL
);
CREATE INDEX invoices_customer ON billing.invoices (customer_id, issued DESC);
CREATE TABLE events (id integer GENERATED ALWAYS AS IDENTITY, customer_id bigint, kind text, at timestamp);
CREATE TABLE audit (changed_at timestamptz, who text, what text);
CREATE TABLE odd (t text, "Mixed Case" int, "s.dot" int, kind regclass);
INSERT INTO odd VALUES ('same', 1, 1, 'odd'), ('same', 2, 2, 'billing.invoices');
CREATE TABLE nothing ();
ALTER TABLE customers ADD COLUMN domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED;
CREATE TABLE metrics (at date NOT NULL, value int) PARTITION BY RANGE (at);
CREATE TABLE metrics_h1 PARTITION OF metrics FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE metrics_h2 PARTITION OF metrics FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');
INSERT INTO metrics SELECT date '2024-01-01' + g % 366, g FROM generate_series(1, 1000) g;
CREATE TABLE animals (name text);
CREATE TABLE dogs (good boolean DEFAULT true) INHERITS (animals);
INSERT INTO animals VALUES ('generic'); INSERT INTO dogs (name) VALUES ('rex'), ('fido');
CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v bytea, ttl interval, at timestamptz, t timetz);
INSERT INTO cache SELECT 'k' || g, decode(md5(g::text), 'hex'), g * interval '90 minutes',
  timestamptz '2024-03-10 01:30:00-05' + g * interval '1 hour', time with time zone '10:00+02'
  FROM generate_series(1, 500) g;
CREATE FUNCTION touch_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit VALUES ('2024-01-01', 'someone', TG_OP || ' ' || NEW.email);
  RETURN NEW;
END $$;
COMMENT ON FUNCTION touch_audit() IS 'keeps an audit trail';
CREATE TRIGGER customers_audit AFTER UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION touch_audit();
CREATE FUNCTION billing.total(c bigint) RETURNS numeric LANGUAGE sql STABLE AS
  'SELECT coalesce(sum(amount), 0) FROM billing.invoices WHERE customer_id = c';
CREATE VIEW customer_totals AS SELECT c.id, c.email, billing.total(c.id) AS total FROM customers c;
CREATE MATERIALIZED VIEW mood_counts AS SELECT mood, count(*) AS n FROM customers GROUP BY mood;
CREATE UNIQUE INDEX mood_counts_mood ON mood_counts (mood);
INSERT INTO customers (email, mood, score, balance, ratio, tags, doc, note)
  SELECT 'user' || g || '@example.com', (ARRAY['sad','meh','ok','happy'])[1 + g % 4]::mood,
         1 + g % 100, (g % 10000) / 100.0, g / 7.0, ARRAY['t' || g % 5, 't' || g % 3],
         jsonb_build_object('n', g, 'even', g % 2 = 0),
         CASE WHEN g % 11 = 0 THEN NULL ELSE repeat('x', g % 40) || E'\ttab\nline' END
  FROM generate_series(1, ROWS) g;
INSERT INTO billing.invoices (customer_id, amount, issued)
  SELECT 1 + g % ROWS, (g % 5000) / 10.0, date '2024-01-01' + g % 365
  FROM generate_series(1, ROWS * 3 / 2) g;
INSERT INTO events (customer_id, kind, at)
  SELECT 1 + g % ROWS, 'k' || g % 13, timestamp '2024-01-01' + g * interval '1 minute'
  FROM generate_series(1, ROWS) g;
INSERT INTO events (customer_id, kind, at) VALUES (NULL, NULL, NULL);
DELETE FROM events WHERE id % 1000 = 0;
UPDATE customers SET note = 'updated' WHERE id = 3;
REFRESH MATERIALIZED VIEW mood_counts;
)sql";
  for (size_t at; (at = sql.find("ROWS")) != std::string::npos;)
    sql.replace(at, 4, std::to_string(rows));
  return sql;
}

std::string advisory_locks(const std::string& url) {
  return psql(
      url,
      "SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
      "database = (SELECT oid FROM pg_database WHERE datname = current_database())");
}

bool wait_for_advisory_lock(const std::string& url) {
  for (int i = 0; i < 100; ++i) {
    if (advisory_locks(url) == "1") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::optional<std::string> postgres_ssl_test_url() {
  const char* value = std::getenv("MIGRATE_TEST_POSTGRES_SSL_URL");
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

ScratchDatabase::ScratchDatabase(const std::string& server_url) : server_url_(server_url) {
  std::random_device random;
  name_ = "migrate_t_" + std::to_string(::getpid()) + "_" + std::to_string(random() % 1000000);
  created_ = psql(server_url_, "CREATE DATABASE " + name_);
}

ScratchDatabase::~ScratchDatabase() {
  psql(server_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

std::string scratch_host_tag() {
  return shell("printf %s \"$(hostname)\" | sha256sum").substr(0, 8);
}

std::vector<std::string> abandoned_scratch_databases(const std::string& server) {
  std::string prefix = "migrate_scratch_" + scratch_host_tag() + "_";
  std::string names = psql(
      server, "SELECT datname FROM pg_database WHERE datname LIKE '" + prefix + "%' ORDER BY 1");
  std::vector<std::string> abandoned;
  size_t start = 0;
  while (start < names.size()) {
    size_t end = std::min(names.find('\n', start), names.size());
    std::string name = names.substr(start, end - start);
    start = end + 1;
    if (name.ends_with(kPlantedScratch)) continue;
    std::string pid = name.substr(prefix.size(), name.find('_', prefix.size()) - prefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(std::stoi(pid), 0) != 0 && errno == ESRCH) abandoned.push_back(name);
  }
  return abandoned;
}

std::string tamper_backup(const std::filesystem::path& backups, const std::string& sed_script) {
  std::filesystem::path manifest, artifact;
  for (const auto& entry : std::filesystem::directory_iterator(backups)) {
    if (entry.path().extension() == ".json") manifest = entry.path();
    if (entry.path().extension() == ".zst") artifact = entry.path();
  }
  std::string a = shell_quote(artifact.string());
  std::string rewritten =
      shell("zstd -qdc " + a + " | sed " + shell_quote(sed_script) + " | zstd -q -1 -o " + a +
            ".new && mv " + a + ".new " + a + " && echo ok");
  if (rewritten != "ok\n") return "cannot rewrite the dump: " + rewritten;
  std::string sha = shell("sha256sum " + a).substr(0, 64);
  std::string text = read_text(manifest);
  auto replace_value = [&](const std::string& key, const std::string& value, bool quoted) {
    size_t at = text.find("\"" + key + "\"");
    if (at == std::string::npos) return false;
    size_t start = text.find(':', at) + 1;
    while (text[start] == ' ') ++start;
    size_t end = quoted ? text.find('"', start + 1) + 1 : text.find_first_of(",}", start);
    text.replace(start, end - start, quoted ? "\"" + value + "\"" : value);
    return true;
  };
  if (!replace_value("artifact_sha256", sha, true) ||
      !replace_value("artifact_size", std::to_string(std::filesystem::file_size(artifact)), false))
    return "unexpected manifest: " + text;
  std::ofstream(manifest, std::ios::trunc) << text;
  return "ok";
}

}  // namespace migrate::testing
