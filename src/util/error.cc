#include "migrate/error.h"

#include <fmt/format.h>

namespace migrate {
namespace {

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t utf8_length(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  unsigned char lead = byte(0);
  size_t length = lead < 0x80                    ? 1
                  : lead >= 0xC2 && lead <= 0xDF ? 2
                  : lead >= 0xE0 && lead <= 0xEF ? 3
                  : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                 : 0;
  for (size_t i = 1; i < length; ++i)
    if (!continuation(i)) return 0;
  if (length == 3 && ((lead == 0xE0 && byte(1) < 0xA0) || (lead == 0xED && byte(1) > 0x9F)))
    return 0;  // overlong, or a UTF-16 surrogate
  if (length == 4 && ((lead == 0xF0 && byte(1) < 0x90) || (lead == 0xF4 && byte(1) > 0x8F)))
    return 0;  // overlong, or above U+10FFFF
  return length;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    auto c = static_cast<unsigned char>(text[0]);
    size_t length = utf8_length(text);
    if (length == 0 || c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
      length = 1;
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
      return 2;
    case ErrorCode::kRestored:
      return 4;
    default:
      return 1;
  }
}

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kGeneral:
      return "general";
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kInvalidMigrations:
      return "invalid_migrations";
    case ErrorCode::kRefused:
      return "refused";
    case ErrorCode::kSql:
      return "sql";
    case ErrorCode::kConnection:
      return "connection";
    case ErrorCode::kLock:
      return "lock";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kRestored:
      return "restored";
  }
  return "general";
}

}  // namespace migrate
