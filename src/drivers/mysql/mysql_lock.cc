#include "drivers/mysql/mysql_lock.h"

#include <fmt/format.h>
#include <mysql.h>

#include "drivers/lock_poll.h"
#include "util/crypto.h"

namespace migrate::mysql {
namespace {

constexpr size_t kMaxLockName = 64;

}  // namespace

std::string lock_name(const std::string& database, const std::string& table) {
  std::string name = fmt::format("migrate:{}:{}", database, table);
  if (name.size() <= kMaxLockName) return name;
  return "migrate:" + sha256_hex(name).substr(0, 40);
}

NamedLock::NamedLock(ConnectParams params, const std::string& table)
    : params_(std::move(params)), name_(lock_name(params_.database, table)) {}

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
  // GET_LOCK returns 1 when taken, 0 when another session holds it.
  auto rows =
      query(conn_.get(), fmt::format("SELECT GET_LOCK({}, 0)", quote_literal(conn_.get(), name_)),
            fmt::format("take the lock '{}'", name_));
  if (!rows) return fail(ErrorCode::kLock, rows.error().message);
  return !rows->empty() && (*rows)[0][0] == "1";
}

// "connection 42 (user@host)", or "" when the holder is gone already.
std::string NamedLock::holder_description() {
  auto rows = query(conn_.get(),
                    fmt::format("SELECT p.ID, p.USER, p.HOST FROM information_schema.PROCESSLIST p "
                                "WHERE p.ID = IS_USED_LOCK({})",
                                quote_literal(conn_.get(), name_)),
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
                   return fmt::format("lock '{}' (GET_LOCK) on '{}'{}", name_, params_.masked_url,
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
  if (held_)
    (void)exec(conn_.get(), fmt::format("DO RELEASE_LOCK({})", quote_literal(conn_.get(), name_)),
               "release the lock");
  held_ = false;
  conn_.reset();
}

}  // namespace migrate::mysql
