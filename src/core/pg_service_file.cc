// Reading a service of the user's libpq service files (pg_service_file.h).
#include "core/pg_service_file.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>
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

// The value of `keyword` in a service's lines; the first one wins.
std::optional<std::string> value_of(std::string_view lines, std::string_view keyword) {
  while (!lines.empty()) {
    size_t end = lines.find('\n');
    std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 1);
    size_t equals = line.find('=');
    if (equals != std::string_view::npos && trim(line.substr(0, equals)) == keyword)
      return std::string(trim(line.substr(equals + 1)));
  }
  return std::nullopt;
}

bool is_port(const std::string& text) {
  return !text.empty() && text.size() <= 5 &&
         text.find_first_not_of("0123456789") == std::string::npos && std::stoi(text) >= 1 &&
         std::stoi(text) <= 65535;
}

}  // namespace

std::optional<std::string> user_service_lines(const std::string& name) {
  for (const auto& file : service_files()) {
    if (auto lines = lines_in(file, name)) return lines;
  }
  return std::nullopt;
}

DatabaseUrl with_service_defaults(const DatabaseUrl& url) {
  auto service = url.params.find("service");
  if (url.kind != DatabaseKind::kPostgres || service == url.params.end()) return url;
  auto lines = user_service_lines(service->second);
  if (!lines) return url;
  DatabaseUrl filled = url;
  bool has_host = !url.host.empty() || url.params.count("host") || url.params.count("hostaddr");
  auto host = value_of(*lines, "host");
  if (!host) host = value_of(*lines, "hostaddr");
  if (host && !has_host) {
    if (host->starts_with('/'))
      filled.params["host"] = *host;  // a socket directory
    else if (host->find(',') == std::string::npos)
      filled.host = *host;  // one server (a list stays the service's to try)
  }
  if (auto port = value_of(*lines, "port"); port && url.port == 0 && is_port(*port))
    filled.port = std::stoi(*port);
  if (auto database = value_of(*lines, "dbname"); database && url.database.empty())
    filled.database = *database;
  return filled;
}

}  // namespace migrate::postgres
