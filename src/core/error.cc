#include "migrate/error.h"

namespace migrate {

int exit_code_for(ErrorCode code) {
  return code == ErrorCode::kUsage ? 2 : 1;
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
  }
  return "general";
}

}  // namespace migrate
