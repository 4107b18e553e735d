#include "drivers/mysql/mysql_scratch.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <random>

#include "util/crypto.h"
#include "util/env.h"
#include "util/log.h"

namespace migrate::mysql {
namespace {

constexpr std::string_view kPrefix = "migrate_scratch_";

// This host's part of a scratch database's name.
std::string host_tag() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return sha256_hex(host).substr(0, 8);
}

// Whether process `pid` of this host may still be running (a pid taken
// again by another process counts as running: nothing is dropped then).
bool process_exists(long pid) {
  if (pid <= 0 || pid > INT_MAX) return false;
  return env().kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Whether `name` is a scratch database of this host whose run is gone.
bool abandoned(const std::string& name, const std::string& host) {
  std::string_view rest(name);
  if (!rest.starts_with(kPrefix)) return false;
  rest.remove_prefix(kPrefix.size());
  if (!rest.starts_with(host + "_")) return false;
  rest.remove_prefix(host.size() + 1);
  long pid = 0;
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9' && digits < 10)
    pid = pid * 10 + (rest[digits++] - '0');
  if (digits == 0 || digits >= rest.size() || rest[digits] != '_') return false;
  return !process_exists(pid);
}

Result<void> drop_database(st_mysql* conn, const std::string& name) {
  return exec(conn, "DROP DATABASE IF EXISTS " + quote_identifier(name),
              fmt::format("drop the scratch database '{}'", name));
}

}  // namespace

Result<std::vector<ScratchLeftover>> list_scratch_databases(st_mysql* conn) {
  auto rows = query(conn,
                    // migrate_verify_<pid>_<random>: an older migrate's, host unknown.
                    "SELECT SCHEMA_NAME, (SELECT count(*) FROM information_schema.TABLES WHERE "
                    "TABLE_SCHEMA = SCHEMA_NAME) FROM information_schema.SCHEMATA WHERE "
                    "SCHEMA_NAME LIKE 'migrate\\_scratch\\_%' OR SCHEMA_NAME LIKE "
                    "'migrate\\_verify\\_%' ORDER BY 1",
                    "list the scratch databases");
  if (!rows) return tl::unexpected(rows.error());
  std::string host = host_tag();
  std::vector<ScratchLeftover> found;
  for (const auto& row : *rows) {
    std::string name = row[0].value_or("");
    bool gone = abandoned(name, host);
    bool trash = std::string_view(name).ends_with(kReplacedSuffix);
    found.push_back(
        ScratchLeftover{name, gone && !trash, gone && trash, std::stoull(row[1].value_or("0"))});
  }
  return found;
}

namespace {

// What is true of a trash database left behind: its restore did not drop
// it (killed before or after its RENAME, or the drop failed), and what it
// holds, perhaps the only copy of the database's state before that restore.
std::string replaced_warning(const ScratchLeftover& leftover) {
  std::string left = fmt::format(
      "'{}' was left by an earlier restore that did not finish dropping it", leftover.name);
  if (leftover.tables == 0) return left + "; it holds no tables: drop it";
  return fmt::format(
      "{}; it holds {} table{}, perhaps the database's state before that restore (the only "
      "copy): check {}, then drop the database",
      left, leftover.tables, leftover.tables == 1 ? "" : "s", leftover.tables == 1 ? "it" : "them");
}

}  // namespace

Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::create(st_mysql* conn,
                                                                 std::string_view suffix) {
  auto leftovers = list_scratch_databases(conn);
  if (!leftovers) return tl::unexpected(leftovers.error());
  for (const auto& leftover : *leftovers) {
    if (leftover.replaced) log::warn(replaced_warning(leftover));
    if (!leftover.abandoned) continue;
    if (auto r = drop_database(conn, leftover.name); !r) return tl::unexpected(r.error());
    log::info(
        fmt::format("dropped the scratch database '{}' of a run that is gone", leftover.name));
  }
  auto charset = query(conn,
                       "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
                       "information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
                       "read the database's character set");
  if (!charset) return tl::unexpected(charset.error());
  if (charset->empty()) return fail(ErrorCode::kUsage, "the database url names no database");
  std::random_device random;
  std::string name =
      fmt::format("{}{}_{}_{:08x}{}", kPrefix, host_tag(), ::getpid(), random(), suffix);
  std::string create = fmt::format("CREATE DATABASE {} CHARACTER SET {} COLLATE {}",
                                   quote_identifier(name), (*charset)[0][0].value_or("utf8mb4"),
                                   (*charset)[0][1].value_or("utf8mb4_general_ci"));
  if (auto r = exec(conn, create, fmt::format("create the scratch database '{}'", name)); !r) {
    r.error().hint =
        "restores and verify --deep work in a scratch database first: grant the user CREATE and "
        "DROP on databases named migrate_scratch_% (GRANT ALL ON `migrate\\_scratch\\_%`.* TO "
        "...)";
    return tl::unexpected(r.error());
  }
  log::debug(fmt::format("created the scratch database '{}'", name));
  return std::unique_ptr<ScratchDatabase>(new ScratchDatabase(conn, std::move(name)));
}

ScratchDatabase::~ScratchDatabase() {
  if (auto r = drop_database(conn_, name_); !r) log::warn(r.error().message);
}

Driver::Check scratch_check(st_mysql* conn) {
  auto found = list_scratch_databases(conn);
  if (!found) return {"scratch databases", false, found.error().message};
  if (found->empty()) return {"scratch databases", true, "none left behind"};
  std::string abandoned, other, replaced;
  for (const auto& leftover : *found) {
    if (leftover.replaced) {
      replaced += (replaced.empty() ? "" : "; ") + replaced_warning(leftover);
      continue;
    }
    std::string& list = leftover.abandoned ? abandoned : other;
    list += (list.empty() ? "" : ", ") + leftover.name;
  }
  if (abandoned.empty() && replaced.empty()) {
    return {"scratch databases", true,
            fmt::format("in use by a running restore or verify --deep, or left by one on another "
                        "host or by an older migrate (drop it if none is running): {}",
                        other)};
  }
  std::string message = replaced;
  if (!abandoned.empty()) {
    message += fmt::format(
        "{}left behind by runs that are gone: {}; the next restore or verify "
        "--deep drops them",
        message.empty() ? "" : "; ", abandoned);
  }
  if (!other.empty()) message += fmt::format(" (in use elsewhere: {})", other);
  return {"scratch databases", false, message};
}

}  // namespace migrate::mysql
