#include "drivers/postgres/postgres_errors.h"

#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <string_view>

#include "util/strings.h"

namespace migrate::postgres {
namespace {

// Lines before the 1-based character `position` of UTF-8 `text`.
int newlines_before(std::string_view text, long position) {
  int lines = 0;
  long characters = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;  // continuation byte
    if (++characters >= position) break;
    if (c == '\n') ++lines;
  }
  return lines;
}

// The file line of an error inside a DO block's body: PL/pgSQL numbers the
// body's lines from the line of its opening quote ("inline_code_block line 3").
std::optional<int> do_block_line(const Statement& statement, const std::string& context) {
  static constexpr std::string_view kMarker = "inline_code_block line ";
  size_t at = context.find(kMarker);
  if (at == std::string::npos) return std::nullopt;
  int body_line = std::atoi(context.c_str() + at + kMarker.size());
  size_t quote = statement.text.find_first_of("$'");
  if (body_line <= 0 || quote == std::string::npos) return std::nullopt;
  int lines = 0;
  for (size_t i = 0; i < quote; ++i) lines += statement.text[i] == '\n';
  return statement.line + lines + body_line - 1;
}

}  // namespace

std::string error_field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value ? std::string(trim_end(value)) : std::string();
}

// The server's message, the file line it points at, SQLSTATE, detail and hint.
std::string describe_error(const PGresult* result, const Statement& statement) {
  std::string primary = error_field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty()) primary = std::string(trim_end(PQresultErrorMessage(result)));
  std::string context = error_field(result, PG_DIAG_CONTEXT);
  std::optional<int> line;
  if (std::string position = error_field(result, PG_DIAG_STATEMENT_POSITION); !position.empty()) {
    line = statement.line + newlines_before(statement.text, std::atol(position.c_str()));
  } else {
    line = do_block_line(statement, context);
  }
  std::string where;
  if (line && statement.line > 0) where = fmt::format("at line {}, ", *line);
  std::string message =
      fmt::format("{} ({}SQLSTATE {})", primary, where, error_field(result, PG_DIAG_SQLSTATE));
  if (auto detail = error_field(result, PG_DIAG_MESSAGE_DETAIL); !detail.empty())
    message += "\n  DETAIL: " + detail;
  if (auto hint = error_field(result, PG_DIAG_MESSAGE_HINT); !hint.empty())
    message += "\n  HINT: " + hint;
  if (!context.empty()) message += "\n  CONTEXT: " + context.substr(0, context.find('\n'));
  return message;
}

std::optional<tl::unexpected<Error>> lock_wait_failure(const PGresult* result) {
  if (!result || error_field(result, PG_DIAG_SQLSTATE) != "55P03") return std::nullopt;
  return fail(ErrorCode::kLock,
              "the restore gave up waiting for a lock that another session holds on the "
              "database's objects (--lock-timeout)",
              "end the other session's transaction, or raise --lock-timeout");
}

}  // namespace migrate::postgres
