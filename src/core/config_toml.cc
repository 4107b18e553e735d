// migrate.toml's subset of TOML (parse_config_toml() in config.h).
#include <algorithm>
#include <map>
#include <string>
#include <string_view>

#include "core/settings.h"
#include "migrate/config.h"
#include "migrate/url.h"
#include "util/strings.h"

namespace migrate {
namespace {

constexpr auto npos = std::string_view::npos;

tl::unexpected<Error> usage_error(std::string why) {
  return fail(ErrorCode::kUsage, std::move(why));
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
          return usage_error("unsupported escape sequence '\\" + std::string(1, rest[i]) + "'");
        }
        value += it->second;
      }
    }
    if (end == 0) return usage_error("unterminated string for '" + key + "'");
  } else if (rest.starts_with('\'')) {
    size_t close = rest.find('\'', 1);
    if (close == npos) return usage_error("unterminated string for '" + key + "'");
    value = std::string(rest.substr(1, close - 1));
    end = close + 1;
  } else {
    end = std::min(rest.find_first_of(" \t#"), rest.size());
    value = std::string(rest.substr(0, end));
    size_t digits = value.starts_with('-') || value.starts_with('+') ? 1 : 0;
    bool integer = value.size() > digits && value.find_first_not_of("0123456789", digits) == npos;
    if (!integer && value != "true" && value != "false") {
      return usage_error("invalid value for '" + key +
                         "': expected a quoted string, an integer, true or false");
    }
    if (value.starts_with('+')) value.erase(0, 1);
  }
  std::string_view after = trim_blanks(rest.substr(end));
  if (!after.empty() && after[0] != '#') {
    return usage_error("unexpected text after the value of '" + key + "'");
  }
  return value;
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
      for (const Setting& setting : all_settings()) {
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

}  // namespace migrate
