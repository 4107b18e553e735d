// The .env file (README.md, "Configuration"): KEY=VALUE lines, as written for docker compose,
// foreman and the dotenv libraries, so that a project's existing .env works
// unchanged. Values often hold a DATABASE_URL, so no error quotes a value.

#include <map>
#include <string>
#include <string_view>

#include "migrate/config.h"
#include "util/strings.h"

namespace migrate {
namespace {

constexpr auto npos = std::string_view::npos;

bool is_variable_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// The value after '=': quoted or bare. A bare value ends at a '#' that
// follows whitespace, so that `DATABASE_URL=postgres://u:p#ss@db/app` keeps
// its '#' while `KEY=value  # comment` drops the comment.
Result<std::string> parse_value(std::string_view raw, const std::string& where) {
  auto error = [&](const char* reason) { return fail(ErrorCode::kUsage, where + reason); };
  std::string_view text = trim_blanks(raw);
  if (text.empty() || (text[0] != '"' && text[0] != '\'')) {
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '#' && (i == 0 || raw[i - 1] == ' ' || raw[i - 1] == '\t')) {
        raw = raw.substr(0, i);
        break;
      }
    }
    return std::string(trim_blanks(raw));
  }
  std::string value;
  size_t close = npos;
  if (text[0] == '\'') {  // literal, as in a shell
    close = text.find('\'', 1);
    if (close == npos) return error("unterminated single-quoted value");
    value = std::string(text.substr(1, close - 1));
  } else {
    for (size_t i = 1; i < text.size() && close == npos; ++i) {
      char c = text[i];
      if (c == '"') {
        close = i;
      } else if (c == '\\' && i + 1 < text.size()) {
        char next = text[++i];
        if (next == 'n') {
          value += '\n';
        } else if (next == '"' || next == '\\') {
          value += next;
        } else {  // unknown escapes stay as written, like the dotenv libraries
          value += '\\';
          value += next;
        }
      } else {
        value += c;
      }
    }
    if (close == npos) return error("unterminated double-quoted value");
  }
  std::string_view after = trim_blanks(text.substr(close + 1));
  if (!after.empty() && after[0] != '#') return error("unexpected text after the closing quote");
  return value;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text) {
  std::map<std::string, std::string> values;
  int number = 0;
  for (std::string_view line : split_lines(text)) {
    ++number;

    std::string where = ".env line " + std::to_string(number) + ": ";
    std::string_view rest = trim_blanks(line);
    if (rest.empty() || rest[0] == '#') continue;
    if (rest.starts_with("export ") || rest.starts_with("export\t"))
      rest = trim_blanks(rest.substr(7));
    size_t eq = rest.find('=');
    std::string_view name = trim_blanks(rest.substr(0, eq));
    if (eq == npos || name.empty()) return fail(ErrorCode::kUsage, where + "expected KEY=VALUE");
    if (!is_variable_name(name)) {  // not quoted: it may be a pasted URL with its password
      return fail(ErrorCode::kUsage,
                  where + "invalid variable name (expected letters, digits and underscores)");
    }
    auto value = parse_value(rest.substr(eq + 1), where);
    if (!value) return tl::unexpected(value.error());
    values[std::string(name)] = std::move(*value);  // the last one wins, as in a shell
  }
  return values;
}

}  // namespace migrate
