// How much migrate logs to stderr: a setting (migrate/config.h) that the
// logger (src/util/log.h) applies, so it lives below both.
#pragma once

namespace migrate {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

}  // namespace migrate
