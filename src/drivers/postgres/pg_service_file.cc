// Reading a service of the user's libpq service files (pg_service_file.h).
#include "drivers/postgres/pg_service_file.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "util/strings.h"

namespace migrate::postgres {

namespace {

std::optional<std::string> home_directory() {
  if (const char* home = std::getenv("HOME"); home && *home) return home;
  if (const passwd* entry = ::getpwuid(::getuid()); entry && entry->pw_dir) return entry->pw_dir;
  return std::nullopt;
}

// The files libpq looks in, in its order.
std::vector<std::filesystem::path> service_files() {
  std::vector<std::filesystem::path> files;
  if (const char* file = std::getenv("PGSERVICEFILE"); file && *file)
    files.emplace_back(file);
  else if (auto home = home_directory())
    files.push_back(std::filesystem::path(*home) / ".pg_service.conf");
  if (const char* dir = std::getenv("PGSYSCONFDIR"); dir && *dir)
    files.push_back(std::filesystem::path(dir) / "pg_service.conf");
  return files;
}

// Service `name`'s lines in `file`; nullopt when the file has no [name].
std::optional<std::string> lines_in(const std::filesystem::path& file, const std::string& name) {
  std::ifstream in(file);
  std::optional<std::string> found;
  for (std::string raw; std::getline(in, raw);) {
    std::string line(trim(raw));
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      if (found) break;  // the service ends where the next begins
      if (line == "[" + name + "]") found.emplace();
      continue;
    }
    if (found) *found += line + "\n";
  }
  return found;
}

}  // namespace

std::optional<std::string> user_service_lines(const std::string& name) {
  for (const auto& file : service_files()) {
    if (auto lines = lines_in(file, name)) return lines;
  }
  return std::nullopt;
}

}  // namespace migrate::postgres
