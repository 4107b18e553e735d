// The configuration parsers (src/core/config.cc, dotenv.cc) on arbitrary
// text: .env files, migrate.toml files, table names, and whole resolutions
// from flags and environment variables.
//
// Properties: a parsed file's keys are non-empty and have no surrounding
// blanks; a failure is a kUsage error naming the file and line; a resolved
// configuration holds a valid table name and a non-negative lock timeout.
#include <fuzzer/FuzzedDataProvider.h>

#include <map>
#include <optional>
#include <string>

#include "fuzz_check.h"
#include "migrate/config.h"

namespace migrate::fuzz {
namespace {

using ParseFile = Result<std::map<std::string, std::string>> (*)(std::string_view);

void check_file(ParseFile parse, std::string_view text, std::string_view file) {
  auto values = parse(text);
  if (!values) {
    FUZZ_CHECK(values.error().code == ErrorCode::kUsage);
    FUZZ_CHECK(values.error().message.starts_with(std::string(file) + " line "));
    return;
  }
  for (const auto& [key, value] : *values) {
    FUZZ_CHECK(!key.empty());
    FUZZ_CHECK(key.find_first_of(" \t\r\n") == std::string::npos);
  }
}

// Every setting from flags, the environment, or neither; no files (the
// working directory does not exist).
void check_resolve(FuzzedDataProvider& input) {
  static constexpr const char* kKeys[] = {"url",  "dir", "backup_dir", "table",        "seeds_dir",
                                          "wait", "yes", "log_level",  "lock_timeout", "no_color"};
  static constexpr const char* kVariables[] = {
      "DATABASE_URL",         "MIGRATE_DIR",  "MIGRATE_BACKUP_DIR", "MIGRATE_TABLE",
      "MIGRATE_SEEDS_DIR",    "MIGRATE_WAIT", "MIGRATE_YES",        "MIGRATE_LOG_LEVEL",
      "MIGRATE_LOCK_TIMEOUT", "NO_COLOR"};
  ConfigSources sources;
  std::map<std::string, std::string> environment;
  while (input.remaining_bytes() > 0) {
    bool flag = input.ConsumeBool();
    size_t which = input.ConsumeIntegralInRange<size_t>(0, std::size(kKeys) - 1);
    std::string value = input.ConsumeRandomLengthString(64);
    if (flag) {
      sources.flags[kKeys[which]] = value;
    } else {
      environment[kVariables[which]] = value;
    }
  }
  sources.getenv = [&](const std::string& name) -> std::optional<std::string> {
    auto it = environment.find(name);
    if (it == environment.end()) return std::nullopt;
    return it->second;
  };
  sources.working_dir = "/nonexistent/migrate-fuzz";
  auto config = resolve_config(sources);
  if (!config) {
    FUZZ_CHECK(config.error().code == ErrorCode::kUsage || config.error().code == ErrorCode::kIo);
    return;
  }
  FUZZ_CHECK(is_valid_table_name(config->table));
  FUZZ_CHECK(config->lock_timeout_seconds >= 0);
  FUZZ_CHECK(!config->wait_seconds || *config->wait_seconds >= 0);
}

}  // namespace
}  // namespace migrate::fuzz

// The first byte picks the parser: 'e' .env, 't' migrate.toml, 'n' a table
// name, anything else a resolution.
extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  using namespace migrate;
  if (size == 0) return 0;
  std::string_view text = fuzz::as_text(data + 1, size - 1);
  switch (data[0]) {
    case 'e':
      fuzz::check_file(parse_dotenv, text, ".env");
      break;
    case 't':
      fuzz::check_file(parse_config_toml, text, "migrate.toml");
      break;
    case 'n':
      if (is_valid_table_name(text)) FUZZ_CHECK(text.size() <= 2 * 63 + 1);
      break;
    default: {
      FuzzedDataProvider input(data + 1, size - 1);
      fuzz::check_resolve(input);
    }
  }
  return 0;
}
