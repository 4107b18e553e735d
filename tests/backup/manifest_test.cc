#include "backup/manifest.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "util/crypto.h"

namespace migrate {
namespace {

using Json = nlohmann::ordered_json;

Manifest sample() {
  Manifest m;
  m.id = "20261122T143052Z_pre-safe";
  m.label = "pre-safe";
  m.reason = "safe";
  m.created_at = "2026-11-22T14:30:52.123Z";
  m.tool_version = "0.1.0";
  m.driver = "postgres";
  m.server_version = "16.4";
  m.database = "postgres://app:****@db:5432/app";
  m.format = "postgres-custom";
  m.compression = "zstd";
  m.encryption = "aes-256-gcm";
  m.artifact = "20261122T143052Z_pre-safe.dump.zst.enc";
  m.artifact_size = 123456789012;
  m.artifact_sha256 = sha256_hex("artifact");
  m.database_size = 987654321098;
  m.schema_version = "20261101120000";
  m.schema_migrations = 42;
  m.fingerprint.schema_sha256 = sha256_hex("schema");
  m.fingerprint.tables = {{"orders", 1000, sha256_hex("orders")}, {"users", 0, sha256_hex("")}};
  m.duration_ms = 1534;
  return m;
}

TEST(Manifest, RoundTripsEveryField) {
  const Manifest m = sample();
  std::string text = manifest_to_json(m);
  auto parsed = parse_manifest(text, "x.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->format_version, kManifestFormatVersion);
  EXPECT_EQ(parsed->id, m.id);
  EXPECT_EQ(parsed->label, m.label);
  EXPECT_EQ(parsed->reason, m.reason);
  EXPECT_EQ(parsed->created_at, m.created_at);
  EXPECT_EQ(parsed->tool_version, m.tool_version);
  EXPECT_EQ(parsed->driver, m.driver);
  EXPECT_EQ(parsed->server_version, m.server_version);
  EXPECT_EQ(parsed->database, m.database);
  EXPECT_EQ(parsed->format, m.format);
  EXPECT_EQ(parsed->compression, m.compression);
  EXPECT_EQ(parsed->encryption, m.encryption);
  EXPECT_EQ(parsed->artifact, m.artifact);
  EXPECT_EQ(parsed->artifact_size, m.artifact_size);
  EXPECT_EQ(parsed->artifact_sha256, m.artifact_sha256);
  EXPECT_EQ(parsed->database_size, m.database_size);
  EXPECT_EQ(parsed->schema_version, m.schema_version);
  EXPECT_EQ(parsed->schema_migrations, m.schema_migrations);
  EXPECT_EQ(parsed->duration_ms, m.duration_ms);
  EXPECT_EQ(parsed->fingerprint.schema_sha256, m.fingerprint.schema_sha256);
  ASSERT_EQ(parsed->fingerprint.tables.size(), 2u);
  EXPECT_EQ(parsed->fingerprint.tables[0].name, "orders");
  EXPECT_EQ(parsed->fingerprint.tables[0].rows, 1000);
  EXPECT_EQ(parsed->fingerprint.tables[1].hash, sha256_hex(""));
  EXPECT_EQ(manifest_to_json(*parsed), text);
}

TEST(Manifest, JsonIsPrettyOrderedAndEndsWithANewline) {
  std::string text = manifest_to_json(sample());
  EXPECT_EQ(text.rfind("{\n  \"format_version\": 2,\n  \"id\": \"20261122T143052Z_pre-safe\",", 0),
            0u);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("\"combined_sha256\": \"" + sample().fingerprint.combined_sha256() + "\""),
            std::string::npos);
}

TEST(Manifest, EmptyOptionalFieldsAndNoTablesAreValid) {
  Manifest m = sample();
  m.schema_version = "";
  m.schema_migrations = 0;
  m.server_version = "";
  m.database = "";
  m.fingerprint.tables.clear();
  m.created_at = "2026-11-22T14:30:52Z";
  auto parsed = parse_manifest(manifest_to_json(m), "x.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->fingerprint.tables.empty());
}

struct DamageCase {
  const char* name;
  std::function<void(Json&)> damage;
  const char* what;
};

TEST(Manifest, ReportsEachKindOfDamage) {
  const DamageCase cases[] = {
      {"missing id", [](Json& j) { j.erase("id"); }, "missing field 'id'"},
      {"missing sha", [](Json& j) { j.erase("artifact_sha256"); },
       "missing field 'artifact_sha256'"},
      {"missing fingerprint", [](Json& j) { j.erase("fingerprint"); },
       "missing field 'fingerprint'"},
      {"empty driver", [](Json& j) { j["driver"] = ""; }, "field 'driver' is empty"},
      {"id not a string", [](Json& j) { j["id"] = 7; }, "field 'id' is not a string"},
      {"bad sha", [](Json& j) { j["artifact_sha256"] = "abc"; },
       "field 'artifact_sha256' is not 64 hexadecimal digits"},
      {"upper-case sha", [](Json& j) { j["artifact_sha256"] = std::string(64, 'A'); },
       "field 'artifact_sha256' is not 64 hexadecimal digits"},
      {"unknown version", [](Json& j) { j["format_version"] = 3; },
       "unknown format version 3 (this migrate reads versions 1 to 2)"},
      {"version not a number", [](Json& j) { j["format_version"] = "1"; },
       "field 'format_version' is not an integer"},
      {"artifact with a slash", [](Json& j) { j["artifact"] = "20261122T143052Z_pre-safe/x.zst"; },
       "artifact '20261122T143052Z_pre-safe/x.zst' is not a plain file name"},
      {"artifact outside", [](Json& j) { j["artifact"] = "../../etc/passwd"; },
       "artifact '../../etc/passwd' is not a plain file name"},
      {"artifact of another backup", [](Json& j) { j["artifact"] = "20260101T000000Z_x.sqlite"; },
       "artifact '20260101T000000Z_x.sqlite' is not named '20261122T143052Z_pre-safe.<extension>'"},
      {"artifact is the manifest",
       [](Json& j) { j["artifact"] = "20261122T143052Z_pre-safe.json"; }, "is not named"},
      {"bad id", [](Json& j) { j["id"] = "latest"; }, "'latest' is not a backup id"},
      {"negative size", [](Json& j) { j["artifact_size"] = -1; },
       "field 'artifact_size' is not a non-negative integer"},
      {"fractional size", [](Json& j) { j["database_size"] = 1.5; },
       "field 'database_size' is not a non-negative integer"},
      {"size as string", [](Json& j) { j["artifact_size"] = "12"; },
       "field 'artifact_size' is not a number"},
      {"negative count", [](Json& j) { j["schema_migrations"] = -3; },
       "field 'schema_migrations' is not a non-negative integer"},
      {"bad timestamp", [](Json& j) { j["created_at"] = "yesterday"; },
       "field 'created_at' is not a UTC timestamp: 'yesterday'"},
      {"bad table hash", [](Json& j) { j["fingerprint"]["tables"][1]["hash"] = "x"; },
       "field 'fingerprint.tables[1].hash' is not a hexadecimal digest"},
      {"upper-case table hash",
       [](Json& j) { j["fingerprint"]["tables"][1]["hash"] = std::string(32, 'A'); },
       "field 'fingerprint.tables[1].hash' is not a hexadecimal digest"},
      {"no table hash algorithm", [](Json& j) { j["fingerprint"].erase("table_hash"); },
       "missing field 'fingerprint.table_hash'"},
      {"negative rows", [](Json& j) { j["fingerprint"]["tables"][0]["rows"] = -5; },
       "field 'fingerprint.tables[0].rows' is not a non-negative integer"},
      {"table not an object", [](Json& j) { j["fingerprint"]["tables"][0] = 1; },
       "field 'fingerprint.tables[0]' is not an object"},
      {"table dropped", [](Json& j) { j["fingerprint"]["tables"].erase(0); },
       "field 'fingerprint.combined_sha256' does not match the tables"},
  };
  for (const auto& c : cases) {
    Json j = Json::parse(manifest_to_json(sample()));
    c.damage(j);
    auto parsed = parse_manifest(j.dump(), "m.json");
    ASSERT_FALSE(parsed) << c.name;
    EXPECT_EQ(parsed.error().code, ErrorCode::kIo) << c.name;
    EXPECT_EQ(parsed.error().message.rfind("damaged manifest 'm.json': ", 0), 0u)
        << c.name << ": " << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(c.what), std::string::npos)
        << c.name << ": " << parsed.error().message;
  }
}

TEST(Manifest, ReportsTextThatIsNotAManifestObject) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not valid JSON"},
      {"{\"id\": ", "not valid JSON (at byte"},
      {"{} trailing", "not valid JSON"},
      {"[1, 2]", "not a JSON object"},
      {"null", "not a JSON object"},
      {"{}", "missing field 'format_version'"},
  };
  for (const auto& [text, what] : cases) {
    auto parsed = parse_manifest(text, "m.json");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find(what), std::string::npos) << parsed.error().message;
  }
}

TEST(Manifest, KeepsTheTableHashAlgorithmAndShortDigests) {
  Manifest m = sample();
  m.fingerprint.table_hash = "xxh3-128";
  m.fingerprint.tables = {{"orders", 1000, std::string(32, 'c')}};
  auto parsed = parse_manifest(manifest_to_json(m), "x.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->fingerprint.table_hash, "xxh3-128");
  EXPECT_EQ(parsed->fingerprint.tables[0].hash, std::string(32, 'c'));
}

// Backups written before the table hash got its algorithm still list and
// restore: version 1 kept SHA-256 digests under "sha256".
TEST(Manifest, ReadsFormatVersionOne) {
  Json j = Json::parse(manifest_to_json(sample()));
  j["format_version"] = 1;
  j["fingerprint"].erase("table_hash");
  for (auto& table : j["fingerprint"]["tables"]) {
    table["sha256"] = table["hash"];
    table.erase("hash");
  }
  auto parsed = parse_manifest(j.dump(), "old.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->format_version, 1);
  EXPECT_EQ(parsed->fingerprint.table_hash, "sha256");
  EXPECT_EQ(parsed->fingerprint.tables[0].hash, sha256_hex("orders"));
}

TEST(Manifest, NewerFormatGetsAHint) {
  Json j = Json::parse(manifest_to_json(sample()));
  j["format_version"] = 9;
  auto parsed = parse_manifest(j.dump(), "m.json");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().hint.find("newer migrate"), std::string::npos);
}

TEST(BackupId, AcceptsOnlyTheIdShape) {
  const std::pair<const char*, bool> cases[] = {
      {"20261122T143052Z_pre-safe", true},
      {"20261122T143052Z_pre-safe-2", true},
      {"20261122T143052Z_v1.2_x", true},
      {"20261122T143052Z_", false},
      {"20261122T143052Z", false},
      {"20261122T143052_pre", false},
      {"2026112XT143052Z_pre", false},
      {"20261122T143052Z_Pre", false},
      {"20261122T143052Z_a..b", false},
      {"20261122T143052Z_a/b", false},
      {"latest", false},
  };
  for (const auto& [id, valid] : cases) EXPECT_EQ(is_valid_backup_id(id), valid) << id;
  EXPECT_TRUE(is_valid_backup_id("20261122T143052Z_" + std::string(64, 'a') + "-10"));
  EXPECT_FALSE(is_valid_backup_id("20261122T143052Z_" + std::string(100, 'a')));
}

TEST(UtcTimestamp, ParsesIso8601Utc) {
  using namespace std::chrono;
  auto base = sys_days{2026y / November / 22} + 14h + 30min + 52s;
  auto plain = parse_utc_timestamp("2026-11-22T14:30:52Z");
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, base);
  auto millis = parse_utc_timestamp("2026-11-22T14:30:52.123Z");
  ASSERT_TRUE(millis);
  EXPECT_EQ(*millis, base + 123ms);
  for (const char* bad : {"2026-11-22 14:30:52Z", "2026-11-22T14:30:52", "2026-02-30T00:00:00Z",
                          "2026-11-22T24:00:00Z", "2026-11-22T14:30:52.Z", "2026-11-22T14:30:5xZ",
                          "2026-11-22T14:30:52+01:00", "8299-12-03T09:21:29Z", ""})
    EXPECT_FALSE(parse_utc_timestamp(bad)) << bad;
}

}  // namespace
}  // namespace migrate
