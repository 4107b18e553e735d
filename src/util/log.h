// Logging to stderr: the one home of spdlog. stdout is kept for results
// (and for the single JSON document with --json).
#pragma once

#include <string_view>

#include "migrate/log_level.h"

namespace migrate::log {

enum class Color { kAuto, kNever };

void init(LogLevel level, Color color);

void debug(std::string_view message);
void info(std::string_view message);
void warn(std::string_view message);
void error(std::string_view message);

}  // namespace migrate::log
