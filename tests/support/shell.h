// Output of a shell command (for independent checks such as sha256sum).
#pragma once

#include <cstdio>
#include <string>

namespace migrate::testing {

inline std::string shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

// `command`'s output without its final newlines (a query's value, say).
inline std::string shell_value(const std::string& command) {
  std::string out = shell(command);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// `text` as one single-quoted shell word.
inline std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace migrate::testing
