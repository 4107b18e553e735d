#include "migrate/error.h"

namespace migrate {

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
