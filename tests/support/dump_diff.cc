#include "support/dump_diff.h"

#include <map>
#include <sstream>
#include <vector>

namespace migrate::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The lines of `from` beyond those of `other` (counted, so repeats matter),
// each as "<mark><line number>: <line>".
std::string surplus(const std::vector<std::string>& from, const std::vector<std::string>& other,
                    const char* mark) {
  std::map<std::string, int> available;
  for (const auto& line : other) ++available[line];
  std::string out;
  for (size_t i = 0; i < from.size(); ++i) {
    if (available[from[i]]-- > 0) continue;
    out += mark + std::to_string(i + 1) + ": " + from[i] + "\n";
  }
  return out;
}

}  // namespace

std::string dump_difference(const std::string& expected, const std::string& actual) {
  if (expected == actual) return "";
  auto want = lines_of(expected), got = lines_of(actual);
  std::string difference = surplus(want, got, "- ") + surplus(got, want, "+ ");
  return difference.empty() ? "the same lines in another order (or line endings differ)\n"
                            : difference;
}

}  // namespace migrate::testing
