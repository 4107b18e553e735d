#include "drivers/postgres/postgres_scratch.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <random>

#include "drivers/postgres/pg_connection.h"
#include "util/crypto.h"
#include "util/env.h"
#include "util/log.h"

namespace migrate::postgres {
namespace {

constexpr std::string_view kPrefix = "migrate_scratch_";

// 8 hex digits naming this machine.
const std::string& host_tag() {
  static const std::string tag = [] {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) name[0] = '\0';
    return sha256_hex(name).substr(0, 8);
  }();
  return tag;
}

bool process_gone(long pid) {
  return pid <= 0 || (env().kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH);
}

// For a scratch name of this host, its pid; -1 for another host's or a
// name not ours.
long pid_on_this_host(std::string_view name) {
  std::string own = fmt::format("{}{}_", kPrefix, host_tag());
  if (!name.starts_with(own)) return -1;
  name.remove_prefix(own.size());
  long pid = 0;
  size_t i = 0;
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9' && pid < 100000000; ++i)
    pid = pid * 10 + (name[i] - '0');
  return i > 0 && i < name.size() && name[i] == '_' ? pid : -1;
}

enum class Owner { kAnyone, kThisRole };

// Scratch-like names on the server; with kThisRole, only databases the
// connected role owns (another role's, even under a name of this host and a
// dead pid, is not this migrate's to drop).
std::vector<std::string> scratch_databases(pg_conn* conn, Owner owner) {
  std::string sql =
      "SELECT datname FROM pg_catalog.pg_database WHERE (datname LIKE "
      "'migrate\\_scratch\\_%' OR datname LIKE 'migrate\\_verify\\_%')";
  if (owner == Owner::kThisRole)
    sql += " AND datdba = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)";
  ResultPtr result(PQexec(conn, (sql + " ORDER BY 1").c_str()));
  std::vector<std::string> names;
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return names;
  for (int i = 0; i < PQntuples(result.get()); ++i)
    names.emplace_back(PQgetvalue(result.get(), i, 0));
  return names;
}

void drop_database(pg_conn* conn, const std::string& name) {
  char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
  if (!quoted) return;
  bool force = PQserverVersion(conn) >= 130000;
  std::string sql =
      fmt::format("DROP DATABASE IF EXISTS {}{}", quoted, force ? " WITH (FORCE)" : "");
  PQfreemem(quoted);
  ResultPtr result(PQexec(conn, sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    log::warn(fmt::format("cannot drop the scratch database '{}': {}", name, PQerrorMessage(conn)));
  }
}

}  // namespace

std::string scratch_database_name() {
  std::random_device random;
  return fmt::format("{}{}_{}_{:08x}", kPrefix, host_tag(), ::getpid(), random());
}

void drop_abandoned_scratch_databases(pg_conn* conn) {
  for (const auto& name : scratch_databases(conn, Owner::kThisRole)) {
    long pid = pid_on_this_host(name);
    if (pid < 0 || !process_gone(pid)) continue;
    log::info(fmt::format("dropping '{}', left by an interrupted verify --deep", name));
    drop_database(conn, name);
  }
}

std::vector<std::string> leftover_scratch_databases(pg_conn* conn) {
  std::vector<std::string> leftovers;
  for (const auto& name : scratch_databases(conn, Owner::kAnyone)) {
    long pid = pid_on_this_host(name);
    if (pid >= 0 && !process_gone(pid)) continue;  // a verify --deep running now
    leftovers.push_back(name);
  }
  return leftovers;
}

ScratchDatabase::~ScratchDatabase() {
  drop_database(conn_, name_);
}

}  // namespace migrate::postgres
