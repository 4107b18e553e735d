// Errors as values.
//
// Every fallible function in the library returns Result<T>: either the value
// or an Error whose code decides the process exit code and whose message
// names the file, line, statement or flag at fault. Only src/cli turns an
// Error into an exit code; nothing below it throws across a module boundary.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace migrate {

enum class ErrorCode {
  kGeneral,            // anything else; exit 1
  kUsage,              // bad flag, bad argument, bad configuration value; exit 2
  kInvalidMigrations,  // the migrations directory breaks the naming rules; exit 1
  kRefused,            // a safety rule refused the operation before it began; exit 1
  kSql,                // the database rejected a statement; exit 1
  kConnection,         // the database could not be reached; exit 1
  kLock,               // another runner holds the lock; exit 1
  kIo,                 // a file could not be read or written; exit 1
  kUnsupported,        // the driver cannot do this (yet); exit 1
  kRestored,           // `safe` failed and restored the pre-migration backup; exit 4
};

// Exit code of the process for an error of this code (README.md, "Exit codes").
int exit_code_for(ErrorCode code);

// Stable machine-readable name, used in `--json` output.
const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kGeneral;
  std::string message;  // lowercase sentence, quotes names, no trailing dot
  std::string hint;     // optional: what the user can do about it
};

template <typename T>
using Result = tl::expected<T, Error>;

// Shorthand for `return fail(ErrorCode::kIo, "...")` in functions returning Result<T>.
inline tl::unexpected<Error> fail(ErrorCode code, std::string message, std::string hint = {}) {
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(hint)});
}

// User-supplied text (a flag value, a file or migration name) as it may be
// quoted in a message: control characters, DEL and bytes that are not UTF-8
// become \xNN escapes, so that a value cannot forge lines or terminal
// escape sequences in a log.
std::string printable(std::string_view text);

}  // namespace migrate
