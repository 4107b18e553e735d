#include "util/clock.h"

#include <fmt/format.h>

#include <ctime>

namespace migrate {
namespace {

std::tm utc_parts(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return parts;
}

}  // namespace

std::string format_iso8601_utc(std::chrono::system_clock::time_point t) {
  std::tm p = utc_parts(t);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", p.tm_year + 1900, p.tm_mon + 1,
                     p.tm_mday, p.tm_hour, p.tm_min, p.tm_sec, ms);
}

std::string format_version_utc(std::chrono::system_clock::time_point t) {
  std::tm p = utc_parts(t);
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", p.tm_year + 1900, p.tm_mon + 1, p.tm_mday,
                     p.tm_hour, p.tm_min, p.tm_sec);
}

}  // namespace migrate
