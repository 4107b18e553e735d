// Loading a dump's rows on several connections at once, as myloader does:
// the INSERTs of a dump do not depend on one another (foreign and unique
// checks are off while they load, and every row carries its key), so they
// may run in any order and side by side while schema statements run on the
// restore's main connection.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drivers/mysql/mysql_connection.h"

namespace migrate::mysql {

class RowLoader {
 public:
  // Opens `workers` connections to `database`, with the session settings a
  // dump's rows are written for (UTC, no foreign or unique checks).
  static Result<std::unique_ptr<RowLoader>> start(const ConnectParams& params,
                                                  const std::string& database, int workers);
  // Stops the workers; statements not yet run are dropped.
  ~RowLoader();
  RowLoader(const RowLoader&) = delete;
  RowLoader& operator=(const RowLoader&) = delete;

  // Queues one INSERT; waits while the queue is full. Fails with the first
  // error any worker met.
  Result<void> submit(std::string statement);
  // Waits until every queued statement has run; fails with the first error.
  Result<void> wait_idle();

 private:
  RowLoader() = default;
  void work(st_mysql* conn);

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  int busy_ = 0;
  bool stopping_ = false;
  std::optional<Error> error_;
  std::vector<Connection> connections_;
  std::vector<std::thread> threads_;
};

}  // namespace migrate::mysql
