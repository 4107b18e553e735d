// Configuration resolution: each setting of the table (settings.h) takes
// its value from the first source that has one.
#include "migrate/config.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

#include "core/settings.h"
#include "migrate/url.h"
#include "util/strings.h"

namespace migrate {
namespace {

namespace fs = std::filesystem;

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

}  // namespace

Result<Config> resolve_config(const ConfigSources& sources) {
  for (const auto& [key, value] : sources.flags) {  // a typo in the CLI code, not the user's
    if (!find_setting(key)) return fail(ErrorCode::kGeneral, "unknown setting '" + key + "'");
  }
  auto dotenv = load(sources.working_dir, ".env", parse_dotenv);
  if (!dotenv) return tl::unexpected(dotenv.error());
  auto toml = load(sources.working_dir, "migrate.toml", parse_config_toml);
  if (!toml) return tl::unexpected(toml.error());

  Config config;
  for (const Setting& setting : all_settings()) {
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

}  // namespace migrate
