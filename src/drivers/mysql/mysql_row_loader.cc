#include "drivers/mysql/mysql_row_loader.h"

#include <fmt/format.h>
#include <mysql.h>

namespace migrate::mysql {
namespace {

// Enough to keep every worker busy, little enough to bound memory.
constexpr size_t kMaxQueuedBytes = size_t{64} << 20;

// What mariadb-dump's header sets, for the sessions that never read it.
constexpr const char* kSessionSettings =
    "SET NAMES utf8mb4, time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0, "
    "sql_mode = 'NO_AUTO_VALUE_ON_ZERO', sql_notes = 0";

constexpr int kDeadlockRetries = 20;

bool retryable(unsigned error) {
  return error == 1213 || error == 1205;  // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
}

}  // namespace

Result<std::unique_ptr<RowLoader>> RowLoader::start(const ConnectParams& params,
                                                    const std::string& database, int workers) {
  std::unique_ptr<RowLoader> loader(new RowLoader);
  for (int i = 0; i < workers; ++i) {
    auto conn = connect(params, &database);
    if (!conn) return tl::unexpected(conn.error());
    if (auto r = exec(conn->get(), kSessionSettings, "prepare a loading connection"); !r)
      return tl::unexpected(r.error());
    loader->connections_.push_back(std::move(*conn));
  }
  for (auto& conn : loader->connections_)
    loader->threads_.emplace_back([raw = loader.get(), c = conn.get()] { raw->work(c); });
  return loader;
}

RowLoader::~RowLoader() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void RowLoader::work(st_mysql* conn) {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string statement = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= statement.size();
    ++busy_;
    changed_.notify_all();  // room in the queue
    lock.unlock();
    auto r = exec(conn, statement, "load rows");
    // Two loaders inserting into one table can deadlock on its unique
    // indexes; InnoDB then rolls the whole (autocommit) INSERT back, so it
    // is simply run again.
    for (int attempt = 1; !r && attempt < kDeadlockRetries && retryable(mysql_errno(conn));
         ++attempt)
      r = exec(conn, statement, "load rows");
    lock.lock();
    --busy_;
    if (!r && !error_) {
      error_ = r.error();
      error_->message += fmt::format("\n  statement: {}...", statement.substr(0, 100));
    }
    changed_.notify_all();
  }
}

Result<void> RowLoader::submit(std::string statement) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return error_ || queued_bytes_ < kMaxQueuedBytes; });
  if (error_) return tl::unexpected(*error_);
  queued_bytes_ += statement.size();
  queue_.push_back(std::move(statement));
  changed_.notify_all();
  return {};
}

Result<void> RowLoader::wait_idle() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return error_ || (queue_.empty() && busy_ == 0); });
  if (error_) return tl::unexpected(*error_);
  return {};
}

}  // namespace migrate::mysql
