// UTC time, formatted the ways migrate needs it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace migrate {

// "2026-11-22T14:30:52.123Z"
std::string format_iso8601_utc(std::chrono::system_clock::time_point t);

// Milliseconds from `since` to now, for durations in reports and logs.
std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since);

// "20261122143052": a migration version.
std::string format_version_utc(std::chrono::system_clock::time_point t);

}  // namespace migrate

namespace migrate {
// Parses format_iso8601_utc()'s output (milliseconds optional); the epoch on
// anything else.
std::chrono::system_clock::time_point parse_iso8601_utc(const std::string& text);
}  // namespace migrate
