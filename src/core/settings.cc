// The settings and the parsers of their values (settings.h).
#include "core/settings.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <system_error>

#include "core/reserved_words.h"

namespace migrate {
namespace {

namespace fs = std::filesystem;
constexpr auto npos = std::string_view::npos;

tl::unexpected<Error> reason(std::string why) {
  return fail(ErrorCode::kUsage, std::move(why));
}

Result<int> parse_seconds(const std::string& value) {
  int seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  bool digits_only = !value.empty() && value.find_first_not_of("0123456789") == npos;
  if (!digits_only || end != value.data() + value.size()) {
    return reason("expected a whole number of seconds");
  }
  if (ec == std::errc::result_out_of_range) return reason("too many seconds");
  return seconds;
}

Result<bool> parse_bool(std::string value) {
  for (char& c : value) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (value == "1" || value == "true" || value == "yes") return true;
  if (value == "0" || value == "false" || value == "no" || value.empty()) return false;
  return reason("expected 1, true, yes, 0, false or no");
}

Result<void> set_url(const std::string& value, Config& config) {
  auto url = parse_database_url(value);
  if (!url) return tl::unexpected(url.error());
  config.url = std::move(*url);
  return {};
}

template <fs::path Config::*member>
Result<void> set_path(const std::string& value, Config& config) {
  if (value.empty()) return reason("expected a directory path");
  config.*member = value;  // relative paths stay relative to the process's cwd
  return {};
}

// A store is a directory. A URL is refused rather than taken for a path:
// "s3://bucket/x" would otherwise become the local folder "./s3:/bucket/x",
// and backups meant for another machine would stay on this one.
Result<void> set_backup_dir(const std::string& value, Config& config) {
  size_t colon = value.find("://");
  bool is_url = colon != npos && colon > 0 && std::isalpha(static_cast<unsigned char>(value[0])) &&
                value.find_first_not_of(
                    "abcdefghijklmnopqrstuvwxyz"
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") >= colon;
  if (is_url) {
    return reason(fmt::format("a backup store is a local directory; '{}://' URLs are not supported",
                              value.substr(0, colon)));
  }
  return set_path<&Config::backup_dir>(value, config);
}

// PostgreSQL's own schemas: pg_temp* vanishes at disconnect (every `up`
// would apply everything again), and backups leave pg_catalog and
// information_schema out, so a restore would not roll the table back.
// Unquoted names fold to lowercase, as PostgreSQL reads them.
Result<void> check_schema(std::string_view schema, std::string_view table) {
  std::string lower;
  for (char c : schema) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!lower.starts_with("pg_") && lower != "information_schema") return {};
  return reason("schema '" + std::string(schema) +
                "' belongs to PostgreSQL itself (temporary, system or catalog schema); "
                "the tracking table needs a schema of your own, e.g. public." +
                std::string(table));
}

// kSettings lists the url before the table, so config.url is already the
// chosen database: only PostgreSQL has schemas a name may be qualified with
// (SQLite's "temp." or "main." name attached databases, MySQL's a database).
Result<void> set_table(const std::string& value, Config& config) {
  if (!is_valid_table_name(value)) {
    return reason(
        "expected letters, digits and underscores, not starting with a digit, at most 63 "
        "characters (on PostgreSQL optionally qualified by a schema name)");
  }
  size_t dot = value.find('.');
  if (dot != npos && config.url.kind != DatabaseKind::kPostgres) {
    return reason("a schema-qualified table name is only supported on PostgreSQL");
  }
  for (std::string_view part :
       {std::string_view(value).substr(0, dot),
        dot == npos ? std::string_view() : std::string_view(value).substr(dot + 1)}) {
    if (is_reserved_word(part)) {
      return reason(fmt::format("'{}' is a reserved SQL word; choose another name", part));
    }
  }
  if (dot != npos) {
    if (auto r = check_schema(value.substr(0, dot), value.substr(dot + 1)); !r) return r;
  }
  config.table = value;
  return {};
}

Result<void> set_lock_timeout(const std::string& value, Config& config) {
  auto seconds = parse_seconds(value);
  if (!seconds) return tl::unexpected(seconds.error());
  config.lock_timeout_seconds = *seconds;
  return {};
}

// A bare --wait arrives as an empty value and means a minute.
Result<void> set_wait(const std::string& value, Config& config) {
  auto seconds = value.empty() ? Result<int>(60) : parse_seconds(value);
  if (!seconds) return tl::unexpected(seconds.error());
  config.wait_seconds = *seconds;
  return {};
}

template <bool Config::*member>
Result<void> set_bool(const std::string& value, Config& config) {
  auto on = parse_bool(value);
  if (!on) return tl::unexpected(on.error());
  config.*member = *on;
  return {};
}

Result<void> set_log_level(const std::string& value, Config& config) {
  static const std::map<std::string, LogLevel> kLevels = {{"debug", LogLevel::kDebug},
                                                          {"info", LogLevel::kInfo},
                                                          {"warn", LogLevel::kWarn},
                                                          {"error", LogLevel::kError}};
  auto it = kLevels.find(value);
  if (it == kLevels.end()) return reason("expected debug, info, warn or error");
  config.log_level = it->second;
  return {};
}

// https://no-color.org: any non-empty NO_COLOR turns colour off, even "0".
Result<void> set_no_color_from_env(const std::string&, Config& config) {
  config.no_color = true;
  return {};
}

// The flag --key-file names a file holding the key; the variable holds the key itself.
Result<void> set_key_file(const std::string& value, Config& config) {
  config.backup_key_file = value;
  return {};
}

Result<void> set_backup_key(const std::string& value, Config& config) {
  config.backup_key = value;
  return {};
}

// Parsed by `prune`, the only command that uses it: a bad value fails only there.
Result<void> set_retention(const std::string& value, Config& config) {
  config.retention = value;
  return {};
}

// As GIT_PROGRESS_DELAY for git: seconds, fractions allowed; a value that
// does not parse keeps the default second rather than failing a backup.
Result<void> set_progress_delay(const std::string& value, Config& config) {
  char* end = nullptr;
  double seconds = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(seconds >= 0)) return {};
  config.progress_delay = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  return {};
}

Result<void> set_pg_bindir(const std::string& value, Config& config) {
  config.pg_bindir = value;
  return {};
}

const Setting kSettings[] = {
    // key, flag, environment variable, default, meaning, parser
    {"url", "--url", "DATABASE_URL", "sqlite:./app.db", "the database", set_url, nullptr, false},
    {"dir", "--dir", "MIGRATE_DIR", "./migrations", "the migrations directory",
     set_path<&Config::migrations_dir>},
    {"backup_dir", "--backup-dir", "MIGRATE_BACKUP_DIR", "./backups", "the backup store",
     set_backup_dir},
    {"table", "--table", "MIGRATE_TABLE", "schema_migrations", "the tracking table", set_table},
    {"seeds_dir", "--seeds-dir", "MIGRATE_SEEDS_DIR", "./seeds", "the seed files' directory",
     set_path<&Config::seeds_dir>},
    {"lock_timeout", "--lock-timeout", "MIGRATE_LOCK_TIMEOUT", "60",
     "seconds to wait for another runner's lock", set_lock_timeout},
    {"wait", "--wait", "MIGRATE_WAIT", nullptr,
     "seconds to wait for the database to accept connections", set_wait},
    {"yes", "--yes", "MIGRATE_YES", "false", "answer yes to confirmations", set_bool<&Config::yes>},
    {"log_level", "--verbose/--quiet", "MIGRATE_LOG_LEVEL", "info", "how much is logged",
     set_log_level},
    {"no_color", "--no-color", "NO_COLOR", "false", "no colour in logs",
     set_bool<&Config::no_color>, set_no_color_from_env},
    {"backup_key", "--key-file", "MIGRATE_BACKUP_KEY", nullptr,
     "the key that encrypts new backups and decrypts encrypted ones", set_key_file, set_backup_key,
     true, Sources::kEnvAndDotenv},
    {"retention", "--keep-*", "MIGRATE_RETENTION", nullptr,
     "prune's policy when no --keep-* flag is given", set_retention, nullptr, true,
     Sources::kEnvAndDotenv},
    {"progress_delay", "", "MIGRATE_PROGRESS_DELAY", "1",
     "seconds a backup or restore runs before its progress is drawn", set_progress_delay, nullptr,
     true, Sources::kEnvironmentOnly},
    {"pg_bindir", "", "MIGRATE_PG_BINDIR", nullptr,
     "the only directory pg_dump and psql are taken from", set_pg_bindir, nullptr, true,
     Sources::kEnvironmentOnly},
};

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 63 || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::span<const Setting> all_settings() {
  return kSettings;
}

const Setting* find_setting(std::string_view key) {
  for (const Setting& setting : kSettings) {
    if (key == setting.key) return &setting;
  }
  return nullptr;
}

bool in_toml(const Setting& setting) {
  return setting.sources == Sources::kAll;
}

bool is_valid_table_name(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == npos) return is_identifier(name);
  return is_identifier(name.substr(0, dot)) && is_identifier(name.substr(dot + 1));
}

}  // namespace migrate
