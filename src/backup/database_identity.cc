#include "backup/database_identity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/pg_service_file.h"

namespace migrate {
namespace {

namespace fs = std::filesystem;

std::string absolute_path(const std::string& path) {
  if (path == ":memory:") return path;
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) canonical = fs::absolute(path, ec).lexically_normal();
  return canonical.string();
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The server a URL reaches: its host and port (the driver's default filled
// in), or the unix socket given as a parameter.
std::string server_of(const DatabaseUrl& url, int default_port) {
  if (url.host.empty()) {
    for (const char* key : {"host", "socket"})
      if (auto it = url.params.find(key); it != url.params.end()) return "unix:" + it->second;
  }
  std::string host = url.host.empty() ? "localhost" : lowercase(url.host);
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("{}:{}", host, url.port != 0 ? url.port : default_port);
}

}  // namespace

std::string manifest_database_url(const DatabaseUrl& url) {
  if (url.kind == DatabaseKind::kPostgres) return postgres::with_service_defaults(url).masked();
  if (url.kind != DatabaseKind::kSqlite) return url.masked();
  DatabaseUrl absolute = url;
  absolute.path = absolute_path(url.path);
  return absolute.masked();
}

std::string database_identity(std::string_view recorded_url) {
  auto url = parse_database_url(recorded_url);
  if (!url) return std::string(recorded_url);
  switch (url->kind) {
    case DatabaseKind::kSqlite:
      return "sqlite:" + absolute_path(url->path);
    case DatabaseKind::kPostgres:
      return fmt::format("postgres://{}/{}", server_of(*url, 5432), url->database);
    case DatabaseKind::kMysql:
      return fmt::format("mysql://{}/{}", server_of(*url, 3306), url->database);
  }
  return std::string(recorded_url);
}

}  // namespace migrate
