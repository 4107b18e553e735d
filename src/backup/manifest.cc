#include "backup/manifest.h"

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

namespace migrate {
namespace {

using Json = nlohmann::json;
// What is wrong with a manifest, before it is wrapped in "damaged manifest '...'".
template <typename T>
using Checked = tl::expected<T, std::string>;
using Problem = tl::unexpected<std::string>;

constexpr size_t kTimestampPrefix = 17;  // "YYYYMMDDTHHMMSSZ_"
constexpr size_t kMaxIdTail = 64 + 12;   // a label and a "-N" uniqueness suffix

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Lower-case hexadecimal digits only (digests are written that way).
bool is_lower_hex(std::string_view text) {
  for (char c : text)
    if (!is_digit(c) && !(c >= 'a' && c <= 'f')) return false;
  return true;
}

bool all_digits(std::string_view text) {
  for (char c : text)
    if (!is_digit(c)) return false;
  return !text.empty();
}

// Reads the field `key` of `object`; `where` prefixes nested names
// ("fingerprint.tables[2].") so that messages point at the exact field.
Checked<const Json*> field(const Json& object, std::string_view key, std::string_view where,
                           bool (Json::*is_type)() const noexcept, std::string_view type) {
  auto it = object.find(key);
  if (it == object.end()) return Problem(fmt::format("missing field '{}{}'", where, key));
  if (!((*it).*is_type)()) return Problem(fmt::format("field '{}{}' is not {}", where, key, type));
  return &*it;
}

Checked<std::string> string_field(const Json& object, std::string_view key,
                                  std::string_view where = "") {
  auto value = field(object, key, where, &Json::is_string, "a string");
  if (!value) return Problem(value.error());
  return (*value)->get<std::string>();
}

Checked<std::string> sha256_field(const Json& object, std::string_view key,
                                  std::string_view where = "") {
  auto value = string_field(object, key, where);
  if (value && !is_sha256_hex(*value))
    return Problem(fmt::format("field '{}{}' is not 64 hexadecimal digits", where, key));
  return value;
}

// Sizes and counts are never negative; a negative or fractional number in the
// file is damage, not something to wrap around.
Checked<std::uint64_t> size_field(const Json& object, std::string_view key,
                                  std::string_view where = "") {
  auto value = field(object, key, where, &Json::is_number, "a number");
  if (!value) return Problem(value.error());
  if (!(*value)->is_number_unsigned())
    return Problem(fmt::format("field '{}{}' is not a non-negative integer", where, key));
  return (*value)->get<std::uint64_t>();
}

Checked<std::int64_t> count_field(const Json& object, std::string_view key,
                                  std::string_view where = "") {
  auto value = size_field(object, key, where);
  if (!value) return Problem(value.error());
  if (*value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return Problem(fmt::format("field '{}{}' is out of range", where, key));
  return static_cast<std::int64_t>(*value);
}

// A table digest: lower-case hex, 128 to 512 bits (XXH3-128, SHA-256, ...).
Checked<std::string> table_hash_field(const Json& object, std::string_view key,
                                      std::string_view where) {
  auto value = string_field(object, key, where);
  if (!value) return value;
  size_t digits = value->size();
  if (digits < 32 || digits > 128 || digits % 2 != 0 || !is_lower_hex(*value))
    return Problem(fmt::format("field '{}{}' is not a hexadecimal digest", where, key));
  return value;
}

Checked<ContentFingerprint> parse_fingerprint(const Json& root, int format_version) {
  auto object = field(root, "fingerprint", "", &Json::is_object, "an object");
  if (!object) return Problem(object.error());
  const Json& fp = **object;
  ContentFingerprint result;
  if (format_version >= 2) {
    auto algorithm = string_field(fp, "table_hash", "fingerprint.");
    if (!algorithm) return Problem(algorithm.error());
    if (algorithm->empty()) return Problem("field 'fingerprint.table_hash' is empty");
    result.table_hash = *algorithm;
  }
  const char* hash_key = format_version >= 2 ? "hash" : "sha256";
  auto schema = sha256_field(fp, "schema_sha256", "fingerprint.");
  if (!schema) return Problem(schema.error());
  result.schema_sha256 = *schema;
  auto tables = field(fp, "tables", "fingerprint.", &Json::is_array, "an array");
  if (!tables) return Problem(tables.error());
  size_t index = 0;
  for (const Json& table : **tables) {
    std::string where = fmt::format("fingerprint.tables[{}]", index++);
    if (!table.is_object()) return Problem(fmt::format("field '{}' is not an object", where));
    where += '.';
    TableSummary summary;
    auto name = string_field(table, "name", where);
    if (!name) return Problem(name.error());
    if (name->empty()) return Problem(fmt::format("field '{}name' is empty", where));
    auto rows = count_field(table, "rows", where);
    if (!rows) return Problem(rows.error());
    auto hash = table_hash_field(table, hash_key, where);
    if (!hash) return Problem(hash.error());
    result.tables.push_back({std::move(*name), *rows, std::move(*hash)});
  }
  // The recorded combined hash guards against a table list edited or cut short.
  auto combined = sha256_field(fp, "combined_sha256", "fingerprint.");
  if (!combined) return Problem(combined.error());
  if (*combined != result.combined_sha256())
    return Problem("field 'fingerprint.combined_sha256' does not match the tables");
  return result;
}

Checked<Manifest> parse_fields(const Json& root) {
  if (!root.is_object()) return Problem("not a JSON object");
  Manifest m;
  auto version = field(root, "format_version", "", &Json::is_number_integer, "an integer");
  if (!version) return Problem(version.error());
  // Checked first: a newer format may have changed any other field.
  if (**version != 1 && **version != kManifestFormatVersion)
    return Problem(fmt::format("unknown format version {} (this migrate reads versions 1 to {})",
                               (*version)->dump(), kManifestFormatVersion));
  m.format_version = (*version)->get<int>();

  struct StringField {
    const char* key;
    std::string Manifest::*member;
    bool may_be_empty;
  };
  static constexpr StringField kStrings[] = {
      {"id", &Manifest::id, false},
      {"label", &Manifest::label, false},
      {"reason", &Manifest::reason, false},
      {"created_at", &Manifest::created_at, false},
      {"tool_version", &Manifest::tool_version, false},
      {"driver", &Manifest::driver, false},
      {"server_version", &Manifest::server_version, true},
      {"database", &Manifest::database, true},
      {"format", &Manifest::format, false},
      {"compression", &Manifest::compression, false},
      {"encryption", &Manifest::encryption, false},
      {"artifact", &Manifest::artifact, false},
      {"schema_version", &Manifest::schema_version, true},
  };
  for (const auto& f : kStrings) {
    auto value = string_field(root, f.key);
    if (!value) return Problem(value.error());
    if (value->empty() && !f.may_be_empty)
      return Problem(fmt::format("field '{}' is empty", f.key));
    m.*f.member = std::move(*value);
  }
  if (!is_valid_backup_id(m.id)) return Problem(fmt::format("'{}' is not a backup id", m.id));
  if (!parse_utc_timestamp(m.created_at))
    return Problem(fmt::format("field 'created_at' is not a UTC timestamp: '{}'", m.created_at));
  // The artifact is opened inside the store: it must be a plain file name
  // that belongs to this backup, never a path.
  if (m.artifact.find('/') != std::string::npos || m.artifact.find("..") != std::string::npos)
    return Problem(fmt::format("artifact '{}' is not a plain file name", m.artifact));
  if (m.artifact.rfind(m.id + ".", 0) != 0 || m.artifact.size() == m.id.size() + 1 ||
      m.artifact == m.id + ".json")
    return Problem(fmt::format("artifact '{}' is not named '{}.<extension>'", m.artifact, m.id));

  auto artifact_size = size_field(root, "artifact_size");
  if (!artifact_size) return Problem(artifact_size.error());
  m.artifact_size = *artifact_size;
  auto artifact_sha = sha256_field(root, "artifact_sha256");
  if (!artifact_sha) return Problem(artifact_sha.error());
  m.artifact_sha256 = std::move(*artifact_sha);
  auto database_size = size_field(root, "database_size");
  if (!database_size) return Problem(database_size.error());
  m.database_size = *database_size;
  auto migrations = count_field(root, "schema_migrations");
  if (!migrations) return Problem(migrations.error());
  m.schema_migrations = *migrations;
  auto duration = count_field(root, "duration_ms");
  if (!duration) return Problem(duration.error());
  m.duration_ms = *duration;
  auto fingerprint = parse_fingerprint(root, m.format_version);
  if (!fingerprint) return Problem(fingerprint.error());
  m.fingerprint = std::move(*fingerprint);
  return m;
}

}  // namespace

bool is_sha256_hex(std::string_view text) {
  return text.size() == 64 && is_lower_hex(text);
}

bool is_valid_backup_id(std::string_view id) {
  if (id.size() <= kTimestampPrefix || id.size() > kTimestampPrefix + kMaxIdTail) return false;
  if (!all_digits(id.substr(0, 8)) || id[8] != 'T' || !all_digits(id.substr(9, 6)) ||
      id[15] != 'Z' || id[16] != '_')
    return false;
  std::string_view tail = id.substr(kTimestampPrefix);
  for (char c : tail)
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '_' || c == '-')) return false;
  return tail.find("..") == std::string_view::npos;
}

std::optional<std::chrono::system_clock::time_point> parse_utc_timestamp(std::string_view text) {
  using namespace std::chrono;
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  if (text.size() < 20 || text.back() != 'Z') return std::nullopt;
  auto number = [&](size_t at, size_t length) -> std::optional<int> {
    std::string_view digits = text.substr(at, length);
    if (!all_digits(digits)) return std::nullopt;
    int value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    return value;
  };
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto y = number(0, 4), mo = number(5, 2), d = number(8, 2);
  auto h = number(11, 2), mi = number(14, 2), s = number(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: years 1678 to 2261 fit.
  if (*y < 1970 || *y > 2261) return std::nullopt;
  year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  std::string_view fraction = text.substr(19, text.size() - 20);
  nanoseconds sub{0};
  if (!fraction.empty()) {
    if (fraction[0] != '.' || fraction.size() > 10 || !all_digits(fraction.substr(1)))
      return std::nullopt;
    std::int64_t value = 0;
    for (char c : fraction.substr(1)) value = value * 10 + (c - '0');
    for (size_t i = fraction.size() - 1; i < 9; ++i) value *= 10;
    sub = nanoseconds{value};
  }
  auto point = sys_days{date} + hours{*h} + minutes{*mi} + seconds{*s} + sub;
  return time_point_cast<system_clock::duration>(point);
}

std::string manifest_to_json(const Manifest& m) {
  nlohmann::ordered_json tables = nlohmann::ordered_json::array();
  for (const auto& t : m.fingerprint.tables)
    tables.push_back({{"name", t.name}, {"rows", t.rows}, {"hash", t.hash}});
  nlohmann::ordered_json j;
  j["format_version"] = kManifestFormatVersion;  // always written in the current format
  j["id"] = m.id;
  j["label"] = m.label;
  j["reason"] = m.reason;
  j["created_at"] = m.created_at;
  j["duration_ms"] = m.duration_ms;
  j["tool_version"] = m.tool_version;
  j["driver"] = m.driver;
  j["server_version"] = m.server_version;
  j["database"] = m.database;
  j["format"] = m.format;
  j["compression"] = m.compression;
  j["encryption"] = m.encryption;
  j["artifact"] = m.artifact;
  j["artifact_size"] = m.artifact_size;
  j["artifact_sha256"] = m.artifact_sha256;
  j["database_size"] = m.database_size;
  j["schema_version"] = m.schema_version;
  j["schema_migrations"] = m.schema_migrations;
  j["fingerprint"] = {{"table_hash", m.fingerprint.table_hash},
                      {"schema_sha256", m.fingerprint.schema_sha256},
                      {"combined_sha256", m.fingerprint.combined_sha256()},
                      {"tables", std::move(tables)}};
  // Replace rather than throw on invalid UTF-8 (a database name, say): the
  // manifest must always be writable.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<Manifest> parse_manifest(std::string_view json_text, std::string_view file_name) {
  auto damaged = [&](std::string_view what, std::string hint = {}) {
    return fail(ErrorCode::kIo, fmt::format("damaged manifest '{}': {}", file_name, what),
                std::move(hint));
  };
  try {
    Json root = Json::parse(json_text);
    auto parsed = parse_fields(root);
    if (!parsed) {
      if (parsed.error().rfind("unknown format version", 0) == 0)
        return damaged(parsed.error(), "it was written by a newer migrate; use that version");
      return damaged(parsed.error());
    }
    return std::move(*parsed);
  } catch (const Json::parse_error& e) {
    return damaged(fmt::format("not valid JSON (at byte {})", e.byte));
  } catch (const Json::exception& e) {
    return damaged(fmt::format("unreadable JSON: {}", e.what()));
  }
}

}  // namespace migrate
