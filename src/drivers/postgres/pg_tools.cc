// Reaching the server and its tools: libpq targets and connections, and
// finding a pg_dump that suits the server.
#include "drivers/postgres/pg_tools.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "core/pg_service_file.h"
#include "drivers/postgres/pg_connection.h"

namespace migrate::postgres {

std::string Target::conninfo() const {
  std::string text;
  for (const auto& [keyword, value] : options) {
    std::string quoted;
    for (char c : value) {
      if (c == '\'' || c == '\\') quoted += '\\';
      quoted += c;
    }
    text += fmt::format("{}{}='{}'", text.empty() ? "" : " ", keyword, quoted);
  }
  return text;
}

void Target::add_options(std::string_view server_options) {
  for (auto& [keyword, value] : options) {
    if (keyword != "options") continue;
    value = fmt::format("{} {}", value, server_options);
    return;
  }
  options.emplace_back("options", std::string(server_options));
}

constexpr const char* kSecretService = "migrate_secrets";

namespace {

// A service file value is the rest of its line, trimmed: a password with a
// line break or white space at either end cannot go there and falls back to
// PGPASSWORD (still never argv).
bool fits_service_file(const std::string& secret) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  return secret.find_first_of("\r\n") == std::string::npos &&
         (secret.empty() || (!space(secret.front()) && !space(secret.back())));
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Target::environment() const {
  std::vector<std::pair<std::string, std::string>> variables;
  if (!password.empty() && !fits_service_file(password))
    variables.emplace_back("PGPASSWORD", password);
  if (!private_file().empty()) {
    variables.emplace_back("PGSERVICEFILE", kPrivateFile);
    variables.emplace_back("PGSERVICE", service.empty() ? kSecretService : service);
  }
  return variables;
}

std::string Target::private_file() const {
  bool with_password = !password.empty() && fits_service_file(password);
  if (ssl_password.empty() && !with_password) return {};
  // libpq takes a keyword's first value in the file: the secrets come first.
  std::string file = fmt::format("[{}]\n", service.empty() ? kSecretService : service);
  if (with_password) file += fmt::format("password={}\n", password);
  if (!ssl_password.empty()) file += fmt::format("sslpassword={}\n", ssl_password);
  return file + service_lines;
}

Result<Target> make_target(const ConnectionParams& params, const std::string* database) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(params.conninfo.c_str(), &error);
  if (!parsed) {
    std::string message(trim(error ? error : "out of memory"));
    PQfreemem(error);
    return fail(ErrorCode::kUsage, fmt::format("invalid connection string: {}", message));
  }
  Target target;
  target.password = params.password;
  bool has_database = false;
  for (PQconninfoOption* option = parsed; option->keyword; ++option) {
    if (!option->val) continue;
    std::string_view keyword = option->keyword;
    if (keyword == "password") {
      if (target.password.empty()) target.password = option->val;
      continue;
    }
    if (keyword == "sslpassword") {
      target.ssl_password = option->val;
      if (target.ssl_password.find('\n') == std::string::npos) continue;
      PQconninfoFree(parsed);  // a service file holds it one line long
      return fail(ErrorCode::kUsage, "sslpassword may not contain a line break");
    }
    if (keyword == "service") target.service = option->val;
    if (keyword == "dbname") {
      has_database = true;
      if (database) continue;
    }
    target.options.emplace_back(keyword, option->val);
  }
  PQconninfoFree(parsed);
  if (const char* service = std::getenv("PGSERVICE"); target.service.empty() && service)
    target.service = service;
  if (!target.service.empty())
    target.service_lines = user_service_lines(target.service).value_or("");
  if (database) {
    target.options.emplace_back("dbname", *database);
  } else if (!has_database && !params.database.empty()) {
    target.options.emplace_back("dbname", params.database);
  }
  return target;
}

void ConnectionDeleter::operator()(pg_conn* conn) const {
  PQfinish(conn);
}

Result<Connection> connect(const Target& target) {
  std::vector<const char*> keywords, values;
  for (const auto& [keyword, value] : target.options) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  if (!target.password.empty()) {
    keywords.push_back("password");
    values.push_back(target.password.c_str());
  }
  if (!target.ssl_password.empty()) {
    keywords.push_back("sslpassword");
    values.push_back(target.ssl_password.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  Connection conn(PQconnectdbParams(keywords.data(), values.data(), 0));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return fail(ErrorCode::kConnection,
                fmt::format("cannot connect: {}", trim(PQerrorMessage(conn.get()))));
  }
  if (auto pinned = exec(conn.get(), kCatalogOnly, "set up the connection"); !pinned)
    return tl::unexpected(pinned.error());
  return conn;
}

int major_version(int version) {
  return version >= 100000 ? version / 10000 : version / 100;
}

std::string major_version_text(int version) {
  if (version >= 100000) return std::to_string(version / 10000);
  return fmt::format("{}.{}", version / 10000, version / 100 % 100);
}

std::string version_text(int version) {
  if (version >= 100000) return fmt::format("{}.{}", version / 10000, version % 10000);
  return fmt::format("{}.{}.{}", version / 10000, version / 100 % 100, version % 100);
}

std::optional<int> parse_tool_version(std::string_view line) {
  // The version is the first word that starts with a digit: "15.4",
  // "9.6.24", "17beta2".
  size_t pos = 0;
  while (pos < line.size()) {
    bool word_start = pos == 0 || line[pos - 1] == ' ';
    if (word_start && std::isdigit(static_cast<unsigned char>(line[pos]))) break;
    ++pos;
  }
  if (pos == line.size()) return std::nullopt;
  int parts[3] = {0, 0, 0};
  for (int i = 0; i < 3 && pos < line.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[pos]))) break;
    while (pos < line.size() && std::isdigit(static_cast<unsigned char>(line[pos])))
      parts[i] = parts[i] * 10 + (line[pos++] - '0');
    if (pos >= line.size() || line[pos] != '.') break;
    ++pos;
  }
  if (parts[0] >= 10) return parts[0] * 10000 + parts[1];
  return parts[0] * 10000 + parts[1] * 100 + parts[2];
}

Result<Tool> probe_tool(const std::filesystem::path& path) {
  auto line = first_output_line(path, {"--version"});
  if (!line) return tl::unexpected(line.error());
  auto version = parse_tool_version(*line);
  if (!version) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("cannot tell the version of '{}' from '{}'", path.string(), *line));
  }
  return Tool{path, *version, *line};
}

namespace {

// The tool at `path` only, as MIGRATE_PG_BINDIR asks: refused when missing
// or older than the server, never replaced by another one.
Result<Tool> tool_in(const std::filesystem::path& path, int server_version,
                     const std::string& package) {
  std::string name = path.filename().string();
  if (::access(path.c_str(), X_OK) != 0) {
    return fail(
        ErrorCode::kUnsupported,
        fmt::format("{} not found in {}='{}'", name, kToolDirVariable, path.parent_path().string()),
        fmt::format("install {} there, or unset {}", package, kToolDirVariable));
  }
  auto tool = probe_tool(path);
  if (!tool) return tool;
  if (tool->version < server_version &&
      major_version(tool->version) != major_version(server_version)) {
    return fail(ErrorCode::kRefused,
                fmt::format("{} {} is older than the server {}; install {}", name,
                            version_text(tool->version), version_text(server_version), package),
                fmt::format("'{}' ({}) would dump the database incompletely", path.string(),
                            kToolDirVariable));
  }
  return tool;
}

}  // namespace

Result<Tool> find_tool(std::string_view name, int server_version,
                       const std::filesystem::path& only_dir) {
  const std::string major = major_version_text(server_version);
  const std::string package = fmt::format("postgresql-client-{}", major);
  if (!only_dir.empty()) return tool_in(only_dir / name, server_version, package);
  std::vector<std::filesystem::path> own, others;
  for (const char* pattern :
       {"/usr/lib/postgresql/{}/bin", "/usr/pgsql-{}/bin", "/opt/homebrew/opt/postgresql@{}/bin",
        "/usr/local/opt/postgresql@{}/bin"})
    own.push_back(std::filesystem::path(fmt::format(fmt::runtime(pattern), major)) / name);
  if (const char* path = std::getenv("PATH")) {
    std::string_view dirs(path);
    while (!dirs.empty()) {
      auto dir = dirs.substr(0, dirs.find(':'));
      if (!dir.empty()) own.push_back(std::filesystem::path(dir) / name);
      dirs.remove_prefix(std::min(dirs.size(), dir.size() + 1));
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
    others.push_back(entry.path() / "bin" / name);

  std::vector<Tool> found;
  auto probe_all = [&](const std::vector<std::filesystem::path>& candidates) -> const Tool* {
    for (const auto& candidate : candidates) {
      if (::access(candidate.c_str(), X_OK) != 0) continue;
      if (std::any_of(found.begin(), found.end(),
                      [&](const Tool& t) { return t.path == candidate; }))
        continue;
      auto tool = probe_tool(candidate);
      if (!tool) continue;
      found.push_back(*tool);
      if (major_version(tool->version) == major_version(server_version)) return &found.back();
    }
    return nullptr;
  };
  if (const Tool* exact = probe_all(own)) return *exact;
  if (const Tool* exact = probe_all(others)) return *exact;

  const Tool* newer = nullptr;
  const Tool* newest = nullptr;
  for (const auto& tool : found) {
    if (tool.version > server_version && (!newer || tool.version < newer->version)) newer = &tool;
    if (!newest || tool.version > newest->version) newest = &tool;
  }
  if (newer) return *newer;
  if (newest) {
    return fail(ErrorCode::kRefused,
                fmt::format("{} {} is older than the server {}; install {}", name,
                            version_text(newest->version), version_text(server_version), package),
                fmt::format("found '{}'; a dump tool older than the server may miss objects",
                            newest->path.string()));
  }
  return fail(ErrorCode::kUnsupported, fmt::format("{} not found; install {}", name, package),
              fmt::format("looked in {} and on PATH", own.front().parent_path().string()));
}

}  // namespace migrate::postgres
