// Configuration resolution.
//
// Every setting is one row of kSettings: its key (in ConfigSources::flags and
// in migrate.toml), flag, environment variable, default, meaning, parser and
// the sources it may come from. Adding a setting means adding a row;
// resolve_config() and the migrate.toml key check read the table and nothing
// else, and the rest of the program reads the resulting Config: no setting is
// looked up in the environment anywhere else. The TOML reader lives here rather
// than in its own file because it must know the table's keys.

#include "migrate/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/reserved_words.h"
#include "util/strings.h"

namespace migrate {
namespace {

namespace fs = std::filesystem;
constexpr auto npos = std::string_view::npos;

// Parses one value into `config`. The error holds only the reason
// ("expected ..."); resolve_config() adds the value and where it came from.
using Apply = Result<void> (*)(const std::string& value, Config& config);

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
      return reason("'" + std::string(part) + "' is a reserved SQL word; choose another name");
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

// Where a setting may be given besides the command line.
enum class Sources {
  kAll,             // environment, .env, migrate.toml
  kEnvAndDotenv,    // a secret or a per-run choice: never in migrate.toml
  kEnvironmentOnly  // a knob for tests and installations: not in .env either
};

struct Setting {
  const char* key;            // in ConfigSources::flags and, with Sources::kAll, in migrate.toml
  const char* flag;           // as named in messages; "" when there is none
  const char* env;            // also looked up in .env, unless kEnvironmentOnly
  const char* default_value;  // nullptr: none, the Config member keeps its initial state
  const char* meaning;        // what it sets, for readers of this table
  Apply apply;
  Apply apply_env = nullptr;  // for the environment and .env, if different
  bool quote_value = true;    // false: the parser's message shows the (masked) value
  Sources sources = Sources::kAll;
};

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
     set_path<&Config::backup_dir>},
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

const Setting* find_setting(std::string_view key) {
  for (const Setting& setting : kSettings) {
    if (key == setting.key) return &setting;
  }
  return nullptr;
}

bool in_toml(const Setting& setting) {
  return setting.sources == Sources::kAll;
}

// Splits on '\n', dropping a '\r' before it.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    text = newline == npos ? std::string_view() : text.substr(newline + 1);
  }
  return lines;
}

// The value after `key =`: a "basic" or 'literal' string, an integer or a
// boolean, optionally followed by a comment. The raw text is never quoted in
// an error: an unquoted URL would carry its password into the message.
Result<std::string> parse_toml_value(std::string_view rest, const std::string& key) {
  std::string value;
  size_t end = 0;
  if (rest.starts_with('"')) {
    for (size_t i = 1; i < rest.size() && end == 0; ++i) {
      if (rest[i] == '"') {
        end = i + 1;
      } else if (rest[i] != '\\') {
        value += rest[i];
      } else if (++i < rest.size()) {
        static const std::map<char, char> kEscapes = {
            {'"', '"'}, {'\\', '\\'}, {'n', '\n'}, {'t', '\t'}, {'r', '\r'}};
        auto it = kEscapes.find(rest[i]);
        if (it == kEscapes.end()) {
          return reason("unsupported escape sequence '\\" + std::string(1, rest[i]) + "'");
        }
        value += it->second;
      }
    }
    if (end == 0) return reason("unterminated string for '" + key + "'");
  } else if (rest.starts_with('\'')) {
    size_t close = rest.find('\'', 1);
    if (close == npos) return reason("unterminated string for '" + key + "'");
    value = std::string(rest.substr(1, close - 1));
    end = close + 1;
  } else {
    end = std::min(rest.find_first_of(" \t#"), rest.size());
    value = std::string(rest.substr(0, end));
    size_t digits = value.starts_with('-') || value.starts_with('+') ? 1 : 0;
    bool integer = value.size() > digits && value.find_first_not_of("0123456789", digits) == npos;
    if (!integer && value != "true" && value != "false") {
      return reason("invalid value for '" + key +
                    "': expected a quoted string, an integer, true or false");
    }
    if (value.starts_with('+')) value.erase(0, 1);
  }
  std::string_view after = trim_blanks(rest.substr(end));
  if (!after.empty() && after[0] != '#') {
    return reason("unexpected text after the value of '" + key + "'");
  }
  return value;
}

using ParseFile = Result<std::map<std::string, std::string>> (*)(std::string_view);

// A .env or migrate.toml in the working directory; empty when absent.
struct SourceFile {
  std::string name;  // as messages name it
  ParseFile parse;
  std::string text;
  std::map<std::string, std::string> values;

  // The line that set `key`. Found again only when a value is rejected: the
  // parsers return plain maps (the public contract), and re-parsing line by
  // line on that rare path is simpler than a second, line-aware parser API.
  int line_of(const std::string& key) const {
    int found = 0, number = 0;
    for (std::string_view line : split_lines(text)) {
      ++number;
      auto values = parse(line);
      if (values && values->count(key)) found = number;  // the last one wins
    }
    return found;
  }
};

Result<SourceFile> load(const fs::path& dir, const char* name, ParseFile parse) {
  SourceFile file{name, parse, {}, {}};
  fs::path path = dir / name;
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) return file;  // both files are optional
  if (ec) return fail(ErrorCode::kIo, "cannot read '" + path.string() + "': " + ec.message());
  if (status.type() == fs::file_type::directory) {
    return fail(ErrorCode::kIo, "cannot read '" + path.string() + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kIo,
                "cannot read '" + path.string() + "': " + std::generic_category().message(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIo, "cannot read '" + path.string() + "'");
  file.text = text.str();
  auto values = parse(file.text);
  if (!values) {
    Error error = values.error();
    if (error.hint.empty()) error.hint = "the file is '" + path.string() + "'";
    return tl::unexpected(error);
  }
  file.values = std::move(*values);
  return file;
}

enum class Origin { kFlag, kEnv, kDotenv, kToml, kDefault };

struct Choice {
  std::string value;
  Origin origin;
};

std::optional<Choice> default_of(const Setting& setting) {
  if (setting.default_value) return Choice{setting.default_value, Origin::kDefault};
  return std::nullopt;
}

// The first source that has a value, in the order README.md gives under "Configuration". An empty
// environment variable counts as unset: compose files often pass VAR=${VAR}.
std::optional<Choice> choose(const Setting& setting, const ConfigSources& sources,
                             const SourceFile& dotenv, const SourceFile& toml) {
  if (auto it = sources.flags.find(setting.key); it != sources.flags.end()) {
    return Choice{it->second, Origin::kFlag};
  }
  std::optional<std::string> env;
  if (sources.getenv) {
    env = sources.getenv(setting.env);
  } else if (const char* value = std::getenv(setting.env)) {
    env = value;
  }
  if (env && !env->empty()) return Choice{*env, Origin::kEnv};
  if (setting.sources == Sources::kEnvironmentOnly) return default_of(setting);
  if (auto it = dotenv.values.find(setting.env); it != dotenv.values.end() && !it->second.empty()) {
    return Choice{it->second, Origin::kDotenv};
  }
  if (!in_toml(setting)) return default_of(setting);
  if (auto it = toml.values.find(setting.key); it != toml.values.end()) {
    return Choice{it->second, Origin::kToml};
  }
  return default_of(setting);
}

std::string describe(const Setting& setting, Origin origin, const SourceFile& dotenv,
                     const SourceFile& toml) {
  switch (origin) {
    case Origin::kFlag:
      return setting.flag;
    case Origin::kEnv:
      return setting.env;
    case Origin::kDotenv:
      return std::string(setting.env) + " in " + dotenv.name + " line " +
             std::to_string(dotenv.line_of(setting.env));
    case Origin::kToml:
      return std::string(setting.key) + " in " + toml.name + " line " +
             std::to_string(toml.line_of(setting.key));
    case Origin::kDefault:
      break;
  }
  return "the default " + std::string(setting.key);
}

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

Result<std::map<std::string, std::string>> parse_config_toml(std::string_view text) {
  std::map<std::string, std::string> values;
  std::map<std::string, int> first_line;
  int number = 0;
  for (std::string_view line : split_lines(text)) {
    ++number;
    std::string where = "migrate.toml line " + std::to_string(number) + ": ";
    auto error = [&](const std::string& why, std::string hint = {}) {
      return fail(ErrorCode::kUsage, where + why, std::move(hint));
    };
    std::string_view rest = trim_blanks(line);
    if (rest.empty() || rest[0] == '#') continue;
    if (rest[0] == '[') {
      size_t close = rest.find(']');
      std::string_view section = close == npos ? rest : rest.substr(0, close + 1);
      return error("sections such as '" + mask_url_text(section) +
                   "' are not supported; put the keys at the top level");
    }
    size_t key_end =
        rest.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
    std::string key(rest.substr(0, key_end));
    rest = key_end == npos ? std::string_view() : trim_blanks(rest.substr(key_end));
    if (key.empty() || !rest.starts_with('=')) return error("expected key = value");
    rest = trim_blanks(rest.substr(1));

    if (const Setting* setting = find_setting(key); !setting || !in_toml(*setting)) {
      std::string keys;
      for (const Setting& setting : kSettings) {
        if (in_toml(setting)) keys += (keys.empty() ? "" : ", ") + std::string(setting.key);
      }
      return error("unknown key '" + key + "'", "known keys: " + keys);
    }
    if (auto [it, added] = first_line.emplace(key, number); !added) {
      return error("duplicate key '" + key + "' (first set on line " + std::to_string(it->second) +
                   ")");
    }
    auto value = parse_toml_value(rest, key);
    if (!value) return error(value.error().message);
    values[key] = std::move(*value);
  }
  return values;
}

Result<Config> resolve_config(const ConfigSources& sources) {
  for (const auto& [key, value] : sources.flags) {  // a typo in the CLI code, not the user's
    if (!find_setting(key)) return fail(ErrorCode::kGeneral, "unknown setting '" + key + "'");
  }
  auto dotenv = load(sources.working_dir, ".env", parse_dotenv);
  if (!dotenv) return tl::unexpected(dotenv.error());
  auto toml = load(sources.working_dir, "migrate.toml", parse_config_toml);
  if (!toml) return tl::unexpected(toml.error());

  Config config;
  for (const Setting& setting : kSettings) {
    std::optional<Choice> choice = choose(setting, sources, *dotenv, *toml);
    if (!choice) continue;
    bool from_env = choice->origin == Origin::kEnv || choice->origin == Origin::kDotenv;
    Apply apply = from_env && setting.apply_env ? setting.apply_env : setting.apply;
    if (auto applied = apply(choice->value, config); !applied) {
      Error error = applied.error();
      std::string source = describe(setting, choice->origin, *dotenv, *toml);
      error.message = setting.quote_value ? "invalid value '" + mask_url_text(choice->value) +
                                                "' for " + source + ": " + error.message
                                          : source + ": " + error.message;
      error.code = ErrorCode::kUsage;
      return tl::unexpected(error);
    }
  }
  return config;
}

bool is_valid_table_name(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == npos) return is_identifier(name);
  return is_identifier(name.substr(0, dot)) && is_identifier(name.substr(dot + 1));
}

}  // namespace migrate
