// What the MySQL CLI tests read from a run's -v log: the scratch database
// a restore or `verify --deep` created, so a test can check that exactly
// that one is gone (other tests create their own meanwhile).
#pragma once

#include <string>

namespace migrate::testing {

// The name in "created the scratch database '<name>'", or "" when absent.
inline std::string scratch_database_of(const std::string& log) {
  constexpr std::string_view kMarker = "created the scratch database '";
  size_t at = log.find(kMarker);
  if (at == std::string::npos) return "";
  at += kMarker.size();
  return log.substr(at, log.find('\'', at) - at);
}

}  // namespace migrate::testing
