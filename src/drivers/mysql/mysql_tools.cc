#include "drivers/mysql/mysql_tools.h"

#include <fmt/format.h>
#include <mysql.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "drivers/child_process.h"

namespace migrate::mysql {
namespace {

std::optional<std::filesystem::path> on_path(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    auto dir = dirs.substr(0, dirs.find(':'));
    if (!dir.empty()) {
      auto candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    dirs.remove_prefix(std::min(dirs.size(), dir.size() + 1));
  }
  return std::nullopt;
}

// An option file giving the password to one child, read from a private
// in-memory file (Child::spawn): never on a disk, so no kill of migrate
// can leave it behind. The password never reaches a command line (visible
// to every user in ps) nor the environment (MYSQL_PWD is deprecated and
// inherited by whatever the child starts). The option file's escapes; the
// surrounding quotes keep spaces, '#' and quotes as they are.
std::string password_options(const std::string& password) {
  std::string escaped;
  for (char c : password) {
    switch (c) {
      case '\\':
        escaped += "\\\\";
        break;
      case '\n':
        escaped += "\\n";
        break;
      case '\r':
        escaped += "\\r";
        break;
      case '\t':
        escaped += "\\t";
        break;
      default:
        escaped += c;
    }
  }
  return "[client]\npassword=\"" + escaped + "\"\n";
}

std::string version_text(unsigned version) {
  return fmt::format("{}.{}.{}", version / 10000, version / 100 % 100, version % 100);
}

}  // namespace

unsigned parse_tool_version(std::string_view line) {
  for (std::string_view marker : {"Distrib ", " from "}) {
    size_t at = line.find(marker);
    if (at == std::string_view::npos) continue;
    unsigned parts[3] = {0, 0, 0};
    size_t pos = at + marker.size();
    for (int i = 0; i < 3 && pos < line.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(line[pos]))) break;
      while (pos < line.size() && std::isdigit(static_cast<unsigned char>(line[pos])))
        parts[i] = parts[i] * 10 + static_cast<unsigned>(line[pos++] - '0');
      if (pos >= line.size() || line[pos] != '.') break;
      ++pos;
    }
    if (parts[0] > 0) return parts[0] * 10000 + parts[1] * 100 + parts[2];
  }
  return 0;
}

Result<DumpTool> find_dump_tool(st_mysql* conn) {
  auto path = on_path("mariadb-dump");
  if (!path) path = on_path("mysqldump");
  if (!path) {
    return fail(ErrorCode::kUnsupported, "mariadb-dump (or mysqldump) not found on PATH",
                "install the server's client tools: apt-get install mariadb-client");
  }
  auto line = first_output_line(*path, {"--version"});
  if (!line) return tl::unexpected(line.error());
  DumpTool tool{*path, *line};
  unsigned tool_version = parse_tool_version(*line);
  unsigned server_version = static_cast<unsigned>(mysql_get_server_version(conn));
  bool maria = std::string_view(mysql_get_server_info(conn)).find("MariaDB") != std::string::npos;
  // Compared on major.minor: a patch release does not add object kinds.
  if (maria && tool_version > 0 && tool_version / 100 < server_version / 100) {
    return fail(
        ErrorCode::kRefused,
        fmt::format("{} {} is older than the server (MariaDB {})", path->filename().string(),
                    version_text(tool_version), version_text(server_version)),
        fmt::format("found '{}'; install the client tools of the server's version",
                    path->string()));
  }
  return tool;
}

Result<void> run_dump(const DumpTool& tool, const ConnectParams& params,
                      const std::string& database,
                      const std::function<Result<void>(std::string_view)>& output,
                      const DumpScope& scope) {
  // An option file of our own first, or --no-defaults: the user's option
  // files must not point the dump elsewhere.
  std::optional<std::string> options;
  if (!params.password.empty()) options = password_options(params.password);
  std::vector<std::string> args{options ? std::string("--defaults-file=") + kPrivateFile
                                        : std::string("--no-defaults")};
  auto connection = params.tool_arguments();
  args.insert(args.end(), connection.begin(), connection.end());
  for (const char* option :
       {"--single-transaction", "--hex-blob", "--skip-dump-date", "--skip-add-locks",
        "--skip-disable-keys", "--quick", "--extended-insert", "--default-character-set=utf8mb4",
        "--max-allowed-packet=1G"})
    args.emplace_back(option);
  if (scope.part == DumpScope::Part::kRows) {
    for (const char* option : {"--no-create-info", "--skip-triggers"}) args.emplace_back(option);
  } else {
    for (const char* option : {"--routines", "--triggers", "--events"}) args.emplace_back(option);
  }
  args.push_back("--");  // names from here on, whatever they look like
  args.push_back(database);
  if (scope.part == DumpScope::Part::kRows)
    args.insert(args.end(), scope.tables.begin(), scope.tables.end());
  auto child =
      Child::spawn(Command{tool.path, args, {}, Command::Stream::kNull, Command::Stream::kPipe},
                   options ? &*options : nullptr);
  if (!child) return tl::unexpected(child.error());
  auto ran = (*child)->run(nullptr, output);
  if (!ran) ran.error().message = scrub(ran.error().message, params.password);
  return ran;
}

}  // namespace migrate::mysql
