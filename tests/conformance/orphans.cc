#include "conformance/orphans.h"

#include <signal.h>

#include <cerrno>
#include <sstream>

namespace migrate::testing {
namespace {

constexpr std::string_view kPrefix = "migrate_verify_";

// The pid in migrate_verify_<pid>_<random>, or 0 when `name` is not one.
pid_t owner_of(const std::string& name) {
  if (!name.starts_with(kPrefix)) return 0;
  size_t end = name.find('_', kPrefix.size());
  if (end == std::string::npos || end == kPrefix.size()) return 0;
  std::string digits = name.substr(kPrefix.size(), end - kPrefix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return static_cast<pid_t>(std::stol(digits));
}

}  // namespace

std::vector<std::string> orphaned_verify_databases(const std::string& names) {
  std::vector<std::string> orphans;
  std::istringstream lines(names);
  for (std::string name; std::getline(lines, name);) {
    pid_t owner = owner_of(name);
    if (owner > 0 && ::kill(owner, 0) != 0 && errno == ESRCH) orphans.push_back(name);
  }
  return orphans;
}

}  // namespace migrate::testing
