#include "drivers/mysql/mysql_lock.h"

#include <fmt/format.h>
#include <mysql.h>

#include "drivers/lock_poll.h"
#include "util/crypto.h"

namespace migrate::mysql {
namespace {

constexpr size_t kMaxLockName = 64;

std::string fitting(std::string name) {
  if (name.size() <= kMaxLockName) return name;
  return "migrate:" + sha256_hex(name).substr(0, 40);
}

}  // namespace

std::string lock_name(const std::string& database) {
  return fitting(fmt::format("migrate:{}", database));
}

std::string lock_name(const std::string& database, const std::string& table) {
  return fitting(fmt::format("migrate:{}:{}", database, table));
}

NamedLock::NamedLock(ConnectParams params, const std::string& table)
    : params_(std::move(params)),
      names_{lock_name(params_.database), lock_name(params_.database, table)} {}

Result<bool> NamedLock::try_lock() {
  if (!conn_) {
    auto conn = connect(params_);
    if (!conn) {
      Error error = conn.error();
      error.message = "cannot open the lock connection: " + error.message;
      return tl::unexpected(error);
    }
    conn_ = std::move(*conn);
  }
  // GET_LOCK returns 1 when taken, 0 when another session holds it. Both or
  // neither: the database's lock is given back when the table's is taken.
  std::string database = quote_literal(conn_.get(), names_[0]);
  std::string table = quote_literal(conn_.get(), names_[1]);
  auto rows = query(conn_.get(),
                    fmt::format("SELECT CASE WHEN GET_LOCK({0}, 0) = 0 THEN 0 "
                                "WHEN GET_LOCK({1}, 0) = 1 THEN 1 "
                                "ELSE RELEASE_LOCK({0}) - 1 END",
                                database, table),
                    fmt::format("take the locks '{}' and '{}'", names_[0], names_[1]));
  if (!rows) return fail(ErrorCode::kLock, rows.error().message);
  return !rows->empty() && (*rows)[0][0] == "1";
}

// "connection 42 (user@host)", or "" when the holder is gone already.
std::string NamedLock::holder_description() {
  auto rows = query(
      conn_.get(),
      fmt::format("SELECT p.ID, p.USER, p.HOST FROM information_schema.PROCESSLIST p "
                  "WHERE p.ID IN (IS_USED_LOCK({}), IS_USED_LOCK({})) "
                  "AND p.ID <> CONNECTION_ID()",
                  quote_literal(conn_.get(), names_[0]), quote_literal(conn_.get(), names_[1])),
      "find the lock's holder");
  if (!rows || rows->empty()) return "";
  const Row& row = (*rows)[0];
  return fmt::format("connection {} ({}@{})", row[0].value_or("?"), row[1].value_or("?"),
                     row[2].value_or("?"));
}

Result<void> NamedLock::acquire(std::chrono::milliseconds timeout) {
  auto taken =
      poll_lock({[&] { return try_lock(); },
                 [&] {
                   std::string holder = holder_description();
                   return fmt::format("locks '{}' and '{}' (GET_LOCK) on '{}'{}", names_[0],
                                      names_[1], params_.masked_url,
                                      holder.empty() ? "" : fmt::format(", held by {}", holder));
                 },
                 [&] { release(); }},
                timeout);
  held_ = taken.has_value();
  return taken;
}

void NamedLock::release() {
  if (!conn_) return;
  // Closing the connection alone would release it too; RELEASE_LOCK first
  // makes it free at once.
  if (held_) {
    (void)exec(
        conn_.get(),
        fmt::format("DO RELEASE_LOCK({}), RELEASE_LOCK({})", quote_literal(conn_.get(), names_[1]),
                    quote_literal(conn_.get(), names_[0])),
        "release the locks");
  }
  held_ = false;
  conn_.reset();
}

}  // namespace migrate::mysql
