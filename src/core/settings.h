// The table of settings: each is one row with its key (in
// ConfigSources::flags and in migrate.toml), flag, environment variable,
// default, meaning, parser and the sources it may come from.
//
// Adding a setting means adding a row. resolve_config() (config.cc) and the
// migrate.toml key check (config_toml.cc) read the table and nothing else,
// and the rest of the program reads the resulting Config: no setting is
// looked up in the environment anywhere else.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "migrate/config.h"
#include "migrate/error.h"

namespace migrate {

// Parses one value into `config`. The error holds only the reason
// ("expected ..."); resolve_config() adds the value and where it came from.
using Apply = Result<void> (*)(const std::string& value, Config& config);

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

// Every setting, the url before the table (whose check depends on the kind
// of database).
std::span<const Setting> all_settings();

// The setting with `key`; nullptr when there is none.
const Setting* find_setting(std::string_view key);

// Whether migrate.toml may set it.
bool in_toml(const Setting& setting);

}  // namespace migrate
